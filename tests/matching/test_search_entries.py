"""Search entries follow the matched store: written with links, gone when a record retires."""

import pytest
from django.utils import timezone

from agencies.models import SourceRecord
from matching.models import Link, LinkStatus, SearchEntry
from matching.services import source_records_link
from tests.factories import AgencyFactory, DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(partnership):
    dataset = DatasetFactory(agency=AgencyFactory(partnership=partnership))
    record = SourceRecord.objects.create(
        dataset=dataset,
        source_key="A-1",
        given_name="Ann",
        family_name="Lee",
        date_of_birth="1980-01-02",
        postcode="sn1 4ab",
    )
    source_records_link(source_record_ids=[record.pk])
    return record


def test_a_linked_record_is_searchable_by_its_normalised_keys(record):
    entry = SearchEntry.objects.get(source_record=record)

    assert (entry.birth, entry.postcode, entry.district) == ("1980-01-02", "SN1 4AB", "SN1")
    assert entry.partnership_id == record.dataset.agency.partnership_id
    assert entry.dataset_id == record.dataset_id


def test_an_entry_carries_its_person_and_the_record_as_held(record):
    entry = SearchEntry.objects.get(source_record=record)

    link = Link.objects.get(source_record=record, status=LinkStatus.ACTIVE)
    assert (entry.person_id, entry.person_public_id) == (link.person_id, link.person.public_id)
    assert (entry.source_key, entry.given_name, entry.family_name) == ("A-1", "Ann", "Lee")
    assert (entry.date_of_birth, entry.postcode_as_held) == ("1980-01-02", "sn1 4ab")


def test_a_changed_record_gets_new_keys(record):
    record.postcode = "BA1 1AA"
    record.save()

    source_records_link(source_record_ids=[record.pk])

    assert SearchEntry.objects.get(source_record=record).postcode == "BA1 1AA"


def test_a_retired_record_is_no_longer_searchable(record):
    record.retired_at = timezone.now()
    record.save()

    source_records_link(source_record_ids=[record.pk])

    assert not SearchEntry.objects.filter(source_record=record).exists()
