"""How fast this machine's CPU is right now, for reading benchmark figures from a shared machine."""

from __future__ import annotations

import timeit


def reference_ns() -> float:
    """Nanoseconds a fixed bit of pure Python takes here now (best of three): the speed of the
    CPU this process gets, which on a shared virtual machine changes from minute to minute
    without showing as load or steal."""
    return min(timeit.repeat("sum(range(100))", number=100_000, repeat=3)) / 100_000 * 1e9
