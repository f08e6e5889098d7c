"""How fresh a dataset is: pure, plain data in and out (no Django)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

FreshnessState = Literal["never", "fresh", "stale"]


@dataclass(frozen=True, slots=True)
class Freshness:
    """`confirmed_at` is the last time the published data was confirmed current (a publish, or
    the same file received again); the dataset is stale once its refresh cadence has passed
    since then."""

    state: FreshnessState
    last_published_at: datetime | None
    confirmed_at: datetime | None
    due_at: datetime | None
    cadence: timedelta

    @property
    def stale(self) -> bool:
        return self.state != "fresh"

    @property
    def label(self) -> str:
        return {"never": "Never published", "fresh": "Up to date", "stale": "Stale"}[self.state]


def freshness_of(
    *,
    last_published_at: datetime | None,
    confirmed_at: datetime | None,
    cadence: timedelta,
    now: datetime,
) -> Freshness:
    if last_published_at is None:
        return Freshness("never", None, None, None, cadence)
    confirmed = max(confirmed_at or last_published_at, last_published_at)
    due_at = confirmed + cadence
    state: FreshnessState = "fresh" if now <= due_at else "stale"
    return Freshness(state, last_published_at, confirmed, due_at, cadence)
