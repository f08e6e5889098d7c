"""Automatic expiry: the daily task ends every version in force past its valid-until date, and the
policy stops using it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.db import OperationalError

from agencies.models import OrganisationType, Sensitivity
from governance import policy
from governance.models import GrantStatus
from governance.services import grant_suspend
from governance.tasks import grant_reminders_task, grants_expire_task
from singleview.celery import app
from tests.factories import (
    AgencyFactory,
    PartnershipFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    custodian_of,
    dataset_with_fields,
    grant_in_force,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 6, 1)
VALID_UNTIL = date(2026, 6, 30)


def _at(day):
    return datetime(day.year, day.month, day.day, 3, tzinfo=LONDON)


@pytest.fixture
def world():
    with time_machine.travel(_at(TODAY), tick=False):
        partnership = PartnershipFactory()
        council = AgencyFactory(partnership=partnership)
        practice = AgencyFactory(
            partnership=partnership,
            organisation_type=OrganisationType.objects.get(code="gp_practice"),
        )
        dataset = dataset_with_fields(agency=council, fields={"name": Sensitivity.NONE})
        gp = RoleFactory(partnership=partnership, name="GP")
        purpose = PurposeFactory(partnership=partnership)
        custodian = custodian_of(dataset)
        version = grant_in_force(
            dataset=dataset,
            role=gp,
            organisation_type=practice.organisation_type,
            purpose=purpose,
            custodian=custodian,
            field_names=["name"],
            valid_until=VALID_UNTIL,
            review_date=TODAY,
        )
        return {
            "dataset": dataset,
            "purpose": purpose,
            "custodian": custodian,
            "version": version,
            "doctor": UserFactory(agency=practice, role_id=gp.pk),
        }


def test_version_past_valid_until_expires_when_the_task_runs(world):
    # Given an approved version whose last valid day has passed
    version = world["version"]

    # When the daily task runs the day after
    with time_machine.travel(_at(VALID_UNTIL + timedelta(days=1)), tick=False):
        expired = grants_expire_task()
        current = policy.snapshot(user=world["doctor"], purpose=world["purpose"])

    # Then the version is expired and the policy no longer returns it, even on a day it covered
    version.refresh_from_db()
    assert expired == 1
    assert version.status == GrantStatus.EXPIRED
    assert version.ended_at is not None
    assert current.dataset_ids == frozenset()
    assert (
        policy.snapshot(user=world["doctor"], purpose=world["purpose"], at=VALID_UNTIL).dataset_ids
        == frozenset()
    )


def test_version_stays_in_force_on_its_last_valid_day(world):
    # Given an approved version on its last valid day
    version = world["version"]

    # When the daily task runs that day
    with time_machine.travel(_at(VALID_UNTIL), tick=False):
        expired = grants_expire_task()
        current = policy.snapshot(user=world["doctor"], purpose=world["purpose"])

    # Then it is still approved and still used
    version.refresh_from_db()
    assert expired == 0
    assert version.status == GrantStatus.APPROVED
    assert current.dataset_ids == frozenset({world["dataset"].pk})


def test_suspended_version_past_valid_until_expires_too(world):
    # Given a suspended version whose last valid day has passed
    with time_machine.travel(_at(TODAY), tick=False):
        grant_suspend(
            version=world["version"], custodian=world["custodian"], reason="Data breach review."
        )

    # When the daily task runs
    with time_machine.travel(_at(VALID_UNTIL + timedelta(days=1)), tick=False):
        grants_expire_task()

    # Then it is expired, so it can never be reinstated
    world["version"].refresh_from_db()
    assert world["version"].status == GrantStatus.EXPIRED


def test_expiry_and_reminders_run_daily_at_the_configured_hour():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["governance-grants-expire"]["task"] == grants_expire_task.name
    assert schedule["governance-grant-reminders"]["task"] == grant_reminders_task.name
    assert schedule["governance-grants-expire"]["schedule"] == crontab(hour=2, minute=0)
    assert schedule["governance-grant-reminders"]["schedule"] == crontab(hour=2, minute=15)
    assert grants_expire_task.name in app.tasks
    assert grant_reminders_task.name in app.tasks


def test_tasks_retry_when_the_database_or_mail_server_is_unreachable():
    assert OperationalError in grants_expire_task.autoretry_for
    assert OperationalError in grant_reminders_task.autoretry_for
    assert OSError in grant_reminders_task.autoretry_for
    assert grants_expire_task.retry_backoff is True
    assert grant_reminders_task.retry_backoff is True
