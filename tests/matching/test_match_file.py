"""python manage.py match_file: bulk linking of CSV files without a database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

COLUMNS = [
    "record_id", "given_name", "family_name", "date_of_birth", "sex", "postcode", "address",
    "nhs_number",
]  # fmt: skip

# Four people: Margaret (three records: a nickname, a swapped date, no NHS number), her twin
# brothers Oliver and Harry, and a stranger who shares only a common name and year of birth.
COUNCIL = [
    ["c1", "Margaret", "Pennyfeather", "1950-04-07", "F", "SN1 4AB", "12 Church Road", ""],
    ["c2", "Oliver", "Ackroyd", "2015-06-02", "M", "SP2 7XY", "9 Park Road", ""],
    ["c3", "Harry", "Ackroyd", "2015-06-02", "M", "SP2 7XY", "9 Park Road", ""],
    ["c4", "John", "Smith", "1980-05-12", "M", "SN1 4AB", "3 Mill Lane", ""],
]
HOSPITAL = [
    ["h1", "Peggy", "Pennyfeather", "1950-07-04", "F", "sn14ab", "12 Church Rd", "9990812489"],
    ["h2", "Oliver", "Ackroyd", "2015-06-02", "M", "SP2 7XY", "9 Park Road", "9993162442"],
    ["h3", "John", "Smith", "1980-11-20", "M", "SP5 1QQ", "7 High Street", ""],
    ["h4", "Margaret", "Pennyfeather", "1950-04-07", "F", "SN1 4AB", "12 Church Road", ""],
]


def _write(path: Path, rows: list[list[str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _persons(path: Path) -> set[frozenset[tuple[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    persons: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        persons.setdefault(row["person_id"], set()).add((row["source"], row["record_id"]))
    return {frozenset(members) for members in persons.values()}


def test_one_file_is_linked_into_persons(tmp_path: Path) -> None:
    source = _write(tmp_path / "records.csv", COUNCIL + HOSPITAL)
    out = tmp_path / "out.csv"

    call_command("match_file", str(source), "--out", str(out))

    records = {("records", row[0]) for row in COUNCIL + HOSPITAL}
    assert _persons(out) == {
        frozenset({("records", "c1"), ("records", "h1"), ("records", "h4")}),
        frozenset({("records", "c2"), ("records", "h2")}),
        frozenset({("records", "c3")}),
        frozenset({("records", "c4")}),
        frozenset({("records", "h3")}),
    }
    assert set().union(*_persons(out)) == records


def test_two_files_are_linked_together_with_their_names_as_sources(tmp_path: Path) -> None:
    council = _write(tmp_path / "council.csv", COUNCIL)
    hospital = _write(tmp_path / "hospital.csv", HOSPITAL)
    out = tmp_path / "out.csv"

    call_command("match_file", str(council), "--against", str(hospital), "--out", str(out))

    assert _persons(out) == {
        frozenset({("council", "c1"), ("hospital", "h1"), ("hospital", "h4")}),
        frozenset({("council", "c2"), ("hospital", "h2")}),
        frozenset({("council", "c3")}),
        frozenset({("council", "c4")}),
        frozenset({("hospital", "h3")}),
    }


def test_the_output_has_one_row_per_record_in_input_order(tmp_path: Path) -> None:
    council = _write(tmp_path / "council.csv", COUNCIL)
    hospital = _write(tmp_path / "hospital.csv", HOSPITAL)
    out = tmp_path / "out.csv"

    call_command("match_file", str(council), "--against", str(hospital), "--out", str(out))

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["source", "record_id", "person_id"]
    assert [row[1] for row in rows[1:]] == [row[0] for row in COUNCIL + HOSPITAL]


def test_other_columns_are_ignored_and_blank_fields_allowed(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "sparse.csv",
        [["r1", "x", "Ann", ""], ["r2", "y", "", ""]],
        columns=["record_id", "notes", "given_name", "nhs_number"],
    )
    out = tmp_path / "out.csv"

    call_command("match_file", str(source), "--out", str(out))

    assert _persons(out) == {frozenset({("sparse", "r1")}), frozenset({("sparse", "r2")})}


def test_scored_pairs_can_be_written_for_review(tmp_path: Path) -> None:
    source = _write(tmp_path / "records.csv", COUNCIL + HOSPITAL)
    pairs = tmp_path / "pairs.csv"

    call_command("match_file", str(source), "--out", str(tmp_path / "o.csv"), "--pairs", str(pairs))

    with pairs.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"match"} <= {row["decision"] for row in rows}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"given_name,family_name\nAnn,Ward\n", "has no record_id column"),
        (b"record_id,given_name\nr1,Ann\nr1,Bob\n", "is a duplicate"),
        (b"record_id,given_name\n,Ann\n", "has no record_id"),
        (b"record_id,given_name\nr1,Ren\xe9e\n", "is not UTF-8"),
        (b"", "is empty"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        call_command("match_file", str(source), "--out", str(tmp_path / "out.csv"))


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("match_file", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o.csv"))


def test_two_files_of_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = _write(tmp_path / "records.csv", COUNCIL)
    second = _write(tmp_path / "a" / "records.csv", HOSPITAL)

    with pytest.raises(CommandError, match="same name"):
        call_command(
            "match_file", str(first), "--against", str(second), "--out", str(tmp_path / "o.csv")
        )


def test_a_bad_input_exits_non_zero_from_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(b"given_name\nAnn\n")

    arguments = ["manage.py", "match_file", str(source), "--out", str(tmp_path / "o.csv")]

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(arguments)

    assert exit_info.value.code != 0
