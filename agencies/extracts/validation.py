"""Validating an extract file: the pure core. No Django and no database; plain data in and out.

`ExtractReader.rows` streams a file (bytes; gzip is detected by its magic bytes) through the csv
module one line at a time, so memory stays flat however large the file is. It yields each good
row in its published shape (`StagedRow`) and records every problem it finds, with the row, the
column, a code and a plain-English message, in a `ProblemLog`. Messages never quote the values
themselves: reports are downloaded and emailed, and values are personal data.

Every problem rejects its row (the row is not loaded). A rejected row whose record reference
(`source_key`) could still be read is yielded as a "hold" row: the published record with that
reference, if any, stays exactly as it was, and a full extract does not retire it. Problems with
the file as a whole (encoding of the header, the header itself, an unreadable file) are fatal:
nothing is loaded. Above a threshold of rejected rows (`over_threshold`) the caller rejects the
whole file.

Duplicate source keys are found where the rows are staged (the database does it in constant
memory on our side); `duplicate_problem` words them the same way as every other problem.

Spreadsheet formulas: text beginning with `=` or `@`, or with `+` or `-` followed by anything but
a number or telephone number, is rejected (code `formula`) rather than neutralised. Neutralising
(a leading apostrophe) would change the partner's data without telling them and show the change
to practitioners; rejecting tells partner IT to fix it at source. Numbers and telephone numbers
(`-12`, `+44 1632 960000`) are allowed. CSV files Single View writes pass values through
`csv_safe`, which prefixes anything formula-like with an apostrophe, as defence in depth.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from json.encoder import encode_basestring
from typing import Any, BinaryIO, Final

from agencies.extracts.schema import (
    ACTION_COLUMN,
    ACTION_RETIRE,
    ACTION_UPSERT,
    RECORD_COLUMNS,
    SOURCE_KEY,
    UPRN_MAX_DIGITS,
    Column,
    ExtractKind,
    ExtractSchema,
)

# A row yielded for staging: (row, action, source_key, given_name, family_name, date_of_birth,
# sex, postcode, address, nhs_number, payload as JSON text). `action` is U (add or update),
# D (retire) or H (hold: the row was rejected, keep the published record as it is).
StagedRow = tuple[int, str, str, str, str, str, str, str, str, str, str]
ACTION_HOLD: Final = "H"
STAGED_COLUMNS: tuple[str, ...] = ("row_number", "action", *RECORD_COLUMNS, "payload")

GZIP_MAGIC: Final = b"\x1f\x8b"
HEADER_ROW: Final = 1
WHOLE_FILE: Final = 0

# Every problem code, and what it means (shown on the schema page).
PROBLEM_CODES: dict[str, str] = {
    "empty_file": "The file is empty or has no header row.",
    "unreadable": "The file cannot be read (for example a damaged gzip file).",
    "encoding": "The text is not UTF-8.",
    "header_missing_column": "A column of the schema is not in the header.",
    "header_unexpected_column": "The header has a column the schema does not have.",
    "header_duplicate_column": "The header names a column more than once.",
    "no_records": "A full extract has no records (it would retire every record).",
    "error_threshold": "Too many rows have problems, so the whole file was rejected.",
    "unreadable_row": "A row cannot be read as CSV.",
    "control_character": "A row contains a NUL character.",
    "column_count": "A row has more or fewer values than the header has columns.",
    "required": "A required value is missing.",
    "too_long": "A value is longer than its column allows.",
    "date": "A date is not a real date in the form YYYY-MM-DD.",
    "nhs_number": "An NHS number is not 10 digits with a correct check digit.",
    "postcode": "A postcode is not a UK postcode.",
    "uprn": "A UPRN is not 1 to 12 digits.",
    "boolean": "A yes-or-no value is not Y or N.",
    "choice": "A value is not one of the column's choices.",
    "integer": "A value is not a whole number.",
    "formula": "Text begins like a spreadsheet formula.",
    "action": "The _action of a delta row is not blank, U or D.",
    "duplicate_source_key": "A record reference (source_key) is on more than one row.",
}
FATAL_CODES = frozenset(
    {
        "empty_file",
        "unreadable",
        "header_missing_column",
        "header_unexpected_column",
        "header_duplicate_column",
        "no_records",
        "error_threshold",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: `row` is the line of the file where the record starts (the header is line
    1; 0 means the file as a whole); `column` is blank when the problem is not one column's."""

    row: int
    column: str
    code: str
    message: str


class ProblemLog:
    """Every problem counted (in all and by code); the first `cap` of them kept."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept: list[Problem] = []
        self.total = 0
        self.counts: Counter[str] = Counter()

    def add(self, problem: Problem) -> None:
        self.total += 1
        self.counts[problem.code] += 1
        if len(self.kept) < self.cap:
            self.kept.append(problem)

    def count_only(self, code: str, number: int) -> None:
        """Count `number` more problems of `code` that are not to be kept (the log is full)."""
        self.total += number
        self.counts[code] += number

    @property
    def not_kept(self) -> int:
        return self.total - len(self.kept)

    @property
    def fatal(self) -> bool:
        return any(code in FATAL_CODES for code in self.counts)


def over_threshold(*, rows_rejected: int, rows_total: int, threshold: float) -> bool:
    """Whether more than `threshold` (a fraction, 0 to 1) of the rows were rejected."""
    return rows_total > 0 and rows_rejected > threshold * rows_total


def threshold_problem(*, rows_rejected: int, rows_total: int, threshold: float) -> Problem:
    return Problem(
        WHOLE_FILE,
        "",
        "error_threshold",
        f"{rows_rejected:,} of {rows_total:,} rows ({rows_rejected / rows_total:.1%}) have "
        f"problems. No more than {threshold:.1%} may, so the whole file was rejected and nothing "
        "was loaded. Fix the problems and send the file again.",
    )


def duplicate_problem(*, row: int, other_rows: Sequence[int]) -> Problem:
    shown = ", ".join(str(number) for number in other_rows[:5])
    more = f" and {len(other_rows) - 5:,} more" if len(other_rows) > 5 else ""
    return Problem(
        row,
        SOURCE_KEY,
        "duplicate_source_key",
        f"The record reference on this row is also on row {shown}{more}. A record may appear "
        "only once in an extract, so none of these rows was loaded and the record stays as it "
        "was.",
    )


# ---------------------------------------------------------------------------------------------
# Values

_NUMBER_LIKE = re.compile(r"[+-][0-9 ().-]*\Z")
FORMULA_FIRST: Final = "=+-@"


def formula_like(value: str) -> bool:
    """Whether a spreadsheet would run this text as a formula: it begins with = or @, or with
    + or - followed by anything other than a number or telephone number."""
    if not value:
        return False
    first = value[0]
    if first in "=@":
        return True
    if first in "+-":
        return _NUMBER_LIKE.match(value) is None
    return False


def csv_safe(value: str) -> str:
    """A value to write into a CSV file people open in spreadsheets."""
    return f"'{value}" if formula_like(value) or value[:1] in ("\t", "\r") else value


class Invalid(Exception):
    """A value broke its column's rule; `code` is the problem code."""

    def __init__(self, code: str) -> None:
        self.code = code


Checker = Callable[[str], str]

_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_PARTIAL_DATE = re.compile(r"[0-9]{4}(?:-([0-9]{2})(?:-[0-9]{2})?)?\Z")
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}\Z")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_UPRN = re.compile(r"[0-9]{1,%d}\Z" % UPRN_MAX_DIGITS)  # noqa: UP031 - a regex quantifier


def nhs_number_is_valid(digits: str) -> bool:
    """Ten ASCII digits whose last is the Modulus 11 check digit of the first nine."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    b = digits.encode()
    # The weights 10..2 sum to 54; each byte is its digit plus 48.
    total = (
        (b[0] * 10 + b[1] * 9 + b[2] * 8 + b[3] * 7 + b[4] * 6 + b[5] * 5 + b[6] * 4 + b[7] * 3)
        + b[8] * 2
        - 48 * 54
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == b[9] - 48


def _string(max_length: int | None) -> Checker:
    limit = max_length or 0

    def check(value: str) -> str:
        if limit and len(value) > limit:
            raise Invalid("too_long")
        if value[0] in FORMULA_FIRST and formula_like(value):
            raise Invalid("formula")
        return value

    return check


def _date(*, partial: bool) -> Checker:
    if partial:

        def check_partial(value: str) -> str:
            match = _PARTIAL_DATE.match(value)
            if match is None:
                raise Invalid("date")
            if len(value) == 10:
                _real_date(value)
            elif len(value) == 7 and not 1 <= int(match.group(1)) <= 12:
                raise Invalid("date")
            return value

        return check_partial

    def check(value: str) -> str:
        if _FULL_DATE.match(value) is None:
            raise Invalid("date")
        _real_date(value)
        return value

    return check


def _real_date(value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid("date") from None


def _nhs_number(value: str) -> str:
    digits = value.replace(" ", "") if " " in value else value
    if not nhs_number_is_valid(digits):
        raise Invalid("nhs_number")
    return digits


def _postcode(value: str) -> str:
    compact = value.upper().replace(" ", "")
    if _POSTCODE.match(compact) is None:
        raise Invalid("postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def _boolean(value: str) -> str:
    upper = value.upper()
    if upper != "Y" and upper != "N":
        raise Invalid("boolean")
    return upper


def _integer(max_length: int | None) -> Checker:
    limit = max_length or 0

    def check(value: str) -> str:
        if _INTEGER.match(value) is None:
            raise Invalid("integer")
        if limit and len(value) > limit:
            raise Invalid("too_long")
        return value

    return check


def _uprn(value: str) -> str:
    if _UPRN.match(value) is None:
        raise Invalid("uprn")
    return value


def _choice(choices: Sequence[str]) -> Checker:
    canonical = {choice.casefold(): choice for choice in choices}
    exact = frozenset(choices)

    def check(value: str) -> str:
        if value in exact:
            return value
        found = canonical.get(value.casefold())
        if found is None:
            raise Invalid("choice")
        return found

    return check


def _fits(check: Checker, width: int) -> Checker:
    def checked(value: str) -> str:
        value = check(value)
        if len(value) > width:
            raise Invalid("too_long")
        return value

    return checked


def checker(column: Column) -> Checker:
    """The function that checks one column's (trimmed, non-blank) values and returns each in its
    canonical form, or raises `Invalid`. A value published in a record column must also fit it."""
    width = RECORD_COLUMNS.get(column.name)
    check = _checker(column)
    if width is not None and column.type in ("choice", "integer", "uprn"):
        return _fits(check, width)
    return check


def _checker(column: Column) -> Checker:
    if column.type == "string":
        return _string(column.max_length)
    if column.type == "date":
        return _date(partial=column.partial_dates)
    if column.type == "nhs_number":
        return _nhs_number
    if column.type == "postcode":
        return _postcode
    if column.type == "boolean":
        return _boolean
    if column.type == "integer":
        return _integer(column.max_length)
    if column.type == "uprn":
        return _uprn
    return _choice(column.choices)


def value_message(column: Column, code: str) -> str:
    """The plain-English message for a value of `column` that broke its rule."""
    label = column.label
    if code == "required":
        return f"{label} ({column.name}) is blank. It must have a value on every row."
    if code == "too_long":
        limit = column.max_length or RECORD_COLUMNS.get(column.name, 0)
        return f"{label} ({column.name}) is longer than {limit} characters."
    if code == "date":
        if column.partial_dates:
            return (
                f"{label} ({column.name}) must be a real date written YYYY-MM-DD, such as "
                "1970-01-31, or a partial date written YYYY-MM or YYYY."
            )
        return (
            f"{label} ({column.name}) must be a real date written YYYY-MM-DD, such as 1970-01-31."
        )
    if code == "nhs_number":
        return (
            f"{label} ({column.name}) is not a valid NHS number: it must be 10 digits and the "
            "last must be the Modulus 11 check digit of the other nine."
        )
    if code == "postcode":
        return f"{label} ({column.name}) is not a UK postcode, such as SN10 4AY."
    if code == "uprn":
        return f"{label} ({column.name}) must be a UPRN: 1 to {UPRN_MAX_DIGITS} digits."
    if code == "boolean":
        return f"{label} ({column.name}) must be Y or N."
    if code == "integer":
        return f"{label} ({column.name}) must be a whole number, such as 42 or -7."
    if code == "choice":
        return f"{label} ({column.name}) must be one of: {'; '.join(column.choices)}."
    if code == "formula":
        return (
            f"{label} ({column.name}) begins like a spreadsheet formula (with =, +, -, or @), "
            "which Single View does not accept. Remove the leading character at source."
        )
    raise KeyError(code)


# ---------------------------------------------------------------------------------------------
# Reading the file


class _Lines:
    """Text lines of a binary stream, decoded as UTF-8 one at a time. A line that is not UTF-8
    is decoded with replacement characters and counted, so that the row it belongs to can be
    rejected; so is a line with a NUL character, which PostgreSQL text cannot hold."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.not_utf8 = 0
        self.nul = 0
        self.bytes_read = 0
        self.first_line_not_utf8 = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.stream:
            self.bytes_read += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.not_utf8 += 1
                line = raw.decode("utf-8", "replace")
                if first:
                    self.first_line_not_utf8 = True
            if "\x00" in line:
                self.nul += 1
                line = line.replace("\x00", "")
            if first:
                first = False
                if line.startswith("\ufeff"):
                    line = line[1:]
            yield line


def open_decompressed(binary: BinaryIO) -> BinaryIO:
    """The file's bytes, gunzipped if its first bytes are the gzip magic number. Closing the
    result does not close `binary`."""
    stream: Any = binary
    if hasattr(stream, "peek"):
        head = stream.peek(2)[:2]
    elif stream.seekable():
        head = stream.read(2)
        stream.seek(0)
    else:
        stream = io.BufferedReader(stream)
        head = stream.peek(2)[:2]
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def _header_cell(cell: str) -> str:
    return cell.strip().lower()


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to read each row: where each column is, how to check it, where it goes."""

    width: int
    key_index: int
    action_index: int | None
    # (position in the row, column, checker, slot in the record or -1, JSON key prefix)
    cells: tuple[tuple[int, Column, Checker, int, str], ...]
    # The fast path for clean rows: each record column in order (position, checker, required;
    # None where the schema lacks it), then each payload column (position, checker, required,
    # JSON key prefix).
    record_cells: tuple[tuple[int, Checker, bool] | None, ...]
    payload_cells: tuple[tuple[int, Checker, bool, str], ...]


class ExtractReader:
    """Reads one extract file against a schema. Use `rows()` once; then `rows_total`,
    `rows_rejected` and the `problems` log describe the file."""

    def __init__(self, schema: ExtractSchema, *, kind: ExtractKind, problems: ProblemLog) -> None:
        self.schema = schema
        self.kind = kind
        self.problems = problems
        self.rows_total = 0
        self.rows_rejected = 0
        self.rows_held = 0
        self.rows_to_retire = 0
        self._lines: _Lines | None = None

    @property
    def fatal(self) -> bool:
        return self.problems.fatal

    @property
    def bytes_read(self) -> int:
        """Bytes of CSV content (after gunzip) read so far."""
        return self._lines.bytes_read if self._lines is not None else 0

    # The header ------------------------------------------------------------------------------

    def _plan(self, header: list[str]) -> _Plan | None:
        add = self.problems.add
        names = [_header_cell(cell) for cell in header]
        positions: dict[str, int] = {}
        for index, name in enumerate(names):
            if not name:
                continue
            if name in positions:
                add(
                    Problem(
                        HEADER_ROW,
                        name[:60],
                        "header_duplicate_column",
                        f"The header names the column {name[:60]} more than once.",
                    )
                )
            positions.setdefault(name, index)
        for column in self.schema.columns:
            if column.name not in positions:
                add(
                    Problem(
                        HEADER_ROW,
                        column.name,
                        "header_missing_column",
                        f"The header has no {column.name} column ({column.label}). Every column "
                        "of the schema must be in the header, even where it is blank on every "
                        "row.",
                    )
                )
        known = set(self.schema.names)
        for name in positions:
            if name in known:
                continue
            if name == ACTION_COLUMN and self.kind == "delta":
                continue
            if name == ACTION_COLUMN:
                message = (
                    f"The header has an {ACTION_COLUMN} column, which only a delta extract may "
                    "have. Send the file as a delta, or remove the column."
                )
            else:
                message = (
                    f"The header has a column {name[:60]} that the schema does not have. Remove "
                    "it, or ask your partnership admin to add the field to the dataset."
                )
            add(Problem(HEADER_ROW, name[:60], "header_unexpected_column", message))
        if self.problems.fatal:
            return None
        slots = {name: slot for slot, name in enumerate(RECORD_COLUMNS)}
        cells = tuple(
            (
                positions[column.name],
                column,
                checker(column),
                slots.get(column.name, -1),
                encode_basestring(column.name) + ":",
            )
            for column in self.schema.columns
        )
        by_slot = {slot: cell for cell in cells if (slot := cell[3]) >= 0}
        return _Plan(
            width=len(header),
            key_index=positions[SOURCE_KEY],
            action_index=positions.get(ACTION_COLUMN),
            cells=cells,
            record_cells=tuple(
                (cell[0], cell[2], cell[1].required) if (cell := by_slot.get(slot)) else None
                for slot in range(len(RECORD_COLUMNS))
            ),
            payload_cells=tuple(
                (index, check, column.required, json_key)
                for index, column, check, slot, json_key in cells
                if slot < 0
            ),
        )

    # The rows --------------------------------------------------------------------------------

    def rows(self, binary: BinaryIO) -> Iterator[StagedRow]:
        """Each good row in its published shape, and a hold row for each rejected row whose
        record reference could be read. Problems go to the log as they are found."""
        try:
            stream = open_decompressed(binary)
            yield from self._rows(stream)
        except (OSError, EOFError, zlib.error):
            self.problems.add(
                Problem(
                    WHOLE_FILE,
                    "",
                    "unreadable",
                    "The file could not be read to the end: it is damaged or cut short (for "
                    "example an incomplete gzip file). Send the whole file again.",
                )
            )
        if self.kind == "full" and self.rows_total == 0 and not self.fatal:
            self.problems.add(
                Problem(
                    WHOLE_FILE,
                    "",
                    "no_records",
                    "The file has a header but no records. A full extract replaces every "
                    "record of the dataset, so an empty one would retire them all; it was "
                    "rejected.",
                )
            )

    def _rows(self, stream: BinaryIO) -> Iterator[StagedRow]:
        add = self.problems.add
        head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            add(
                Problem(
                    WHOLE_FILE,
                    "",
                    "encoding",
                    "The file is UTF-16 text. Save it as UTF-8 (in Excel: CSV UTF-8) and send "
                    "it again.",
                )
            )
            return
        lines = self._lines = _Lines(stream)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except csv.Error:
            header = None
        if lines.first_line_not_utf8:
            add(
                Problem(
                    HEADER_ROW,
                    "",
                    "encoding",
                    "The header row is not UTF-8 text. Save the file as UTF-8 (in Excel: CSV "
                    "UTF-8) and send it again.",
                )
            )
            return
        if not header or not any(cell.strip() for cell in header):
            add(
                Problem(
                    WHOLE_FILE,
                    "",
                    "empty_file",
                    "The file is empty. It must begin with a header row naming the columns.",
                )
            )
            return
        plan = self._plan(header)
        if plan is None:
            return
        previous_line = reader.line_num
        while True:
            try:
                for row in reader:
                    start = previous_line + 1
                    previous_line = reader.line_num
                    if not row:
                        continue
                    staged = self._row(row, start, plan, lines)
                    if staged is not None:
                        yield staged
                break
            except csv.Error as error:
                start = previous_line + 1
                previous_line = reader.line_num
                self.rows_total += 1
                self.rows_rejected += 1
                add(
                    Problem(
                        start,
                        "",
                        "unreadable_row",
                        f"This row could not be read as CSV ({error}). Check its quotation marks.",
                    )
                )

    def _row(self, row: list[str], line: int, plan: _Plan, lines: _Lines) -> StagedRow | None:
        """One row checked: its staged form, a hold row, or None. Clean rows of a full extract
        take a fast path; any row with a problem is read again by `_row_checked`, which finds
        and records every problem."""
        if (
            plan.action_index is not None
            or len(row) != plan.width
            or lines.not_utf8 != self._seen_counts[0]
            or lines.nul != self._seen_counts[1]
        ):
            return self._row_checked(row, line, plan, lines)
        record: list[str] = []
        append = record.append
        payload: list[str] = []
        try:
            for cell in plan.record_cells:
                if cell is None:
                    append("")
                    continue
                value = row[cell[0]].strip()
                if value:
                    append(cell[1](value))
                elif cell[2]:
                    raise Invalid("required")
                else:
                    append("")
            for index, check, required, json_key in plan.payload_cells:
                value = row[index].strip()
                if value:
                    payload.append(json_key + encode_basestring(check(value)))
                elif required:
                    raise Invalid("required")
        except Invalid:
            return self._row_checked(row, line, plan, lines)
        self.rows_total += 1
        return (line, ACTION_UPSERT, *record, "{" + ",".join(payload) + "}")  # type: ignore[return-value]

    def _row_checked(
        self, row: list[str], line: int, plan: _Plan, lines: _Lines
    ) -> StagedRow | None:
        """One row checked column by column, every problem recorded."""
        self.rows_total += 1
        add = self.problems.add
        rejected = False
        not_utf8, nul = lines.not_utf8, lines.nul
        if not_utf8 or nul:
            # Counters only ever grow: compare with what they were after the previous row.
            seen = self._seen_counts
            if not_utf8 != seen[0]:
                rejected = True
                add(
                    Problem(
                        line,
                        "",
                        "encoding",
                        "This row is not UTF-8 text. Save the file as UTF-8 (in Excel: CSV "
                        "UTF-8) and send it again.",
                    )
                )
            if nul != seen[1]:
                rejected = True
                add(
                    Problem(
                        line,
                        "",
                        "control_character",
                        "This row contains a NUL character, which cannot be stored. Remove it.",
                    )
                )
            self._seen_counts = (not_utf8, nul)
        width = len(row)
        if width != plan.width:
            rejected = True
            add(
                Problem(
                    line,
                    "",
                    "column_count",
                    f"This row has {width} value{'s' if width != 1 else ''} but the header has "
                    f"{plan.width} columns. Check for unquoted commas or missing values.",
                )
            )
        action = ACTION_UPSERT
        if plan.action_index is not None and plan.action_index < width:
            given = row[plan.action_index].strip().upper()
            if given == ACTION_RETIRE:
                action = ACTION_RETIRE
            elif given and given != ACTION_UPSERT:
                rejected = True
                add(
                    Problem(
                        line,
                        ACTION_COLUMN,
                        "action",
                        f"{ACTION_COLUMN} must be blank or U (add or update the record), or D "
                        "(retire it).",
                    )
                )
        record = ["", "", "", "", "", "", "", ""]
        payload: list[str] = []
        key_ok = False
        for index, column, check, slot, json_key in plan.cells:
            if action == ACTION_RETIRE and slot != 0:
                continue
            if index >= width:
                continue
            value = row[index].strip()
            if not value:
                if column.required:
                    rejected = True
                    add(Problem(line, column.name, "required", value_message(column, "required")))
                continue
            try:
                value = check(value)
            except Invalid as invalid:
                rejected = True
                add(Problem(line, column.name, invalid.code, value_message(column, invalid.code)))
                continue
            if slot == 0:
                key_ok = True
            if slot >= 0:
                record[slot] = value
            else:
                payload.append(json_key + encode_basestring(value))
        if rejected:
            self.rows_rejected += 1
            if not key_ok:
                return None
            self.rows_held += 1
            return (line, ACTION_HOLD, record[0], "", "", "", "", "", "", "", "{}")
        if action == ACTION_RETIRE:
            self.rows_to_retire += 1
            return (line, ACTION_RETIRE, record[0], "", "", "", "", "", "", "", "{}")
        return (
            line,
            action,
            record[0],
            record[1],
            record[2],
            record[3],
            record[4],
            record[5],
            record[6],
            record[7],
            "{" + ",".join(payload) + "}",
        )

    _seen_counts: tuple[int, int] = (0, 0)


def validate_file(
    binary: BinaryIO, *, schema: ExtractSchema, kind: ExtractKind, problem_cap: int = 1000
) -> tuple[ExtractReader, list[StagedRow]]:
    """Read a whole (small) file: the reader with its counts and problems, and the rows. For
    tests and previews; the pipeline streams `ExtractReader.rows` instead."""
    reader = ExtractReader(schema, kind=kind, problems=ProblemLog(problem_cap))
    rows = list(reader.rows(binary))
    return reader, rows
