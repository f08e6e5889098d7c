"""Reads of the access log: the IG officer's reports (scoped to their partnership) and the
chain verification behind `manage.py audit_verify`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from agencies.models import Agency, Dataset, User, UserType
from audit.models import (
    AccessEvent,
    Action,
    Alert,
    AlertReview,
    AlertStatus,
    AuditCheckpoint,
    AuditSeal,
    PartnershipIGLead,
    SensitivePerson,
)
from audit.sealing import (
    CANONICAL_FIELDS,
    GENESIS_HASH,
    JSON_FIELDS,
    SigningKey,
    chain_fold,
    checkpoint_payload,
    checkpoint_signature_valid,
    event_digest,
    seal_hash,
    unpack_digests,
    unpack_ids,
)
from governance.models import Purpose
from matching.models import Person

# Reports -----------------------------------------------------------------------------------------


def _events_for(*, requester: User) -> QuerySet[AccessEvent]:
    """The access log of the requester's partnership; only IG officers may read it."""
    if not (requester.is_active and requester.has_user_type(UserType.IG_OFFICER)):
        raise PermissionDenied("Only IG officers can read the access log.")
    return AccessEvent.objects.filter(partnership_id=requester.agency.partnership_id)


def access_events(
    *,
    requester: User,
    since: datetime,
    until: datetime,
    user_id: int | None = None,
    agency_id: int | None = None,
    person_id: UUID | None = None,
    action: str | None = None,
) -> QuerySet[AccessEvent]:
    """Events in [since, until), newest first, optionally for one user, agency, person or action.
    Each filter has its index (time, user, agency; person: GIN on PostgreSQL)."""
    events = _events_for(requester=requester).filter(occurred_at__gte=since, occurred_at__lt=until)
    if user_id is not None:
        events = events.filter(user_id=user_id)
    if agency_id is not None:
        events = events.filter(agency_id=agency_id)
    if action is not None:
        events = events.filter(action=action)
    if person_id is not None:
        events = events.filter(**_person_filter(person_id))
    return events.order_by("-occurred_at", "-id")


def _person_filter(person_id: UUID) -> dict[str, Any]:
    # PostgreSQL answers containment from the GIN index; SQLite has no JSON containment, and a
    # UUID's text is unique enough to find inside the stored list.
    if connection.vendor == "postgresql":
        return {"person_ids__contains": [str(person_id)]}
    return {"person_ids__icontains": str(person_id)}


def access_events_for_person(
    *, requester: User, person_id: UUID, since: datetime, until: datetime
) -> QuerySet[AccessEvent]:
    """Everything that disclosed anything about one person (subject access, complaints)."""
    return access_events(requester=requester, since=since, until=until, person_id=person_id)


def access_counts_by_day(
    *, requester: User, since: datetime, until: datetime, agency_id: int | None = None
) -> list[dict[str, Any]]:
    """Events per day and agency in [since, until): rows of day, agency_id, agency_name, events.
    Counted from the agency index alone; names are the agencies' current ones."""
    events = _events_for(requester=requester).filter(occurred_at__gte=since, occurred_at__lt=until)
    if agency_id is not None:
        events = events.filter(agency_id=agency_id)
    rows = list(
        events.annotate(day=TruncDate("occurred_at"))
        .values("day", "agency_id")
        .annotate(events=Count("*"))
        .order_by("day", "agency_id")
    )
    names = dict(
        Agency.objects.filter(pk__in={row["agency_id"] for row in rows}).values_list("pk", "name")
    )
    return [{**row, "agency_name": names.get(row["agency_id"], "")} for row in rows]


def access_counts_by_user(
    *, requester: User, since: datetime, until: datetime, limit: int = 50
) -> QuerySet[Any]:
    """The busiest users in [since, until): rows of user_id, username, agency_name, events."""
    return (
        _events_for(requester=requester)
        .filter(occurred_at__gte=since, occurred_at__lt=until)
        .values("user_id", "username", "agency_name")
        .annotate(events=Count("id"))
        .order_by("-events", "username")[:limit]
    )


# Subject access ----------------------------------------------------------------------------------

SUBJECT_ACCESS_LIMIT = 5000


@dataclass(frozen=True)
class SubjectAccessReport:
    """Every recorded use of one person's information in a period, oldest first."""

    person: Person
    person_ids: list[str]
    since: date
    until: date
    events: list[AccessEvent]
    truncated: bool


def _merged_ids(person: Person) -> list[str]:
    """The person's public id, then those of every person merged into them (at any depth)."""
    ids, frontier = [str(person.public_id)], [person.pk]
    while frontier:
        merged = list(
            Person.objects.filter(merged_into_id__in=frontier).values_list("pk", "public_id")
        )
        ids += [str(public_id) for _, public_id in merged]
        frontier = [pk for pk, _ in merged]
    return ids


def subject_access_report(
    *, requester: User, person_id: UUID, since: date, until: date
) -> SubjectAccessReport:
    """What a subject access request about one person needs from the access log: every event
    that named them (or a record since merged into them) and the searches that found them, in
    [since, until] (local dates). Only IG officers; another partnership's person is a 404."""
    events = _events_for(requester=requester)
    person = get_object_or_404(
        Person, public_id=person_id, partnership_id=requester.agency.partnership_id
    )
    person_ids = _merged_ids(person)
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    in_period = events.filter(occurred_at__gte=start, occurred_at__lt=end)
    named = Q()
    for public_id in person_ids:
        named |= Q(**_person_filter(UUID(public_id)))
    found_by = in_period.filter(named, action=Action.RESULTS_SHOWN).exclude(request_id="")
    searches = Q(action=Action.SEARCH, request_id__in=found_by.values("request_id"))
    rows = list(
        in_period.filter(named | searches).order_by("occurred_at", "id")[: SUBJECT_ACCESS_LIMIT + 1]
    )
    return SubjectAccessReport(
        person=person,
        person_ids=person_ids,
        since=since,
        until=until,
        events=rows[:SUBJECT_ACCESS_LIMIT],
        truncated=len(rows) > SUBJECT_ACCESS_LIMIT,
    )


# Chain verification ------------------------------------------------------------------------------

_AS_TEXT = {f"{name}_text": Cast(name, TextField()) for name in sorted(JSON_FIELDS)}
_ROW = [f"{name}_text" if name in JSON_FIELDS else name for name in CANONICAL_FIELDS]


def event_rows(*, after: int, upto: int, limit: int | None = None) -> list[tuple[Any, ...]]:
    """The events with ids in (after, upto], in id order, as the chain hashes them: the values of
    CANONICAL_FIELDS, with the JSON columns as the database's text (no parsing)."""
    rows = (
        AccessEvent.objects.filter(id__gt=after, id__lte=upto)
        .annotate(**_AS_TEXT)
        .order_by("id")
        .values_list(*_ROW)
    )
    return list(rows[:limit] if limit is not None else rows)


# Unsealed events older than this are worth a note: sealing normally runs every minute.
UNSEALED_WARNING_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class ChainProblem:
    """One way the log differs from what was sealed."""

    kind: str  # altered, missing, inserted, seal, checkpoint, truncated
    message: str
    event_id: int | None = None
    seal_number: int | None = None


@dataclass
class ChainReport:
    seals: int = 0
    events: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Head:
    chain_hash: str
    upto_event_id: int
    event_total: int


def _compare(
    seal: AuditSeal, rows: list[tuple[Any, ...]], stored_ids: list[int], stored: list[bytes]
) -> Iterator[ChainProblem]:
    """Walk the sealed ids and the ids now in the log side by side."""
    actual = [(row[0], event_digest(row)) for row in rows]
    i = j = 0
    number = seal.number
    while i < len(stored_ids) or j < len(actual):
        sealed_id = stored_ids[i] if i < len(stored_ids) else None
        found_id = actual[j][0] if j < len(actual) else None
        if found_id is not None and j > 0 and found_id == actual[j - 1][0]:
            yield ChainProblem(
                "inserted",
                f"Event {found_id} appears twice: a second copy was inserted after seal {number}.",
                found_id,
                number,
            )
            j += 1
        elif found_id is None or (sealed_id is not None and sealed_id < found_id):
            yield ChainProblem(
                "missing",
                f"Event {sealed_id} is missing: it was sealed in seal {number} and has since "
                "been removed.",
                sealed_id,
                number,
            )
            i += 1
        elif sealed_id is None or found_id < sealed_id:
            yield ChainProblem(
                "inserted",
                f"Event {found_id} was inserted after sealing: its id is inside seal {number} "
                "but it was not sealed.",
                found_id,
                number,
            )
            j += 1
        else:
            if actual[j][1] != stored[i]:
                yield ChainProblem(
                    "altered",
                    f"Event {found_id} was altered after it was sealed in seal {number}.",
                    found_id,
                    number,
                )
            i += 1
            j += 1


def _check_seal(seal: AuditSeal, running: str, after: int) -> Iterator[ChainProblem]:
    number = seal.number
    if seal.previous_hash != running:
        yield ChainProblem(
            "seal",
            f"Seal {number} does not follow on from the seal before it: the chain was "
            "rewritten or a seal was removed.",
            seal_number=number,
        )
    if seal.after_event_id != after:
        yield ChainProblem(
            "seal",
            f"Seal {number} starts after event {seal.after_event_id}, not after event {after}.",
            seal_number=number,
        )
    try:
        stored_ids = unpack_ids(bytes(seal.event_ids))
        stored = unpack_digests(bytes(seal.event_digests))
    except ValueError:
        stored_ids, stored = [], []
    if not (len(stored_ids) == len(stored) == seal.event_count):
        yield ChainProblem(
            "seal", f"Seal {number} was altered: its lists do not agree.", None, number
        )
        return
    rows = event_rows(after=seal.after_event_id, upto=seal.upto_event_id)
    yield from _compare(seal, rows, stored_ids, stored)
    expected = seal_hash(
        number=number,
        after_event_id=seal.after_event_id,
        upto_event_id=seal.upto_event_id,
        event_count=seal.event_count,
        events_hash=chain_fold(seal.previous_hash, stored),
    )
    if expected != seal.chain_hash:
        yield ChainProblem(
            "seal", f"Seal {number} was altered: its chain hash does not match.", None, number
        )


def _check_checkpoint(
    *,
    heads: Mapping[int, _Head],
    last_seal: int,
    seal_number: int,
    chain_hash: str,
    upto_event_id: int,
    event_total: int,
    label: str,
) -> Iterator[ChainProblem]:
    head = heads.get(seal_number)
    if head is not None and (head.chain_hash, head.event_total) == (chain_hash, event_total):
        return
    sealed_up_to = heads[last_seal].upto_event_id if last_seal in heads else 0
    if head is None and sealed_up_to < upto_event_id:
        yield ChainProblem(
            "truncated",
            f"{label} records seal {seal_number} (events up to {upto_event_id}, {event_total} "
            f"in all) but the log ends at seal {last_seal} (events up to {sealed_up_to}): the "
            "end of the log was removed.",
            seal_number=seal_number,
        )
        return
    yield ChainProblem(
        "checkpoint",
        f"{label} does not match the seals now in the log: the log up to event {upto_event_id} "
        "was rewritten and sealed again since.",
        seal_number=seal_number,
    )


def chain_verify(
    *, key: SigningKey | None = None, checkpoint: Mapping[str, Any] | None = None
) -> ChainReport:
    """Recompute the chain from the events and compare it with the seals, the stored checkpoints
    and (optionally) an exported checkpoint document. Problems come in chain order, so the
    first names the first altered, inserted or missing event."""
    report = ChainReport()
    heads: dict[int, _Head] = {}
    running, after, total, expected_number = GENESIS_HASH, 0, 0, 1
    for seal in AuditSeal.objects.order_by("number").iterator(chunk_size=50):
        if seal.number != expected_number:
            report.problems.append(
                ChainProblem(
                    "seal",
                    f"Seal {expected_number} is missing: the seals go from "
                    f"{expected_number - 1} to {seal.number}.",
                    seal_number=expected_number,
                )
            )
        report.problems.extend(_check_seal(seal, running, after))
        running, after, expected_number = seal.chain_hash, seal.upto_event_id, seal.number + 1
        total += seal.event_count
        heads[seal.number] = _Head(seal.chain_hash, seal.upto_event_id, total)
        report.seals += 1
    report.events = total
    unsealed = AccessEvent.objects.filter(id__gt=after)
    report.unsealed = unsealed.count()
    oldest = unsealed.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    if oldest is not None and timezone.now() - oldest > UNSEALED_WARNING_AGE:
        report.notes.append(
            f"{report.unsealed} events are not sealed yet, the oldest from {oldest:%Y-%m-%d %H:%M}"
            " UTC: is the sealing job (audit.tasks.audit_seal_task) running?"
        )
    last_seal = expected_number - 1
    for stored in AuditCheckpoint.objects.order_by("seal_number"):
        label = f"The checkpoint of {stored.created_at:%Y-%m-%d %H:%M}"
        report.problems.extend(
            _check_checkpoint(
                heads=heads,
                last_seal=last_seal,
                seal_number=stored.seal_number,
                chain_hash=stored.chain_hash,
                upto_event_id=stored.upto_event_id,
                event_total=stored.event_total,
                label=label,
            )
        )
        payload = checkpoint_payload(
            seal_number=stored.seal_number,
            chain_hash=stored.chain_hash,
            upto_event_id=stored.upto_event_id,
            event_total=stored.event_total,
            created_at=stored.created_at,
        )
        if key is not None and stored.key_id == key.key_id:
            if not checkpoint_signature_valid(payload, stored.signature, key):
                report.problems.append(
                    ChainProblem("checkpoint", f"{label} has a signature that does not match.")
                )
        elif stored.key_id:
            report.notes.append(f"{label} is signed with key {stored.key_id}, not checked.")
        report.checkpoints += 1
    if checkpoint is not None:
        report.problems.extend(_check_document(checkpoint, key, heads, last_seal))
    report.problems.sort(key=_chain_order)
    return report


def _chain_order(problem: ChainProblem) -> tuple[int, int]:
    return (problem.seal_number or 0, problem.event_id or 0)


def _check_document(
    document: Mapping[str, Any], key: SigningKey | None, heads: Mapping[int, _Head], last_seal: int
) -> Iterator[ChainProblem]:
    payload = document.get("payload") or {}
    label = f"The exported checkpoint of {payload.get('created_at', '(no date)')}"
    if key is None:
        yield ChainProblem("checkpoint", f"{label} cannot be checked: no signing key is set.")
        return
    if document.get("key_id") != key.key_id or not checkpoint_signature_valid(
        payload, str(document.get("signature", "")), key
    ):
        yield ChainProblem("checkpoint", f"{label} is not signed with this installation's key.")
        return
    yield from _check_checkpoint(
        heads=heads,
        last_seal=last_seal,
        seal_number=int(payload["seal_number"]),
        chain_hash=str(payload["chain_hash"]),
        upto_event_id=int(payload["upto_event_id"]),
        event_total=int(payload["event_total"]),
        label=label,
    )


# Alerts (ADR 0013) -------------------------------------------------------------------------------


def is_partnership_ig_lead(*, user: User) -> bool:
    """Whether an IG officer oversees the whole partnership, not only their own agency."""
    return (
        user.has_user_type(UserType.IG_OFFICER)
        and PartnershipIGLead.objects.filter(user=user).exists()
    )


def _alerts_for(*, requester: User) -> QuerySet[Alert]:
    """The alerts an IG officer reviews: those involving their agency (as the user's agency or a
    data owner), or all of the partnership's for a partnership IG lead."""
    if not (requester.is_active and requester.has_user_type(UserType.IG_OFFICER)):
        raise PermissionDenied("Only IG officers can review alerts.")
    alerts = Alert.objects.filter(partnership_id=requester.agency.partnership_id)
    if not is_partnership_ig_lead(user=requester):
        alerts = alerts.filter(agencies=requester.agency_id)
    return alerts.distinct()


def alert_queue(*, requester: User, status: str | None = None) -> QuerySet[Alert]:
    """The review queue: open work first (everything but closed, unless a status is asked for),
    newest first."""
    alerts = _alerts_for(requester=requester).select_related("user", "user__agency")
    if status:
        return alerts.filter(status=status)
    return alerts.exclude(status=AlertStatus.CLOSED)


def alert_get(*, requester: User, alert_id: int) -> Alert:
    """One alert the IG officer reviews; anything else is a 404."""
    return get_object_or_404(_alerts_for(requester=requester), pk=alert_id)


def alert_events(*, requester: User, alert: Alert) -> list[AccessEvent]:
    """The alert's events, oldest first."""
    return list(
        _events_for(requester=requester)
        .filter(id__in=[int(event_id) for event_id in alert.event_ids])
        .order_by("occurred_at", "id")
    )


def alert_reviews(*, alert: Alert) -> QuerySet[AlertReview]:
    return alert.reviews.select_related("by").order_by("created_at", "id")


def alert_for_answer(*, user: User, alert_id: int) -> Alert:
    """An alert about the user that waits for their reason; anything else is a 404."""
    return get_object_or_404(Alert, pk=alert_id, user=user, status=AlertStatus.AWAITING_REASON)


def alert_own_events(*, user: User, alert: Alert) -> list[AccessEvent]:
    """The alert's events as the user who did them may see them (their own actions)."""
    return list(
        AccessEvent.objects.filter(
            partnership_id=alert.partnership_id,
            user_id=user.pk,
            id__in=[int(event_id) for event_id in alert.event_ids],
        ).order_by("occurred_at", "id")
    )


# The IG officer's scope over events (ADR 0013) ---------------------------------------------------


def _disclosed_by(dataset_ids: list[int]) -> Q:
    """Events that disclosed any of these datasets."""
    found = Q(pk__in=[])
    for dataset_id in dataset_ids:
        if connection.vendor == "postgresql":
            found |= Q(disclosures__contains=[{"dataset_id": dataset_id}])
        else:
            found |= Q(disclosures__icontains=f'"dataset_id": {dataset_id},')
    return found


def scoped_events(*, requester: User) -> QuerySet[AccessEvent]:
    """The events an IG officer oversees: by their agency's staff or disclosing their agency's
    data; for a partnership IG lead, the whole partnership's."""
    events = _events_for(requester=requester)
    if is_partnership_ig_lead(user=requester):
        return events
    dataset_ids = list(
        Dataset.objects.filter(agency_id=requester.agency_id).values_list("pk", flat=True)
    )
    return events.filter(Q(agency_id=requester.agency_id) | _disclosed_by(dataset_ids))


def event_get(*, requester: User, event_id: int) -> AccessEvent:
    """One event the IG officer oversees (or one behind an alert they review); else a 404."""
    alerts = _alerts_for(requester=requester)
    if connection.vendor == "postgresql":
        behind_alert = alerts.filter(event_ids__contains=[event_id]).exists()
    else:
        behind_alert = any(event_id in ids for ids in alerts.values_list("event_ids", flat=True))
    events = (
        _events_for(requester=requester) if behind_alert else scoped_events(requester=requester)
    )
    return get_object_or_404(events, pk=event_id)


# The IG dashboard (issue 6) ----------------------------------------------------------------------

DASHBOARD_TOP_USERS = 10
DASHBOARD_BREAK_GLASS_SHOWN = 20


@dataclass(frozen=True)
class DashboardFilters:
    """What the IG officer narrowed the dashboard to: a period of local dates (both included)
    and, optionally, one user (username), person, agency (the user's), purpose or action."""

    since: date
    until: date
    username: str = ""
    person_id: UUID | None = None
    agency_id: int | None = None
    purpose_id: int | None = None
    action: str = ""

    def as_parameters(self) -> dict[str, object]:
        """The filters as the access log records them."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "username": self.username,
            "person": str(self.person_id) if self.person_id else "",
            "agency": self.agency_id,
            "purpose": self.purpose_id,
            "action": self.action,
        }

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]


@dataclass(frozen=True)
class DailyBreakdown:
    """Events per day, one series per agency, purpose or action."""

    days: list[date]
    series: list[tuple[str, tuple[int, ...]]]

    @property
    def rows(self) -> list[tuple[date, tuple[int, ...]]]:
        """The same figures by day, for the table next to the chart."""
        return [
            (day, tuple(counts[n] for _, counts in self.series)) for n, day in enumerate(self.days)
        ]

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(counts) for _, counts in self.series)

    @property
    def named_totals(self) -> list[tuple[str, int]]:
        return [(name, sum(counts)) for name, counts in self.series]


@dataclass(frozen=True)
class UserCount:
    user_id: int | None
    username: str
    full_name: str
    agency_name: str
    events: int


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard shows, counted in the database with a fixed number of queries.
    `events` is the filtered log itself (newest first), for the list and the exports."""

    filters: DashboardFilters
    events: QuerySet[AccessEvent]
    by_agency: DailyBreakdown
    by_purpose: DailyBreakdown
    by_action: DailyBreakdown
    break_glass: DailyBreakdown
    break_glass_events: list[AccessEvent]
    top_users: list[UserCount]
    open_alerts: int
    alerts_not_closed: int


def dashboard_filter_choices(
    *, requester: User
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The partnership's agencies and purposes, by name, for the dashboard's filters."""
    _events_for(requester=requester)  # only IG officers
    partnership_id = requester.agency.partnership_id
    agencies = list(
        Agency.objects.filter(partnership_id=partnership_id)
        .order_by("name")
        .values_list("pk", "name")
    )
    purposes = list(
        Purpose.objects.filter(partnership_id=partnership_id)
        .order_by("name")
        .values_list("pk", "name")
    )
    return agencies, purposes


def dashboard_events(*, requester: User, filters: DashboardFilters) -> QuerySet[AccessEvent]:
    """The events the IG officer oversees (scoped_events) that match the filters, newest first."""
    start = timezone.make_aware(datetime.combine(filters.since, time.min))
    end = timezone.make_aware(datetime.combine(filters.until + timedelta(days=1), time.min))
    events = scoped_events(requester=requester).filter(occurred_at__gte=start, occurred_at__lt=end)
    if filters.username:
        events = events.filter(username__iexact=filters.username)
    if filters.person_id is not None:
        events = events.filter(**_person_filter(filters.person_id))
    if filters.agency_id is not None:
        events = events.filter(agency_id=filters.agency_id)
    if filters.purpose_id is not None:
        events = events.filter(purpose_id=filters.purpose_id)
    if filters.action:
        events = events.filter(action=filters.action)
    return events.order_by("-occurred_at", "-id")


def _daily(
    events: QuerySet[AccessEvent], *, column: str, days: list[date], label: dict[str, str]
) -> DailyBreakdown:
    """One aggregate query: events per local day and value of `column`, zeros filled in."""
    rows = (
        events.order_by()
        .annotate(day=TruncDate("occurred_at"))
        .values("day", column)
        .annotate(events=Count("id"))
    )
    index = {day: n for n, day in enumerate(days)}
    counts: dict[str, list[int]] = {}
    for row in rows:
        name = label.get(row[column], row[column]) or label.get("", "")
        position = index.get(row["day"])
        if position is not None:
            counts.setdefault(name, [0] * len(days))[position] += row["events"]
    ranked = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    return DailyBreakdown(days=days, series=[(name, tuple(values)) for name, values in ranked])


def dashboard_figures(*, requester: User, filters: DashboardFilters) -> DashboardFigures:
    """The IG dashboard: events over time by agency, purpose and action, break-glass uses, the
    busiest users and the open alerts, all aggregated in the database (seven queries after the
    officer's scope, however many events there are)."""
    events = dashboard_events(requester=requester, filters=filters)
    days = filters.days
    by_action = _daily(events, column="action", days=days, label=dict(Action.choices))
    glass_label = Action.BREAK_GLASS.label
    break_glass = DailyBreakdown(
        days=days, series=[one for one in by_action.series if one[0] == glass_label]
    )
    top_users = [
        UserCount(
            user_id=row["user_id"],
            username=row["username"],
            full_name=row["user_full_name"],
            agency_name=row["agency_name"],
            events=row["events"],
        )
        for row in events.order_by()
        .values("user_id", "username", "user_full_name", "agency_name")
        .annotate(events=Count("id"))
        .order_by("-events", "username")[:DASHBOARD_TOP_USERS]
    ]
    alerts = Alert.objects.filter(pk__in=_alerts_for(requester=requester).values("pk")).aggregate(
        open=Count("id", filter=Q(status=AlertStatus.OPEN)),
        not_closed=Count("id", filter=~Q(status=AlertStatus.CLOSED)),
    )
    return DashboardFigures(
        filters=filters,
        events=events,
        by_agency=_daily(events, column="agency_name", days=days, label={"": "No agency"}),
        by_purpose=_daily(events, column="purpose_name", days=days, label={"": "No purpose"}),
        by_action=by_action,
        break_glass=break_glass,
        break_glass_events=list(
            events.filter(action=Action.BREAK_GLASS)[:DASHBOARD_BREAK_GLASS_SHOWN]
        ),
        top_users=top_users,
        open_alerts=alerts["open"],
        alerts_not_closed=alerts["not_closed"],
    )


def dashboard_person(*, requester: User, person_id: UUID) -> Person | None:
    """The partnership's person with this id, if any (to name them in an export's event)."""
    return Person.objects.filter(
        public_id=person_id, partnership_id=requester.agency.partnership_id
    ).first()


# Sensitive and VIP persons (ADR 0013) ------------------------------------------------------------


def sensitive_persons(*, requester: User) -> QuerySet[SensitivePerson]:
    """The persons of the officer's partnership marked sensitive and not lifted, newest first."""
    if not (requester.is_active and requester.has_user_type(UserType.IG_OFFICER)):
        raise PermissionDenied("Only IG officers can see who is marked sensitive.")
    return SensitivePerson.objects.filter(
        partnership_id=requester.agency.partnership_id, lifted_at__isnull=True
    ).select_related("person", "set_by")
