"""Reads for the matching pages, scoped to the requesting user's partnership (404 otherwise).

Who may see them: IG officers and partnership admins (the partnership's data-quality function,
ADR 0014). The pages show identifying fields only: names, date of birth, sex, postcode, address
and NHS number; never a record's payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from agencies.models import SourceRecord, User
from matching.explain import PairExplanation, pair_explain
from matching.models import Link, LinkStatus, MatchDecision, Person, ReviewStatus, ReviewTask
from matching.services import record_in, state_model

IDENTIFYING_FIELDS: tuple[tuple[str, str], ...] = (
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("postcode", "Postcode"),
    ("address", "Address"),
    ("nhs_number", "NHS number"),
)


@dataclass(frozen=True)
class RecordShown:
    record: SourceRecord
    person: Person | None
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PairShown:
    first: RecordShown
    second: RecordShown
    explanation: PairExplanation | None
    rows: tuple[tuple[str, str, str], ...]


def _records(user: User) -> QuerySet[SourceRecord]:
    return SourceRecord.objects.filter(dataset__agency__partnership_id=user.partnership.pk)


def review_tasks_open(*, user: User) -> QuerySet[ReviewTask]:
    return ReviewTask.objects.filter(
        partnership_id=user.partnership.pk, status=ReviewStatus.OPEN
    ).select_related("first_record__dataset__agency", "second_record__dataset__agency")


def review_task_get(*, user: User, task_id: int) -> ReviewTask:
    return get_object_or_404(
        ReviewTask.objects.select_related("first_record", "second_record", "decided_by"),
        pk=task_id,
        partnership_id=user.partnership.pk,
    )


def record_get(*, user: User, record_id: int) -> SourceRecord:
    return get_object_or_404(_records(user).select_related("dataset__agency"), pk=record_id)


def link_get(*, user: User, link_id: int) -> Link:
    return get_object_or_404(
        Link.objects.select_related("source_record__dataset__agency", "person", "created_by"),
        pk=link_id,
        person__partnership_id=user.partnership.pk,
    )


def record_links(*, user: User, record: SourceRecord) -> QuerySet[Link]:
    """A record's link history, newest first."""
    return Link.objects.filter(
        source_record=record, person__partnership_id=user.partnership.pk
    ).select_related("person", "created_by")


def record_decisions(*, user: User, record: SourceRecord) -> QuerySet[MatchDecision]:
    return MatchDecision.objects.filter(
        Q(first_record=record) | Q(second_record=record), partnership_id=user.partnership.pk
    ).select_related("decided_by")


def _shown(record: SourceRecord) -> RecordShown:
    link = (
        Link.objects.filter(source_record=record, status=LinkStatus.ACTIVE)
        .select_related("person")
        .first()
    )
    return RecordShown(
        record=record,
        person=link.person if link else None,
        fields=tuple((label, getattr(record, name)) for name, label in IDENTIFYING_FIELDS),
    )


def pair_shown(*, user: User, first: SourceRecord, second: SourceRecord) -> PairShown:
    """Two records of the user's partnership side by side, with the field-by-field explanation
    under the partnership's stored model (none before the first run)."""
    partnership_id = user.partnership.pk
    for record in (first, second):
        get_object_or_404(_records(user), pk=record.pk)
    model = state_model(partnership_id=partnership_id)
    explanation = (
        pair_explain(model=model, first=record_in(first), second=record_in(second))
        if model is not None
        else None
    )
    left, right = _shown(first), _shown(second)
    rows = tuple(
        (label, a, b) for (label, a), (_label, b) in zip(left.fields, right.fields, strict=True)
    )
    return PairShown(first=left, second=right, explanation=explanation, rows=rows)


def link_companions(*, user: User, link: Link) -> list[PairShown]:
    """A link explained: its record against each other current record of the same person."""
    others = (
        _records(user)
        .filter(links__person=link.person, links__status=LinkStatus.ACTIVE)
        .exclude(pk=link.source_record_id)
        .select_related("dataset__agency")
        .order_by("pk")
    )
    return [pair_shown(user=user, first=link.source_record, second=other) for other in others]


def person_current_records(*, user: User, person: Person) -> Any:
    return _records(user).filter(links__person=person, links__status=LinkStatus.ACTIVE)


def persons_of(*, user: User, records: list[SourceRecord]) -> QuerySet[Person]:
    """The persons these records are currently linked to (for the access log)."""
    return Person.objects.filter(
        partnership_id=user.partnership.pk,
        links__source_record__in=[record.pk for record in records],
        links__status=LinkStatus.ACTIVE,
    ).distinct()
