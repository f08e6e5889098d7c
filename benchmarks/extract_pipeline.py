"""Benchmark the extract pipeline end to end on PostgreSQL at 100,000 and 1,000,000 rows.

    .venv/bin/python benchmarks/extract_pipeline.py [--sizes 100000 1000000] [--workers 2]

What it does:
1. Writes a GP registrations extract with the synthetic population generator
   (`agencies.population.generate`, about 1.05 people per wanted row), keeping the first N rows.
2. Creates its own database, `singleview_bench`, on the PostgreSQL server of DATABASE_URL
   (default postgres://postgres@127.0.0.1:5432/singleview), migrates it, and drops it at the end.
   It never reads or writes any other database. An earlier `singleview_bench` left by a crash is
   dropped first.
3. For each size, in a fresh process (so its peak RSS is its own): creates a partnership, an
   agency, the GP registrations dataset and a partner IT user; receives the file through
   `extract_receive` (SHA-256 of the content, stored under a temporary MEDIA_ROOT); then runs
   `extract_process` with the MATCH STEP SWITCHED OFF (`match_records=False`). The dataset has
   no records yet, so this first load validates (streaming) and COPYs good rows straight into
   SourceRecord in one transaction, then publishes (the commit runs the deferred foreign-key
   checks). Then a second, changed full extract of the same size (1% of rows dropped, 1%
   changed) goes the reload path: validate and COPY into an UNLOGGED staging table, stage
   (unique index), normalise (duplicate keys, statistics), publish (retire, update, insert in
   one transaction).

It prints, per size: rows per second for the pipeline (validate to publish) and including the
upload's digest, seconds per step, and the process's peak RSS. The PostgreSQL server's own
memory is not included (it is another process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from machine import reference_ns  # benchmarks/machine.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATABASE = "singleview_bench"
DATASET_CODE = "gp_registrations"
TARGET_ROWS_PER_S = 50_000


def _bench_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def _admin_connect(base_url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urlsplit(base_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def _database_create(base_url: str) -> None:
    with _admin_connect(base_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def _database_drop(base_url: str) -> None:
    with _admin_connect(base_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def _child_env(bench_url: str, media_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "singleview.settings.test",
        "DATABASE_URL": bench_url,
        "SINGLEVIEW_MEDIA_ROOT": str(media_root),
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def _write_files(
    *, sizes: list[int], workers: int, directory: Path
) -> dict[int, tuple[Path, Path]]:
    """A GP registrations extract of each size (the first N rows of one big file), and a
    changed copy of each: 1% of rows dropped, every 100th row's given name changed."""
    sys.path.insert(0, str(ROOT))
    from agencies.population import generate

    largest = max(sizes)
    people = int(largest / 0.97 * 1.03) + 1000
    started = time.perf_counter()
    summary = generate(people=people, seed=2026, out_dir=directory / "population", workers=workers)
    source = summary.paths[DATASET_CODE]
    print(
        f"Generated {summary.records[DATASET_CODE]:,} GP registration rows from {people:,} "
        f"synthetic people in {time.perf_counter() - started:.0f} s.",
        flush=True,
    )
    files: dict[int, tuple[Path, Path]] = {}
    for size in sizes:
        first = directory / f"{DATASET_CODE}-{size}.csv"
        second = directory / f"{DATASET_CODE}-{size}-changed.csv"
        with (
            source.open(encoding="utf-8", newline="") as handle,
            first.open("w", encoding="utf-8", newline="") as out,
            second.open("w", encoding="utf-8", newline="") as changed,
        ):
            header = handle.readline()
            out.write(header)
            changed.write(header)
            written = 0
            for line in handle:
                if written == size:
                    break
                out.write(line)
                if written % 100 == 1:
                    pass  # dropped from the changed file: retired on reload
                elif written % 100 == 2:
                    key, given, rest = line.split(",", 2)
                    changed.write(f"{key},{given}x,{rest}")
                else:
                    changed.write(line)
                written += 1
        if written < size:
            raise SystemExit(f"The generator made only {written:,} rows; wanted {size:,}.")
        files[size] = (first, second)
    shutil.rmtree(directory / "population")
    return files


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(first: Path, second: Path) -> dict[str, object]:
    """In a fresh process: set up the dataset, then receive and process both files."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta

    from django.core.files import File

    from agencies.models import (
        Agency,
        Dataset,
        DatasetField,
        ExtractRunStatus,
        OrganisationType,
        Partnership,
        SourceRecord,
    )
    from agencies.population import dataset_spec
    from agencies.services import extract_process, extract_receive, user_create

    spec = dataset_spec(DATASET_CODE)
    # Each size has its own partnership, agency and dataset in the benchmark database.
    tag = first.stem.rsplit("-", 1)[-1]
    partnership = Partnership.objects.create(name=f"Benchmark {tag}", slug=f"bench-{tag}")
    agency = Agency.objects.create(
        partnership=partnership,
        organisation_type=OrganisationType.objects.get(code="icb"),
        name=f"Benchmark ICB {tag}",
        code="BICB",
    )
    dataset = Dataset.objects.create(
        agency=agency, code=spec.code, name=spec.name, refresh_cadence=timedelta(days=1)
    )
    DatasetField.objects.bulk_create(
        DatasetField(
            dataset=dataset,
            name=field.name,
            label=field.label,
            field_type=field.type,
            identifying=field.identifying,
            sensitivity=field.sensitivity,
            required=field.required,
            max_length=field.max_length,
            choices=list(field.choices),
            position=position,
        )
        for position, field in enumerate(spec.fields)
    )
    user = user_create(
        agency=agency,
        username=f"bench-it-{tag}",
        email=f"bench-it-{tag}@example.org",
        first_name="Bench",
        last_name="IT",
        user_types=["partner_it"],
    )
    results: dict[str, object] = {}
    for label, path in (("first load", first), ("reload", second)):
        started = time.perf_counter()
        with path.open("rb") as handle:
            receipt = extract_receive(
                user=user, dataset=dataset, upload=File(handle, name=path.name)
            )
        received = time.perf_counter()
        run = extract_process(extract_id=receipt.extract.pk, match_records=False)
        finished = time.perf_counter()
        assert run is not None
        assert run.status == ExtractRunStatus.PUBLISHED, run.failure_message
        pipeline_seconds = finished - received
        results[label] = {
            "rows": run.rows_total,
            "rows_rejected": run.rows_rejected,
            "inserted": run.inserted,
            "updated": run.updated,
            "retired": run.retired,
            "receive_s": received - started,
            "pipeline_s": pipeline_seconds,
            "pipeline_rows_per_s": run.rows_total / pipeline_seconds,
            "end_to_end_rows_per_s": run.rows_total / (finished - started),
            "steps_s": run.step_timings,
        }
    results["records_current"] = SourceRecord.objects.filter(
        dataset=dataset, retired_at__isnull=True
    ).count()
    results["peak_rss_mib"] = _peak_rss_mib()
    return results


def _report(size: int, result: dict[str, object]) -> None:
    print(f"\n{size:,} rows (match step switched off: match_records=False)")
    for label in ("first load", "reload"):
        part = result[label]
        assert isinstance(part, dict)
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in part["steps_s"].items())
        print(
            f"  {label:<10}: {part['pipeline_rows_per_s']:>9,.0f} rows/s validate-to-publish "
            f"({part['pipeline_s']:.1f} s); {part['end_to_end_rows_per_s']:>9,.0f} rows/s "
            f"including the upload digest ({part['receive_s']:.1f} s)"
        )
        print(
            f"              inserted {part['inserted']:,}, updated {part['updated']:,}, "
            f"retired {part['retired']:,}, rejected rows {part['rows_rejected']:,}"
        )
        print(f"              steps: {steps}")
    print(f"  peak RSS of the pipeline process: {result['peak_rss_mib']:.0f} MiB")
    slowest = min(
        part["end_to_end_rows_per_s"]
        for label in ("first load", "reload")
        if isinstance(part := result[label], dict)
    )
    verdict = "met" if slowest >= TARGET_ROWS_PER_S else "NOT met"
    print(
        f"  target {TARGET_ROWS_PER_S:,} rows/s end to end (upload digest included): {verdict} "
        f"(slower of the two: {slowest:,.0f} rows/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2, help="Generator worker processes.")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(Path(args.child[0]), Path(args.child[1]))))
        return
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/singleview")
    bench_url = _bench_url(base_url)
    with tempfile.TemporaryDirectory(prefix="extract-bench-") as directory:
        work = Path(directory)
        files = _write_files(sizes=sorted(args.sizes), workers=args.workers, directory=work)
        _database_create(base_url)
        try:
            env = _child_env(bench_url, work / "media")
            subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "migrate",
                    "--verbosity",
                    "0",
                    "--skip-checks",
                ],
                check=True,
                env=env,
                cwd=ROOT,
            )
            print(f"Database: {BENCH_DATABASE} (created for this run, dropped at the end).")
            print(f"Machine: {os.cpu_count()} CPUs; load average {_load()} before the runs.")
            for size in sorted(args.sizes):
                first, second = files[size]
                load_before = _load()
                speed_before = reference_ns()
                completed = subprocess.run(  # noqa: S603 - this script, with our own file paths
                    [sys.executable, __file__, "--child", str(first), str(second)],
                    check=False,
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                if completed.returncode:
                    sys.stderr.write(completed.stderr)
                    raise SystemExit(f"The {size:,}-row run failed.")
                _report(size, json.loads(completed.stdout.strip().splitlines()[-1]))
                print(
                    f"  load average before this size: {load_before}, after: {_load()} "
                    "(other work on the machine); reference loop (sum(range(100))) "
                    f"{speed_before:.0f} ns before, {reference_ns():.0f} ns after (this shared "
                    "machine's CPU speed changes from minute to minute: compare runs with it)"
                )
        finally:
            _database_drop(base_url)
            print(f"\nDropped {BENCH_DATABASE}.")


if __name__ == "__main__":
    main()
