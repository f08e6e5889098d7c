"""Checkpoints: the chain head, signed with a key kept outside the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditCheckpoint
from audit.sealing import checkpoint_signature_valid, signing_key
from audit.services import checkpoint_create, checkpoint_document, events_seal
from tests.audit.helpers import views

pytestmark = pytest.mark.django_db

KEY = "k" * 40


def test_a_checkpoint_is_signed_with_the_configured_key(world, settings):
    # Given a signing key and sealed events
    settings.AUDIT_SIGNING_KEY = KEY
    views(world, 2)
    seal = events_seal()[0]

    # When a checkpoint is made
    checkpoint = checkpoint_create(force=True)

    # Then it records the head and its signature checks out with the key
    document = checkpoint_document(checkpoint=checkpoint)
    assert (checkpoint.seal_number, checkpoint.chain_hash, checkpoint.event_total) == (
        seal.number,
        seal.chain_hash,
        2,
    )
    assert checkpoint_signature_valid(document["payload"], checkpoint.signature, signing_key())


def test_without_a_key_checkpoints_are_unsigned(world, settings):
    settings.AUDIT_SIGNING_KEY = ""
    views(world, 1)
    events_seal()

    checkpoint = checkpoint_create(force=True)

    assert (checkpoint.key_id, checkpoint.signature) == ("", "")


def test_the_key_can_come_from_a_file(settings, tmp_path):
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_FILE = str(key_file)

    assert signing_key().secret == KEY.encode()


def test_checkpoints_come_at_most_once_an_interval_and_count_every_event(world, settings):
    # Given a checkpoint after two events
    settings.AUDIT_CHECKPOINT_INTERVAL = timedelta(minutes=60)
    views(world, 2)
    events_seal()
    first = checkpoint_create()

    # When more events are sealed within the hour, and again after it
    views(world, 3)
    events_seal()
    too_soon = checkpoint_create()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        due = checkpoint_create()

    # Then only the due one is made, counting all five events
    assert too_soon is None
    assert (first.event_total, due.event_total) == (2, 5)
    assert AuditCheckpoint.objects.count() == 2


def test_no_second_checkpoint_for_the_same_seal(world):
    views(world, 1)
    events_seal()
    checkpoint_create(force=True)

    assert checkpoint_create(force=True) is None
