"""Comparison levels, computed in batches over record pairs."""

from __future__ import annotations

import numpy as np
import pytest

from matching.comparison import (
    ADDRESS,
    BIRTH,
    COMPARISONS,
    FAMILY,
    GIVEN,
    NHS,
    SEX,
    RecordTable,
    compare_pairs,
    pair_conflicts,
)
from matching.normalise import RecordIn, record_normalise

BASE = {
    "given_name": "Margaret",
    "family_name": "Smith-Jones",
    "date_of_birth": "1950-04-07",
    "sex": "F",
    "postcode": "SN1 4AB",
    "address": "12 Church Road, Northgate",
    "nhs_number": "9990812489",
}


def _record(record_id: str, **changes: str) -> RecordIn:
    return RecordIn.from_mapping(source="test", record_id=record_id, values={**BASE, **changes})


def _levels(first: RecordIn, second: RecordIn) -> dict[str, str]:
    table = RecordTable.from_records([record_normalise(first), record_normalise(second)])
    levels = compare_pairs(table, np.array([0]), np.array([1]))[0]
    return {
        comparison.name: comparison.levels[int(level)]
        for comparison, level in zip(COMPARISONS, levels, strict=True)
    }


def test_identical_records_agree_exactly_everywhere() -> None:
    assert _levels(_record("a"), _record("b")) == {
        "nhs_number": "exact",
        "given_name": "exact",
        "family_name": "exact",
        "date_of_birth": "exact",
        "sex": "agree",
        "address": "address",
    }


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("Peggy", "nickname"),
        ("Margaret Rose", "exact"),  # a middle name added
        ("Margret", "close"),
        ("M", "similar"),  # an initial
        ("Mrs Margaret", "exact"),
        ("Dorothy", "different"),
        ("", "missing"),
    ],
)
def test_given_name_levels(given: str, level: str) -> None:
    assert _levels(_record("a"), _record("b", given_name=given))["given_name"] == level


@pytest.mark.parametrize(
    ("family", "level"),
    [
        ("Jones", "part"),  # a double-barrelled name recorded in part
        ("SMITH JONES", "exact"),
        ("Smiht-Jnoes", "close"),
        ("Brown", "different"),
    ],
)
def test_family_name_levels(family: str, level: str) -> None:
    assert _levels(_record("a"), _record("b", family_name=family))["family_name"] == level


@pytest.mark.parametrize(
    ("date", "level"),
    [
        ("1950-07-04", "swapped"),
        ("1950-04", "partial"),
        ("1950", "partial"),
        ("1950-04-08", "close"),
        ("1950-09-23", "same_year"),
        ("1962-09-23", "different"),
        ("", "missing"),
    ],
)
def test_date_of_birth_levels(date: str, level: str) -> None:
    assert _levels(_record("a"), _record("b", date_of_birth=date))["date_of_birth"] == level


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"address": "12 Church Rd"}, "address"),  # abbreviated, town left off
        ({"address": "14 Church Road, Northgate"}, "postcode"),
        ({"address": "3 Mill Lane", "postcode": "SN1 4XY"}, "sector"),
        ({"address": "3 Mill Lane", "postcode": "SN1 9XY"}, "district"),
        ({"address": "3 Mill Lane", "postcode": "BA12 9XY"}, "different"),
        ({"address": "", "postcode": ""}, "missing"),
    ],
)
def test_address_levels(changes: dict[str, str], level: str) -> None:
    assert _levels(_record("a"), _record("b", **changes))["address"] == level


def test_an_invalid_nhs_number_is_missing_not_different() -> None:
    assert _levels(_record("a"), _record("b", nhs_number="9990812488"))["nhs_number"] == "missing"


def test_unknown_sex_is_missing() -> None:
    assert _levels(_record("a"), _record("b", sex="U"))["sex"] == "missing"


def test_comparison_columns_follow_the_comparison_order() -> None:
    assert [COMPARISONS[index].name for index in (NHS, GIVEN, FAMILY, BIRTH, SEX, ADDRESS)] == [
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "address",
    ]


def _conflict(first: RecordIn, second: RecordIn) -> bool:
    table = RecordTable.from_records([record_normalise(first), record_normalise(second)])
    a, b = np.array([0]), np.array([1])
    return bool(pair_conflicts(table, a, b, compare_pairs(table, a, b))[0])


@pytest.mark.parametrize(
    ("first", "second", "conflict"),
    [
        # Twins: everything shared but the given name (and NHS number).
        (_record("a", nhs_number=""), _record("b", given_name="Dorothy", nhs_number=""), True),
        # Parent and child of one name: different dates of birth.
        (
            _record("a", nhs_number=""),
            _record("b", date_of_birth="1975-02-01", nhs_number=""),
            True,
        ),
        # Two NHS numbers.
        (_record("a"), _record("b", nhs_number="9993162442"), True),
        # An agreeing NHS number outweighs a different given name.
        (_record("a"), _record("b", given_name="Dorothy"), False),
        # A nickname, a swapped date and a partial date are not conflicts.
        (_record("a"), _record("b", given_name="Peggy", date_of_birth="1950-07-04"), False),
        (_record("a", nhs_number=""), _record("b", date_of_birth="1950", nhs_number=""), False),
    ],
)
def test_person_level_conflicts(first: RecordIn, second: RecordIn, conflict: bool) -> None:
    assert _conflict(first, second) is conflict


def test_comparisons_run_over_many_pairs_at_once() -> None:
    records = [_record(str(index), given_name=name) for index, name in enumerate(
        ["Margaret", "Peggy", "Dorothy", "Margret"] * 250
    )]  # fmt: skip
    table = RecordTable.from_records([record_normalise(record) for record in records])
    first = np.zeros(999, np.int64)
    second = np.arange(1, 1000, dtype=np.int64)

    levels = compare_pairs(table, first, second)

    given = COMPARISONS[GIVEN]
    assert levels.shape == (999, len(COMPARISONS))
    assert levels[:3, GIVEN].tolist() == [
        given.level("nickname"),
        given.level("different"),
        given.level("close"),
    ]
