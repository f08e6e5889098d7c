"""Raising alerts over the access log: each rule over real events, raised once, and the IG
officers of the agencies involved told without naming anyone."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agencies.models import SourceRecord
from audit import events
from audit.alerts import alert_break_glass, alerts_raise
from audit.models import Alert, AlertRule, SensitivePerson
from governance.models import Restriction, RestrictionKind
from matching.models import Link, LinkMethod
from tests.audit.helpers import viewed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A Wednesday, in working hours and out of them (Europe/London).
LONDON = ZoneInfo("Europe/London")
IN_HOURS = datetime(2025, 3, 5, 10, 0, tzinfo=LONDON)
LATE = datetime(2025, 3, 5, 22, 30, tzinfo=LONDON)


@pytest.fixture
def council_ig(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def _recorded_at(moment):
    return mock.patch("audit.events.timezone.now", return_value=moment)


def _known_as(world, given, family, *, key="R1"):
    record = SourceRecord.objects.create(
        dataset=world["dataset"], source_key=key, given_name=given, family_name=family
    )
    Link.objects.create(source_record=record, person=world["person"], method=LinkMethod.EXACT)
    return record


def _raise(moment=IN_HOURS):
    return alerts_raise(since=moment - timedelta(minutes=5), now=moment + timedelta(minutes=1))


def _rules(raised):
    return sorted(alert.rule for alert in raised)


def test_viewing_someone_with_ones_own_name_raises_a_self_look_up(world):
    _known_as(world, "Grace", "Hopper")
    with _recorded_at(IN_HOURS):
        viewed(world)

    raised = _raise()

    assert _rules(raised) == [AlertRule.SELF_LOOKUP]


def test_viewing_someone_with_ones_surname_raises_a_same_surname(world):
    _known_as(world, "Anne", "Hopper")
    with _recorded_at(IN_HOURS):
        viewed(world)

    assert _rules(_raise()) == [AlertRule.SAME_SURNAME]


def test_viewing_a_colleague_raises_a_colleague_alert(world):
    UserFactory(agency=world["council"], first_name="Ada", last_name="Lovelace")
    _known_as(world, "Ada", "Lovelace")
    with _recorded_at(IN_HOURS):
        viewed(world)

    assert _rules(_raise()) == [AlertRule.COLLEAGUE]


def test_viewing_a_person_marked_sensitive_raises_an_alert(world, council_ig):
    SensitivePerson.objects.create(
        partnership=world["partnership"],
        person=world["person"],
        reason="Public figure",
        set_by=council_ig,
        set_at=timezone.now(),
    )
    with _recorded_at(IN_HOURS):
        viewed(world)

    assert _rules(_raise()) == [AlertRule.SENSITIVE]


def test_viewing_a_person_with_a_sealed_record_raises_an_alert(world, council_ig):
    _known_as(world, "Sam", "Smith", key="S1")
    Restriction.objects.create(
        dataset=world["dataset"],
        source_key="S1",
        kind=RestrictionKind.SEALED,
        reason="Witness protection",
        created_by=council_ig,
    )
    with _recorded_at(IN_HOURS):
        viewed(world)

    assert _rules(_raise()) == [AlertRule.SENSITIVE]


def test_a_late_evening_use_raises_one_out_of_hours_alert_per_day(world):
    with _recorded_at(LATE):
        viewed(world)
        viewed(world)

    raised = _raise(LATE)

    assert _rules(raised) == [AlertRule.OUT_OF_HOURS]


def test_searches_with_nobody_viewed_raise_a_fishing_alert(world, settings):
    settings.ALERT_FISHING_SEARCHES = 3
    with _recorded_at(IN_HOURS):
        for surname in ("Jones", "Smith", "Patel"):
            events.record_search(
                user=world["doctor"],
                purpose=world["direct_care"],
                terms={"family_name": surname},
                result_count=2,
            )

    assert _rules(_raise()) == [AlertRule.FISHING]


def test_repeated_denials_raise_an_alert(world, settings):
    settings.ALERT_DENIALS = 3
    with _recorded_at(IN_HOURS):
        for _ in range(3):
            events.record_denied(
                user=world["doctor"],
                purpose=world["direct_care"],
                attempted="person_viewed",
                reason="No grant",
            )

    assert _rules(_raise()) == [AlertRule.REPEATED_DENIALS]


def test_far_more_views_than_usual_raise_a_volume_spike(world, settings):
    settings.ALERT_VOLUME_MINIMUM = 4
    with _recorded_at(IN_HOURS):
        for _ in range(4):
            viewed(world)

    assert _rules(_raise()) == [AlertRule.VOLUME_SPIKE]


def test_every_break_glass_use_raises_an_alert_at_once(world):
    event = events.record_break_glass(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        justification="Unconscious in A&E",
    )

    alert = alert_break_glass(event_id=event.pk)

    assert (alert.rule, alert.event_ids) == (AlertRule.BREAK_GLASS, [event.pk])


def test_raising_again_raises_nothing_new(world):
    _known_as(world, "Grace", "Hopper")
    with _recorded_at(IN_HOURS):
        viewed(world)
    _raise()

    again = _raise()

    assert (again, Alert.objects.count()) == ([], 1)


def test_the_users_agency_and_the_data_owner_review_the_alert(world):
    _known_as(world, "Grace", "Hopper")
    with _recorded_at(IN_HOURS):
        viewed(world)

    (alert,) = _raise()

    assert set(alert.agencies.values_list("pk", flat=True)) == {
        world["practice"].pk,
        world["council"].pk,
    }


def test_the_email_names_no_person(
    world, council_ig, mailoutbox, django_capture_on_commit_callbacks
):
    _known_as(world, "Grace", "Hopper")
    with _recorded_at(IN_HOURS):
        viewed(world)

    with django_capture_on_commit_callbacks(execute=True):
        (alert,) = _raise()

    (message,) = mailoutbox
    assert message.bcc == [council_ig.email]
    assert "Looked up someone with their own name" in message.subject
    assert f"/audit/alerts/{alert.pk}/" in message.body
    assert str(world["person"].public_id) not in message.subject + message.body
    assert "Hopper" not in message.subject + message.body
