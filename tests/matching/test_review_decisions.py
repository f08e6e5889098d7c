"""Clerical review and manual links: decisions kept as MatchDecision rows, honoured by runs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from matching.models import (
    DecisionKind,
    Link,
    LinkMethod,
    LinkStatus,
    MatchDecision,
    ReviewStatus,
    ReviewTask,
)
from matching.services import (
    matching_run_full,
    record_link_manual,
    record_unlink,
    review_task_decide,
)
from tests.factories import UserFactory
from tests.matching.test_services_persons import _crowd, _dataset, _person_of, _record

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(agency):
    return UserFactory(agency=agency, user_types=["ig_officer"])


def _possible_match(partnership):
    """A married name at a new address: a pair in the review band."""
    _crowd(partnership)
    dataset = _dataset(partnership)
    first = _record(dataset, "A", 0)
    second = _record(dataset, "B", 0, family_name="Jones", postcode="LS7 1AA", address="")
    matching_run_full(partnership_id=partnership.pk)
    return first, second


def test_a_run_raises_one_review_task_per_possible_match(partnership):
    # Given a possible match found by a run
    first, second = _possible_match(partnership)

    # When the partnership is matched again
    matching_run_full(partnership_id=partnership.pk)

    # Then there is one open task for the pair, and the records are apart
    task = ReviewTask.objects.get(first_record=first, second_record=second)
    assert task.status == ReviewStatus.OPEN
    assert ReviewTask.objects.filter(partnership=partnership).count() == 1
    assert _person_of(first) != _person_of(second)


def test_a_same_person_decision_survives_a_rerun(partnership, reviewer):
    # Given a possible match decided "same person"
    first, second = _possible_match(partnership)
    task = ReviewTask.objects.get(first_record=first, second_record=second)
    review_task_decide(user=reviewer, task_id=task.pk, decision="same", reason="Married in 2020.")

    # When the partnership is matched again, refitting the model
    matching_run_full(partnership_id=partnership.pk)

    # Then the two records are one person, linked by the reviewer
    assert _person_of(first) == _person_of(second)
    moved = Link.objects.filter(status=LinkStatus.ACTIVE, method=LinkMethod.MANUAL).get()
    assert moved.created_by == reviewer
    assert MatchDecision.objects.get().decision == DecisionKind.SAME
    task.refresh_from_db()
    assert task.status == ReviewStatus.SAME


def test_a_different_person_decision_survives_a_rerun(partnership, reviewer):
    # Given a possible match decided "not the same person"
    first, second = _possible_match(partnership)
    task = ReviewTask.objects.get(first_record=first, second_record=second)
    review_task_decide(user=reviewer, task_id=task.pk, decision="different", reason="")

    # When the partnership is matched again
    matching_run_full(partnership_id=partnership.pk)

    # Then they stay apart and no new task asks about them again
    assert _person_of(first) != _person_of(second)
    assert ReviewTask.objects.filter(partnership=partnership).count() == 1


def test_a_manual_unlink_survives_a_rerun(partnership, reviewer):
    # Given two records of one person, one of them unlinked by hand
    _crowd(partnership)
    dataset = _dataset(partnership)
    first, second = _record(dataset, "A", 0), _record(dataset, "B", 0, address="")
    matching_run_full(partnership_id=partnership.pk)
    assert _person_of(first) == _person_of(second)
    link = record_unlink(user=reviewer, record_id=second.pk, reason="Twin, confirmed by GP.")

    # When the partnership is matched again
    matching_run_full(partnership_id=partnership.pk)

    # Then the unlinked record is still a person of its own, its link made by the reviewer
    assert _person_of(first) != _person_of(second)
    assert _person_of(second) == link.person_id
    assert link.method == LinkMethod.MANUAL
    assert link.reason == "Twin, confirmed by GP."


def test_a_manual_link_survives_a_rerun(partnership, reviewer):
    # Given a record moved by hand to another person
    first, second = _possible_match(partnership)
    target = Link.objects.get(source_record=first, status=LinkStatus.ACTIVE).person
    record_link_manual(
        user=reviewer, record_id=second.pk, person_public_id=target.public_id, reason="Same."
    )

    # When the partnership is matched again
    matching_run_full(partnership_id=partnership.pk)

    # Then it is still with that person
    assert _person_of(second) == target.pk


def test_a_manual_change_needs_a_reason(partnership, reviewer):
    # Given a possible match
    first, second = _possible_match(partnership)
    target = Link.objects.get(source_record=first, status=LinkStatus.ACTIVE).person

    # When a record is moved without a reason, then it is refused
    with pytest.raises(ValidationError):
        record_link_manual(
            user=reviewer, record_id=second.pk, person_public_id=target.public_id, reason="  "
        )
