"""The database refuses to change or remove access events, seals and checkpoints, whoever asks
(audit/migrations/0002_append_only.py)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AccessEvent, AuditCheckpoint, AuditSeal
from audit.services import checkpoint_create, events_seal
from tests.audit.helpers import viewed

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(world):
    """An event, its seal and a checkpoint."""
    event = viewed(world)
    events_seal()
    return {
        "event": event,
        "seal": AuditSeal.objects.get(),
        "checkpoint": checkpoint_create(force=True),
    }


def _sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_event_cannot_be_changed_through_the_orm(sealed):
    event = sealed["event"]
    event.justification = "Something else."

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()


def test_events_cannot_be_updated_in_bulk(sealed):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEvent.objects.update(username="someone-else")


def test_an_event_cannot_be_deleted_through_the_orm(sealed):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sealed["event"].delete()


@pytest.mark.parametrize("table", ["audit_accessevent", "audit_seal", "audit_checkpoint"])
def test_raw_sql_cannot_update_the_audit_tables(sealed, table):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"UPDATE {table} SET id = id")  # noqa: S608 - a constant table name


@pytest.mark.parametrize("table", ["audit_accessevent", "audit_seal", "audit_checkpoint"])
def test_raw_sql_cannot_delete_from_the_audit_tables(sealed, table):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"DELETE FROM {table}")  # noqa: S608 - a constant table name


def test_seals_and_checkpoints_cannot_be_deleted_through_the_orm(sealed):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditCheckpoint.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSeal.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table",
    ["audit_accessevent", "audit_accessevent_default", "audit_seal", "audit_checkpoint"],
)
def test_the_audit_tables_cannot_be_truncated(sealed, table):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"TRUNCATE {table}")


@pytest.mark.postgres
def test_a_monthly_partition_cannot_be_truncated_directly(sealed):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM audit_accessevent WHERE id = %s",
            [sealed["event"].pk],
        )
        (partition,) = cursor.fetchone()

    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"TRUNCATE {partition}")
