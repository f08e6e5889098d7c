"""Making access events and sealing them, for the tests of the chain."""

from __future__ import annotations

from typing import Any

from audit import events
from audit.models import AccessEvent


def viewed(world: dict[str, Any], *, justification: str = "") -> AccessEvent:
    """A GP's view of the world's person, recorded through the real writer."""
    return events.record_person_viewed(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosures=[world["disclosure"]],
        justification=justification,
    )


def views(world: dict[str, Any], count: int) -> list[AccessEvent]:
    return [viewed(world, justification=f"Visit {n}") for n in range(count)]


_COLUMNS = (
    "occurred_at, action, outcome, partnership_id, username, user_full_name, agency_code, "
    "agency_name, organisation_type, role_code, role_name, purpose_code, purpose_name, "
    "purpose_of_use, justification, case_reference, person_ids, disclosures, search_terms, "
    "detail, request_id, user_agent"
)
_VALUES = "%s, 'search', 'allowed', 0, 'forger', '', '', '', '', '', '', '', '', '', '', '', "
_VALUES += "'[]', '[]', '{}', '{}', '', ''"


def insert_raw_event(cursor: Any, *, occurred_at: str, event_id: int | None = None) -> None:
    """Insert an event by SQL, past the writers, as a database administrator could."""
    columns = _COLUMNS if event_id is None else f"id, {_COLUMNS}"
    values = _VALUES if event_id is None else f"%s, {_VALUES}"
    params = [occurred_at] if event_id is None else [event_id, occurred_at]
    cursor.execute(f"INSERT INTO audit_accessevent ({columns}) VALUES ({values})", params)  # noqa: S608 - constants
