"""Datasets' display details held per worker process (`agencies.reference`)."""

import time

import pytest

from agencies import reference
from agencies.models import Dataset, DatasetField
from tests.factories import DatasetFactory, DatasetFieldFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty():
    reference.forget()
    yield
    reference.forget()


def test_details_are_read_once_and_then_held(django_assert_num_queries):
    dataset = DatasetFactory(name="Adult social care")
    DatasetFieldFactory(dataset=dataset, name="status", label="Case status", position=2)

    with django_assert_num_queries(2):
        first = reference.dataset_details([dataset.pk])
    with django_assert_num_queries(0):
        again = reference.field_labels([dataset.pk])

    details = first[dataset.pk]
    assert (details.code, details.name) == (dataset.code, "Adult social care")
    assert details.agency_name == dataset.agency.name
    assert again == {(dataset.pk, "status"): (2, "Case status", "string")}


def test_a_change_saved_is_seen_at_once(django_assert_num_queries):
    dataset = DatasetFactory(name="Old name")
    field = DatasetFieldFactory(dataset=dataset, name="status", label="Status")
    reference.dataset_details([dataset.pk])

    dataset.name = "New name"
    dataset.save()
    field.label = "Case status"
    field.save()

    details = reference.dataset_details([dataset.pk])[dataset.pk]
    assert details.name == "New name"
    assert details.fields["status"][1] == "Case status"


def test_a_change_made_elsewhere_is_seen_once_the_holding_time_has_passed(settings, monkeypatch):
    # Given details held, then changed by another process (an update sends no signal here)
    settings.REFERENCE_DATA_SECONDS = 60
    dataset = DatasetFactory(name="Old name")
    reference.dataset_details([dataset.pk])
    Dataset.objects.filter(pk=dataset.pk).update(name="New name")
    DatasetField.objects.filter(dataset=dataset).update(label="ignored")

    # Then the old name is shown until the holding time has passed, and the new one after it
    assert reference.dataset_details([dataset.pk])[dataset.pk].name == "Old name"
    later = time.monotonic() + 61
    monkeypatch.setattr(reference.time, "monotonic", lambda: later)
    assert reference.dataset_details([dataset.pk])[dataset.pk].name == "New name"


def test_unknown_datasets_are_left_out():
    assert reference.dataset_details([987654]) == {}
