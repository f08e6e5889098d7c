"""The alert rules: pure functions over plain data, tested without a database (ADR 0013).

`audit.alerts` gathers the facts (events, the viewed person's source records, staff names,
baselines) and asks these whether to raise an alert.

Staff accounts hold a name but no date of birth or address (and `agencies` models are not
changed for this), so "self look-up" means the person viewed has a source record with the user's
own given and family name; "same surname" means the family name alone matches. Neither can tell a
namesake from the user: that is for the reviewing IG officer.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Name:
    given: str
    family: str


_NOT_LETTERS = re.compile(r"[^a-z]")


def normalised(text: str) -> str:
    """Lower case ASCII letters only: "O'Brien-Smith" and "obriensmith" are the same."""
    decomposed = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", decomposed.casefold())


def _given_matches(one: str, other: str) -> bool:
    """Given names match on the first given name (records often hold middle names too)."""
    first = [normalised(part) for part in one.split()[:1]]
    second = [normalised(part) for part in other.split()[:1]]
    return bool(first) and first == second and bool(first[0])


def same_name(staff: Name, record: Name) -> bool:
    """The same given (first) and family name."""
    family = normalised(staff.family)
    return (
        bool(family)
        and family == normalised(record.family)
        and _given_matches(staff.given, record.given)
    )


def self_lookup(*, user: Name, records: Iterable[Name]) -> bool:
    """A source record of the person viewed has the user's own name."""
    return any(same_name(user, record) for record in records)


def same_surname(*, user: Name, records: Iterable[Name]) -> bool:
    """A source record of the person viewed has the user's family name (but not their full
    name: that is a self look-up)."""
    family = normalised(user.family)
    return bool(family) and any(
        normalised(record.family) == family and not same_name(user, record) for record in records
    )


def colleague(*, user_id: int, staff: Iterable[tuple[int, Name]], records: Sequence[Name]) -> bool:
    """A source record of the person viewed has the name of another member of staff of any
    partner agency."""
    return any(
        staff_id != user_id and any(same_name(name, record) for record in records)
        for staff_id, name in staff
    )


def sensitive(*, flagged: bool, sealed_records: int) -> bool:
    """The person is marked sensitive or VIP, or an agency has sealed one of their records."""
    return flagged or sealed_records > 0


def percentile(values: Sequence[int], fraction: float) -> float:
    """The nearest-rank percentile (0 when there are no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return float(ordered[rank - 1])


def volume_spike(
    *, today: int, own_daily: Sequence[int], peers_today: Sequence[int], minimum: int
) -> bool:
    """Persons viewed today is above both three times the user's own daily median over the
    baseline period (days without use count as 0) and the 95th percentile of their peers today,
    and at least `minimum` (a handful of views is never a spike)."""
    median = statistics.median(own_daily) if own_daily else 0
    return today >= minimum and today > max(3 * median, percentile(peers_today, 0.95))


@dataclass(frozen=True)
class WorkingHours:
    start_hour: int  # first hour inside working hours, local time
    end_hour: int  # first hour after working hours
    weekends: bool = False  # whether Saturday and Sunday are working days


def out_of_hours(*, local: datetime, hours: WorkingHours) -> bool:
    """Before the start hour, from the end hour on, or (unless they are working days) at a
    weekend."""
    if not hours.weekends and local.weekday() >= 5:
        return True
    return not (hours.start_hour <= local.hour < hours.end_hour)


def fishing(*, searches_with_results: int, persons_viewed: int, threshold: int) -> bool:
    """At least `threshold` searches that found someone, and nobody viewed, in the window."""
    return persons_viewed == 0 and searches_with_results >= threshold


def repeated_denials(*, denials: int, threshold: int) -> bool:
    """At least `threshold` refusals in the window."""
    return denials >= threshold
