"""Pages where an agency restricts its own records and lifts restrictions."""

import pytest
from django.urls import reverse

from agencies.models import Sensitivity
from governance.models import Restriction, RestrictionKind
from tests.factories import AgencyFactory, UserFactory, dataset_with_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def ig_officer(agency):
    return UserFactory(agency=agency, user_types=["ig_officer"])


@pytest.fixture
def dataset(agency):
    return dataset_with_fields(agency=agency, fields={"address": Sensitivity.LOCATION})


def _place(client, dataset, key="ASC1", kind=RestrictionKind.PROTECTED_ADDRESS):
    return client.post(
        reverse("governance:restriction-new"),
        {"dataset": dataset.pk, "source_key": key, "kind": kind, "reason": "Lives in a refuge."},
    )


def test_ig_officer_restricts_a_record_and_sees_it_listed(signed_in, ig_officer, dataset):
    client = signed_in(ig_officer)

    response = _place(client, dataset)
    listing = client.get(reverse("governance:restriction-list")).content.decode()

    assert response["Location"] == reverse("governance:restriction-list")
    assert Restriction.objects.get(source_key="ASC1").kind == RestrictionKind.PROTECTED_ADDRESS
    assert "Lives in a refuge." in listing


def test_missing_answers_get_specific_errors(signed_in, ig_officer, dataset):
    client = signed_in(ig_officer)

    page = client.post(reverse("governance:restriction-new"), {}).content.decode()

    assert "Choose the dataset that holds the record." in page
    assert "Enter the record key" in page
    assert "Choose the kind of restriction." in page
    assert "Enter the reason for the restriction." in page


def test_a_duplicate_restriction_is_refused_clearly(signed_in, ig_officer, dataset):
    client = signed_in(ig_officer)
    _place(client, dataset)

    page = _place(client, dataset).content.decode()

    assert "already has a protected address restriction" in page
    assert Restriction.objects.count() == 1


def test_lifting_needs_a_reason_and_records_it(signed_in, ig_officer, dataset):
    client = signed_in(ig_officer)
    _place(client, dataset)
    restriction = Restriction.objects.get()
    url = reverse("governance:restriction-lift", args=[restriction.pk])

    refused = client.post(url, {"reason": ""}).content.decode()
    client.post(url, {"reason": "The person has moved out of the refuge."})

    restriction.refresh_from_db()
    assert "Enter the reason for lifting the restriction." in refused
    assert restriction.lift_reason == "The person has moved out of the refuge."
    assert restriction.lifted_by == ig_officer


def test_other_agencies_datasets_cannot_be_chosen(signed_in, ig_officer, partnership):
    neighbour = dataset_with_fields(
        agency=AgencyFactory(partnership=partnership), fields={"address": Sensitivity.LOCATION}
    )
    client = signed_in(ig_officer)

    page = _place(client, neighbour).content.decode()

    assert "Select a valid choice" in page
    assert not Restriction.objects.exists()


def test_practitioners_cannot_open_restrictions(signed_in, practitioner):
    client = signed_in(practitioner)

    assert client.get(reverse("governance:restriction-list")).status_code == 403


def test_another_partnerships_restriction_is_404(signed_in, ig_officer, other_partnership):
    other_agency = AgencyFactory(partnership=other_partnership)
    their_dataset = dataset_with_fields(agency=other_agency, fields={"a": Sensitivity.NONE})
    their_officer = UserFactory(agency=other_agency, user_types=["ig_officer"])
    restriction = Restriction.objects.create(
        dataset=their_dataset,
        source_key="X1",
        kind=RestrictionKind.SEALED,
        reason="Court order.",
        created_by=their_officer,
    )
    client = signed_in(ig_officer)

    response = client.get(reverse("governance:restriction-lift", args=[restriction.pk]))

    assert response.status_code == 404
