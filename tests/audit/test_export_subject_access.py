"""Downloads of the subject access report as CSV and PDF, each recorded before it is sent."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, Action
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


def test_the_report_downloads_as_csv_and_the_download_is_recorded(signed_in, world, ig_officer):
    view = viewed(world)

    response = signed_in(ig_officer).get(URL, _query(world["person"], format="csv"))

    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffEvent,")
    assert f"{view.pk}," in text
    assert "adult-social-care: summary (care_package, given_name)" in text
    export = AccessEvent.objects.get(action=Action.EXPORT, user_id=ig_officer.pk)
    assert (export.detail["format"], export.person_ids) == (
        "subject-access-csv",
        [str(world["person"].public_id)],
    )


def test_the_report_downloads_as_pdf_and_the_download_is_recorded(signed_in, world, ig_officer):
    viewed(world)

    response = signed_in(ig_officer).get(URL, _query(world["person"], format="pdf"))

    assert response.content.startswith(b"%PDF")
    export = AccessEvent.objects.get(action=Action.EXPORT, user_id=ig_officer.pk)
    assert (export.detail["format"], export.result_count) == ("subject-access-pdf", 1)


def test_a_practitioner_cannot_download_the_report(signed_in, world):
    response = signed_in(world["doctor"]).get(URL, _query(world["person"], format="csv"))

    assert response.status_code == 403


def test_another_partnerships_person_is_not_found(signed_in, other_world, ig_officer):
    response = signed_in(ig_officer).get(URL, _query(other_world["person"], format="pdf"))

    assert response.status_code == 404
