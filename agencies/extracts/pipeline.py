"""The extract pipeline's database work, around the pure validator (ADR 0008).

One run of an extract goes through five steps, each safe to repeat:

1. validate: the file is streamed through `validation.ExtractReader`; problems are stored (the
   first EXTRACT_PROBLEMS_STORED of them) and good rows, in their published shape, go straight
   into a staging table of the run's own: on PostgreSQL an UNLOGGED table filled by COPY through
   psycopg 3 (the server loads one batch while the next is validated), on SQLite by batched
   inserts. The table is made afresh, so a repeat starts clean, and dropped when the run ends.
   Memory stays flat however large the file is.
2. stage: the staging table is checked to hold every row that passed (as the database counted
   them while storing them), and indexed by record reference (a unique index, which fails if a
   reference is on more than one row).
3. normalise: every row of a reference on more than one row is set aside as a hold row (its
   published record stays as it was) and reported; unless the run is check-only or the dataset
   has no records yet, the staging table (and, before a large publish, the store) is analysed
   so that the publish joins are planned on current statistics. Above the error threshold the
   file is rejected whole here; a check-only run stops here.
4. match and 5. publish, in ONE transaction that takes the dataset's row lock: new and changed
   rows are written into `SourceRecord`, records a full extract no longer has (or a delta marks
   D) are retired, records that reappear are un-retired, the new and changed records are linked
   to persons (`matching.services.source_records_link`), and the extract, the run and the
   dataset's publication are marked published. Readers see the previous version until the
   commit and never a mix; a run killed before the commit leaves the store as it was, and a
   repeat after the commit finds the extract published and does nothing.

A dataset's first load on PostgreSQL (no records yet, so nothing to retire, update or compare)
skips the staging table: `_first_load` validates and COPYs good rows straight into the store in
one transaction, then publishes in it (ADR 0008).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from agencies.extracts.schema import DEMOGRAPHIC_COLUMNS, ExtractSchema
from agencies.extracts.validation import (
    STAGED_COLUMNS,
    ExtractReader,
    Problem,
    ProblemLog,
    StagedRow,
    duplicate_problem,
    over_threshold,
    threshold_problem,
)
from agencies.models import (
    Dataset,
    DatasetPublication,
    Extract,
    ExtractKind,
    ExtractProblem,
    ExtractRun,
    ExtractRunStatus,
    ExtractRunStep,
    ExtractStatus,
    SourceRecord,
)

logger = logging.getLogger(__name__)

# How far through the run each step starts, for the progress bar (per cent).
STEP_PROGRESS: dict[str, int] = {
    ExtractRunStep.VALIDATE: 0,
    ExtractRunStep.STAGE: 55,
    ExtractRunStep.NORMALISE: 75,
    ExtractRunStep.MATCH: 80,
    ExtractRunStep.PUBLISH: 80,
    ExtractRunStep.DONE: 100,
}
# Rows per COPY statement (progress is written between them) and per write to the server.
SEGMENT_ROWS = 100_000
COPY_BATCH_ROWS = 5000
LINK_BATCH = 5000
# PostgreSQL advisory lock namespace for "this dataset's extracts are being processed".
DATASET_LOCK_NAMESPACE = 0x5E7
# Memory for the run's own sorts, hashes and index builds (PostgreSQL session settings, reset
# when the run ends): a million staged rows then join and index without spilling to disk.
SESSION_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "512MB"}
# From this many staged rows, the store's statistics are refreshed before publishing.
ANALYZE_STORE_FROM_ROWS = 50_000


class StepFailed(Exception):
    """A step could not finish; the message is for partner IT."""


@dataclass(frozen=True)
class PipelineLimits:
    threshold: float
    problem_cap: int

    @classmethod
    def from_settings(cls) -> PipelineLimits:
        return cls(
            threshold=settings.EXTRACT_ERROR_THRESHOLD,
            problem_cap=settings.EXTRACT_PROBLEMS_STORED,
        )


# ---------------------------------------------------------------------------------------------
# The staging table


def stage_table(run_id: int) -> str:
    """The run's own staging table (its name is built from an integer only)."""
    return f"agencies_extract_stage_{int(run_id)}"


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def stage_table_create(run_id: int) -> None:
    table = stage_table(run_id)
    text = ", ".join(f"{name} text NOT NULL" for name in STAGED_COLUMNS[2:-1])
    if _is_postgres():
        sql = (
            f"CREATE UNLOGGED TABLE {table} (row_number integer NOT NULL, action char(1) NOT NULL, "
            f"{text}, payload jsonb NOT NULL) WITH (autovacuum_enabled = false)"
        )
    else:
        sql = (
            f"CREATE TABLE {table} (row_number integer NOT NULL, action text NOT NULL, {text}, "
            "payload text NOT NULL)"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(sql)


@contextmanager
def _session_settings() -> Iterator[None]:
    if not _is_postgres():
        yield
        return
    with connection.cursor() as cursor:
        for name, value in SESSION_SETTINGS.items():
            # set_config, not SET: a utility statement takes no bound parameter.
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name in SESSION_SETTINGS:
                cursor.execute(f"RESET {name}")


def stage_table_drop(run_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage_table(run_id)}")


def stage_tables_sweep() -> int:
    """Drop the staging tables of runs that are not running (left by a worker killed outright,
    whose own clean-up never ran). Returns how many were dropped."""
    prefix = stage_table(0)[:-1]
    run_ids = {
        int(name[len(prefix) :])
        for name in connection.introspection.table_names()
        if name.startswith(prefix) and name[len(prefix) :].isdigit()
    }
    running = set(
        ExtractRun.objects.filter(pk__in=run_ids, status=ExtractRunStatus.RUNNING).values_list(
            "pk", flat=True
        )
    )
    for run_id in sorted(run_ids - running):
        stage_table_drop(run_id)
    return len(run_ids - running)


# ---------------------------------------------------------------------------------------------
# Progress


def _now() -> datetime:
    return timezone.now()


# While a first load holds its transaction open (`_first_load`), progress is written through a
# connection of its own, so that the progress page sees it before the commit.
_progress_connection: BaseDatabaseWrapper | None = None


def _progress(run: ExtractRun, **fields: Any) -> None:
    """Write progress at once (outside any transaction), so the progress page sees it."""
    fields["heartbeat_at"] = _now()
    for name, value in fields.items():
        setattr(run, name, value)
    if _progress_connection is None:
        ExtractRun.objects.filter(pk=run.pk).update(**fields)
        return
    query = UpdateQuery(ExtractRun)
    query.add_update_values(fields)
    query.add_q(Q(pk=run.pk))
    sql, params = query.get_compiler(connection=_progress_connection).as_sql()
    with _progress_connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def _progress_on_own_connection() -> Iterator[None]:
    """Progress written inside the block goes through a second, autocommit connection to the
    same database. Nothing else may write the run's row inside the block before that writing
    ends (the two connections would wait for each other)."""
    global _progress_connection
    wrapper = connections[connection.alias]
    own = type(wrapper)({**wrapper.settings_dict}, alias=f"{wrapper.alias}-progress")
    _progress_connection = own
    try:
        yield
    finally:
        _progress_connection_done()
        own.close()


def _progress_connection_done() -> None:
    """Progress from here on is written on the run's own connection again."""
    global _progress_connection
    _progress_connection = None


@contextmanager
def _step(run: ExtractRun, step: str) -> Iterator[None]:
    _progress(run, step=step, progress=STEP_PROGRESS[step])
    started = time.perf_counter()
    yield
    run.step_timings = {**run.step_timings, step: round(time.perf_counter() - started, 3)}
    _progress(run, step_timings=run.step_timings)


# ---------------------------------------------------------------------------------------------
# Steps


def _problems_store(run: ExtractRun, problems: list[Problem]) -> None:
    ExtractProblem.objects.bulk_create(
        (
            ExtractProblem(
                run=run, row=p.row, column=p.column[:100], code=p.code, message=p.message
            )
            for p in problems
        ),
        batch_size=1000,
    )


def _innermost(handle: Any) -> Any:
    """The storage's own file object under Django's File wrappers (FileSystemStorage: a buffered
    file, whose lines are read in C rather than by File's chunked iteration)."""
    while hasattr(handle, "file") and handle.file is not None:
        handle = handle.file
    return handle


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(values: Sequence[str]) -> str:
    """Values as one line's fields in PostgreSQL's COPY text format (without the line break).
    Values rarely hold a backslash, tab or line break; only then is each value escaped."""
    body = "\t".join(values)
    if "\\" in body or "\n" in body or "\r" in body or body.count("\t") != len(values) - 1:
        body = "\t".join([value.translate(_COPY_ESCAPES) for value in values])
    return body


def copy_line(staged: StagedRow) -> str:
    """One staged row in PostgreSQL's COPY text format."""
    return f"{staged[0]}\t{copy_text(staged[1:])}\n"


@dataclass(frozen=True)
class Validated:
    reader: ExtractReader
    rows_staged: int  # as the database counted them
    rows_expected: int = 0  # a first load's: the rows it wrote into the store


@dataclass(frozen=True)
class _StoreTarget:
    """Where a first load's rows go: straight into the store, as the dataset's records."""

    dataset_id: int
    now: datetime
    written: list[int]  # rows sent to the server, counted as they are sent

    def loader(self, run_id: int, rows: Iterator[StagedRow]) -> tuple[bool, int]:
        return _copy_store_segment(self, rows)


def validate(
    *,
    run: ExtractRun,
    schema: ExtractSchema,
    log: ProblemLog,
    into_store: _StoreTarget | None = None,
) -> Validated:
    """Step 1: stream the file through the validator; good rows (and hold rows) go into the
    run's staging table as they pass (PostgreSQL: COPY, in segments so that progress can be
    written between them; the server loads one batch while the next is validated). A first
    load (`into_store`) COPYs its good rows straight into the store instead (`_first_load`)."""
    extract = run.extract
    if into_store is None:
        stage_table_create(run.pk)
    reader = ExtractReader(schema, kind=extract.kind, problems=log)  # type: ignore[arg-type]
    content = max(extract.content_bytes, 1)
    rows_staged = 0
    with extract.file.open("rb") as handle:
        rows = reader.rows(_innermost(handle))
        if into_store is not None:
            loader = into_store.loader
        else:
            loader = _copy_segment if _is_postgres() else _insert_segment
        while True:
            more, stored = loader(run.pk, rows)
            rows_staged += stored
            if not more:
                break
            share = min(reader.bytes_read / content, 1.0)
            _progress(
                run,
                rows_done=reader.rows_total,
                progress=int(STEP_PROGRESS[ExtractRunStep.STAGE] * share),
            )
    _progress(
        run,
        rows_total=reader.rows_total,
        rows_done=reader.rows_total,
        rows_rejected=reader.rows_rejected,
    )
    expected = sum(into_store.written) if into_store is not None else 0
    return Validated(reader=reader, rows_staged=rows_staged, rows_expected=expected)


def _copy_segment(run_id: int, rows: Iterator[StagedRow]) -> tuple[bool, int]:
    """COPY up to SEGMENT_ROWS rows into the staging table: whether rows remain, and how many
    rows the server says it stored."""
    sql = f"COPY {stage_table(run_id)} ({', '.join(STAGED_COLUMNS)}) FROM STDIN"
    more, stored, _ = _copy_in(sql, rows, copy_line)
    return more, stored


_STORE_COLUMNS = ("dataset_id", "source_key", *DEMOGRAPHIC_COLUMNS, "payload")


def _copy_store_segment(target: _StoreTarget, rows: Iterator[StagedRow]) -> tuple[bool, int]:
    """A first load's `_copy_segment`: up to SEGMENT_ROWS rows COPYed into the store itself, as
    current records of the dataset. Only rows to add (U) are written: on a first load there is
    no record for a hold row to keep, or for a delta's D row to retire. first_seen_at and
    updated_at take their database default: the transaction's start time, `target.now`."""
    sql = f"COPY {SourceRecord._meta.db_table} ({', '.join(_STORE_COLUMNS)}) FROM STDIN"
    prefix = f"{int(target.dataset_id)}\t"

    def line(staged: StagedRow) -> str | None:
        return f"{prefix}{copy_text(staged[2:])}\n" if staged[1] == "U" else None

    more, stored, sent = _copy_in(sql, rows, line)
    target.written.append(sent)
    return more, stored


def _copy_in(
    sql: str, rows: Iterator[StagedRow], line: Callable[[StagedRow], str | None]
) -> tuple[bool, int, int]:
    """One COPY of up to SEGMENT_ROWS rows, each as `line` makes it (None: left out), written to
    the server in batches: whether rows remain, how many rows the server says it stored, and how
    many were sent."""
    batch: list[str] = []
    count = 0
    sent = 0
    more = False
    with connection.cursor() as cursor:
        with cursor.copy(sql) as copy:
            for staged in rows:
                count += 1
                text = line(staged)
                if text is not None:
                    batch.append(text)
                    sent += 1
                    if len(batch) == COPY_BATCH_ROWS:
                        copy.write("".join(batch))
                        batch.clear()
                if count >= SEGMENT_ROWS:
                    more = True
                    break
            if batch:
                copy.write("".join(batch))
        return more, cursor.rowcount, sent


def _insert_segment(run_id: int, rows: Iterator[StagedRow]) -> tuple[bool, int]:
    """The same, for SQLite: batched inserts."""
    columns = ", ".join(STAGED_COLUMNS)
    placeholders = ", ".join(["%s"] * len(STAGED_COLUMNS))
    sql = f"INSERT INTO {stage_table(run_id)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    batch: list[StagedRow] = []
    count = 0
    stored = 0
    with connection.cursor() as cursor:
        for staged in rows:
            batch.append(staged)
            count += 1
            if len(batch) == COPY_BATCH_ROWS:
                cursor.executemany(sql, batch)
                stored += cursor.rowcount
                batch.clear()
                if count >= SEGMENT_ROWS:
                    return True, stored
        if batch:
            cursor.executemany(sql, batch)
            stored += cursor.rowcount
    return False, stored


def stage(*, run: ExtractRun, validated: Validated) -> bool:
    """Step 2: complete the staging table: check it holds every row the validator passed (as the
    database counted them while they were stored: no pass over the table), and index it by
    record reference. Returns whether some reference is on more than one row (the unique index
    could not be built).

    On PostgreSQL the index compares references byte by byte (COLLATE "C"), which builds in
    about half the time of the database's collation and decides uniqueness the same way (a
    deterministic collation calls equal only identical strings). A full extract's retire step
    compares the same way, so that it can probe this index; the other publish joins hash the
    staging table or probe the store's own index."""
    table = stage_table(run.pk)
    reader = validated.reader
    count = validated.rows_staged
    expected = reader.rows_total - reader.rows_rejected + reader.rows_held
    if count != expected:
        raise StepFailed(f"The staging table holds {count} rows where {expected} were expected.")
    key = 'source_key COLLATE "C"' if _is_postgres() else "source_key"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE UNIQUE INDEX {table}_key ON {table} ({key})")
    except IntegrityError:
        return True
    return False


def normalise(*, run: ExtractRun, log: ProblemLog, duplicates: bool, staged_rows: int = 0) -> int:
    """Step 3: set aside every row of a record reference that is on more than one row (each
    becomes a hold row, so the published record stays as it was, and is reported), and analyse
    the staging table for the publish joins. Returns how many rows that newly rejects.

    A check-only run publishes nothing, and a first load (the dataset has no records yet) is
    published without joins (see `publish`), so nothing is analysed for either. Otherwise only
    the columns the joins use are analysed: the staging table's, and (before a large publish)
    the store's."""
    table = stage_table(run.pk)
    newly_rejected = 0
    if duplicates:
        newly_rejected = _duplicates_set_aside(table=table, log=log)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {table}_key ON {table} (source_key)")
    extract = run.extract
    if _is_postgres() and not extract.validate_only and _dataset_has_records(extract.dataset_id):
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table} (action, source_key)")
        if staged_rows >= ANALYZE_STORE_FROM_ROWS:
            _store_analyse()
    return newly_rejected


def _dataset_has_records(dataset_id: int) -> bool:
    """Whether the store holds any record of the dataset, current or retired."""
    return SourceRecord.objects.filter(dataset_id=dataset_id).exists()


def _store_analyse() -> None:
    """Refresh the planner's statistics of the published store before a large publish: after
    a big earlier load they can be stale until autovacuum catches up, and stale statistics turn
    the publish joins into nested loops. Skipped if the table's lock is not free within a few
    seconds (a VACUUM in progress): the publish is then slower, not wrong."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
            cursor.execute(
                f"ANALYZE {SourceRecord._meta.db_table} (dataset_id, source_key, retired_at)"
            )
    except OperationalError:
        logger.warning("The store was not analysed before publishing: its lock was busy.")


def _duplicates_set_aside(*, table: str, log: ProblemLog) -> int:
    """Report every row of a reference on more than one row, and make each a hold row."""
    duplicated = f"SELECT source_key FROM {table} GROUP BY source_key HAVING count(*) > 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(CASE WHEN action <> 'H' THEN 1 ELSE 0 END), 0) "  # noqa: S608
            f"FROM {table} WHERE source_key IN ({duplicated})"
        )
        (rows, newly_rejected) = cursor.fetchone()
        room = max(log.cap - len(log.kept), 0)
        cursor.execute(
            f"SELECT s.row_number, d.rows FROM {table} s JOIN ("  # noqa: S608
            f"  SELECT source_key, {_row_list_sql()} AS rows FROM {table} "
            "   GROUP BY source_key HAVING count(*) > 1"
            ") d ON d.source_key = s.source_key ORDER BY s.row_number LIMIT %s",
            [room],
        )
        kept = cursor.fetchall()
        for row_number, rows_text in kept:
            others = [int(n) for n in str(rows_text).split(",") if int(n) != row_number]
            log.add(duplicate_problem(row=row_number, other_rows=others))
        log.count_only("duplicate_source_key", int(rows) - len(kept))
        cursor.execute(
            f"UPDATE {table} SET action = 'H' WHERE source_key IN ({duplicated})"  # noqa: S608
        )
    return int(newly_rejected)


def _row_list_sql() -> str:
    """The first few row numbers of a group, comma-separated."""
    if _is_postgres():
        return "array_to_string((array_agg(row_number ORDER BY row_number))[1:7], ',')"
    return "group_concat(row_number, ',')"


@dataclass(frozen=True)
class PublishResult:
    inserted: int
    updated: int
    retired: int
    linked: int
    superseded: bool = False


_DIFFERS = " OR ".join(
    f"r.{name} IS DISTINCT FROM s.{name}" for name in (*DEMOGRAPHIC_COLUMNS, "payload")
)
_SET = ", ".join(f"{name} = s.{name}" for name in (*DEMOGRAPHIC_COLUMNS, "payload"))
_INSERT_COLUMNS = ", ".join(("source_key", *DEMOGRAPHIC_COLUMNS, "payload"))
_SELECT_COLUMNS = ", ".join(f"s.{name}" for name in ("source_key", *DEMOGRAPHIC_COLUMNS, "payload"))


def _key_order() -> str:
    """Staged rows in record reference order, compared byte by byte on PostgreSQL (COLLATE "C"):
    the store's unique index order under a C or C.UTF-8 database, and nearly so under others for
    the usual references, and much cheaper to sort than the database's collation. Inserting in
    that order fills the store's unique index (dataset, source_key) at its right-hand end."""
    return 's.source_key COLLATE "C"' if _is_postgres() else "s.source_key"


def _publish_sql(table: str, kind: str, *, first_load: bool = False) -> list[tuple[str, str]]:
    """The statements that move a run's staged rows into the store, in order: retire what the
    extract no longer has (a full extract) or marks D (a delta); update changed and reappearing
    records; insert new ones. Retiring first means it is planned on the store as it was.

    A first load (the dataset has no records at all, current or retired) has nothing to retire,
    update or compare with: it is one INSERT of the staged rows, in key order."""
    record = SourceRecord._meta.db_table
    columns = f"dataset_id, {_INSERT_COLUMNS}, first_seen_at, updated_at, retired_at"
    values = f"%(dataset)s, {_SELECT_COLUMNS}, %(now)s, %(now)s, NULL"
    if first_load:
        insert = (
            f"INSERT INTO {record} ({columns}) SELECT {values} FROM {table} AS s "  # noqa: S608
            f"WHERE s.action = 'U' ORDER BY {_key_order()}"
        )
        return [("inserted", insert)]
    if kind == ExtractKind.FULL:
        # Byte comparison (on PostgreSQL) lets the planner probe the staging table's index.
        collate = ' COLLATE "C"' if _is_postgres() else ""
        retire = (
            f"UPDATE {record} AS r SET retired_at = %(now)s, updated_at = %(now)s "  # noqa: S608
            f"WHERE r.dataset_id = %(dataset)s AND r.retired_at IS NULL AND NOT EXISTS ("
            f"SELECT 1 FROM {table} AS s WHERE s.source_key = r.source_key{collate})"
        )
    else:
        retire = (
            f"UPDATE {record} AS r SET retired_at = %(now)s, updated_at = %(now)s "  # noqa: S608
            f"FROM {table} AS s WHERE s.action = 'D' AND r.dataset_id = %(dataset)s "
            "AND r.source_key = s.source_key AND r.retired_at IS NULL"
        )
    update = (
        f"UPDATE {record} AS r SET {_SET}, updated_at = %(now)s, retired_at = NULL "  # noqa: S608
        f"FROM {table} AS s WHERE s.action = 'U' AND r.dataset_id = %(dataset)s "
        f"AND r.source_key = s.source_key AND (r.retired_at IS NOT NULL OR {_DIFFERS})"
    )
    insert = (
        f"INSERT INTO {record} ({columns}) SELECT {values} FROM {table} AS s "  # noqa: S608
        f"WHERE s.action = 'U' AND NOT EXISTS ("
        f"SELECT 1 FROM {record} AS r WHERE r.dataset_id = %(dataset)s "
        f"AND r.source_key = s.source_key) ORDER BY {_key_order()}"
    )
    return [("retired", retire), ("updated", update), ("inserted", insert)]


def _link(*, dataset: Dataset, now: datetime) -> int:
    """The match step: link the records this publish inserted or changed, in batches."""
    from matching.services import source_records_link

    # One call per publish: each call loads and stores the partnership's match index. The ids are
    # read in batches; retired records are dropped from the matched store by the same call.
    ids: list[int] = []
    last = 0
    while True:
        batch = list(
            SourceRecord.objects.filter(
                dataset=dataset, updated_at=now, retired_at__isnull=True, pk__gt=last
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:LINK_BATCH]
        )
        if not batch:
            break
        ids += batch
        last = batch[-1]
    retired = SourceRecord.objects.filter(dataset=dataset, updated_at=now, retired_at=now)
    ids += list(retired.values_list("pk", flat=True))
    if not ids:
        return 0
    summary = source_records_link(source_record_ids=ids)
    return summary.linked_to_existing + summary.new_persons


def _search_entries_follow(*, dataset: Dataset, now: datetime) -> None:
    """A publish without matching: the records it changed or retired keep their links until the
    next matching run, but searches find them as they are now (a retired one not at all)."""
    from matching.services import search_entries_refresh

    changed = SourceRecord.objects.filter(dataset=dataset, updated_at=now)
    search_entries_refresh(
        partnership_id=dataset.agency.partnership_id,
        record_ids=list(changed.values_list("pk", flat=True)),
    )


def publish(
    *, run: ExtractRun, match: bool, loaded: tuple[datetime, int] | None = None
) -> PublishResult:
    """Steps 4 and 5 in one transaction: move the staged rows into the store, link new and
    changed records, mark everything published. Idempotent: an extract already published (or
    overtaken by a newer published one) is left alone.

    A first load calls this inside its own transaction, its records already written
    (`loaded`: the time they were written with, and how many): only the rest is done here."""
    extract = run.extract
    table = stage_table(run.pk)
    begun = time.perf_counter()
    match_seconds = 0.0
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=extract.dataset_id)
        current = Extract.objects.select_for_update().get(pk=extract.pk)
        if current.status == ExtractStatus.PUBLISHED:
            _finish(run, ExtractRunStatus.PUBLISHED)
            return PublishResult(0, 0, 0, 0)
        newer = Extract.objects.filter(
            dataset=dataset,
            validate_only=False,
            status=ExtractStatus.PUBLISHED,
            received_at__gt=current.received_at,
        ).exists()
        if newer:
            return PublishResult(0, 0, 0, 0, superseded=True)
        counts = {"inserted": 0, "updated": 0, "retired": 0}
        now = _now()
        # The records this publish wrote or changed carry this time (a first load's, the
        # database's: its records took their default, the transaction's start).
        written_at = now
        if loaded is not None:
            written_at, counts["inserted"] = loaded
            first_load = True
        else:
            params = {
                "now": connection.ops.adapt_datetimefield_value(now),
                "dataset": dataset.pk,
            }
            # Checked under the dataset's lock: no other publish of the dataset can add records.
            first_load = not _dataset_has_records(dataset.pk)
            with connection.cursor() as cursor:
                for name, statement in _publish_sql(table, extract.kind, first_load=first_load):
                    cursor.execute(statement, params)
                    counts[name] = max(cursor.rowcount, 0)
        inserted, updated, retired = counts["inserted"], counts["updated"], counts["retired"]
        linked = 0
        if match:
            started = time.perf_counter()
            linked = _link(dataset=dataset, now=written_at)
            match_seconds = time.perf_counter() - started
            run.step_timings = {**run.step_timings, ExtractRunStep.MATCH: round(match_seconds, 3)}
        elif not first_load:
            _search_entries_follow(dataset=dataset, now=written_at)
        # After a first load every record is current; otherwise they are counted.
        records_current = (
            inserted
            if first_load
            else SourceRecord.objects.filter(dataset=dataset, retired_at__isnull=True).count()
        )
        updated_rows = DatasetPublication.objects.filter(dataset=dataset).update(
            last_extract=current,
            last_published_at=now,
            confirmed_at=now,
            version=F("version") + 1,
            records_current=records_current,
        )
        if not updated_rows:
            DatasetPublication.objects.create(
                dataset=dataset,
                last_extract=current,
                last_published_at=now,
                confirmed_at=now,
                records_current=records_current,
            )
        Extract.objects.filter(pk=current.pk).update(
            status=ExtractStatus.PUBLISHED, published_at=now
        )
        _finish(
            run,
            ExtractRunStatus.PUBLISHED,
            inserted=inserted,
            updated=updated,
            retired=retired,
            linked=linked,
        )
    # The publish step's time includes the commit, where deferred foreign-key checks run.
    publish_seconds = time.perf_counter() - begun - match_seconds
    run.step_timings = {**run.step_timings, ExtractRunStep.PUBLISH: round(publish_seconds, 3)}
    ExtractRun.objects.filter(pk=run.pk).update(step_timings=run.step_timings)
    return PublishResult(inserted=inserted, updated=updated, retired=retired, linked=linked)


# ---------------------------------------------------------------------------------------------
# A whole run


def _finish(run: ExtractRun, status: str, *, message: str = "", **counts: int) -> None:
    now = _now()
    fields: dict[str, Any] = {
        "status": status,
        "step": ExtractRunStep.DONE,
        "progress": 100,
        "finished_at": now,
        "heartbeat_at": now,
        "step_timings": run.step_timings,
        **counts,
    }
    if message:
        fields["failure_message"] = message
    for name, value in fields.items():
        setattr(run, name, value)
    ExtractRun.objects.filter(pk=run.pk).update(**fields)


def _record_problems(run: ExtractRun, log: ProblemLog) -> None:
    ExtractProblem.objects.filter(run=run).delete()
    _problems_store(run, log.kept)
    stored = ExtractProblem.objects.filter(run=run).count()
    _progress(
        run,
        error_count=log.total,
        problems_not_stored=log.total - stored,
        problem_counts=dict(log.counts),
    )


def _end_without_publishing(run: ExtractRun, status: str) -> None:
    extract_status: str = {
        ExtractRunStatus.REJECTED: ExtractStatus.REJECTED,
        ExtractRunStatus.VALIDATED: ExtractStatus.VALIDATED,
        ExtractRunStatus.SUPERSEDED: ExtractStatus.SUPERSEDED,
    }[ExtractRunStatus(status)]
    if run.extract.validate_only:
        extract_status = ExtractStatus.VALIDATED
    with transaction.atomic():
        Extract.objects.filter(pk=run.extract_id).update(status=extract_status)
        _finish(run, status)


def run_execute(*, run: ExtractRun, schema: ExtractSchema, limits: PipelineLimits) -> ExtractRun:
    """Every step of one run, which the caller has marked running. Problems the file has end
    the run as rejected; anything else that goes wrong ends it as failed (and is raised again
    for the caller to report). The staging table is dropped whatever happens."""
    log = ProblemLog(limits.problem_cap)
    try:
        with _session_settings():
            return _run_steps(run=run, schema=schema, limits=limits, log=log)
    finally:
        stage_table_drop(run.pk)


class _Rejected(Exception):
    """A first load's file has problems enough to reject it: nothing of it is kept."""


class _NotFirstLoad(Exception):
    """A first load cannot go straight into the store after all."""


def _first_load_possible(extract: Extract) -> bool:
    return (
        _is_postgres()
        and not extract.validate_only
        and not _dataset_has_records(extract.dataset_id)
    )


def _first_load(
    *, run: ExtractRun, schema: ExtractSchema, limits: PipelineLimits, log: ProblemLog
) -> bool:
    """A dataset's first load (PostgreSQL; it has no records yet, current or retired), in ONE
    transaction that takes the dataset's row lock: the file is validated and its good rows
    COPYed straight into the store as they pass (the server writes them and their indexes while
    the next rows are validated), then linked and published (`publish`). Readers see nothing
    of the dataset until the commit. A file rejected whole (fatal problems, or too many bad
    rows) is rolled back: nothing of it is kept. Progress is written through a connection of
    its own, so that it shows while the transaction is open.

    Returns whether the run ended here. It did not when a record reference is on more than one
    row (the store's unique index refuses the second): everything is rolled back and the caller
    goes through the staging table instead, where duplicates are set aside and reported."""
    extract = run.extract
    try:
        with _progress_on_own_connection(), transaction.atomic():
            dataset = Dataset.objects.select_for_update().get(pk=extract.dataset_id)
            if _dataset_has_records(dataset.pk):
                raise _NotFirstLoad  # another worker published it first
            with connection.cursor() as cursor:
                cursor.execute("SELECT CURRENT_TIMESTAMP")  # the transaction's start
                (started,) = cursor.fetchone()
            target = _StoreTarget(dataset_id=dataset.pk, now=started, written=[])
            with _step(run, ExtractRunStep.VALIDATE):
                validated = validate(run=run, schema=schema, log=log, into_store=target)
            reader = validated.reader
            if reader.fatal:
                raise _Rejected
            with _step(run, ExtractRunStep.STAGE):
                if validated.rows_staged != validated.rows_expected:
                    raise StepFailed(
                        f"The store took {validated.rows_staged} rows where "
                        f"{validated.rows_expected} were sent."
                    )
            with _step(run, ExtractRunStep.NORMALISE):
                # Duplicate references were refused by the store's unique index.
                if over_threshold(
                    rows_rejected=reader.rows_rejected,
                    rows_total=reader.rows_total,
                    threshold=limits.threshold,
                ):
                    raise _Rejected
            logger.info("Run %s loaded %s rows; publishing.", run.pk, validated.rows_staged)
            # From here on the run's row is written on this transaction's connection only.
            _progress_connection_done()
            _record_problems(run, log)
            _progress(
                run,
                **_counts(run),
                step=ExtractRunStep.PUBLISH,
                progress=STEP_PROGRESS[ExtractRunStep.PUBLISH],
            )
            publishing = time.perf_counter()
            publish(
                run=run,
                match=run.match_records,
                loaded=(target.now, validated.rows_staged),
            )
    except _NotFirstLoad:
        return False
    except (IntegrityError, psycopg.errors.UniqueViolation) as error:
        if "source_record_unique" not in str(error):
            raise
        logger.info("Run %s has a record reference on more than one row; staging it.", run.pk)
        return False
    except _Rejected:
        reader = validated.reader
        if not reader.fatal:
            log.add(
                threshold_problem(
                    rows_rejected=reader.rows_rejected,
                    rows_total=reader.rows_total,
                    threshold=limits.threshold,
                )
            )
        _progress(run, **_counts(run))
        _record_problems(run, log)
        _end_without_publishing(run, ExtractRunStatus.REJECTED)
        return True
    # The publish step's time includes the commit, where the deferred foreign-key checks run.
    match_seconds = run.step_timings.get(ExtractRunStep.MATCH, 0.0)
    publish_seconds = time.perf_counter() - publishing - match_seconds
    run.step_timings = {**run.step_timings, ExtractRunStep.PUBLISH: round(publish_seconds, 3)}
    ExtractRun.objects.filter(pk=run.pk).update(step_timings=run.step_timings)
    return True


def _counts(run: ExtractRun) -> dict[str, Any]:
    """What the validate step wrote through the progress connection, to be written again on
    the run's own connection: the run's final state never depends on that connection."""
    fields = ("rows_total", "rows_done", "rows_rejected", "step_timings")
    return {name: getattr(run, name) for name in fields}


def _run_steps(
    *, run: ExtractRun, schema: ExtractSchema, limits: PipelineLimits, log: ProblemLog
) -> ExtractRun:
    extract = run.extract
    if _first_load_possible(extract):
        if _first_load(run=run, schema=schema, limits=limits, log=log):
            return run
        log = ProblemLog(limits.problem_cap)  # validated again, through the staging table
    with _step(run, ExtractRunStep.VALIDATE):
        validated = validate(run=run, schema=schema, log=log)
    reader = validated.reader
    if reader.fatal:
        _record_problems(run, log)
        _end_without_publishing(run, ExtractRunStatus.REJECTED)
        return run
    with _step(run, ExtractRunStep.STAGE):
        duplicates = stage(run=run, validated=validated)
    with _step(run, ExtractRunStep.NORMALISE):
        newly_rejected = normalise(
            run=run, log=log, duplicates=duplicates, staged_rows=reader.rows_total
        )
    rows_rejected = reader.rows_rejected + newly_rejected
    _progress(run, rows_rejected=rows_rejected)
    if over_threshold(
        rows_rejected=rows_rejected, rows_total=reader.rows_total, threshold=limits.threshold
    ):
        log.add(
            threshold_problem(
                rows_rejected=rows_rejected,
                rows_total=reader.rows_total,
                threshold=limits.threshold,
            )
        )
        _record_problems(run, log)
        _end_without_publishing(run, ExtractRunStatus.REJECTED)
        return run
    _record_problems(run, log)
    if extract.validate_only:
        _end_without_publishing(run, ExtractRunStatus.VALIDATED)
        return run
    logger.info("Run %s staged %s rows; publishing.", run.pk, reader.rows_total)
    _progress(run, step=ExtractRunStep.PUBLISH, progress=STEP_PROGRESS[ExtractRunStep.PUBLISH])
    result = publish(run=run, match=run.match_records)
    if result.superseded:
        _end_without_publishing(run, ExtractRunStatus.SUPERSEDED)
    return run
