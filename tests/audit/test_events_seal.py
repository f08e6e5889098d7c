"""Sealing: committed events are folded into the hash chain in id order, in numbered seals."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from audit.models import AuditSeal
from audit.sealing import GENESIS_HASH, unpack_ids
from audit.selectors import chain_verify
from audit.services import events_seal
from tests.audit.helpers import insert_raw_event, viewed, views

pytestmark = pytest.mark.django_db


def test_every_committed_event_is_sealed_in_id_order(world):
    # Given three recorded events
    recorded = views(world, 3)

    # When they are sealed
    seals = events_seal()

    # Then one seal holds them in id order, first in the chain, and the chain verifies
    assert [seal.number for seal in seals] == [1]
    assert unpack_ids(bytes(seals[0].event_ids)) == [event.pk for event in recorded]
    assert seals[0].previous_hash == GENESIS_HASH
    assert chain_verify().intact


def test_large_backlogs_are_sealed_in_linked_batches(world):
    views(world, 5)

    seals = events_seal(batch_size=2)

    assert [seal.event_count for seal in seals] == [2, 2, 1]
    assert [seal.previous_hash for seal in seals[1:]] == [seal.chain_hash for seal in seals[:-1]]
    assert [seal.after_event_id for seal in seals[1:]] == [
        seal.upto_event_id for seal in seals[:-1]
    ]


def test_sealing_again_seals_only_new_events(world):
    views(world, 2)
    events_seal()
    later = viewed(world)

    seals = events_seal()

    assert [(seal.number, unpack_ids(bytes(seal.event_ids))) for seal in seals] == [(2, [later.pk])]


def test_nothing_new_means_no_seal(world):
    views(world, 1)
    events_seal()

    assert events_seal() == []


def _other_connection():
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    )


@pytest.mark.postgres
def test_an_event_still_being_written_holds_sealing_back(world):
    # Given another connection that has written an event but not committed it (a smaller id)
    with _other_connection() as other:
        insert_raw_event(other.cursor(), occurred_at="2026-11-21T12:00:00Z")
        later = viewed(world)

        # When sealing runs, it does not pass over the unfinished event
        held_back = events_seal(wait_seconds=0.05)

        # And once that transaction has ended, sealing goes ahead
        other.rollback()
        sealed = events_seal(wait_seconds=0.05)

    assert held_back == []
    assert unpack_ids(bytes(sealed[0].event_ids)) == [later.pk]
    assert AuditSeal.objects.count() == 1
