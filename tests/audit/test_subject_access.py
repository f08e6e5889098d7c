"""The subject access page and selector: every use of one person's information, for IG officers
of the person's own partnership; looking is itself recorded."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit import events
from audit.models import AccessEvent, Action
from audit.selectors import subject_access_report
from matching.models import Person
from tests.audit.helpers import viewed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit:subject-access")


@pytest.fixture
def ig_officer(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def _query(person, **extra):
    today = timezone.localdate()
    return {
        "person": str(person.public_id),
        "since-day": "1",
        "since-month": "1",
        "since-year": str(today.year - 1),
        "until-day": str(today.day),
        "until-month": str(today.month),
        "until-year": str(today.year),
        **extra,
    }


def test_the_report_has_the_views_the_searches_that_found_them_and_merged_records(
    world, ig_officer
):
    # Given a search that found the person, a view of them, and a view of a record since merged
    # into them
    person, doctor, purpose = world["person"], world["doctor"], world["direct_care"]
    request = RequestFactory().get("/search/")
    search = events.record_search(
        user=doctor,
        purpose=purpose,
        terms={"family_name": "Jones"},
        result_count=1,
        request=request,
    )
    shown = events.record_results_shown(
        user=doctor, purpose=purpose, persons=[person], request=request
    )
    view = viewed(world)
    merged = Person.objects.create(
        partnership=world["partnership"], merged_into=person, merged_at=timezone.now()
    )
    world["person"] = merged
    earlier = viewed(world)

    # When the IG officer asks for the person's report
    today = timezone.localdate()
    report = subject_access_report(
        requester=ig_officer, person_id=person.public_id, since=today, until=today
    )

    # Then it holds all four, oldest first
    assert [event.pk for event in report.events] == [search.pk, shown.pk, view.pk, earlier.pk]
    assert report.person_ids == [str(person.public_id), str(merged.public_id)]


def test_an_ig_officer_sees_the_uses_and_the_look_is_recorded(signed_in, world, ig_officer):
    viewed(world)

    page = signed_in(ig_officer).get(URL, _query(world["person"]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "1 use from" in content
    assert "Grace Hopper" in content
    assert "adult-social-care: summary (care_package, given_name)" in content
    looked = AccessEvent.objects.get(action=Action.REPORT_VIEWED)
    assert (looked.user_id, looked.person_ids) == (
        ig_officer.pk,
        [str(world["person"].public_id)],
    )


def test_the_uses_download_as_fhir_and_the_download_is_recorded(signed_in, world, ig_officer):
    view = viewed(world)

    response = signed_in(ig_officer).get(URL, _query(world["person"], format="fhir"))

    bundle = json.loads(response.content)
    assert response["Content-Type"] == "application/fhir+json"
    assert [entry["resource"]["id"] for entry in bundle["entry"]] == [str(view.pk)]
    assert AccessEvent.objects.filter(action=Action.EXPORT, user_id=ig_officer.pk).count() == 1


def test_a_practitioner_cannot_open_the_page(signed_in, world):
    page = signed_in(world["doctor"]).get(URL, _query(world["person"]))

    assert page.status_code == 403


def test_another_partnerships_person_is_not_found(signed_in, other_world, ig_officer):
    page = signed_in(ig_officer).get(URL, _query(other_world["person"]))

    assert page.status_code == 404


def test_a_bad_id_is_explained(signed_in, world, ig_officer):
    page = signed_in(ig_officer).get(URL, {**_query(world["person"]), "person": "not-an-id"})

    assert "Single View id, as it appears on their page." in page.content.decode()


def test_nothing_is_shown_when_the_look_cannot_be_recorded(
    signed_in, world, ig_officer, monkeypatch
):
    viewed(world)
    client = signed_in(ig_officer)

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(events, "_insert", refuse)
    page = client.get(URL, _query(world["person"]))

    assert page.status_code == 503
    assert "Grace Hopper" not in page.content.decode()
