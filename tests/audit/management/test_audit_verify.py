"""`manage.py audit_verify`: exit 0 when intact; otherwise exit 1 naming the first bad event."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.services import checkpoint_create, checkpoint_document, events_seal
from tests.audit.helpers import views
from tests.audit.tamper import bypassing_triggers, raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(world, settings):
    settings.AUDIT_SIGNING_KEY = "a-signing-key-kept-outside-the-database"
    recorded = views(world, 3)
    events_seal()
    return recorded


def test_an_intact_log_exits_zero(sealed):
    out = StringIO()

    call_command("audit_verify", stdout=out)

    assert "The access log is intact: 1 seals, 3 sealed events" in out.getvalue()


def test_an_altered_log_exits_one_naming_the_event(sealed):
    # Given an event edited past the triggers
    with bypassing_triggers():
        raw("UPDATE audit_accessevent SET username = 'x' WHERE id = %s", [sealed[2].pk])

    # When verified, then the command fails with exit status 1, naming it
    with pytest.raises(CommandError, match=f"First: Event {sealed[2].pk} was altered") as failure:
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())
    assert failure.value.returncode == 1


def test_a_checkpoint_file_catches_tail_truncation(sealed, world, tmp_path):
    # Given an exported checkpoint after more events
    later = views(world, 2)
    events_seal()
    exported = tmp_path / "checkpoint.json"
    exported.write_text(json.dumps(checkpoint_document(checkpoint=checkpoint_create(force=True))))

    # When the newest events, their seal and the checkpoint row are removed
    with bypassing_triggers():
        raw("DELETE FROM audit_accessevent WHERE id >= %s", [later[0].pk])
        raw("DELETE FROM audit_seal WHERE number = 2")
        raw("DELETE FROM audit_checkpoint")

    # Then verifying against the file fails, saying the end was removed
    with pytest.raises(CommandError, match="the end of the log was removed"):
        call_command(
            "audit_verify", "--checkpoint", str(exported), stdout=StringIO(), stderr=StringIO()
        )


def test_the_exported_file_is_what_audit_checkpoint_export_writes(sealed, tmp_path):
    exported = tmp_path / "checkpoint.json"

    call_command("audit_checkpoint_export", "--create", "--out", str(exported), stdout=StringIO())

    out = StringIO()
    call_command("audit_verify", "--checkpoint", str(exported), stdout=out)
    assert "intact" in out.getvalue()
