"""The only writers of the access log. Every read of people's information records one event here.

Read paths record inside `committed()`, which commits the event before anything is shown: if the
event cannot be written the block raises `AuditUnavailable` (a 503 page, or a 503 API answer) and
the caller must show nothing::

    with events.committed():
        events.record_person_viewed(
            user=user, purpose=purpose, person=person, disclosures=disclosures, request=request
        )
    return render(...)  # only now

The `record_*` functions themselves write in the caller's transaction, so a service that also
changes something (an IG review decision) records its event atomically with the change.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from axes.helpers import get_client_ip_address
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.exceptions import APIException

from agencies import reference
from agencies.models import User
from audit.models import AccessEvent, Action, Outcome
from governance.models import Purpose
from governance.policy import Disclosure
from matching.models import Person

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_META = "singleview.audit.request_id"
_CLIENT_ADDRESS_META = "singleview.audit.client_address"
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
USER_AGENT_LENGTH = 500


class AuditUnavailable(APIException):
    """The access log could not record a read, so nothing may be shown."""

    status_code = 503
    default_detail = "Sorry, Single View cannot show this now: nothing was shown."
    default_code = "audit_unavailable"


@contextmanager
def committed() -> Iterator[None]:
    """Commit the events recorded inside the block before the caller goes on to show anything.

    Must not be entered inside another transaction (it would not commit there: Django raises
    RuntimeError). Any database error while recording or committing becomes AuditUnavailable.
    """
    try:
        with transaction.atomic(durable=True):
            yield
    except DatabaseError as error:
        logger.exception("The access log could not record a read; nothing was shown.")
        raise AuditUnavailable from error


# Reads -------------------------------------------------------------------------------------------


def record_search(
    *,
    user: User,
    purpose: Purpose,
    terms: Mapping[str, object],
    result_count: int,
    justification: str = "",
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A search, with its terms exactly as the user gave them."""
    return _record(
        user=user,
        purpose=purpose,
        request=request,
        justification=justification,
        case_reference=case_reference,
        **_search(terms, result_count),
    )


def record_results_shown(
    *,
    user: User,
    purpose: Purpose,
    persons: Iterable[Person],
    disclosures: Iterable[Disclosure] = (),
    justification: str = "",
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A list of search results: the people shown and what was shown of them (e.g. known-to)."""
    return _record(
        user=user,
        purpose=purpose,
        request=request,
        justification=justification,
        case_reference=case_reference,
        **_results_shown(persons, disclosures),
    )


def record_search_and_results(
    *,
    user: User,
    purpose: Purpose,
    terms: Mapping[str, object],
    result_count: int,
    persons: Iterable[Person],
    disclosures: Iterable[Disclosure] = (),
    justification: str = "",
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> tuple[AccessEvent, AccessEvent]:
    """A search and the results it showed: the events `record_search` and
    `record_results_shown` record, written by one statement (every search pays for both)."""
    common: dict[str, Any] = {
        "user": user,
        "purpose": purpose,
        "request": request,
        "justification": justification,
        "case_reference": case_reference,
    }
    search = _event(**common, **_search(terms, result_count))
    shown = _event(**common, **_results_shown(persons, disclosures))
    _insert(search, shown)
    return search, shown


def _search(terms: Mapping[str, object], result_count: int) -> dict[str, Any]:
    return {"action": Action.SEARCH, "search_terms": dict(terms), "result_count": result_count}


def _results_shown(persons: Iterable[Person], disclosures: Iterable[Disclosure]) -> dict[str, Any]:
    person_ids = _person_ids(persons)
    return {
        "action": Action.RESULTS_SHOWN,
        "person_ids": person_ids,
        "disclosures": _disclosed(disclosures),
        "result_count": len(person_ids),
    }


def record_person_viewed(
    *,
    user: User,
    purpose: Purpose,
    person: Person,
    disclosures: Iterable[Disclosure],
    justification: str = "",
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A person's page: every dataset disclosed, at what level, which fields, under which grant."""
    return _record(
        action=Action.PERSON_VIEWED,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=_person_ids([person]),
        disclosures=_disclosed(disclosures),
        justification=justification,
        case_reference=case_reference,
    )


def record_card_shown(
    *,
    user: User,
    purpose: Purpose,
    person: Person,
    disclosure: Disclosure,
    justification: str = "",
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """One dataset's card on a person's page, loaded on its own."""
    return _record(
        action=Action.CARD_SHOWN,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=_person_ids([person]),
        disclosures=_disclosed([disclosure]),
        justification=justification,
        case_reference=case_reference,
    )


def record_cohort_shown(
    *,
    user: User,
    purpose: Purpose,
    persons: Iterable[Person],
    disclosures: Iterable[Disclosure],
    cohort: str,
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A cohort list (e.g. people with mobility needs for Safe and Well visits)."""
    person_ids = _person_ids(persons)
    return _record(
        action=Action.COHORT_SHOWN,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=person_ids,
        disclosures=_disclosed(disclosures),
        result_count=len(person_ids),
        detail={"cohort": cohort},
    )


def record_export(
    *,
    user: User,
    purpose: Purpose | None,
    persons: Iterable[Person],
    export_format: str,
    row_count: int,
    disclosures: Iterable[Disclosure] = (),
    justification: str = "",
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A download (CSV, PDF, FHIR) of information about these people."""
    return _record(
        action=Action.EXPORT,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=_person_ids(persons),
        disclosures=_disclosed(disclosures),
        result_count=row_count,
        justification=justification,
        case_reference=case_reference,
        detail={"format": export_format},
    )


def record_break_glass(
    *,
    user: User,
    purpose: Purpose,
    person: Person,
    justification: str,
    disclosures: Iterable[Disclosure] = (),
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """Emergency access under a break-glass purpose; the justification is required."""
    if not justification.strip():
        raise ValidationError({"justification": "Say why you need emergency access."})
    return _record(
        action=Action.BREAK_GLASS,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=_person_ids([person]),
        disclosures=_disclosed(disclosures),
        justification=justification,
        case_reference=case_reference,
        detail={"emergency_purpose": purpose.is_emergency},
    )


def record_relationship(
    *,
    user: User,
    purpose: Purpose,
    person: Person,
    kind: str,
    detail: str,
    relationship_id: int,
    case_reference: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A practitioner recorded their legitimate relationship with a person (a grant's
    precondition), before any card that needs it opened."""
    return _record(
        action=Action.RELATIONSHIP_RECORDED,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=_person_ids([person]),
        case_reference=case_reference,
        detail={"relationship_id": relationship_id, "kind": kind, "detail": detail},
    )


def record_report_viewed(
    *,
    user: User,
    report: str,
    parameters: Mapping[str, object],
    persons: Iterable[Person] = (),
    result_count: int | None = None,
    request: HttpRequest | None = None,
) -> AccessEvent:
    """An audit report or subject access report: reading the log is itself a use of it."""
    return _record(
        action=Action.REPORT_VIEWED,
        user=user,
        purpose=None,
        request=request,
        person_ids=_person_ids(persons),
        result_count=result_count,
        detail={"report": report, "parameters": dict(parameters)},
    )


# Refusals, failures and decisions -----------------------------------------------------------------


def record_denied(
    *,
    user: User,
    purpose: Purpose | None,
    attempted: str,
    reason: str,
    person: Person | None = None,
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A refused attempt (`attempted` is an Action value), with the reason it was refused."""
    return _record(
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        user=user,
        purpose=purpose,
        request=request,
        person_ids=_person_ids([person] if person is not None else []),
        detail={"attempted": Action(attempted).value, "reason": reason},
    )


def record_error(
    *,
    user: User,
    purpose: Purpose | None,
    attempted: str,
    error: str,
    request: HttpRequest | None = None,
) -> AccessEvent:
    """A read that failed after it began (nothing, or not everything, was shown)."""
    return _record(
        action=Action.ERROR,
        outcome=Outcome.ERROR,
        user=user,
        purpose=purpose,
        request=request,
        detail={"attempted": Action(attempted).value, "error": error},
    )


def record_review_decision(
    *,
    reviewer: User,
    event_id: int,
    decision: str,
    reason: str,
    alert_id: int | None = None,
    request: HttpRequest | None = None,
) -> AccessEvent:
    """An IG officer's decision on an access event or alert (call inside the review service's
    transaction). For an alert, `event_id` is the alert's first event and `alert_id` its id."""
    detail: dict[str, object] = {"event_id": event_id, "decision": decision, "reason": reason}
    if alert_id is not None:
        detail["alert_id"] = alert_id
    return _record(
        action=Action.REVIEW_DECISION,
        user=reviewer,
        purpose=None,
        request=request,
        detail=detail,
    )


# The write ---------------------------------------------------------------------------------------


def _record(**made: Any) -> AccessEvent:
    """Make the event (`_event`'s arguments) and write it."""
    event = _event(**made)
    _insert(event)
    return event


def _event(
    *,
    action: str,
    user: User,
    purpose: Purpose | None,
    request: HttpRequest | None,
    outcome: str = Outcome.ALLOWED,
    **content: Any,
) -> AccessEvent:
    """An event, checked as the model's fields require, not yet written."""
    event = AccessEvent(
        occurred_at=timezone.now(),
        action=action,
        outcome=outcome,
        **_who(user),
        **_why(purpose),
        **_where(request),
        **content,
    )
    event.full_clean()
    return event


_INSERT_FIELDS = tuple(
    field for field in AccessEvent._meta.concrete_fields if not field.primary_key
)


def _insert(*events: AccessEvent) -> None:
    """Every read pays for this write, so it is one plain INSERT of the values Django's own
    fields prepare, one row per event: Model.save() adds about a third to its cost, for signals
    and bookkeeping an event never needs (benchmarks/audit_log.py)."""
    if len(events) > 1 and not connection.features.can_return_rows_from_bulk_insert:
        for event in events:
            _insert(event)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in _INSERT_FIELDS)
    row = f"({', '.join(['%s'] * len(_INSERT_FIELDS))})"
    values = [
        field.get_db_prep_save(field.pre_save(event, add=True), connection)
        for event in events
        for field in _INSERT_FIELDS
    ]
    returning = connection.features.can_return_columns_from_insert
    table = quote(AccessEvent._meta.db_table)
    rows = ", ".join([row] * len(events))
    sql = f"INSERT INTO {table} ({columns}) VALUES {rows}"  # noqa: S608 - the model's own names
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {quote('id')}" if returning else sql, values)
        if returning:
            # Rows come back in the order they were given (Django's bulk_create relies on it).
            for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
                event.pk = pk
        else:
            events[0].pk = cursor.lastrowid
    for event in events:
        event._state.adding = False
        event._state.db = connection.alias


def _who(user: User) -> dict[str, Any]:
    agency = user.agency
    role = user.role
    return {
        "partnership_id": agency.partnership_id,
        "user_id": user.pk,
        "username": user.get_username(),
        "user_full_name": user.get_full_name(),
        "agency_id": agency.pk,
        "agency_code": agency.code,
        "agency_name": agency.name,
        "organisation_type": agency.organisation_type.code,
        "role_code": role.code if role is not None else "",
        "role_name": role.name if role is not None else "",
    }


def _why(purpose: Purpose | None) -> dict[str, Any]:
    if purpose is None:
        return {}
    return {
        "purpose_id": purpose.pk,
        "purpose_code": purpose.code,
        "purpose_name": purpose.name,
        "purpose_of_use": purpose.hl7_purpose_of_use,
    }


def request_id(request: HttpRequest) -> str:
    """The request's id: the proxy's X-Request-ID when well formed, else one made here. Every
    event of one request carries the same id."""
    known = request.META.get(_REQUEST_ID_META)
    if known:
        return str(known)
    given = request.headers.get(REQUEST_ID_HEADER, "")
    value = given if _REQUEST_ID_PATTERN.match(given) else uuid.uuid4().hex
    request.META[_REQUEST_ID_META] = value
    return value


def _client_address(request: HttpRequest) -> str | None:
    """The same proxy-aware address the sign-in network check uses (django-ipware via axes),
    worked out once per request."""
    if _CLIENT_ADDRESS_META not in request.META:
        request.META[_CLIENT_ADDRESS_META] = get_client_ip_address(request) or None
    address: str | None = request.META[_CLIENT_ADDRESS_META]
    return address


def _where(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    return {
        "request_id": request_id(request),
        "client_address": _client_address(request),
        "user_agent": request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH],
    }


def _person_ids(persons: Iterable[Person]) -> list[str]:
    return list(dict.fromkeys(str(person.public_id) for person in persons))


def _dataset_codes(dataset_ids: set[int]) -> dict[int, str]:
    """Dataset codes by primary key, from the datasets' details each worker process holds
    (`agencies.reference`): every read pays for this lookup. The event records the dataset's id
    as well, so a code renamed in the last minute still names the right dataset."""
    return {pk: details.code for pk, details in reference.dataset_details(dataset_ids).items()}


def _disclosed(disclosures: Iterable[Disclosure]) -> list[dict[str, Any]]:
    """What was shown, per dataset: the level, the fields and the grant version allowing it.
    Withheld datasets disclosed nothing and are left out."""
    shown = [disclosure for disclosure in disclosures if disclosure.shown]
    if not shown:
        return []
    codes = _dataset_codes({d.dataset_id for d in shown})
    entries = {
        (d.dataset_id, d.level, tuple(sorted(d.fields)), d.grant_version_id): {
            "dataset_id": d.dataset_id,
            "dataset_code": codes.get(d.dataset_id, ""),
            "level": d.level,
            "fields": sorted(d.fields),
            "grant_id": d.grant_id,
            "grant_version_id": d.grant_version_id,
            "grant_version": d.grant_version,
        }
        for d in shown
    }
    return [entries[key] for key in sorted(entries, key=lambda key: (key[0], str(key)))]
