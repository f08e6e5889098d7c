"""Running the matcher over the store, and the decisions people make about its results (ADR 0014).

- `source_records_link` (the extract pipeline's match step, inside its publish transaction):
  new and changed records are matched against the partnership's kept `MatchIndex`
  (incremental); the first call for a partnership builds the index.
- `matching_run_full`: a full run over every current record of the partnership, refitting the
  model unless told not to; `matching_run_assemble` is its last step when the pairs were scored
  by Celery work units (`matching.tasks`).
- `review_task_decide`, `record_link_manual`, `record_unlink`: clerical decisions, kept as
  `MatchDecision` rows that every later run honours.

Persons stay stable: the core's clusters (whose ids shift when a smaller key joins) are mapped to
`Person` rows by their members. A cluster keeps the person most of its linked records already
have (ties: the oldest); persons wholly inside one cluster merge into the oldest of them; when a
person splits, the larger part keeps it and the smaller gets its next choice or a new person. A
record whose person changes has its link superseded by a new one; a retired record's link is
superseded with no successor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Partnership, SourceRecord, User
from matching.clustering import Thresholds
from matching.engine import LinkSettings, MatchIndex
from matching.fellegi_sunter import MatchModel
from matching.models import (
    DecisionKind,
    DecisionSource,
    Link,
    LinkMethod,
    LinkStatus,
    MatchDecision,
    MatchState,
    Person,
    ReviewStatus,
    ReviewTask,
    SearchEntry,
)
from matching.normalise import RecordIn, RecordKey, record_normalise
from matching.search import keys_for


def nhs_number_is_valid(value: str) -> bool:
    """Ten digits with a correct Modulus 11 check digit."""
    if len(value) != 10 or not value.isdigit():
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(value[9])


@dataclass(frozen=True)
class LinkSummary:
    """What a call of `source_records_link` did to the records it was given (records given
    whose person did not change count as unchanged)."""

    linked_to_existing: int
    new_persons: int
    unchanged: int


@dataclass(frozen=True)
class RunSummary:
    """What a run changed across the partnership."""

    records: int
    links_created: int
    links_retired: int
    persons_created: int
    persons_merged: int
    review_tasks_created: int


@dataclass(frozen=True)
class _Cause:
    """Who and why, for links a person's decision changed (None: an automatic run)."""

    user: User
    reason: str


# ---------------------------------------------------------------------------------------------
# Records in and out of the core

_FIELDS = (
    "pk",
    "dataset_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
)


def record_key(*, record_id: int, dataset_id: int) -> RecordKey:
    """A source record's key in the matcher: (dataset id, record id)."""
    return (str(dataset_id), str(record_id))


def _record_ins(queryset: Any) -> list[RecordIn]:
    return [
        RecordIn(str(dataset_id), str(pk), *(value or "" for value in values))
        for pk, dataset_id, *values in queryset.order_by("pk").values_list(*_FIELDS)
    ]


def record_in(record: SourceRecord) -> RecordIn:
    """A source record as the core reads it."""
    return RecordIn(
        str(record.dataset_id),
        str(record.pk),
        record.given_name,
        record.family_name,
        record.date_of_birth,
        record.sex,
        record.postcode,
        record.address,
        record.nhs_number,
    )


def _current_records(partnership_id: int) -> Any:
    return SourceRecord.objects.filter(
        dataset__agency__partnership_id=partnership_id, retired_at__isnull=True
    )


def _lock_partnership(partnership_id: int) -> None:
    """Runs for one partnership take turns (the pipeline holds only its dataset's lock)."""
    list(Partnership.objects.select_for_update().filter(pk=partnership_id).values_list("pk"))


def _state_save(
    *, partnership_id: int, index: MatchIndex, state: MatchState | None, fitted: bool
) -> None:
    now = timezone.now()
    if state is None:
        state = MatchState(partnership_id=partnership_id, fitted_at=now)
    if fitted:
        state.fitted_at = now
    state.index = index.dumps()
    state.model = index.model.as_dict()
    state.records = int(index.alive.sum())
    state.full_clean(exclude=["index"])
    state.save()


def _state_load(partnership_id: int) -> tuple[MatchState | None, MatchIndex | None]:
    state = MatchState.objects.filter(partnership_id=partnership_id).first()
    if state is None:
        return None, None
    return state, MatchIndex.loads(bytes(state.index))


def state_model(*, partnership_id: int) -> MatchModel | None:
    """The partnership's stored model, if a run has fitted one."""
    model = (
        MatchState.objects.filter(partnership_id=partnership_id)
        .values_list("model", flat=True)
        .first()
    )
    return MatchModel.from_dict(model) if model else None


# ---------------------------------------------------------------------------------------------
# Entry points


def _refit_due(index: MatchIndex, arriving: int) -> bool:
    """Whether the store will have at least doubled since the model was fitted: weights fitted
    to a few records say little about many (a model fitted to one record has a prior of -30
    bits), so a small store is refitted as it grows, and a large one seldom (the cost of
    refitting is spread over the records that caused it)."""
    return int(index.alive.sum()) + arriving >= 2 * max(index.model.records, 1)


@transaction.atomic
def source_records_link(*, source_record_ids: Iterable[int]) -> LinkSummary:
    """Match the listed records (new or changed) against the partnership's matched store, and
    drop retired records from it. Idempotent: a record whose person does not change keeps its
    link. All records of one call must belong to one partnership."""
    ids = sorted(set(source_record_ids))
    records = list(
        SourceRecord.objects.filter(pk__in=ids).select_related("dataset__agency").order_by("pk")
    )
    if not records:
        return LinkSummary(linked_to_existing=0, new_persons=0, unchanged=len(ids))
    partnership_id = records[0].dataset.agency.partnership_id
    if any(record.dataset.agency.partnership_id != partnership_id for record in records):
        raise ValueError("Records of one call must belong to one partnership.")
    _lock_partnership(partnership_id)
    before = dict(
        Link.objects.filter(source_record_id__in=ids, status=LinkStatus.ACTIVE).values_list(
            "source_record_id", "person_id"
        )
    )
    current = [record for record in records if record.retired_at is None]
    state, index = _state_load(partnership_id)
    retired_keys = [
        record_key(record_id=pk, dataset_id=dataset_id)
        for pk, dataset_id in Link.objects.filter(
            person__partnership_id=partnership_id,
            status=LinkStatus.ACTIVE,
            source_record__retired_at__isnull=False,
        ).values_list("source_record_id", "source_record__dataset_id")
    ]
    retired_keys += [
        record_key(record_id=record.pk, dataset_id=record.dataset_id)
        for record in records
        if record.retired_at is not None
    ]
    if index is None or _refit_due(index, len(current)):
        linked = _current_records(partnership_id).filter(
            Q(pk__in=[record.pk for record in current]) | Q(links__status=LinkStatus.ACTIVE)
        )
        index = MatchIndex.build(_record_ins(linked.distinct()))
        scope: set[int] | None = None
    else:
        delta = index.update(
            upserts=[record_in(record) for record in current], removals=retired_keys
        )
        seeds = {int(key[1]) for key in delta.assignments}
        seeds |= {int(key[1]) for key in (*delta.removed, *retired_keys)}
        seeds |= {record.pk for record in records}
        scope = _scope_close(partnership_id=partnership_id, index=index, seeds=seeds)
    _state_save(partnership_id=partnership_id, index=index, state=state, fitted=scope is None)
    _persons_apply(partnership_id=partnership_id, index=index, scope=scope, cause=None)
    after = {
        record_id: (person_id, method)
        for record_id, person_id, method in Link.objects.filter(
            source_record_id__in=ids, status=LinkStatus.ACTIVE
        ).values_list("source_record_id", "person_id", "method")
    }
    existing = new = 0
    for record in current:
        person_id, method = after[record.pk]
        if before.get(record.pk) == person_id:
            continue
        if method == LinkMethod.NEW:
            new += 1
        else:
            existing += 1
    return LinkSummary(
        linked_to_existing=existing, new_persons=new, unchanged=len(ids) - existing - new
    )


@transaction.atomic
def matching_run_full(
    *, partnership_id: int, refit: bool = True, settings: LinkSettings | None = None
) -> RunSummary:
    """Match every current record of the partnership afresh (refitting the model unless
    `refit` is False and a model is stored), keep the index, and bring persons up to date."""
    _lock_partnership(partnership_id)
    state = MatchState.objects.filter(partnership_id=partnership_id).first()
    model = None if refit or state is None else MatchModel.from_dict(state.model)
    index = MatchIndex.build(
        _record_ins(_current_records(partnership_id)), model=model, settings=settings
    )
    _state_save(partnership_id=partnership_id, index=index, state=state, fitted=model is None)
    return _persons_apply(partnership_id=partnership_id, index=index, scope=None, cause=None)


@transaction.atomic
def matching_run_assemble(
    *,
    partnership_id: int,
    model: MatchModel,
    scored: Iterable[tuple[RecordKey, RecordKey, float, bool]],
    records: Sequence[RecordIn] | None = None,
) -> RunSummary:
    """The last step of a full run scored in work units: cluster the given pairs over the
    partnership's current records, keep the index, bring persons up to date."""
    _lock_partnership(partnership_id)
    state = MatchState.objects.filter(partnership_id=partnership_id).first()
    raw = list(records) if records is not None else _record_ins(_current_records(partnership_id))
    index = MatchIndex.assemble(
        raw,
        [record_normalise(record) for record in raw],
        model=model,
        settings=LinkSettings(),
        scored=scored,
    )
    _state_save(partnership_id=partnership_id, index=index, state=state, fitted=True)
    return _persons_apply(partnership_id=partnership_id, index=index, scope=None, cause=None)


def matching_units_prepare(
    *, partnership_id: int, max_unit_pairs: int = 250_000
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The first step of a full run in work units: the units (JSON-ready) and the model to score
    them with (the stored one; fitted here over the units' patterns when there is none)."""
    from matching.partition import link_in_units, work_units

    raw = _record_ins(_current_records(partnership_id))
    normalised = [record_normalise(record) for record in raw]
    units = work_units(normalised, max_unit_pairs=max_unit_pairs)
    model = state_model(partnership_id=partnership_id)
    if model is None:
        model = link_in_units(raw, max_unit_pairs=max_unit_pairs).model
    return [unit.as_dict() for unit in units], model.as_dict()


# ---------------------------------------------------------------------------------------------
# Clerical decisions


def _pair(first_id: int, second_id: int) -> tuple[int, int]:
    if first_id == second_id:
        raise ValidationError("A record cannot be compared with itself.")
    return (first_id, second_id) if first_id < second_id else (second_id, first_id)


def _decisions_add(
    *,
    partnership_id: int,
    pairs: Iterable[tuple[int, int]],
    decision: str,
    source: str,
    user: User,
    reason: str,
    review_task: ReviewTask | None = None,
) -> None:
    rows = []
    for first_id, second_id in pairs:
        first, second = _pair(first_id, second_id)
        row = MatchDecision(
            partnership_id=partnership_id,
            first_record_id=first,
            second_record_id=second,
            decision=decision,
            source=source,
            review_task=review_task,
            decided_by=user,
            reason=reason,
        )
        row.full_clean(validate_unique=False, validate_constraints=False)
        rows.append(row)
    MatchDecision.objects.bulk_create(rows)


def _index_for_decisions(partnership_id: int) -> MatchIndex:
    _state, index = _state_load(partnership_id)
    if index is None:
        matching_run_full(partnership_id=partnership_id)
        _state, index = _state_load(partnership_id)
    if index is None:
        raise RuntimeError("A full run did not store a match index.")
    return index


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for this change."})
    return reason


def _record_in_partnership(*, partnership_id: int, record_id: int) -> SourceRecord:
    record = (
        SourceRecord.objects.filter(
            pk=record_id, dataset__agency__partnership_id=partnership_id, retired_at__isnull=True
        )
        .select_related("dataset")
        .first()
    )
    if record is None:
        raise ValidationError("The record is not a current record of your partnership.")
    return record


def _active_records_of(person_id: int) -> list[int]:
    return list(
        Link.objects.filter(person_id=person_id, status=LinkStatus.ACTIVE).values_list(
            "source_record_id", flat=True
        )
    )


def _person_of(record_id: int) -> int | None:
    return (
        Link.objects.filter(source_record_id=record_id, status=LinkStatus.ACTIVE)
        .values_list("person_id", flat=True)
        .first()
    )


@transaction.atomic
def review_task_decide(*, user: User, task_id: int, decision: str, reason: str = "") -> ReviewTask:
    """Decide a possible match: "same" (one person from now on) or "different" (never one
    person). The decision is kept and honoured by every later run; persons change at once."""
    partnership_id = user.partnership.pk
    _lock_partnership(partnership_id)
    task = ReviewTask.objects.select_for_update().get(pk=task_id, partnership_id=partnership_id)
    if task.status != ReviewStatus.OPEN:
        raise ValidationError("This possible match has already been decided.")
    if decision not in (DecisionKind.SAME, DecisionKind.DIFFERENT):
        raise ValidationError({"decision": "Choose whether these are the same person."})
    task.status = ReviewStatus.SAME if decision == DecisionKind.SAME else ReviewStatus.DIFFERENT
    task.decided_by = user
    task.decided_at = timezone.now()
    task.reason = reason.strip()
    task.full_clean()
    task.save()
    _decisions_add(
        partnership_id=partnership_id,
        pairs=[(task.first_record_id, task.second_record_id)],
        decision=decision,
        source=DecisionSource.REVIEW,
        user=user,
        reason=task.reason,
        review_task=task,
    )
    _decisions_apply(
        partnership_id=partnership_id,
        seeds={task.first_record_id, task.second_record_id},
        cause=_Cause(
            user=user, reason=task.reason or f"Clerical review: {task.get_status_display()}."
        ),
    )
    return task


@transaction.atomic
def record_link_manual(*, user: User, record_id: int, person_public_id: Any, reason: str) -> Link:
    """Move a record to another person of the partnership (kept across runs: the record is
    decided to be the same person as the target's records and not its former companions')."""
    reason = _require_reason(reason)
    partnership_id = user.partnership.pk
    _lock_partnership(partnership_id)
    record = _record_in_partnership(partnership_id=partnership_id, record_id=record_id)
    target = Person.objects.filter(
        partnership_id=partnership_id, public_id=person_public_id, merged_into__isnull=True
    ).first()
    if target is None:
        raise ValidationError({"person": "There is no current person with that id."})
    current = _person_of(record.pk)
    if current == target.pk:
        raise ValidationError({"person": "The record is already linked to that person."})
    target_records = _active_records_of(target.pk)
    former = [pk for pk in _active_records_of(current) if pk != record.pk] if current else []
    _decisions_add(
        partnership_id=partnership_id,
        pairs=[(record.pk, other) for other in target_records],
        decision=DecisionKind.SAME,
        source=DecisionSource.MANUAL_LINK,
        user=user,
        reason=reason,
    )
    _decisions_add(
        partnership_id=partnership_id,
        pairs=[(record.pk, other) for other in former],
        decision=DecisionKind.DIFFERENT,
        source=DecisionSource.MANUAL_LINK,
        user=user,
        reason=reason,
    )
    _decisions_apply(
        partnership_id=partnership_id,
        seeds={record.pk, *target_records, *former},
        cause=_Cause(user=user, reason=reason),
    )
    return Link.objects.get(source_record=record, status=LinkStatus.ACTIVE)


@transaction.atomic
def record_unlink(*, user: User, record_id: int, reason: str) -> Link:
    """Make a record its own person (kept across runs: it is decided to be a different person
    from every record it was with)."""
    reason = _require_reason(reason)
    partnership_id = user.partnership.pk
    _lock_partnership(partnership_id)
    record = _record_in_partnership(partnership_id=partnership_id, record_id=record_id)
    current = _person_of(record.pk)
    former = [pk for pk in _active_records_of(current) if pk != record.pk] if current else []
    if not former:
        raise ValidationError("The record is already a person of its own.")
    _decisions_add(
        partnership_id=partnership_id,
        pairs=[(record.pk, other) for other in former],
        decision=DecisionKind.DIFFERENT,
        source=DecisionSource.UNLINK,
        user=user,
        reason=reason,
    )
    _decisions_apply(
        partnership_id=partnership_id,
        seeds={record.pk, *former},
        cause=_Cause(user=user, reason=reason),
    )
    return Link.objects.get(source_record=record, status=LinkStatus.ACTIVE)


def _decisions_apply(*, partnership_id: int, seeds: set[int], cause: _Cause) -> None:
    index = _index_for_decisions(partnership_id)
    scope = _scope_close(partnership_id=partnership_id, index=index, seeds=seeds)
    _persons_apply(partnership_id=partnership_id, index=index, scope=scope, cause=cause)


# ---------------------------------------------------------------------------------------------
# From clusters to persons


@dataclass
class _View:
    """The index seen by source record id."""

    index: MatchIndex
    position_of: dict[int, int] = field(default_factory=dict)
    record_at: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, index: MatchIndex) -> _View:
        record_at = [int(key[1]) for key in index.table.keys]
        position_of = {
            record_id: position
            for position, record_id in enumerate(record_at)
            if bool(index.alive[position])
        }
        return cls(index=index, position_of=position_of, record_at=record_at)

    def cluster_mates(self, record_ids: Collection[int]) -> set[int]:
        positions = [self.position_of[pk] for pk in record_ids if pk in self.position_of]
        if not positions:
            return set()
        labels = self.index.labels
        wanted = np.unique(labels[np.array(positions, np.int64)])
        members = np.flatnonzero(np.isin(labels, wanted[wanted >= 0]) & self.index.alive)
        return {self.record_at[position] for position in members.tolist()}

    def pairs(self, record_ids: Collection[int] | None) -> list[tuple[int, int, float, bool]]:
        """Stored pairs (record ids, weight, conflict) with at least one end among `record_ids`
        (all pairs when None), both ends current."""
        index = self.index
        first, second = index.first, index.second
        mask = index.alive[first] & index.alive[second]
        if record_ids is not None:
            chosen = np.zeros(len(index.alive), np.bool_)
            positions = [self.position_of[pk] for pk in record_ids if pk in self.position_of]
            chosen[np.array(positions, np.int64)] = True
            mask &= chosen[first] | chosen[second]
        picked = np.flatnonzero(mask)
        return [
            (self.record_at[a], self.record_at[b], weight, conflict)
            for a, b, weight, conflict in zip(
                first[picked].tolist(),
                second[picked].tolist(),
                index.weights[picked].tolist(),
                index.conflicts[picked].tolist(),
                strict=True,
            )
        ]


def _scope_close(*, partnership_id: int, index: MatchIndex, seeds: set[int]) -> set[int]:
    """The seeds plus everything that can change with them: their persons' records, their
    clusters' members, and the records decisions tie them to, until nothing more joins."""
    view = _View.of(index)
    scope = set(seeds)
    frontier = set(seeds)
    while frontier:
        found: set[int] = set(view.cluster_mates(frontier))
        persons = Link.objects.filter(
            source_record_id__in=frontier, status=LinkStatus.ACTIVE
        ).values("person_id")
        found |= set(
            Link.objects.filter(person_id__in=persons, status=LinkStatus.ACTIVE).values_list(
                "source_record_id", flat=True
            )
        )
        for first, second in MatchDecision.objects.filter(
            Q(first_record_id__in=frontier) | Q(second_record_id__in=frontier),
            partnership_id=partnership_id,
        ).values_list("first_record_id", "second_record_id"):
            found |= {first, second}
        frontier = found - scope
        scope |= found
    return scope


def _decisions_in_force(partnership_id: int, scope: set[int] | None) -> dict[tuple[int, int], str]:
    """The latest decision about each pair (within the scope)."""
    decisions = MatchDecision.objects.filter(partnership_id=partnership_id)
    if scope is not None:
        decisions = decisions.filter(first_record_id__in=scope, second_record_id__in=scope)
    in_force: dict[tuple[int, int], str] = {}
    for first, second, decision in decisions.order_by("created_at", "pk").values_list(
        "first_record_id", "second_record_id", "decision"
    ):
        in_force[(first, second)] = decision
    return in_force


class _Groups:
    """Union-find over records that refuses any union joining two records decided different."""

    def __init__(self, records: Iterable[int], cannot: Mapping[int, set[int]]) -> None:
        self.parent = {record: record for record in records}
        self.members = {record: {record} for record in self.parent}
        self.cannot = cannot

    def find(self, record: int) -> int:
        root = record
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record] != root:
            self.parent[record], record = root, self.parent[record]
        return root

    def union(self, first: int, second: int) -> bool:
        a, b = self.find(first), self.find(second)
        if a == b:
            return True
        small, large = sorted((a, b), key=lambda root: len(self.members[root]))
        if any(
            self.cannot.get(record, set()) & self.members[large] for record in self.members[small]
        ):
            return False
        self.parent[small] = large
        self.members[large] |= self.members.pop(small)
        return True

    def groups(self) -> list[list[int]]:
        return sorted(sorted(members) for members in self.members.values())


def _groups_constrained(
    *,
    clusters: Iterable[list[int]],
    decisions: Mapping[tuple[int, int], str],
    match_pairs: Sequence[tuple[int, int, float]],
) -> list[list[int]]:
    """The core's clusters with people's decisions applied: records decided different are split
    apart (the rest of their cluster is rebuilt from its match pairs, strongest first), then
    records decided the same are joined, unless that would join two records decided different."""
    cannot: dict[int, set[int]] = defaultdict(set)
    must: list[tuple[int, int]] = []
    for (first, second), decision in decisions.items():
        if decision == DecisionKind.DIFFERENT:
            cannot[first].add(second)
            cannot[second].add(first)
        else:
            must.append((first, second))
    clusters = [list(cluster) for cluster in clusters]
    groups = _Groups((record for cluster in clusters for record in cluster), cannot)
    split_clusters: list[set[int]] = []
    for cluster in clusters:
        members = set(cluster)
        divided = {record for record in cluster if cannot.get(record, set()) & members}
        rest = [record for record in cluster if record not in divided]
        for record in rest[1:]:
            groups.union(rest[0], record)
        if divided:
            split_clusters.append(members)
    for first, second in must:
        if first in groups.parent and second in groups.parent:
            groups.union(first, second)
    if split_clusters:
        cluster_of = {record: i for i, members in enumerate(split_clusters) for record in members}
        for first, second, _weight in sorted(
            match_pairs, key=lambda pair: (-pair[2], pair[0], pair[1])
        ):
            where = cluster_of.get(first)
            if where is not None and where == cluster_of.get(second):
                groups.union(first, second)
    return groups.groups()


def _persons_apply(
    *, partnership_id: int, index: MatchIndex, scope: set[int] | None, cause: _Cause | None
) -> RunSummary:
    """Bring the persons of the records in `scope` (every record when None) in line with the
    index and people's decisions. `scope` must be closed (see `_scope_close`)."""
    view = _View.of(index)
    now = timezone.now()
    links = Link.objects.filter(status=LinkStatus.ACTIVE, person__partnership_id=partnership_id)
    if scope is not None:
        links = links.filter(source_record_id__in=scope)
    current: dict[int, int] = dict(links.values_list("source_record_id", "person_id"))
    alive = (
        set(view.position_of) if scope is None else {pk for pk in scope if pk in view.position_of}
    )

    # Retired (or otherwise gone) records lose their link, with no successor.
    gone = [pk for pk in current if pk not in alive]
    retired = Link.objects.filter(source_record_id__in=gone, status=LinkStatus.ACTIVE).update(
        status=LinkStatus.SUPERSEDED, superseded_at=now
    )

    # The core's clusters, then people's decisions.
    labels = index.labels
    by_label: dict[int, list[int]] = defaultdict(list)
    for pk in sorted(alive):
        by_label[int(labels[view.position_of[pk]])].append(pk)
    pairs = view.pairs(None if scope is None else alive)
    match = index.settings.thresholds.match
    decisions = _decisions_in_force(partnership_id, None if scope is None else alive)
    groups = _groups_constrained(
        clusters=by_label.values(),
        decisions=decisions,
        match_pairs=[(a, b, w) for a, b, w, conflict in pairs if w >= match and not conflict],
    )

    # Each group's person: persons wholly inside first (the oldest), then the most records
    # (ties: the oldest person); each person to one group only; otherwise a new person.
    records_of: dict[int, set[int]] = defaultdict(set)
    for pk, person_id in current.items():
        if pk in alive:
            records_of[person_id].add(pk)
    candidates: list[tuple[tuple[int, int, int, int], int, int]] = []
    for number, group in enumerate(groups):
        counts: dict[int, int] = defaultdict(int)
        for pk in group:
            if pk in current and pk in alive:
                counts[current[pk]] += 1
        for person_id, count in counts.items():
            whole = count == len(records_of[person_id])
            rank = (0, person_id, 0, number) if whole else (1, -count, person_id, number)
            candidates.append((rank, number, person_id))
    chosen: dict[int, int] = {}
    taken: set[int] = set()
    for _rank, number, person_id in sorted(candidates):
        if number not in chosen and person_id not in taken:
            chosen[number] = person_id
            taken.add(person_id)
    unclaimed = [number for number in range(len(groups)) if number not in chosen]
    fresh = Person.objects.bulk_create([Person(partnership_id=partnership_id) for _ in unclaimed])
    for number, person in zip(unclaimed, fresh, strict=True):
        chosen[number] = person.pk
    created = len(fresh)

    # Links: a record whose person changes gets a new link superseding the old one.
    best: dict[int, float] = {}
    group_of = {pk: number for number, group in enumerate(groups) for pk in group}
    for a, b, weight, _conflict in pairs:
        if group_of.get(a) is not None and group_of.get(a) == group_of.get(b):
            best[a] = max(best.get(a, weight), weight)
            best[b] = max(best.get(b, weight), weight)
    nhs = index.table.nhs
    changes: list[tuple[int, int]] = []
    for number, group in enumerate(groups):
        person_id = chosen[number]
        for pk in group:
            if current.get(pk) != person_id:
                changes.append((pk, person_id))
    new_links: list[Link] = []
    for pk, person_id in changes:
        group = groups[group_of[pk]]
        number = int(nhs[view.position_of[pk]])
        exact = number > 0 and any(
            int(nhs[view.position_of[other]]) == number for other in group if other != pk
        )
        if cause is not None:
            method, score = LinkMethod.MANUAL, best.get(pk)
        elif len(group) == 1:
            method, score = LinkMethod.NEW, None
        elif exact:
            method, score = LinkMethod.EXACT, best.get(pk)
        else:
            method, score = LinkMethod.AUTOMATIC, best.get(pk)
        new_links.append(
            Link(
                source_record_id=pk,
                person_id=person_id,
                method=method,
                score=score,
                reason=cause.reason if cause else "",
                created_by=cause.user if cause else None,
            )
        )
    old_links = dict(
        Link.objects.filter(
            source_record_id__in=[pk for pk, _ in changes], status=LinkStatus.ACTIVE
        ).values_list("source_record_id", "pk")
    )
    Link.objects.filter(pk__in=old_links.values()).update(
        status=LinkStatus.SUPERSEDED, superseded_at=now
    )
    saved = Link.objects.bulk_create(new_links)
    successors = {link.source_record_id: link.pk for link in saved}
    Link.objects.bulk_update(
        [
            Link(pk=link_id, superseded_by_id=successors[record_id])
            for record_id, link_id in old_links.items()
        ],
        ["superseded_by"],
        batch_size=1000,
    )

    # Persons left without records merge into the person that took most of them.
    merged = _persons_merge(current=current, chosen=chosen, group_of=group_of, taken=taken, now=now)
    tasks = _review_tasks_raise(
        partnership_id=partnership_id,
        pairs=pairs,
        group_of=group_of,
        decisions=decisions,
        thresholds=index.settings.thresholds,
    )
    search_entries_refresh(partnership_id=partnership_id, record_ids=scope)
    return RunSummary(
        records=len(alive),
        links_created=len(saved),
        links_retired=retired,
        persons_created=created,
        persons_merged=merged,
        review_tasks_created=tasks,
    )


def search_entries_refresh(*, partnership_id: int, record_ids: Collection[int] | None) -> int:
    """Bring the search entries of these records (every record of the partnership when None) in
    line with the store: a current record with an active link has an entry with its keys, its
    link's person and its columns as they are now; any other has none. Returns the number of
    entries written."""
    stale = SearchEntry.objects.filter(partnership_id=partnership_id)
    links = Link.objects.filter(
        status=LinkStatus.ACTIVE,
        person__partnership_id=partnership_id,
        source_record__retired_at__isnull=True,
    )
    if record_ids is not None:
        ids = sorted(record_ids)
        stale = stale.filter(source_record_id__in=ids)
        links = links.filter(source_record_id__in=ids)
    stale.delete()
    columns = ("source_key", "given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
    entries = (
        SearchEntry(
            source_record_id=record_id,
            partnership_id=partnership_id,
            dataset_id=dataset_id,
            person_id=person_id,
            person_public_id=person_public_id,
            source_key=source_key,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            postcode_as_held=postcode,
            nhs_number_as_held=nhs_number,
            **asdict(
                keys_for(
                    family_name=family_name,
                    date_of_birth=date_of_birth,
                    postcode=postcode,
                    nhs_number=nhs_number,
                )
            ),
        )
        for (
            record_id,
            person_id,
            person_public_id,
            dataset_id,
            source_key,
            given_name,
            family_name,
            date_of_birth,
            postcode,
            nhs_number,
        ) in links.values_list(
            "source_record_id",
            "person_id",
            "person__public_id",
            "source_record__dataset_id",
            *(f"source_record__{column}" for column in columns),
        )
        .order_by("source_record_id")
        .iterator(chunk_size=5000)
    )
    written = 0
    while batch := list(islice(entries, 5000)):
        SearchEntry.objects.bulk_create(batch)
        written += len(batch)
    return written


def _persons_merge(
    *,
    current: Mapping[int, int],
    chosen: Mapping[int, int],
    group_of: Mapping[int, int],
    taken: set[int],
    now: datetime,
) -> int:
    went: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for pk, person_id in current.items():
        if person_id not in taken and pk in group_of:
            went[person_id][chosen[group_of[pk]]] += 1
    for person_id, targets in went.items():
        target = min(targets, key=lambda target: (-targets[target], target))
        Person.objects.filter(pk=person_id, merged_into__isnull=True).update(
            merged_into_id=target, merged_at=now
        )
    return len(went)


def _review_tasks_raise(
    *,
    partnership_id: int,
    pairs: Sequence[tuple[int, int, float, bool]],
    group_of: Mapping[int, int],
    decisions: Mapping[tuple[int, int], str],
    thresholds: Thresholds,
) -> int:
    """A task for each pair in the review band whose records are in different persons and that
    nobody has decided or been asked about."""
    wanted = {
        (min(a, b), max(a, b)): weight
        for a, b, weight, _conflict in pairs
        if weight >= thresholds.review
        and group_of.get(a) != group_of.get(b)
        and (min(a, b), max(a, b)) not in decisions
    }
    if not wanted:
        return 0
    known = set(
        ReviewTask.objects.filter(
            first_record_id__in={a for a, _ in wanted}, second_record_id__in={b for _, b in wanted}
        ).values_list("first_record_id", "second_record_id")
    )
    rows = [
        ReviewTask(
            partnership_id=partnership_id, first_record_id=a, second_record_id=b, score=weight
        )
        for (a, b), weight in sorted(wanted.items())
        if (a, b) not in known
    ]
    ReviewTask.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
