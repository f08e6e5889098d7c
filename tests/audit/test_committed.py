"""Fail closed: the event is committed before anything is shown, or the read fails."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from audit import events
from audit.services import app_role_sync

pytestmark = pytest.mark.django_db


def _view(world):
    return events.record_person_viewed(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosures=[world["disclosure"]],
    )


def _refuse_writes(*args, **kwargs):
    raise DatabaseError("disk full")


def test_a_failed_write_raises_audit_unavailable(world, monkeypatch):
    # Given an access log that cannot be written
    monkeypatch.setattr(events, "_insert", _refuse_writes)

    # When a read records its event, then it is told to show nothing
    with pytest.raises(events.AuditUnavailable), events.committed():
        _view(world)


def test_committed_must_not_be_nested_in_a_transaction(world):
    # Given an open transaction, a recorded event could roll back after the data was shown,
    # so committed() refuses to run inside one
    with pytest.raises(RuntimeError), transaction.atomic(), events.committed():
        _view(world)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_event_is_committed_when_the_block_ends(world):
    # When a view is recorded inside committed()
    with events.committed():
        event = _view(world)

    # Then another connection already sees it: it was committed, not merely written
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    ) as other:
        found = other.execute("SELECT count(*) FROM audit_accessevent WHERE id = %s", [event.pk])
        assert found.fetchone() == (1,)


@pytest.mark.postgres
def test_an_app_role_without_insert_fails_closed(world, app_role):
    # Given the application's role without INSERT on the access log
    app_role_sync(role=app_role)
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE INSERT ON audit_accessevent FROM {app_role}")
        cursor.execute(f"SET LOCAL ROLE {app_role}")

    # When a read records its event, then it fails closed
    with pytest.raises(events.AuditUnavailable), events.committed():
        _view(world)
