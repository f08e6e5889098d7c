"""Exact-identifier linking of source records into persons (until the matcher is wired in)."""

import pytest

from agencies.models import SourceRecord
from matching.models import Link, LinkMethod, LinkStatus
from matching.services import nhs_number_is_valid, source_records_link
from tests.factories import AgencyFactory, DatasetFactory

pytestmark = pytest.mark.django_db

VALID = "9434765919"
OTHER_VALID = "9999999999"


def _record(dataset, key, nhs=""):
    return SourceRecord.objects.create(dataset=dataset, source_key=key, nhs_number=nhs)


def test_check_digit():
    assert nhs_number_is_valid(VALID)
    assert not nhs_number_is_valid("9434765918")
    assert not nhs_number_is_valid("943476591")


def test_same_valid_nhs_number_across_agencies_is_one_person(partnership):
    council = DatasetFactory(agency=AgencyFactory(partnership=partnership))
    hospital = DatasetFactory(agency=AgencyFactory(partnership=partnership))
    first = _record(council, "ASC1", VALID)
    second = _record(hospital, "H1", VALID)

    source_records_link(source_record_ids=[first.pk])
    summary = source_records_link(source_record_ids=[second.pk])

    people = set(Link.objects.values_list("person_id", flat=True))
    assert len(people) == 1
    assert summary.linked_to_existing == 1
    assert Link.objects.get(source_record=second).method == LinkMethod.EXACT


def test_records_without_valid_numbers_become_new_persons(partnership):
    dataset = DatasetFactory(agency=AgencyFactory(partnership=partnership))
    records = [_record(dataset, "A", ""), _record(dataset, "B", "9434765918")]

    summary = source_records_link(source_record_ids=[record.pk for record in records])

    assert summary.new_persons == 2
    assert len(set(Link.objects.values_list("person_id", flat=True))) == 2


def test_linking_twice_changes_nothing(partnership):
    dataset = DatasetFactory(agency=AgencyFactory(partnership=partnership))
    record = _record(dataset, "A", VALID)
    source_records_link(source_record_ids=[record.pk])

    again = source_records_link(source_record_ids=[record.pk])

    assert again.unchanged == 1
    assert Link.objects.filter(source_record=record, status=LinkStatus.ACTIVE).count() == 1


def test_numbers_never_link_across_partnerships(partnership, other_partnership):
    ours = _record(DatasetFactory(agency=AgencyFactory(partnership=partnership)), "A", VALID)
    theirs = _record(
        DatasetFactory(agency=AgencyFactory(partnership=other_partnership)), "B", VALID
    )

    source_records_link(source_record_ids=[ours.pk])
    source_records_link(source_record_ids=[theirs.pk])

    assert len(set(Link.objects.values_list("person_id", flat=True))) == 2
