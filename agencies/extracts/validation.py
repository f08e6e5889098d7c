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
import itertools
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
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

_PARTIAL_DATE = re.compile(r"[0-9]{4}(?:-([0-9]{2})(?:-[0-9]{2})?)?\Z")
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}\Z")
_POSTCODE_CANONICAL = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}\Z")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_UPRN = re.compile(r"[0-9]{1,%d}\Z" % UPRN_MAX_DIGITS)  # noqa: UP031 - a regex quantifier


def _weighted_sums(weights: tuple[int, int, int]) -> dict[str, int]:
    """Each string of three ASCII digits, with the sum of its digits times `weights`."""
    return {
        f"{number:03d}": sum(
            int(digit) * weight for digit, weight in zip(f"{number:03d}", weights, strict=True)
        )
        for number in range(1000)
    }


# The Modulus 11 weights (10 down to 2) of an NHS number's first nine digits, three at a time:
# looking the three groups up both sums them and checks that they are ASCII digits.
_NHS_WEIGHTS = (_weighted_sums((10, 9, 8)), _weighted_sums((7, 6, 5)), _weighted_sums((4, 3, 2)))
_DIGITS: dict[str, int] = {str(digit): digit for digit in range(10)}


def nhs_number_is_valid(digits: str) -> bool:
    """Ten ASCII digits whose last is the Modulus 11 check digit of the first nine."""
    if len(digits) != 10:
        return False
    first, second, third = _NHS_WEIGHTS
    try:
        total = first[digits[:3]] + second[digits[3:6]] + third[digits[6:9]]
        last = _DIGITS[digits[9]]
    except KeyError:  # not ASCII digits
        return False
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check == last


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
            if len(value) == 10:
                return _full_date(value)
            match = _PARTIAL_DATE.match(value)
            if match is None:
                raise Invalid("date")
            if len(value) == 7 and not 1 <= int(match.group(1)) <= 12:
                raise Invalid("date")
            return value

        return check_partial
    return _full_date


def _full_date(value: str) -> str:
    """A real date written YYYY-MM-DD (ASCII digits only). The shape is checked here, and the
    digits and the date by `date.fromisoformat`, whose parser takes only ASCII digits where the
    shape has them (the other forms it takes, such as 2024-W01-1, are not this shape)."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not value.isascii():
        raise Invalid("date")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid("date") from None
    return value


def _nhs_number(value: str) -> str:
    digits = value.replace(" ", "") if " " in value else value
    if not nhs_number_is_valid(digits):
        raise Invalid("nhs_number")
    return digits


def _postcode(value: str) -> str:
    if _POSTCODE_CANONICAL.match(value) is not None:
        return value  # already written as it is published (most are)
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


# Bytes read and decoded at a time (cut at a line end).
BLOCK_BYTES: Final = 64 * 1024


class _Lines:
    """Text lines of a binary stream, decoded as UTF-8. A line that is not UTF-8 is decoded with
    replacement characters and counted, so that the row it belongs to can be rejected; so is a
    line with a NUL character, which PostgreSQL text cannot hold (`flagged` counts both).

    The stream is decoded a block at a time (BLOCK_BYTES, cut at a line end) and the block's
    lines are served by C code; a block that is not all UTF-8, or has a NUL character, is
    decoded line by line instead, so each bad line is counted as the csv reader reaches it. The
    header line is always decoded on its own (it may start with a byte-order mark)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.not_utf8 = 0
        self.nul = 0
        self.flagged = 0
        self.bytes_read = 0
        self.first_line_not_utf8 = False

    def __iter__(self) -> Iterator[str]:
        # read1: what one read of the underlying file gives (a gzip stream cut short still
        # yields the lines before the damage, as reading line by line would).
        read = getattr(self.stream, "read1", None) or getattr(self.stream, "read", None)
        if read is None:  # a stream that can only be iterated line by line
            return self._each(self.stream, first=True)
        return itertools.chain.from_iterable(self._blocks(read))

    def _blocks(self, read: Callable[[int], bytes]) -> Iterator[Iterable[str]]:
        pending: list[bytes] = []  # read since the last line end
        first = True
        while data := read(BLOCK_BYTES):
            end = data.rfind(b"\n") + 1
            if not end:
                pending.append(data)
                continue
            block = b"".join([*pending, data[:end]])
            pending = [data[end:]]
            if first:
                first = False
                header_end = block.index(b"\n") + 1
                yield self._each((block[:header_end],), first=True)
                block = block[header_end:]
            yield self._block(block)
        if rest := b"".join(pending):
            yield self._each((rest,), first=first)

    def _block(self, block: bytes) -> Iterable[str]:
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            return self._each(io.BytesIO(block), first=False)
        if "\x00" in text:
            return self._each(io.BytesIO(block), first=False)
        self.bytes_read += len(block)
        # Lines end at \n only, as in the binary stream (not at \r or other line breaks).
        return io.StringIO(text, newline="\n")

    def _each(self, raws: Iterable[bytes], *, first: bool) -> Iterator[str]:
        for raw in raws:
            self.bytes_read += len(raw)
            flagged = False
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.not_utf8 += 1
                flagged = True
                line = raw.decode("utf-8", "replace")
                if first:
                    self.first_line_not_utf8 = True
            if "\x00" in line:
                self.nul += 1
                flagged = True
                line = line.replace("\x00", "")
            if flagged:
                self.flagged += 1
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


FastRow = Callable[[list[str], int], StagedRow]


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to read each row: where each column is, how to check it, where it goes."""

    width: int
    key_index: int
    action_index: int | None
    # (position in the row, column, checker, slot in the record or -1, JSON key prefix)
    cells: tuple[tuple[int, Column, Checker, int, str], ...]
    # The fast path for the clean rows of a full extract (see `fast_row_compile`).
    fast_row: FastRow


def fast_row_compile(cells: Sequence[tuple[int, Column, Checker, int, str]]) -> FastRow:
    """The fast path for a clean row, made for one header: a function of the row's values and
    its line that strips and checks each value in turn, with no loop and no lookups, and returns
    the staged row; it raises `Invalid` at the first problem, and the caller then reads the row
    again with `ExtractReader._row_checked`, which finds and words every problem. It does what
    `_row_checked` does for a row without problems, unrolled: most rows of most files are clean,
    and the per-value overhead of a loop is most of the time spent on them.

    The function's source is made only of column positions (integers) and fixed names; the
    checkers and the JSON keys are passed in as its globals, never written into the source."""
    names: dict[str, Any] = {"Invalid": Invalid, "encode": encode_basestring}
    record = ['""'] * len(RECORD_COLUMNS)
    lines = ["def fast_row(row, line):"]
    for index, column, check, slot, _ in cells:
        if slot < 0:
            continue
        names[f"check_{slot}"] = check
        lines += [
            f"    r{slot} = row[{int(index)}].strip()",
            f"    if r{slot}:",
            f"        r{slot} = check_{slot}(r{slot})",
        ]
        if column.required:
            lines += ["    else:", "        raise Invalid('required')"]
        record[slot] = f"r{slot}"
    lines.append("    payload = []")
    for number, (index, column, check, slot, json_key) in enumerate(cells):
        if slot >= 0:
            continue
        names[f"check_p{number}"] = check
        names[f"key_p{number}"] = json_key
        lines += [
            f"    value = row[{int(index)}].strip()",
            "    if value:",
            f"        payload.append(key_p{number} + encode(check_p{number}(value)))",
        ]
        if column.required:
            lines += ["    else:", "        raise Invalid('required')"]
    lines.append(
        f"    return (line, '{ACTION_UPSERT}', {', '.join(record)}, "
        "'{' + ','.join(payload) + '}')"
    )
    exec("\n".join(lines), names)  # noqa: S102 - integers and fixed names only (see above)
    fast_row: FastRow = names["fast_row"]
    return fast_row


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
        return _Plan(
            width=len(header),
            key_index=positions[SOURCE_KEY],
            action_index=positions.get(ACTION_COLUMN),
            cells=cells,
            fast_row=fast_row_compile(cells),
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
        # Clean rows of a full extract take the fast path; any other row, and any row the fast
        # path finds a problem in, is read by `_row_checked`, which finds and records every
        # problem. A row with a line that is not UTF-8 or has a NUL character is never clean.
        fast_row = plan.fast_row if plan.action_index is None else None
        width = plan.width
        flagged_seen = 0
        previous_line = reader.line_num
        while True:
            try:
                for row in reader:
                    start = previous_line + 1
                    previous_line = reader.line_num
                    if not row:
                        continue
                    if fast_row is not None and len(row) == width and lines.flagged == flagged_seen:
                        try:
                            staged = fast_row(row, start)
                        except Invalid:
                            pass
                        else:
                            self.rows_total += 1
                            yield staged
                            continue
                    checked = self._row_checked(row, start, plan, lines)
                    flagged_seen = lines.flagged
                    if checked is not None:
                        yield checked
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
