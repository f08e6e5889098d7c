"""Stable persons over the store: full and incremental runs, merges, splits, retirement."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from agencies.models import SourceRecord
from matching.models import Link, LinkMethod, LinkStatus, MatchState, Person
from matching.services import matching_run_full, source_records_link
from tests.factories import AgencyFactory, DatasetFactory

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("Margaret", "Smith", "1950-03-04", "F", "LS1 4AB", "1 High Street"),
    ("John", "Brown", "1960-01-01", "M", "LS2 5CD", "2 Low Street"),
    ("Ahmed", "Khan", "1985-11-23", "M", "BD7 1AA", "14 Mill Lane"),
    ("Chloe", "Evans", "2001-07-30", "F", "HD1 2EF", "9 Park Road"),
    ("Oliver", "Jones", "1972-05-17", "M", "WF3 3GH", "33 Church Walk"),
    ("Priya", "Patel", "1993-02-08", "F", "LS9 8JK", "7 Green Close"),
]


def _dataset(partnership: Any) -> Any:
    return DatasetFactory(agency=AgencyFactory(partnership=partnership))


def _record(dataset: Any, key: str, person: int, **changes: str) -> SourceRecord:
    given, family, born, sex, postcode, address = PEOPLE[person]
    values = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": born,
        "sex": sex,
        "postcode": postcode,
        "address": address,
        **changes,
    }
    return SourceRecord.objects.create(dataset=dataset, source_key=key, **values)


def _store(partnership: Any) -> list[SourceRecord]:
    council, hospital = _dataset(partnership), _dataset(partnership)
    records = [_record(council, f"C{n}", n) for n in range(len(PEOPLE))]
    records += [_record(hospital, f"H{n}", n, address="") for n in range(len(PEOPLE))]
    return records


def _person_of(record: SourceRecord) -> int:
    return Link.objects.get(source_record=record, status=LinkStatus.ACTIVE).person_id


def _public_ids(records: list[SourceRecord]) -> list[str]:
    return [
        str(Link.objects.get(source_record=r, status="active").person.public_id) for r in records
    ]


def _partition(records: list[SourceRecord]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for record in records:
        groups.setdefault(_person_of(record), set()).add(record.pk)
    return {frozenset(group) for group in groups.values()}


def test_a_full_run_links_each_record_to_its_person(partnership):
    # Given two agencies' records of six people
    records = _store(partnership)

    # When the partnership is matched
    summary = matching_run_full(partnership_id=partnership.pk)

    # Then each person's two records share one person, and the index is kept
    assert summary.persons_created == len(PEOPLE)
    assert {_person_of(records[n]) == _person_of(records[n + 6]) for n in range(6)} == {True}
    assert MatchState.objects.get(partnership=partnership).records == 12


def test_the_same_data_gives_the_same_public_ids(partnership):
    # Given a matched store
    records = _store(partnership)
    matching_run_full(partnership_id=partnership.pk)
    before = _public_ids(records)

    # When it is matched again, refitting the model
    summary = matching_run_full(partnership_id=partnership.pk)

    # Then no person or link changed
    assert _public_ids(records) == before
    assert summary.links_created == 0
    assert Person.objects.filter(partnership=partnership).count() == len(PEOPLE)


def test_incremental_runs_give_the_persons_of_a_full_run(partnership):
    # Given a matched store
    records = _store(partnership)
    matching_run_full(partnership_id=partnership.pk)
    dataset = records[0].dataset

    # When new records arrive, one record changes and one is retired, matched incrementally
    arrivals = [_record(dataset, "C6", 0, given_name="Peggy"), _record(dataset, "C7", 3)]
    changed = records[1]
    SourceRecord.objects.filter(pk=changed.pk).update(given_name="Jon")
    SourceRecord.objects.filter(pk=records[2].pk).update(retired_at=timezone.now())
    source_records_link(source_record_ids=[*(r.pk for r in arrivals), changed.pk])
    current = [r for r in [*records, *arrivals] if r.pk != records[2].pk]
    incremental = _partition(current)
    links_before = Link.objects.count()

    # And the same store is matched in full with the same model
    summary = matching_run_full(partnership_id=partnership.pk, refit=False)

    # Then the persons are the same and the full run changes nothing
    assert _partition(current) == incremental
    assert summary.links_created == 0
    assert Link.objects.count() == links_before
    assert _person_of(arrivals[0]) == _person_of(records[0])


def test_a_retired_record_loses_its_link(partnership):
    # Given a matched store
    records = _store(partnership)
    matching_run_full(partnership_id=partnership.pk)
    retired = records[0]
    SourceRecord.objects.filter(pk=retired.pk).update(retired_at=timezone.now())

    # When it is matched again
    summary = matching_run_full(partnership_id=partnership.pk, refit=False)

    # Then the retired record's link is superseded with no successor
    link = Link.objects.get(source_record=retired)
    assert summary.links_retired == 1
    assert link.status == LinkStatus.SUPERSEDED
    assert link.superseded_at is not None
    assert link.superseded_by is None


def _crowd(partnership: Any) -> None:
    """Eighty records of forty other people, enough to fit a model to."""
    given = ["John", "Ahmed", "Chloe", "Oliver", "Priya", "Grace", "Harry", "Leo", "Mia", "Noah"]
    given += ["Ruby", "Sam", "Tom", "Uma", "Vic", "Will", "Zoe", "Amy", "Ben", "Cara"]
    family = ["Brown", "Khan", "Evans", "Jones", "Patel", "Wood", "Hall", "King", "Lee", "Moss"]
    council, hospital = _dataset(partnership), _dataset(partnership)
    for n in range(40):
        values = {
            "given_name": given[n % 20],
            "family_name": family[(n * 7) % 10],
            "date_of_birth": f"19{50 + n}-0{1 + n % 9}-1{n % 9}",
            "sex": "F" if n % 2 else "M",
            "postcode": f"LS{n % 20} {n % 9}AB",
        }
        SourceRecord.objects.create(
            dataset=council, source_key=f"P{n}", address=f"{n} Mill Lane", **values
        )
        SourceRecord.objects.create(dataset=hospital, source_key=f"P{n}", **values)


def test_when_two_persons_merge_the_older_survives(partnership):
    # Given two records of one person too different to match without a third
    _crowd(partnership)
    dataset = _dataset(partnership)
    first = _record(dataset, "A", 0, postcode="", address="")
    second = _record(dataset, "B", 0, given_name="Maggie", date_of_birth="")
    matching_run_full(partnership_id=partnership.pk)
    older, newer = sorted([_person_of(first), _person_of(second)])

    # When a record agreeing with both arrives
    bridge = _record(dataset, "C", 0)
    source_records_link(source_record_ids=[bridge.pk])

    # Then all three are the older person, and the newer points at it
    assert older != newer
    assert {_person_of(first), _person_of(second), _person_of(bridge)} == {older}
    assert Person.objects.get(pk=newer).merged_into_id == older
    moved = Link.objects.get(source_record=second, status=LinkStatus.SUPERSEDED)
    assert moved.superseded_by == Link.objects.get(source_record=second, status="active")
    assert moved.superseded_by.method == LinkMethod.AUTOMATIC
    assert moved.superseded_by.score is not None
