"""Clerical review shows person data, so every page commits an access event first (fail closed)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from audit import events
from audit.models import AccessEvent
from matching.models import ReviewTask
from tests.factories import UserFactory
from tests.matching.test_review_decisions import _possible_match
from tests.matching.test_review_pages import _pages

pytestmark = pytest.mark.django_db


def _refuse_writes(*args, **kwargs):
    raise DatabaseError("the access log refused the write")


def test_every_review_page_records_who_saw_which_records(partnership, agency, signed_in):
    _possible_match(partnership)
    task = ReviewTask.objects.get()
    reviewer = UserFactory(agency=agency, user_types=["ig_officer"])
    client = signed_in(reviewer)

    for url in _pages(task):
        client.get(url)

    logged = AccessEvent.objects.filter(user_id=reviewer.pk, action="report_viewed")
    assert logged.count() == len(_pages(task))
    assert all(event.person_ids for event in logged)


def test_a_review_page_shows_nothing_when_the_access_log_cannot_be_written(
    partnership, agency, signed_in, monkeypatch
):
    _possible_match(partnership)
    task = ReviewTask.objects.get()
    client = signed_in(UserFactory(agency=agency, user_types=["ig_officer"]))
    monkeypatch.setattr(events, "_insert", _refuse_writes)

    response = client.get(_pages(task)[0])

    assert response.status_code == 503
    assert "Jones" not in response.content.decode()
    assert "Smith" not in response.content.decode()
