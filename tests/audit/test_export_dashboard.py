"""Downloads of the dashboard's events: CSV (streamed, UTF-8 with a byte order mark, formulas
guarded) and PDF (with the charts); each is recorded before the response starts."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.urls import reverse

from audit import events
from audit.models import AccessEvent, Action
from tests.audit.helpers import viewed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CSV_URL = reverse("audit:dashboard-csv")
PDF_URL = reverse("audit:dashboard-pdf")


@pytest.fixture
def ig_officer(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def _csv(response):
    return b"".join(response.streaming_content).decode("utf-8")


def test_the_csv_has_every_event_guarded_and_the_download_is_recorded(signed_in, world, ig_officer):
    event = viewed(world, justification='=HYPERLINK("http://evil")')

    response = signed_in(ig_officer).get(CSV_URL)

    text = _csv(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.startswith("\ufeffEvent,When (UK time),Username")
    assert f"{event.pk}," in text
    assert "'=HYPERLINK" in text
    export = AccessEvent.objects.get(action=Action.EXPORT, user_id=ig_officer.pk)
    assert (export.detail["format"], export.result_count) == ("audit-dashboard-csv", 1)


def test_the_csv_follows_the_filters_and_names_the_person_filtered_on(signed_in, world, ig_officer):
    viewed(world)
    person_id = str(world["person"].public_id)

    response = signed_in(ig_officer).get(CSV_URL, {"person": person_id, "action": "search"})

    assert len(_csv(response).splitlines()) == 1
    export = AccessEvent.objects.get(action=Action.EXPORT)
    assert (export.person_ids, export.result_count) == ([person_id], 0)


def test_the_pdf_has_the_charts_and_the_download_is_recorded(signed_in, world, ig_officer):
    viewed(world)

    response = signed_in(ig_officer).get(PDF_URL)

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    export = AccessEvent.objects.get(action=Action.EXPORT, user_id=ig_officer.pk)
    assert (export.detail["format"], export.result_count) == ("audit-dashboard-pdf", 1)


def test_a_practitioner_cannot_download_the_events(signed_in, world):
    response = signed_in(world["doctor"]).get(CSV_URL)

    assert response.status_code == 403


def test_another_partnerships_events_are_not_downloaded(signed_in, world, other_world, ig_officer):
    viewed(other_world)

    response = signed_in(ig_officer).get(CSV_URL)

    assert "ghopper-Elsewhere" not in _csv(response)


def test_nothing_is_downloaded_when_the_download_cannot_be_recorded(
    signed_in, world, ig_officer, monkeypatch
):
    viewed(world)
    client = signed_in(ig_officer)

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(events, "_insert", refuse)
    response = client.get(CSV_URL)

    assert response.status_code == 503
    assert b"ghopper" not in response.content
