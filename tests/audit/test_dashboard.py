"""The IG dashboard: the events an IG officer oversees over time, by agency, purpose and action,
break-glass uses, the busiest users and open alerts, as charts with tables; filtered; listed page
by page; looking is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit import events
from audit.models import AccessEvent, Action
from audit.selectors import DashboardFilters, dashboard_figures
from tests.audit.helpers import viewed, views
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit:dashboard")


@pytest.fixture
def ig_officer(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def _today_only():
    today = timezone.localdate()
    return DashboardFilters(since=today - timedelta(days=2), until=today)


def _break_glass(world):
    return events.record_break_glass(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        justification="Found unconscious at home",
        disclosures=[world["disclosure"]],
    )


def test_the_figures_count_events_by_day_agency_purpose_and_action(world, ig_officer):
    # Given two views and a break-glass use by the GP today
    views(world, 2)
    _break_glass(world)

    # When the council's IG officer reads the figures for the last three days
    figures = dashboard_figures(requester=ig_officer, filters=_today_only())

    # Then each breakdown has today's counts, the busiest user, and nothing else
    assert figures.by_agency.series == [("Avonshire Surgery", (0, 0, 3))]
    assert figures.by_purpose.series == [("Direct care", (0, 0, 3))]
    assert figures.by_action.series == [
        ("Person viewed", (0, 0, 2)),
        ("Break-glass access", (0, 0, 1)),
    ]
    assert figures.break_glass.series == [("Break-glass access", (0, 0, 1))]
    assert [(row.username, row.events) for row in figures.top_users] == [("ghopper-Avonshire", 3)]
    assert figures.events.count() == 3


def test_the_filters_narrow_every_figure(world, ig_officer):
    # Given two views and a break-glass use
    views(world, 2)
    glass = _break_glass(world)

    # When the officer filters to break-glass uses
    today = timezone.localdate()
    figures = dashboard_figures(
        requester=ig_officer,
        filters=DashboardFilters(since=today, until=today, action=Action.BREAK_GLASS),
    )

    # Then only that use is counted
    assert list(figures.events) == [glass]
    assert figures.by_agency.series == [("Avonshire Surgery", (1,))]


def test_the_number_of_queries_does_not_grow_with_the_events(world, ig_officer):
    # Given one view, the queries to read the figures are counted (the officer's user types are
    # read once and kept, so a first read warms them)
    viewed(world)
    dashboard_figures(requester=ig_officer, filters=_today_only())
    with CaptureQueriesContext(connection) as few:
        figures = dashboard_figures(requester=ig_officer, filters=_today_only())
        list(figures.events[:50])

    # When many more events by other users, agencies and purposes are added
    views(world, 20)
    _break_glass(world)
    for name in ("Ada", "Alan", "Edsger"):
        world["doctor"] = UserFactory(
            agency=world["practice"], role_id=world["gp"].pk, username=name
        )
        views(world, 3)
    with CaptureQueriesContext(connection) as many:
        figures = dashboard_figures(requester=ig_officer, filters=_today_only())
        list(figures.events[:50])

    # Then the same number of queries reads them
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_ig_officer_sees_the_dashboard_and_the_look_is_recorded(signed_in, world, ig_officer):
    event = viewed(world)

    page = signed_in(ig_officer).get(URL)

    content = page.content.decode()
    assert page.status_code == 200
    assert "1 event from" in content
    assert 'src="data:image/svg+xml;base64,' in content
    assert "Events per day by agency" in content
    assert reverse("audit:event-detail", args=[event.pk]) in content
    looked = AccessEvent.objects.get(action=Action.REPORT_VIEWED, user_id=ig_officer.pk)
    assert (looked.detail["report"], looked.result_count) == ("dashboard", 1)


def test_the_charts_are_images_so_the_page_has_no_inline_styles(signed_in, world, ig_officer):
    viewed(world)

    content = signed_in(ig_officer).get(URL).content.decode()

    assert "<svg" not in content
    assert "<style" not in content
    assert " style=" not in content


def test_the_filters_are_applied_from_the_form(signed_in, world, ig_officer):
    viewed(world)
    _break_glass(world)

    page = signed_in(ig_officer).get(URL, {"action": Action.BREAK_GLASS})

    assert "1 event from" in page.content.decode()
    looked = AccessEvent.objects.get(action=Action.REPORT_VIEWED)
    assert looked.detail["parameters"]["action"] == Action.BREAK_GLASS


def test_the_events_are_listed_page_by_page(signed_in, world, ig_officer):
    views(world, 51)

    page = signed_in(ig_officer).get(URL, {"page": "2"})

    content = page.content.decode()
    oldest = AccessEvent.objects.filter(action=Action.PERSON_VIEWED).order_by("id").first()
    assert "Page 2 of 2." in content
    assert reverse("audit:event-detail", args=[oldest.pk]) in content


def test_a_period_ending_before_it_starts_is_explained(signed_in, world, ig_officer):
    today = timezone.localdate()
    query = {
        "since-day": str(today.day),
        "since-month": str(today.month),
        "since-year": str(today.year),
        "until-day": "1",
        "until-month": "1",
        "until-year": str(today.year - 1),
    }

    page = signed_in(ig_officer).get(URL, query)

    assert page.status_code == 400
    assert "The end date must be the same as or after the start date." in page.content.decode()


def test_a_practitioner_cannot_open_the_dashboard(signed_in, world):
    page = signed_in(world["doctor"]).get(URL)

    assert page.status_code == 403


def test_another_partnerships_events_are_not_shown(signed_in, world, other_world, ig_officer):
    viewed(other_world)

    page = signed_in(ig_officer).get(URL)

    content = page.content.decode()
    assert "0 events from" in content
    assert "ghopper-Elsewhere" not in content


def test_nothing_is_shown_when_the_look_cannot_be_recorded(
    signed_in, world, ig_officer, monkeypatch
):
    viewed(world)
    client = signed_in(ig_officer)

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(events, "_insert", refuse)
    page = client.get(URL)

    assert page.status_code == 503
    assert "Grace Hopper" not in page.content.decode()
