"""The application's database role may only insert into and read the audit tables; migrations
run as the tables' owner (`manage.py audit_db_roles`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.services import app_role_sync, events_seal
from governance.models import Role
from tests.audit.helpers import viewed

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _rights(role, table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE']) "
            "AS privilege WHERE has_table_privilege(%s, %s, privilege)",
            [role, table],
        )
        return {row[0] for row in cursor.fetchall()}


def _as(role):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")


@pytest.mark.parametrize("table", ["audit_accessevent", "audit_seal", "audit_checkpoint"])
def test_the_app_role_may_only_insert_and_read_the_audit_tables(app_role, table):
    app_role_sync(role=app_role)

    assert _rights(app_role, table) == {"SELECT", "INSERT"}


def test_the_app_role_has_full_use_of_ordinary_tables_but_no_truncate(app_role):
    app_role_sync(role=app_role)

    assert _rights(app_role, "governance_role") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert _rights(app_role, "django_migrations") == {"SELECT"}


def test_partitions_are_reached_only_through_the_events_table(app_role):
    app_role_sync(role=app_role)

    assert _rights(app_role, "audit_accessevent_default") == set()


def test_as_the_app_role_events_are_written_and_sealed_but_not_changed(world, app_role):
    # Given the application connected as its own role
    app_role_sync(role=app_role)
    _as(app_role)

    # When it records and seals events, and changes an ordinary table
    event = viewed(world)
    seals = events_seal()
    Role.objects.filter(pk=world["gp"].pk).update(name="General practitioner")

    # Then all of that works, but changing the event is refused by the database's rights
    assert [seal.upto_event_id >= event.pk for seal in seals] == [True]
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_accessevent SET username = 'x' WHERE id = %s", [event.pk])


def test_the_command_is_idempotent(app_role, settings):
    settings.DATABASE_APP_ROLE = app_role
    call_command("audit_db_roles", stdout=StringIO())

    call_command("audit_db_roles", stdout=StringIO())

    assert _rights(app_role, "audit_accessevent") == {"SELECT", "INSERT"}


def test_the_owner_cannot_be_made_the_app_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()

    with pytest.raises(ValueError, match="must not be the role that owns"):
        app_role_sync(role=owner)
