"""The IG officer's report selectors: their own partnership only, by user, person, agency, time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import Action
from audit.selectors import access_counts_by_day, access_events, access_events_for_person
from matching.models import Person
from tests.audit.helpers import viewed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ig_officer(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def _window():
    now = timezone.now()
    return {"since": now - timedelta(days=1), "until": now + timedelta(minutes=1)}


def test_an_ig_officer_sees_who_looked_at_a_person(world, ig_officer):
    # Given a view of the person and a view of someone else
    seen = viewed(world)
    world["person"] = Person.objects.create(partnership=world["partnership"])
    viewed(world)

    # When the IG officer asks who looked at the first person
    found = access_events_for_person(
        requester=ig_officer, person_id=seen.person_ids[0], **_window()
    )

    # Then only that view comes back
    assert [event.pk for event in found] == [seen.pk]


def test_another_partnerships_events_are_never_returned(world, other_world, ig_officer):
    viewed(other_world)
    mine = viewed(world)

    found = access_events(requester=ig_officer, **_window())

    assert [event.pk for event in found] == [mine.pk]


def test_events_by_user_agency_and_action(world, ig_officer):
    event = viewed(world)

    found = access_events(
        requester=ig_officer,
        user_id=world["doctor"].pk,
        agency_id=world["practice"].pk,
        action=Action.PERSON_VIEWED,
        **_window(),
    )

    assert [row.pk for row in found] == [event.pk]


def test_counts_by_day_and_agency(world, ig_officer):
    viewed(world)
    viewed(world)

    rows = list(access_counts_by_day(requester=ig_officer, **_window()))

    assert [(row["agency_name"], row["events"]) for row in rows] == [("Avonshire Surgery", 2)]


def test_only_ig_officers_read_the_log(world):
    with pytest.raises(PermissionDenied, match="Only IG officers"):
        access_events(requester=world["doctor"], **_window())
