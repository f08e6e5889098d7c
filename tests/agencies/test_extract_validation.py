"""The extract validator's pure core: no database, plain data in and out."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest

from agencies.extracts import validation
from agencies.extracts.freshness import freshness_of
from agencies.extracts.report import report_csv, report_json
from agencies.extracts.schema import (
    FieldDefinition,
    SchemaError,
    json_schema,
    sample_csv,
    schema_build,
)
from agencies.extracts.validation import (
    ACTION_HOLD,
    PROBLEM_CODES,
    ExtractReader,
    Problem,
    ProblemLog,
    csv_safe,
    formula_like,
    nhs_number_is_valid,
    over_threshold,
    validate_file,
)
from tests.agencies.test_extract_support import (
    CORPUS,
    HEADER,
    corpus_schema,
    csv_bytes,
    gzipped,
    row,
)

CORPUS_FILES = sorted(
    path
    for path in CORPUS.iterdir()
    if path.name != "README.md" and not path.name.startswith("duplicate_source_key--")
)


def _read(data: bytes, kind: Any = "full"):
    return validate_file(BytesIO(data), schema=corpus_schema(), kind=kind)


def _codes(reader: ExtractReader) -> set[str]:
    return set(reader.problems.counts)


# The corpus ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_corpus_file_reports_its_expected_problem(path):
    # Given a bad file whose name starts with the problem code it must produce
    expected = path.name.split("--")[0]
    kind = "delta" if ".delta." in path.name else "full"

    # When the validator reads it
    reader, _ = _read(path.read_bytes(), kind=kind)

    # Then that problem is reported, with a known code and a message
    assert expected in reader.problems.counts
    assert set(reader.problems.counts) <= set(PROBLEM_CODES)
    assert all(problem.message for problem in reader.problems.kept)


def test_every_problem_code_except_database_ones_has_a_corpus_file():
    covered = {path.name.split("--")[0] for path in CORPUS.iterdir() if "--" in path.name}

    assert set(PROBLEM_CODES) - covered == {"error_threshold"}


# Good files -------------------------------------------------------------------------------------


def test_a_good_file_yields_every_row_in_its_published_shape():
    # Given a file with messy but valid values
    data = csv_bytes(
        row("A1", postcode="sn104ay", nhs_number="999 000 0018", mobility_need="y"),
        row("A2", care_package="day SERVICES", date_of_birth="1958-07"),
    )

    # When it is read
    reader, rows = _read(data)

    # Then there are no problems and values are in canonical form
    assert reader.problems.total == 0
    assert reader.rows_total == 2
    first, second = rows
    assert first[:2] == (2, "U")
    assert first[2:10] == ("A1", "Dee", "Khan", "1990-06-15", "F", "SN10 4AY", "", "9990000018")
    assert json.loads(first[10]) == {
        "care_package": "Home care",
        "mobility_need": "Y",
        "last_review_date": "2024-01-02",
        "visits": "1",
        "status": "Open",
    }
    assert json.loads(second[10])["care_package"] == "Day services"
    assert second[5] == "1958-07"


def test_header_may_be_in_any_order_and_case_with_a_byte_order_mark():
    columns = HEADER.split(",")
    reordered = ",".join(name.upper() for name in reversed(columns))
    values = row("A1").split(",")
    data = "\ufeff" + reordered + "\r\n" + ",".join(reversed(values)) + "\r\n"

    reader, rows = _read(data.encode())

    assert reader.problems.total == 0
    assert rows[0][2] == "A1"


def test_gzip_is_detected_by_its_content():
    reader, rows = _read(gzipped(csv_bytes(row("A1"), row("A2"))))

    assert reader.problems.total == 0
    assert [staged[2] for staged in rows] == ["A1", "A2"]


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers():
    data = (HEADER + "\n\n" + row("A1") + "\n\n" + row("A2", postcode="nope") + "\n").encode()

    reader, _ = _read(data)

    assert reader.rows_total == 2
    assert [problem.row for problem in reader.problems.kept] == [5]


def test_rows_are_streamed_not_read_whole():
    # Given an endless file that counts the lines it serves
    class Endless:
        served = 0

        def peek(self, size):
            return HEADER.encode()[:size]

        def __iter__(self):
            yield (HEADER + "\n").encode()
            while True:
                self.served += 1
                yield (row(f"A{self.served}") + "\n").encode()

    endless = Endless()
    reader = ExtractReader(corpus_schema(), kind="full", problems=ProblemLog(10))

    # When the first ten rows are taken
    first = [staged for _, staged in zip(range(10), reader.rows(endless), strict=False)]

    # Then they came as the lines were read, not after reading the whole file
    assert len(first) == 10
    assert endless.served <= 11


# Rejected rows ---------------------------------------------------------------------------------


def test_a_row_with_problems_is_held_by_its_source_key():
    # Given a row with two bad values and a valid source key
    data = csv_bytes(row("A1"), row("A2", postcode="X", nhs_number="9990000019"))

    # When it is read
    reader, rows = _read(data)

    # Then both problems are reported on row 3 and the row is held, not loaded
    assert [(p.row, p.column, p.code) for p in reader.problems.kept] == [
        (3, "postcode", "postcode"),
        (3, "nhs_number", "nhs_number"),
    ]
    assert reader.rows_rejected == 1
    assert rows[1][:3] == (3, ACTION_HOLD, "A2")


def test_a_row_without_a_readable_source_key_is_dropped():
    reader, rows = _read(csv_bytes(row("A1"), row("", postcode="X")))

    assert reader.rows_rejected == 1
    assert len(rows) == 1
    assert {"required", "postcode"} <= _codes(reader)


def test_messages_never_quote_values():
    secret = "9990000019"
    reader, _ = _read(csv_bytes(row("A1", nhs_number=secret, notes="=1+1")))

    assert all(secret not in p.message and "=1+1" not in p.message for p in reader.problems.kept)


@pytest.mark.parametrize(
    "value",
    ["+44 1632 960000", "-12", "-", "(01632) 960000", "plain text"],
)
def test_numbers_and_telephone_numbers_are_not_formulas(value):
    assert not formula_like(value)


@pytest.mark.parametrize("value", ["=1+1", "@SUM(A1)", "+SUM(A1)", "-2+3+cmd|' /C calc'!A0"])
def test_formula_like_text_is_recognised(value):
    assert formula_like(value)


def test_csv_safe_neutralises_formula_like_text_for_spreadsheets():
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("+44 1632 960000") == "+44 1632 960000"


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9990000018", True),
        ("4010232137", True),
        ("9990000019", False),
        ("999000001", False),
        ("99900000188", False),
        ("99900000\u06618", False),
        ("99900000\uff118", False),
        (" 999000001", False),
        ("9990000 18", False),
        ("4010232138", False),
    ],
)
def test_nhs_number_check_digit(number, valid):
    assert nhs_number_is_valid(number) is valid


def test_record_columns_cannot_take_values_wider_than_the_store():
    # Given a dataset whose sex field is a choice with long values
    schema = schema_build(
        dataset_code="d",
        dataset_name="D",
        fields=[FieldDefinition(name="sex", label="Sex", field_type="choice", choices=("Male",))],
    )

    # When a row uses one
    reader, _ = validate_file(BytesIO(b"source_key,sex\nA1,Male\n"), schema=schema, kind="full")

    # Then it is too long for the published record's sex column
    assert _codes(reader) == {"too_long"}


# Deltas ----------------------------------------------------------------------------------------


def test_a_delta_marks_retirements_with_d_and_reads_only_their_key():
    header = HEADER + ",_action"
    data = csv_bytes(
        row("A1") + ",U", row("A2", postcode="bad") + ",D", row("A3") + ",", header=header
    )

    reader, rows = _read(data, kind="delta")

    assert reader.problems.total == 0
    assert [(staged[1], staged[2]) for staged in rows] == [("U", "A1"), ("D", "A2"), ("U", "A3")]


def test_a_delta_may_leave_out_the_action_column():
    reader, rows = _read(csv_bytes(row("A1")), kind="delta")

    assert reader.problems.total == 0
    assert rows[0][1] == "U"


# Fast and careful paths --------------------------------------------------------------------------

MESSY_ROWS = (
    row("A1", postcode="sn104ay", nhs_number="999 000 0018", mobility_need="y"),
    row("A2", care_package="day SERVICES", date_of_birth="1958-07", sex="f"),
    row("A3", given_name="Zoë", family_name='"O\'Neill, Jr"', notes='"say ""hi"""'),
    row("A4", given_name="Back\\slash", notes='"tab\there"', date_of_birth="1970"),
    row("A5", family_name='"two\nlines"', postcode="SN10 4AY", visits="-7"),
    row("A6", date_of_birth="2024-02-29", last_review_date="2000-02-29", notes="+44 1632"),
)


def test_clean_rows_read_the_same_on_the_fast_and_the_careful_path():
    # Given messy but valid rows, read as a full extract (the fast path) and as a delta with a
    # blank _action column (every row of it takes the careful path)
    full = csv_bytes(*MESSY_ROWS)
    delta = csv_bytes(*(line + "," for line in MESSY_ROWS), header=HEADER + ",_action")

    # When both are read
    fast_reader, fast_rows = _read(full)
    careful_reader, careful_rows = _read(delta, kind="delta")

    # Then both readings accept every row and stage it the same way
    assert fast_reader.problems.total == careful_reader.problems.total == 0
    assert fast_rows == careful_rows
    assert len(fast_rows) == len(MESSY_ROWS)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-02-29", True),
        ("1900-12-31", True),
        ("2023-02-29", False),
        ("2024-13-01", False),
        ("2024-1-01", False),
        ("20240101", False),
        ("2024-W01-1", False),
        ("2024-+1-01", False),
        ("2024-1_-01", False),
        ("\uff12\uff10\uff12\uff14-01-01", False),
        ("2024-01-0\u0661", False),
        ("2024-01-01T00", False),
    ],
)
def test_dates_must_be_real_and_written_yyyy_mm_dd(value, valid):
    reader, _ = _read(csv_bytes(row("A1", last_review_date=value, date_of_birth=value)))

    assert _codes(reader) == (set() if valid else {"date"})


def test_a_file_read_in_small_blocks_reads_the_same(monkeypatch):
    # Given a file with a byte-order mark, CRLF line ends, a quoted line break, a row that is
    # not UTF-8, a row with a NUL character, multi-byte characters and no final line end
    data = (
        "\ufeff".encode()
        + csv_bytes(
            row("A1", given_name="Zoë"),
            row("A2", family_name='"two\nlines"'),  # CRLF inside the quotes, below
            row("A3"),
            row("A5", given_name="Łukasz"),
        ).replace(b"\n", b"\r\n")
        + row("A4", given_name="Jos\xe9").encode("latin-1")
        + b"\r\n"
        + row("A6", notes="a\x00b").encode()
        + b"\r\n"
        + row("A7", given_name="Ørjan").encode()
    )
    whole_reader, whole_rows = _read(data)

    # When it is read again in blocks of a few bytes
    monkeypatch.setattr(validation, "BLOCK_BYTES", 5)
    small_reader, small_rows = _read(data)

    # Then the rows, and the problems (with their lines), are the same
    assert small_rows == whole_rows
    assert small_reader.problems.kept == whole_reader.problems.kept
    assert [(p.row, p.code) for p in whole_reader.problems.kept] == [
        (7, "encoding"),
        (8, "control_character"),
    ]
    assert [staged[2] for staged in whole_rows] == ["A1", "A2", "A3", "A5", "A4", "A6", "A7"]
    assert whole_rows[1][4] == "two\r\nlines"
    assert small_reader.bytes_read == whole_reader.bytes_read == len(data)


# The file as a whole -----------------------------------------------------------------------------


def test_header_problems_are_fatal_and_yield_no_rows():
    reader, rows = _read(csv_bytes(row("A1"), header=HEADER.replace("notes", "note")))

    assert reader.fatal
    assert rows == []
    assert _codes(reader) == {"header_missing_column", "header_unexpected_column"}


def test_a_header_that_is_not_utf8_is_fatal():
    data = (HEADER.replace("notes", "not\xe9s") + "\n").encode("latin-1")

    reader, _ = _read(data)

    assert reader.fatal
    assert "encoding" in _codes(reader)


def test_the_problem_log_keeps_the_first_problems_and_counts_the_rest():
    rows = [row(f"A{number}", postcode="bad") for number in range(30)]
    reader = ExtractReader(corpus_schema(), kind="full", problems=ProblemLog(5))

    list(reader.rows(BytesIO(csv_bytes(*rows))))

    assert len(reader.problems.kept) == 5
    assert reader.problems.total == 30
    assert reader.problems.not_kept == 25


@pytest.mark.parametrize(
    ("rejected", "total", "threshold", "over"),
    [(2, 100, 0.02, False), (3, 100, 0.02, True), (0, 0, 0.0, False), (1, 10, 0.0, True)],
)
def test_error_threshold(rejected, total, threshold, over):
    assert over_threshold(rows_rejected=rejected, rows_total=total, threshold=threshold) is over


# The published schema ---------------------------------------------------------------------------


def test_the_schema_always_starts_with_source_key():
    schema = schema_build(
        dataset_code="d",
        dataset_name="D",
        fields=[FieldDefinition(name="given_name", label="Given name", field_type="string")],
    )

    assert schema.names == ("source_key", "given_name")
    assert schema.columns[0].required


def test_an_unusable_definition_is_a_schema_error():
    with pytest.raises(SchemaError, match="cannot be used for extracts"):
        schema_build(
            dataset_code="d",
            dataset_name="D",
            fields=[FieldDefinition(name="team", label="Team", field_type="choice")],
        )


@pytest.mark.parametrize("kind", ["full", "delta"])
def test_the_sample_file_passes_validation(kind):
    schema = corpus_schema()

    reader, rows = validate_file(
        BytesIO(sample_csv(schema, kind=kind).encode()), schema=schema, kind=kind
    )

    assert reader.problems.total == 0
    assert len(rows) == 3


def test_the_json_schema_describes_every_column():
    document = json_schema(corpus_schema(), kind="delta")

    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["required"] == HEADER.split(",")
    assert document["properties"]["status"]["enum"] == ["Open", "Closed"]
    assert document["properties"]["care_package"]["enum"] == ["", "Home care", "Day services"]
    assert document["properties"]["last_review_date"]["format"] == "date"
    assert document["properties"]["notes"]["maxLength"] == 20
    assert "_action" in document["properties"]


# Reports and freshness ---------------------------------------------------------------------------


def test_the_csv_report_is_safe_to_open_in_a_spreadsheet():
    problems = [Problem(3, "=bad", "header_unexpected_column", "=HYPERLINK(1)")]

    text = report_csv(problems=problems)

    assert list(csv.reader(io.StringIO(text))) == [
        ["row", "column", "code", "message"],
        ["3", "'=bad", "header_unexpected_column", "'=HYPERLINK(1)"],
    ]


def test_the_json_report_explains_each_code():
    report = report_json(
        summary={"run": 1, "problem_counts": {"postcode": 1}},
        problems=[Problem(2, "postcode", "postcode", "Bad.")],
    )

    assert report["problems"] == [
        {"row": 2, "column": "postcode", "code": "postcode", "message": "Bad."}
    ]
    assert report["codes"] == {"postcode": PROBLEM_CODES["postcode"]}


@pytest.mark.parametrize(
    ("published_hours_ago", "confirmed_hours_ago", "state"),
    [(None, None, "never"), (2, 2, "fresh"), (30, 30, "stale"), (30, 2, "fresh")],
)
def test_freshness(published_hours_ago, confirmed_hours_ago, state):
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)

    def ago(hours):
        return None if hours is None else now - timedelta(hours=hours)

    freshness = freshness_of(
        last_published_at=ago(published_hours_ago),
        confirmed_at=ago(confirmed_hours_ago),
        cadence=timedelta(days=1),
        now=now,
    )

    assert freshness.state == state
