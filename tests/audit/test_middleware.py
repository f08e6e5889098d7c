"""A read whose event cannot be committed answers 503 and shows nothing, on pages and the API."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from audit import events
from audit.models import AccessEvent
from tests.audit.urls import SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.audit.urls")]


def _refuse_writes(*args, **kwargs):
    raise DatabaseError("permission denied for table audit_accessevent")


def test_page_is_shown_once_its_event_is_recorded(client, world):
    response = client.get("/secret/", {"user": world["doctor"].pk})

    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert AccessEvent.objects.filter(user_id=world["doctor"].pk).count() == 1


def test_page_shows_nothing_when_the_event_cannot_be_recorded(client, world, monkeypatch):
    # Given an access log that refuses writes
    monkeypatch.setattr(events, "_insert", _refuse_writes)

    # When the page is asked for
    response = client.get("/secret/", {"user": world["doctor"].pk})

    # Then it is the 503 page, and nothing of the record is in it
    page = response.content.decode()
    assert response.status_code == 503
    assert "Sorry, Single View cannot show this now: nothing was shown" in page
    assert SECRET not in page
    assert response["Retry-After"] == "60"


def test_api_answers_503_and_nothing_else(client, world, monkeypatch):
    monkeypatch.setattr(events, "_insert", _refuse_writes)

    response = client.get("/api/secret/", {"user": world["doctor"].pk})

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Sorry, Single View cannot show this now: nothing was shown."
    }
