"""PostgreSQL keeps the access log in monthly partitions (audit/migrations/0001, 0002)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from audit.services import partitions_ensure
from tests.audit.helpers import insert_raw_event, viewed

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _one(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_the_events_table_is_partitioned_by_month_with_a_composite_key():
    strategy = _one(
        "SELECT partstrat, pg_get_partkeydef('audit_accessevent'::regclass) "
        "FROM pg_partitioned_table WHERE partrelid = 'audit_accessevent'::regclass"
    )
    key = _one(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'audit_accessevent'::regclass AND contype = 'p'"
    )

    assert strategy == ("r", "RANGE (occurred_at)")
    assert key == ("PRIMARY KEY (id, occurred_at)",)


def test_an_event_lands_in_its_months_partition(world):
    event = viewed(world)

    (partition,) = _one(
        "SELECT tableoid::regclass::text FROM audit_accessevent WHERE id = %s", [event.pk]
    )

    assert partition == f"audit_accessevent_{event.occurred_at.astimezone(UTC):%Y_%m}"


def test_coming_partitions_are_made_once():
    # Given months no partition exists for yet
    start = datetime(2031, 1, 1, tzinfo=UTC)

    # When partitions are ensured twice
    first = partitions_ensure(months_ahead=2, from_month=start)
    second = partitions_ensure(months_ahead=2, from_month=start)

    # Then three months were made once
    assert (first, second) == (3, 0)
    assert _one("SELECT to_regclass('audit_accessevent_2031_03')::text") == (
        "audit_accessevent_2031_03",
    )


def test_an_event_with_no_partition_is_kept_and_its_month_is_left_alone():
    # Given an event in a month without a partition (it goes to the default partition)
    with connection.cursor() as cursor:
        insert_raw_event(cursor, occurred_at="2040-06-15T12:00:00Z")
    (partition,) = _one(
        "SELECT tableoid::regclass::text FROM audit_accessevent WHERE occurred_at >= '2040-01-01'"
    )

    # When partitions are ensured for that month
    made = partitions_ensure(months_ahead=0, from_month=datetime(2040, 6, 1, tzinfo=UTC))

    # Then the event stays where it is and no overlapping partition is made
    assert (partition, made) == ("audit_accessevent_default", 0)
