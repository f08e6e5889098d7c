"""A keyed permutation of 0..size-1: unique, random-looking identifiers without a lookup table.

A four-round Feistel network over the smallest even number of bits that covers `size`, with
cycle walking to stay inside the range. It lets every chunk of the population compute its own
NHS numbers, addresses and record keys independently and still never collide with another's.
"""

from __future__ import annotations

import random

_MULTIPLIER = 0x9E3779B1


class KeyedPermutation:
    def __init__(self, *, size: int, key: str) -> None:
        if size < 1:
            raise ValueError("A permutation needs at least one value.")
        bits = max(2, (size - 1).bit_length())
        bits += bits % 2
        self.size = size
        self._half = bits // 2
        self._mask = (1 << self._half) - 1
        rng = random.Random(key)  # noqa: S311 - synthetic test data, not security
        self._keys = tuple(rng.getrandbits(32) for _ in range(4))

    def __call__(self, value: int) -> int:
        if not 0 <= value < self.size:
            raise ValueError(f"{value} is outside 0..{self.size - 1}.")
        half, mask, size = self._half, self._mask, self.size
        k0, k1, k2, k3 = self._keys
        while True:
            left, right = value >> half, value & mask
            left ^= (((right ^ k0) * _MULTIPLIER) >> 7) & mask
            right ^= (((left ^ k1) * _MULTIPLIER) >> 7) & mask
            left ^= (((right ^ k2) * _MULTIPLIER) >> 7) & mask
            right ^= (((left ^ k3) * _MULTIPLIER) >> 7) & mask
            value = (left << half) | right
            if value < size:
                return value
