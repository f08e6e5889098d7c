"""Benchmark the synthetic population generator at 100,000 and 1,000,000 people.

    python benchmarks/seed_population.py [--sizes 100000 1000000] [--workers 2] [--compress]

Each size runs in a fresh process, so its peak resident set size is its own. Prints people per
second, records per second, wall time and peak RSS (the generating process, and its worker
processes if any) for each size. Files go to a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _peak_rss_mib(who: int) -> float:
    # ru_maxrss is in kibibytes on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def run_one(
    *, people: int, seed: int, workers: int, error_scale: float, compress: bool
) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from agencies.population import generate

    with tempfile.TemporaryDirectory(prefix="population-") as directory:
        started = time.perf_counter()
        summary = generate(
            people=people,
            seed=seed,
            out_dir=Path(directory),
            error_scale=error_scale,
            compress=compress,
            workers=workers,
        )
        wall = time.perf_counter() - started
        size_mib = sum(path.stat().st_size for path in Path(directory).iterdir()) / 2**20
    return {
        "people": people,
        "records": summary.total_records,
        "wall_s": wall,
        "people_per_s": people / wall,
        "records_per_s": summary.total_records / wall,
        "peak_rss_mib": _peak_rss_mib(resource.RUSAGE_SELF),
        "workers_peak_rss_mib": _peak_rss_mib(resource.RUSAGE_CHILDREN),
        "records_with_errors": summary.records_with_errors / summary.total_records,
        "people_without_nhs_number": summary.people_without_nhs_number,
        "output_mib": size_mib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--error-scale", type=float, default=1.0)
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.one:
        result = run_one(
            people=arguments.sizes[0],
            seed=arguments.seed,
            workers=arguments.workers,
            error_scale=arguments.error_scale,
            compress=arguments.compress,
        )
        print(json.dumps(result))
        return

    print(
        f"workers={arguments.workers} error_scale={arguments.error_scale}"
        f" compress={arguments.compress} seed={arguments.seed}"
    )
    for people in arguments.sizes:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--one",
            "--sizes",
            str(people),
            "--seed",
            str(arguments.seed),
            "--workers",
            str(arguments.workers),
            "--error-scale",
            str(arguments.error_scale),
            *(["--compress"] if arguments.compress else []),
        ]
        completed = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - our own script
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        print(
            f"{result['people']:>9,} people  {result['records']:>10,} records"
            f"  wall {result['wall_s']:7.1f} s"
            f"  {result['people_per_s']:>9,.0f} people/s"
            f"  {result['records_per_s']:>9,.0f} records/s"
            f"  peak RSS {result['peak_rss_mib']:6.0f} MiB"
            f" (workers {result['workers_peak_rss_mib']:.0f} MiB)"
            f"  output {result['output_mib']:,.0f} MiB"
            f"  {result['records_with_errors']:.1%} records with errors"
            f"  {result['people_without_nhs_number']:,} people without an NHS number"
        )


if __name__ == "__main__":
    main()
