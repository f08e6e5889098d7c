"""python manage.py match_file INPUT.csv [--against OTHER.csv] --out OUT.csv

Bulk linking without a database: records of one file (or of two files together) are linked into
persons by the matching core, and every record's person is written out. Input columns (others are
ignored; any may be blank except record_id): record_id, given_name, family_name, date_of_birth,
sex, postcode, address, nhs_number. Output: source,record_id,person_id, one row per input record
in input order; rows sharing a person_id are the same person. The source is the file's stem.
"""

from __future__ import annotations

import csv
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from matching.clustering import Thresholds
from matching.engine import LinkResult, LinkSettings, link
from matching.normalise import INPUT_FIELDS, RecordIn, RecordKey

RECORD_ID = "record_id"
OUTPUT_COLUMNS = ("source", "record_id", "person_id")
PAIR_COLUMNS = (
    "first_source",
    "first_record_id",
    "second_source",
    "second_record_id",
    "weight_bits",
    "probability",
    "decision",
)


def _read_records(path: Path) -> list[RecordIn]:
    """The records of one CSV file, with the file's stem as their source."""
    source = path.stem
    records: list[RecordIn] = []
    seen: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise CommandError(f"{path} is empty: it needs a header row with {RECORD_ID}.")
            columns = [name.strip().lower() for name in header]
            if RECORD_ID not in columns:
                raise CommandError(
                    f"{path} has no {RECORD_ID} column (its columns are: "
                    f"{', '.join(columns) or 'none'})."
                )
            id_column = columns.index(RECORD_ID)
            field_columns = [
                (field, columns.index(field)) for field in INPUT_FIELDS if field in columns
            ]
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # a blank line
                line = reader.line_num
                record_id = row[id_column].strip() if id_column < len(row) else ""
                if not record_id:
                    raise CommandError(f"{path}, line {line}: the record has no {RECORD_ID}.")
                if record_id in seen:
                    raise CommandError(
                        f"{path}, line {line}: {RECORD_ID} {record_id!r} is a duplicate "
                        f"(first on line {seen[record_id]}); record ids must be unique."
                    )
                seen[record_id] = line
                values = {
                    field: row[column] if column < len(row) else ""
                    for field, column in field_columns
                }
                records.append(
                    RecordIn.from_mapping(source=source, record_id=record_id, values=values)
                )
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{path} is not UTF-8 text (byte {error.start} cannot be read); save it as UTF-8 "
            "and try again."
        ) from error
    except csv.Error as error:
        raise CommandError(f"{path} is not a readable CSV file: {error}.") from error
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
    return records


def _person_ids(result: LinkResult) -> dict[RecordKey, str]:
    """P000001, P000002, ... in the order of the persons' cluster ids."""
    numbers: dict[RecordKey, str] = {}
    for cluster_id in sorted(set(result.assignments.values())):
        numbers[cluster_id] = f"P{len(numbers) + 1:06d}"
    return {key: numbers[cluster_id] for key, cluster_id in result.assignments.items()}


class Command(BaseCommand):
    help = (
        "Link the records of a CSV file (or of two files together) into persons, without a "
        "database, and write each record's person id."
    )
    requires_system_checks: list[str] = []  # no database, no apps to check
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "input_file", type=Path, metavar="INPUT.csv", help="CSV file of records."
        )
        parser.add_argument(
            "--against", type=Path, default=None, help="A second CSV file to link with the first."
        )
        parser.add_argument("--out", type=Path, required=True, help="Where to write the result.")
        parser.add_argument(
            "--pairs",
            type=Path,
            default=None,
            help="Also write the scored pairs at or above the review threshold here.",
        )
        defaults = Thresholds()
        parser.add_argument(
            "--match-threshold",
            type=float,
            default=defaults.match,
            help=f"Match weight (bits) for a match (default {defaults.match}).",
        )
        parser.add_argument(
            "--review-threshold",
            type=float,
            default=defaults.review,
            help=f"Match weight (bits) for a possible match (default {defaults.review}).",
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="Threads for string comparison (default 1)."
        )

    def _progress(self, message: str) -> None:
        self.stderr.write(f"[{time.perf_counter() - self._started:7.1f}s] {message}")

    def handle(
        self,
        *args: Any,
        input_file: Path,
        against: Path | None,
        out: Path,
        pairs: Path | None,
        match_threshold: float,
        review_threshold: float,
        workers: int,
        **options: Any,
    ) -> None:
        self._started = time.perf_counter()
        if review_threshold > match_threshold:
            raise CommandError("--review-threshold cannot be above --match-threshold.")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if against is not None and against.stem == input_file.stem:
            raise CommandError(
                f"{input_file} and {against} have the same name ({input_file.stem}), which is "
                "used as the source of their records; rename one of them."
            )
        for target in (out, pairs):
            if target is not None and not target.parent.is_dir():
                raise CommandError(f"Cannot write {target}: folder {target.parent} not found.")
        records = _read_records(input_file)
        self._progress(f"Read {len(records):,} records from {input_file}.")
        if against is not None:
            other = _read_records(against)
            self._progress(f"Read {len(other):,} records from {against}.")
            records += other
        settings = LinkSettings(
            thresholds=Thresholds(match=match_threshold, review=review_threshold),
            workers=workers,
        )
        result = link(records, settings=settings, progress=self._progress)
        person_of = _person_ids(result)
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(OUTPUT_COLUMNS)
                writer.writerows(
                    (record.source, record.record_id, person_of[record.key]) for record in records
                )
            if pairs is not None:
                with pairs.open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(PAIR_COLUMNS)
                    writer.writerows(
                        (*pair.first, *pair.second, f"{pair.weight:.2f}",
                         f"{pair.probability:.4f}", pair.decision)
                        for pair in sorted(result.pairs, key=lambda p: (p.first, p.second))
                    )  # fmt: skip
        except OSError as error:
            raise CommandError(f"Cannot write the result: {error}.") from error
        persons = len(set(person_of.values()))
        self._progress(f"Wrote {len(records):,} records ({persons:,} persons) to {out}.")
        sys.stderr.flush()
