"""Verification names the first altered, inserted or missing event, and catches a rewritten or
truncated log against an exported checkpoint, even after the chain itself was recomputed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from audit.models import AccessEvent, AuditCheckpoint, AuditSeal
from audit.sealing import signing_key
from audit.selectors import chain_verify
from audit.services import checkpoint_create, checkpoint_document, events_seal
from tests.audit.helpers import insert_raw_event, views
from tests.audit.tamper import bypassing_triggers, raw

pytestmark = pytest.mark.django_db

KEY = "a-signing-key-kept-outside-the-database"


@pytest.fixture
def sealed_log(world, settings):
    """Five sealed events in two seals, with a signed checkpoint of the head exported."""
    settings.AUDIT_SIGNING_KEY = KEY
    recorded = views(world, 3)
    events_seal()
    recorded += views(world, 2)
    events_seal()
    document = checkpoint_document(checkpoint=checkpoint_create(force=True))
    return {"events": recorded, "document": document}


def _verify(document=None):
    return chain_verify(key=signing_key(), checkpoint=document)


def _first(report):
    problem = report.problems[0]
    return (problem.kind, problem.event_id)


def test_an_untouched_log_is_intact(sealed_log):
    report = _verify(sealed_log["document"])

    assert report.intact
    assert (report.seals, report.events, report.checkpoints, report.unsealed) == (2, 5, 1, 0)


def test_an_altered_event_is_named(sealed_log):
    # Given an administrator who edits an event past the triggers
    target = sealed_log["events"][1]
    with bypassing_triggers():
        raw(
            "UPDATE audit_accessevent SET justification = 'nothing to see' WHERE id = %s",
            [target.pk],
        )

    # When the log is verified, then that event is the first problem
    report = _verify()
    assert _first(report) == ("altered", target.pk)
    assert f"Event {target.pk} was altered" in report.problems[0].message


def test_a_removed_event_is_named(sealed_log):
    target = sealed_log["events"][3]
    with bypassing_triggers():
        raw("DELETE FROM audit_accessevent WHERE id = %s", [target.pk])

    assert _first(_verify()) == ("missing", target.pk)


def test_an_event_inserted_into_sealed_history_is_named(world):
    # Given events 1-3 where 2 vanished before sealing (a rolled-back write leaves such a gap)
    _, second, _ = views(world, 3)
    with bypassing_triggers():
        raw("DELETE FROM audit_accessevent WHERE id = %s", [second.pk])
    events_seal()

    # When an administrator later inserts an event into that gap
    with connection.cursor() as cursor:
        insert_raw_event(cursor, occurred_at="2026-11-21T12:00:00Z", event_id=second.pk)

    # Then it is named as inserted
    assert _first(_verify()) == ("inserted", second.pk)


def test_a_removed_seal_breaks_the_chain(sealed_log):
    with bypassing_triggers():
        raw("DELETE FROM audit_seal WHERE number = 1")

    report = _verify()

    assert [problem.kind for problem in report.problems][:1] == ["seal"]
    assert "Seal 1 is missing" in report.problems[0].message


def test_a_truncated_tail_is_caught_only_against_an_exported_checkpoint(sealed_log):
    # Given an administrator who removes the last seal, its events and the stored checkpoint
    last_two = [event.pk for event in sealed_log["events"][3:]]
    with bypassing_triggers():
        AccessEvent.objects.filter(pk__in=last_two).delete()
        AuditSeal.objects.filter(number=2).delete()
        AuditCheckpoint.objects.all().delete()

    # When the log is verified alone, and against the exported checkpoint
    alone = _verify()
    against_export = _verify(sealed_log["document"])

    # Then only the exported checkpoint shows that the end was cut off
    assert alone.intact
    assert _first(against_export) == ("truncated", None)
    assert "the end of the log was removed" in against_export.problems[0].message


def test_a_recomputed_chain_is_caught_against_an_exported_checkpoint(sealed_log):
    # Given an administrator who alters an event, then throws the seals away and seals again
    with bypassing_triggers():
        raw(
            "UPDATE audit_accessevent SET username = 'someone-else' WHERE id = %s",
            [sealed_log["events"][0].pk],
        )
        AuditCheckpoint.objects.all().delete()
        AuditSeal.objects.all().delete()
    events_seal()

    # When the log is verified against the exported checkpoint, the rewrite shows
    report = _verify(sealed_log["document"])
    assert [problem.kind for problem in report.problems] == ["checkpoint"]
    assert "was rewritten" in report.problems[0].message


def test_a_forged_checkpoint_document_is_refused(sealed_log):
    forged = {**sealed_log["document"], "signature": "0" * 64}

    report = _verify(forged)

    assert "not signed with this installation's key" in report.problems[0].message


def test_a_checkpoint_changed_in_the_database_is_caught_by_its_signature(sealed_log):
    with bypassing_triggers():
        raw("UPDATE audit_checkpoint SET event_total = 4")

    report = _verify()

    assert any("a signature that does not match" in problem.message for problem in report.problems)


def test_unsealed_events_are_counted_not_failed(sealed_log, world):
    views(world, 2)

    report = _verify()

    assert (report.intact, report.unsealed) == (True, 2)


def test_old_unsealed_events_get_a_note(world):
    views(world, 1)

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        report = _verify()

    assert report.intact
    assert "is the sealing job" in report.notes[0]
