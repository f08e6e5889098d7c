"""The minutely job seals new events and checkpoints when due."""

from __future__ import annotations

import pytest

from audit.tasks import audit_seal_task
from tests.audit.helpers import views

pytestmark = pytest.mark.django_db


def test_the_task_seals_new_events_and_checkpoints(world, settings):
    settings.AUDIT_SIGNING_KEY = "a-signing-key-kept-outside-the-database"
    views(world, 2)

    done = audit_seal_task.delay().get()

    assert (done["seals"], done["events_sealed"], done["checkpoint"]) == (1, 2, 1)
