"""The review, record and explanation pages: who may see them, and only their own tenant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Link, LinkMethod, LinkStatus, ReviewStatus, ReviewTask
from tests.factories import AgencyFactory, UserFactory
from tests.matching.test_review_decisions import _possible_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(agency):
    return UserFactory(agency=agency, user_types=["ig_officer"])


@pytest.fixture
def outsider(other_partnership):
    return UserFactory(
        agency=AgencyFactory(partnership=other_partnership), user_types=["ig_officer"]
    )


def _pages(task):
    link = Link.objects.get(source_record=task.first_record, status=LinkStatus.ACTIVE)
    return [
        reverse("matching:review-task", args=[task.pk]),
        reverse("matching:record", args=[task.first_record_id]),
        reverse("matching:link-explain", args=[link.pk]),
        reverse("matching:pair-explain", args=[task.first_record_id, task.second_record_id]),
    ]


def test_a_reviewer_sees_the_pair_side_by_side_with_the_explanation(
    partnership, reviewer, signed_in
):
    # Given a possible match
    _possible_match(partnership)
    task = ReviewTask.objects.get()
    client = signed_in(reviewer)

    # When the reviewer opens the queue and the task
    queue = client.get(reverse("matching:review-list"))
    page = client.get(reverse("matching:review-task", args=[task.pk]))

    # Then both records' identifying fields and each field's bits are shown
    assert queue.status_code == 200
    assert reverse("matching:review-task", args=[task.pk]) in queue.content.decode()
    body = page.content.decode()
    assert "Jones" in body
    assert "Smith" in body
    assert "Match weight" in body
    assert "bits" in body


def test_a_decision_posted_by_a_partnership_admin_is_applied(partnership, agency, signed_in):
    # Given a possible match and a partnership admin
    _possible_match(partnership)
    task = ReviewTask.objects.get()
    admin = UserFactory(agency=agency, user_types=["partnership_admin"])

    # When they decide "same person"
    response = signed_in(admin).post(
        reverse("matching:review-task", args=[task.pk]), {"decision": "same", "reason": "Seen."}
    )

    # Then the task is closed and the records are one person
    task.refresh_from_db()
    assert response.status_code == 302
    assert task.status == ReviewStatus.SAME
    people = Link.objects.filter(
        status=LinkStatus.ACTIVE, source_record__in=[task.first_record_id, task.second_record_id]
    ).values_list("person_id", flat=True)
    assert len(set(people)) == 1


def test_an_unlink_without_a_reason_is_refused_with_a_message(partnership, reviewer, signed_in):
    _possible_match(partnership)
    task = ReviewTask.objects.get()

    response = signed_in(reviewer).post(
        reverse("matching:record-unlink", args=[task.first_record_id]), {"reason": ""}
    )

    assert response.status_code == 200
    assert "Enter the reason for this change." in response.content.decode()
    assert not Link.objects.filter(method=LinkMethod.MANUAL).exists()


def test_practitioners_may_not_see_matching_pages(partnership, practitioner, signed_in):
    # Given a possible match
    _possible_match(partnership)
    task = ReviewTask.objects.get()
    client = signed_in(practitioner)

    # When a practitioner asks for any matching page
    statuses = {client.get(url).status_code for url in _pages(task)}
    statuses.add(client.get(reverse("matching:review-list")).status_code)
    posted = client.post(reverse("matching:review-task", args=[task.pk]), {"decision": "same"})

    # Then every page is refused and nothing is decided
    assert statuses == {403}
    assert posted.status_code == 403
    assert ReviewTask.objects.get().status == ReviewStatus.OPEN


def test_another_partnerships_reviewer_gets_not_found(partnership, outsider, signed_in):
    # Given a possible match in our partnership
    _possible_match(partnership)
    task = ReviewTask.objects.get()
    client = signed_in(outsider)

    # When a reviewer of another partnership asks for its pages or decides it
    statuses = {client.get(url).status_code for url in _pages(task)}
    posted = client.post(reverse("matching:review-task", args=[task.pk]), {"decision": "same"})
    queue = client.get(reverse("matching:review-list"))

    # Then nothing is found, nothing is decided, and their queue is empty
    assert statuses == {404}
    assert posted.status_code == 404
    assert ReviewTask.objects.get().status == ReviewStatus.OPEN
    assert "There are no possible matches waiting for review." in queue.content.decode()
