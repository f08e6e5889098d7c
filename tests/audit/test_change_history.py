"""Configuration changes go to django-auditlog's change history, never to the access log."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from audit.models import AccessEvent
from governance.models import RestrictionKind
from governance.services import grant_suspend, restriction_create, restriction_lift
from tests.factories import UserFactory, custodian_of

pytestmark = pytest.mark.django_db


def _changes(instance):
    return LogEntry.objects.get_for_object(instance).filter(action=LogEntry.Action.UPDATE)


def test_configuration_changes_are_in_the_change_history_and_not_the_access_log(world):
    # Given a partnership's grant, role, purpose, user and a restriction
    version, role, purpose, doctor = (
        world["version"],
        world["gp"],
        world["direct_care"],
        world["doctor"],
    )
    ig_officer = UserFactory(agency=world["council"], user_types=["ig_officer"])
    restriction = restriction_create(
        user=ig_officer,
        dataset=world["dataset"],
        source_key="ASC-1",
        kind=RestrictionKind.OBJECTION,
        reason="The person objected in writing.",
    )

    # When each is changed
    grant_suspend(version=version, custodian=custodian_of(world["dataset"]), reason="Review.")
    role.name = "General practitioner"
    role.save()
    purpose.requires_justification = True
    purpose.save()
    doctor.job_title = "Salaried GP"
    doctor.save()
    restriction_lift(user=ig_officer, restriction=restriction, reason="Objection withdrawn.")

    # Then every change is in the change history, and none is an access event
    assert all(
        _changes(instance).exists() for instance in (version, role, purpose, doctor, restriction)
    )
    assert _changes(version).first().changes_dict["status"] == ["approved", "suspended"]
    assert AccessEvent.objects.count() == 0
