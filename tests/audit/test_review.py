"""Reviewing alerts: IG officers flag, ask the user, escalate and close; the user answers; each
step is appended (never changed) and recorded in the access log."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from audit import events, services
from audit.alerts import alert_break_glass
from audit.models import AccessEvent, Action, AlertReview, AlertStatus, ReviewOutcome
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(world):
    event = events.record_break_glass(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        justification="Unconscious in A&E",
        disclosures=[world["disclosure"]],
    )
    return alert_break_glass(event_id=event.pk)


@pytest.fixture
def council_ig(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def test_closing_records_the_outcome_and_a_review_decision(alert, council_ig):
    review = services.alert_close(
        reviewer=council_ig,
        alert_id=alert.pk,
        outcome=ReviewOutcome.NO_CONCERN,
        note="Emergency care.",
    )

    decision = AccessEvent.objects.get(pk=review.event_id)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert (decision.action, decision.detail["alert_id"], decision.detail["decision"]) == (
        Action.REVIEW_DECISION,
        alert.pk,
        "closed:no_concern",
    )


def test_a_closed_alert_takes_no_more_steps(alert, council_ig):
    services.alert_close(
        reviewer=council_ig, alert_id=alert.pk, outcome=ReviewOutcome.NO_CONCERN, note=""
    )

    with pytest.raises(ValidationError):
        services.alert_flag(reviewer=council_ig, alert_id=alert.pk, note="Again")


def test_asking_for_a_reason_emails_the_user_and_their_answer_is_kept(
    world, alert, council_ig, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_reason_request(
            reviewer=council_ig, alert_id=alert.pk, question="Why was this an emergency?"
        )

    services.alert_reason_give(user=world["doctor"], alert_id=alert.pk, reason="Cardiac arrest.")

    (message,) = mailoutbox
    alert.refresh_from_db()
    assert message.to == [world["doctor"].email]
    assert f"/audit/alerts/{alert.pk}/answer/" in message.body
    assert alert.status == AlertStatus.REASON_GIVEN
    assert list(alert.reviews.values_list("kind", "note")) == [
        ("reason_requested", "Why was this an emergency?"),
        ("reason_given", "Cardiac arrest."),
    ]


def test_escalating_needs_a_reason(alert, council_ig):
    with pytest.raises(ValidationError):
        services.alert_escalate(reviewer=council_ig, alert_id=alert.pk, note=" ")


def test_reviews_cannot_be_changed_or_removed(alert, council_ig):
    review = services.alert_flag(reviewer=council_ig, alert_id=alert.pk, note="Look closer")

    with pytest.raises(DatabaseError), transaction.atomic():
        AlertReview.objects.filter(pk=review.pk).update(note="Nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        AlertReview.objects.filter(pk=review.pk).delete()


# The pages ---------------------------------------------------------------------------------------


def test_the_queue_lists_the_alert_for_the_data_owners_ig_officer(signed_in, alert, council_ig):
    page = signed_in(council_ig).get(reverse("audit:alert-queue"))

    assert page.status_code == 200
    assert reverse("audit:alert-detail", args=[alert.pk]) in page.content.decode()


def test_a_practitioner_cannot_open_the_queue(signed_in, world):
    page = signed_in(world["doctor"]).get(reverse("audit:alert-queue"))

    assert page.status_code == 403


def test_an_ig_officer_closes_an_alert_on_its_page(signed_in, alert, council_ig):
    client = signed_in(council_ig)

    response = client.post(
        reverse("audit:alert-detail", args=[alert.pk]),
        {"decision": "close", "outcome": ReviewOutcome.ADVICE_GIVEN, "note": "Spoke to them."},
    )

    alert.refresh_from_db()
    assert response.status_code == 302
    assert alert.status == AlertStatus.CLOSED


def test_closing_without_an_outcome_is_explained(signed_in, alert, council_ig):
    response = signed_in(council_ig).post(
        reverse("audit:alert-detail", args=[alert.pk]), {"decision": "close"}
    )

    assert response.status_code == 400
    assert "Choose the outcome of the review." in response.content.decode()


def test_opening_an_alert_is_recorded(signed_in, alert, council_ig):
    signed_in(council_ig).get(reverse("audit:alert-detail", args=[alert.pk]))

    looked = AccessEvent.objects.get(action=Action.REPORT_VIEWED, user_id=council_ig.pk)
    assert looked.detail["parameters"] == {"alert": alert.pk}


def test_a_practitioner_cannot_open_an_alert(signed_in, world, alert):
    page = signed_in(world["doctor"]).get(reverse("audit:alert-detail", args=[alert.pk]))

    assert page.status_code == 403


def test_another_partnerships_ig_officer_cannot_see_the_alert(signed_in, alert, other_world):
    outsider = UserFactory(agency=other_world["council"], user_types=["ig_officer"])

    page = signed_in(outsider).get(reverse("audit:alert-detail", args=[alert.pk]))

    assert page.status_code == 404


def test_an_uninvolved_agencys_ig_officer_cannot_see_the_alert(signed_in, world, alert):
    bystander = UserFactory(
        agency=AgencyFactory(partnership=world["partnership"]), user_types=["ig_officer"]
    )

    page = signed_in(bystander).get(reverse("audit:alert-detail", args=[alert.pk]))

    assert page.status_code == 404


def test_the_user_answers_on_the_answer_page(signed_in, world, alert, council_ig):
    services.alert_reason_request(reviewer=council_ig, alert_id=alert.pk, question="Why?")

    response = signed_in(world["doctor"]).post(
        reverse("audit:alert-answer", args=[alert.pk]), {"reason": "Cardiac arrest."}
    )

    assert response.status_code == 302
    assert alert.reviews.get(kind="reason_given").note == "Cardiac arrest."


def test_only_the_user_asked_can_open_the_answer_page(signed_in, world, alert, council_ig):
    services.alert_reason_request(reviewer=council_ig, alert_id=alert.pk, question="Why?")
    colleague = UserFactory(agency=world["practice"], user_types=["practitioner"])

    page = signed_in(colleague).get(reverse("audit:alert-answer", args=[alert.pk]))

    assert page.status_code == 404


def test_another_partnerships_user_cannot_open_the_answer_page(
    signed_in, alert, council_ig, other_world
):
    services.alert_reason_request(reviewer=council_ig, alert_id=alert.pk, question="Why?")

    page = signed_in(other_world["doctor"]).get(reverse("audit:alert-answer", args=[alert.pk]))

    assert page.status_code == 404


def test_the_events_behind_an_alert_open_for_its_reviewer(signed_in, alert, council_ig):
    page = signed_in(council_ig).get(reverse("audit:event-detail", args=[alert.event_ids[0]]))

    assert page.status_code == 200
    assert "Unconscious in A&amp;E" in page.content.decode()


def test_a_practitioner_cannot_open_an_event(signed_in, world, alert):
    page = signed_in(world["doctor"]).get(reverse("audit:event-detail", args=[alert.event_ids[0]]))

    assert page.status_code == 403


def test_another_partnerships_event_is_not_found(signed_in, alert, other_world):
    outsider = UserFactory(agency=other_world["council"], user_types=["ig_officer"])

    page = signed_in(outsider).get(reverse("audit:event-detail", args=[alert.event_ids[0]]))

    assert page.status_code == 404


def test_review_times_are_aware(alert, council_ig):
    review = services.alert_flag(reviewer=council_ig, alert_id=alert.pk, note="")

    assert timezone.is_aware(review.created_at)
