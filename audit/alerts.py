"""Raising alerts on the access log (ADR 0013): the I/O around the pure rules in `audit.rules`.

`alerts_raise` runs every few minutes (Celery beat, `audit.tasks.alerts_raise_task`) over the
recent events; `alert_break_glass` is called by the break-glass path straight after its event
commits. Each alert has a key (rule, user, occasion), so raising the same alert again is a no-op
and overlapping runs are harmless. Raising an alert emails the IG officers of the agencies
involved (the user's and the data-owning ones) a message that names no person.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Dataset, SourceRecord, User, UserType
from audit import rules
from audit.models import (
    AccessEvent,
    Action,
    Alert,
    AlertRule,
    AlertSeverity,
    Outcome,
    PartnershipIGLead,
    SensitivePerson,
)
from governance.models import Restriction, RestrictionKind
from matching.models import LinkStatus, Person

logger = logging.getLogger(__name__)

SEVERITY = {
    AlertRule.SELF_LOOKUP: AlertSeverity.HIGH,
    AlertRule.SAME_SURNAME: AlertSeverity.MEDIUM,
    AlertRule.COLLEAGUE: AlertSeverity.HIGH,
    AlertRule.SENSITIVE: AlertSeverity.HIGH,
    AlertRule.VOLUME_SPIKE: AlertSeverity.MEDIUM,
    AlertRule.OUT_OF_HOURS: AlertSeverity.LOW,
    AlertRule.FISHING: AlertSeverity.MEDIUM,
    AlertRule.REPEATED_DENIALS: AlertSeverity.MEDIUM,
    AlertRule.BREAK_GLASS: AlertSeverity.HIGH,
}

# Actions that show a person's own information, and every action that is a use of Single View.
PERSON_ACTIONS = frozenset({Action.PERSON_VIEWED, Action.CARD_SHOWN, Action.BREAK_GLASS})
USE_ACTIONS = frozenset(
    {
        Action.SEARCH,
        Action.RESULTS_SHOWN,
        Action.PERSON_VIEWED,
        Action.CARD_SHOWN,
        Action.COHORT_SHOWN,
        Action.EXPORT,
        Action.BREAK_GLASS,
        Action.REPORT_VIEWED,
    }
)
VIEW_ACTIONS = (Action.PERSON_VIEWED, Action.BREAK_GLASS)


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know about one person viewed."""

    names: list[rules.Name]
    flagged: bool
    sealed_records: int


# Raising -----------------------------------------------------------------------------------------


def alert_break_glass(*, event_id: int) -> Alert | None:
    """Raise the alert every break-glass use gets, at once (None if it was raised already)."""
    event = AccessEvent.objects.get(pk=event_id, action=Action.BREAK_GLASS)
    return _raise(
        rule=AlertRule.BREAK_GLASS,
        key=f"{AlertRule.BREAK_GLASS}:{event.pk}",
        events=[event],
        summary="Break-glass access was used.",
    )


def alerts_raise(*, since: datetime, now: datetime | None = None) -> list[Alert]:
    """Evaluate every rule over the events from `since` to `now`; the alerts newly raised."""
    now = now or timezone.now()
    events = list(
        AccessEvent.objects.filter(
            occurred_at__gte=since, occurred_at__lte=now, user_id__isnull=False
        ).order_by("id")
    )
    raised: list[Alert | None] = []
    persons: dict[str, PersonFacts | None] = {}
    staff: dict[int, list[tuple[int, rules.Name]]] = {}
    hours = rules.WorkingHours(
        start_hour=settings.ALERT_WORKING_START_HOUR,
        end_hour=settings.ALERT_WORKING_END_HOUR,
        weekends=settings.ALERT_WEEKENDS_ARE_WORKING_DAYS,
    )
    for event in events:
        if event.action == Action.BREAK_GLASS:
            raised.append(alert_break_glass(event_id=event.pk))
        local = timezone.localtime(event.occurred_at)
        if event.action in USE_ACTIONS and rules.out_of_hours(local=local, hours=hours):
            raised.append(
                _raise(
                    rule=AlertRule.OUT_OF_HOURS,
                    key=f"{AlertRule.OUT_OF_HOURS}:{event.user_id}:{local.date()}",
                    events=[event],
                    summary=f"Single View was used at {local:%H:%M} on {local:%A %-d %B %Y}.",
                )
            )
        if event.action in PERSON_ACTIONS and event.outcome == Outcome.ALLOWED:
            if event.partnership_id not in staff:
                staff[event.partnership_id] = _staff_names(event.partnership_id)
            raised += _person_alerts(event, persons, staff[event.partnership_id])
    by_user: dict[int, list[AccessEvent]] = defaultdict(list)
    for event in events:
        by_user[int(event.user_id or 0)].append(event)
    for user_events in by_user.values():
        raised += _user_alerts(user_events, now=now)
    return [alert for alert in raised if alert is not None]


def _person_alerts(
    event: AccessEvent,
    persons: dict[str, PersonFacts | None],
    staff: list[tuple[int, rules.Name]],
) -> list[Alert | None]:
    user = rules.Name(*_user_name(staff, int(event.user_id or 0)))
    day = timezone.localdate(event.occurred_at)
    raised: list[Alert | None] = []
    for person_id in event.person_ids:
        if person_id not in persons:
            persons[person_id] = _person_facts(person_id, event.partnership_id)
        facts = persons[person_id]
        if facts is None:
            continue
        checks = [
            (AlertRule.SELF_LOOKUP, rules.self_lookup(user=user, records=facts.names)),
            (AlertRule.SAME_SURNAME, rules.same_surname(user=user, records=facts.names)),
            (
                AlertRule.COLLEAGUE,
                rules.colleague(user_id=int(event.user_id or 0), staff=staff, records=facts.names),
            ),
            (
                AlertRule.SENSITIVE,
                rules.sensitive(flagged=facts.flagged, sealed_records=facts.sealed_records),
            ),
        ]
        raised += [
            _raise(
                rule=rule,
                key=f"{rule}:{event.user_id}:{person_id}:{day}",
                events=[event],
                person_ids=[person_id],
                summary=f"{AlertRule(rule).label}.",
            )
            for rule, hit in checks
            if hit
        ]
    return raised


def _user_alerts(user_events: list[AccessEvent], *, now: datetime) -> list[Alert | None]:
    """The rules over a user's recent use as a whole: fishing, denials, volume."""
    last = user_events[-1]
    user_id = int(last.user_id or 0)
    day = timezone.localdate(now)
    window = AccessEvent.objects.filter(
        partnership_id=last.partnership_id,
        user_id=user_id,
        occurred_at__gte=now - timedelta(minutes=settings.ALERT_WINDOW_MINUTES),
        occurred_at__lte=now,
    )
    raised: list[Alert | None] = []
    actions = {event.action for event in user_events}
    if Action.SEARCH in actions:
        searches = list(window.filter(action=Action.SEARCH, result_count__gt=0).order_by("id"))
        viewed = window.filter(action__in=VIEW_ACTIONS, outcome=Outcome.ALLOWED).count()
        if rules.fishing(
            searches_with_results=len(searches),
            persons_viewed=viewed,
            threshold=settings.ALERT_FISHING_SEARCHES,
        ):
            raised.append(
                _raise(
                    rule=AlertRule.FISHING,
                    key=f"{AlertRule.FISHING}:{user_id}:{day}",
                    events=searches,
                    summary=f"{len(searches)} searches found people but nobody was viewed "
                    f"within {settings.ALERT_WINDOW_MINUTES} minutes.",
                )
            )
    if Action.DENIED in actions:
        denied = list(window.filter(action=Action.DENIED).order_by("id"))
        if rules.repeated_denials(denials=len(denied), threshold=settings.ALERT_DENIALS):
            raised.append(
                _raise(
                    rule=AlertRule.REPEATED_DENIALS,
                    key=f"{AlertRule.REPEATED_DENIALS}:{user_id}:{day}",
                    events=denied,
                    summary=f"{len(denied)} refusals within {settings.ALERT_WINDOW_MINUTES} "
                    "minutes.",
                )
            )
    if actions & set(VIEW_ACTIONS):
        raised.append(_volume_alert(last, day=day))
    return raised


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _volume_alert(last: AccessEvent, *, day: date) -> Alert | None:
    user_id = int(last.user_id or 0)
    baseline_days = settings.ALERT_BASELINE_DAYS
    start, today_start = _day_start(day - timedelta(days=baseline_days)), _day_start(day)
    views = AccessEvent.objects.filter(
        partnership_id=last.partnership_id, action__in=VIEW_ACTIONS, outcome=Outcome.ALLOWED
    )
    own = dict(
        views.filter(user_id=user_id, occurred_at__gte=start, occurred_at__lt=today_start)
        .annotate(day=TruncDate("occurred_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    own_daily = [int(own.get(day - timedelta(days=n), 0)) for n in range(1, baseline_days + 1)]
    today = views.filter(occurred_at__gte=today_start)
    counts = dict(
        today.filter(role_code=last.role_code)
        .values_list("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    mine = int(counts.pop(user_id, 0))
    if not rules.volume_spike(
        today=mine,
        own_daily=own_daily,
        peers_today=[int(n) for n in counts.values()],
        minimum=settings.ALERT_VOLUME_MINIMUM,
    ):
        return None
    median = statistics.median(own_daily)
    return _raise(
        rule=AlertRule.VOLUME_SPIKE,
        key=f"{AlertRule.VOLUME_SPIKE}:{user_id}:{day}",
        events=[last],
        summary=f"{mine} persons viewed today; usually {median:g} a day.",
    )


# Facts -------------------------------------------------------------------------------------------


def _staff_names(partnership_id: int) -> list[tuple[int, rules.Name]]:
    rows = User.objects.filter(agency__partnership_id=partnership_id).values_list(
        "pk", "first_name", "last_name"
    )
    return [(pk, rules.Name(first, last)) for pk, first, last in rows]


def _user_name(staff: list[tuple[int, rules.Name]], user_id: int) -> tuple[str, str]:
    for pk, name in staff:
        if pk == user_id:
            return name.given, name.family
    return "", ""


def _person_facts(person_id: str, partnership_id: int) -> PersonFacts | None:
    person = Person.objects.filter(public_id=person_id, partnership_id=partnership_id).first()
    if person is None:
        return None
    records = list(
        SourceRecord.objects.filter(
            links__person=person, links__status=LinkStatus.ACTIVE
        ).values_list("given_name", "family_name", "dataset_id", "source_key")
    )
    sealed = 0
    if records:
        sealed = Restriction.objects.filter(
            kind=RestrictionKind.SEALED,
            lifted_at__isnull=True,
            dataset_id__in={row[2] for row in records},
            source_key__in={row[3] for row in records},
        ).count()
    return PersonFacts(
        names=[rules.Name(given, family) for given, family, _, _ in records],
        flagged=SensitivePerson.objects.filter(person=person, lifted_at__isnull=True).exists(),
        sealed_records=sealed,
    )


def _agency_ids(events: Iterable[AccessEvent]) -> set[int]:
    """The users' agencies and the agencies whose datasets were disclosed."""
    agency_ids = {int(event.agency_id) for event in events if event.agency_id is not None}
    dataset_ids = {
        int(entry["dataset_id"])
        for event in events
        for entry in event.disclosures
        if isinstance(entry, dict) and entry.get("dataset_id") is not None
    }
    if dataset_ids:
        agency_ids |= set(
            Dataset.objects.filter(pk__in=dataset_ids).values_list("agency_id", flat=True)
        )
    return agency_ids


# The write ---------------------------------------------------------------------------------------


def _raise(
    *,
    rule: str,
    key: str,
    events: list[AccessEvent],
    summary: str,
    person_ids: list[str] | None = None,
) -> Alert | None:
    if Alert.objects.filter(key=key).exists():
        return None
    first = events[0]
    ids = person_ids if person_ids is not None else _person_ids(events)
    alert = Alert(
        partnership_id=first.partnership_id,
        rule=rule,
        severity=SEVERITY[AlertRule(rule)],
        key=key,
        user_id=int(first.user_id or 0),
        event_ids=[event.pk for event in events],
        person_ids=ids,
        summary=summary[:300],
        created_at=timezone.now(),
    )
    alert.full_clean(exclude=["key"])
    try:
        with transaction.atomic():
            alert.save()
            agency_ids = _agency_ids(events)
            alert.agencies.set(
                agency_ids & set(_partnership_agencies(first.partnership_id, agency_ids))
            )
            transaction.on_commit(lambda: alert_notify(alert=alert))
    except IntegrityError:
        return None  # raised meanwhile by another run
    return alert


def _partnership_agencies(partnership_id: int, agency_ids: set[int]) -> list[int]:
    return list(
        Agency.objects.filter(partnership_id=partnership_id, pk__in=agency_ids).values_list(
            "pk", flat=True
        )
    )


def _person_ids(events: Iterable[AccessEvent]) -> list[str]:
    return list(dict.fromkeys(str(pid) for event in events for pid in event.person_ids))


# Notification ------------------------------------------------------------------------------------


def alert_reviewers(*, alert: Alert) -> list[User]:
    """The IG officers of the agencies involved, and the partnership's IG leads."""
    agency_ids = list(alert.agencies.values_list("pk", flat=True))
    lead_ids = PartnershipIGLead.objects.filter(
        user__agency__partnership_id=alert.partnership_id
    ).values_list("user_id", flat=True)
    officers = User.objects.filter(
        is_active=True,
        groups__name=UserType.IG_OFFICER.label,
        agency__partnership=alert.partnership_id,
    ).exclude(email="")
    return list(
        (officers.filter(agency_id__in=agency_ids) | officers.filter(pk__in=lead_ids)).distinct()
    )


def alert_link(*, alert: Alert) -> str:
    return settings.SINGLEVIEW_BASE_URL.rstrip("/") + reverse(
        "audit:alert-detail", kwargs={"pk": alert.pk}
    )


def alert_notify(*, alert: Alert) -> int:
    """Email the reviewers that an alert needs review: its type and a link, never a person."""
    reviewers = alert_reviewers(alert=alert)
    if not reviewers:
        logger.warning("Alert %s has no IG officer to review it.", alert.pk)
        return 0
    context: dict[str, Any] = {
        "rule": alert.get_rule_display(),
        "severity": alert.get_severity_display().lower(),
        "link": alert_link(alert=alert),
    }
    message = EmailMessage(
        subject=f"Single View: an alert of type “{alert.get_rule_display()}” needs review",
        body=render_to_string("email/audit_alert.txt", context),
        bcc=[reviewer.email for reviewer in reviewers],
    )
    return message.send(fail_silently=False)
