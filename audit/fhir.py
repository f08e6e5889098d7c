"""Access events as FHIR R4 AuditEvent resources in the shape of IHE Basic Audit Log Patterns
(BALP): PatientRead for reads of a person, PatientQuery for searches, with the practitioner as
the requesting agent (purposeOfUse from the purpose's HL7 code), the browser as the source and
Single View as the destination, and an entity per person (and the query, for searches)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from audit.models import AccessEvent, Action, Outcome

BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
BALP_ENTITY_TYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
PERSON_SYSTEM = "urn:singleview:person"
USER_SYSTEM = "urn:singleview:user"
SYSTEM_NAME = "Single View"

# action -> (BALP profile, restful interaction, AuditEvent.action)
_SHAPES: dict[str, tuple[str, str, str]] = {
    Action.SEARCH: ("PatientQuery", "search", "E"),
    Action.RESULTS_SHOWN: ("PatientQuery", "search", "E"),
    Action.COHORT_SHOWN: ("PatientQuery", "search", "E"),
    Action.PERSON_VIEWED: ("PatientRead", "read", "R"),
    Action.CARD_SHOWN: ("PatientRead", "read", "R"),
    Action.BREAK_GLASS: ("PatientRead", "read", "R"),
    Action.EXPORT: ("PatientRead", "read", "R"),
    Action.REPORT_VIEWED: ("Query", "search", "E"),
    Action.RELATIONSHIP_RECORDED: ("Create", "create", "C"),
}
# AuditEvent.outcome: 0 success, 4 minor failure (refused), 8 serious failure.
_OUTCOMES: dict[str, str] = {Outcome.ALLOWED: "0", Outcome.DENIED: "4", Outcome.ERROR: "8"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _shape(event: AccessEvent) -> tuple[str, str, str]:
    if event.action in _SHAPES:
        return _SHAPES[event.action]
    attempted = str(event.detail.get("attempted", "")) if isinstance(event.detail, dict) else ""
    return _SHAPES.get(attempted, ("Read", "read", "R"))


def _user_agent(event: AccessEvent) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "type": {"coding": [_coding(PARTICIPATION_TYPE, "IRCP", "information recipient")]},
        "who": {
            "identifier": {"system": USER_SYSTEM, "value": event.username},
            "display": event.user_full_name or event.username,
        },
        "requestor": True,
    }
    roles = [
        {"text": f"{label}: {value}"}
        for label, value in (
            ("Agency", event.agency_name),
            ("Organisation type", event.organisation_type),
            ("Role", event.role_name),
        )
        if value
    ]
    if roles:
        agent["role"] = roles
    if event.purpose_of_use:
        agent["purposeOfUse"] = [{"coding": [_coding(ACT_REASON, event.purpose_of_use)]}]
    return agent


def _network_agents(event: AccessEvent) -> list[dict[str, Any]]:
    client: dict[str, Any] = {
        "type": {"coding": [_coding(DICOM, "110153", "Source Role ID")]},
        "who": {"display": event.user_agent or "web browser"},
        "requestor": False,
    }
    if event.client_address:
        client["network"] = {"address": event.client_address, "type": "2"}
    server = {
        "type": {"coding": [_coding(DICOM, "110152", "Destination Role ID")]},
        "who": {"display": SYSTEM_NAME},
        "requestor": False,
    }
    return [client, server]


def _entities(event: AccessEvent, profile: str) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = [
        {
            "what": {"identifier": {"system": PERSON_SYSTEM, "value": person_id}},
            "type": _coding(ENTITY_TYPE, "1", "Person"),
            "role": _coding(OBJECT_ROLE, "1", "Patient"),
        }
        for person_id in event.person_ids
    ]
    if profile in {"PatientQuery", "Query"}:
        query = json.dumps(
            event.search_terms or event.detail, sort_keys=True, separators=(",", ":")
        )
        entities.append(
            {
                "type": _coding(ENTITY_TYPE, "2", "System Object"),
                "role": _coding(OBJECT_ROLE, "24", "Query"),
                "query": base64.b64encode(query.encode()).decode(),
            }
        )
    if event.request_id:
        entities.append(
            {
                "what": {"identifier": {"value": event.request_id}},
                "type": _coding(BALP_ENTITY_TYPE, "XrequestId", "X-Request-Id"),
            }
        )
    entities.extend(
        {
            "what": {"display": str(disclosure.get("dataset_code", ""))},
            "type": _coding(ENTITY_TYPE, "2", "System Object"),
            "role": _coding(OBJECT_ROLE, "4", "Domain Resource"),
            "detail": [
                {"type": "disclosure_level", "valueString": str(disclosure.get("level", ""))},
                {"type": "fields", "valueString": ",".join(disclosure.get("fields", []))},
                {"type": "grant", "valueString": str(disclosure.get("grant_id", ""))},
                {"type": "grant_version", "valueString": str(disclosure.get("grant_version", ""))},
            ],
        }
        for disclosure in event.disclosures
    )
    return entities


def audit_event(event: AccessEvent) -> dict[str, Any]:
    """One access event as a FHIR R4 AuditEvent (BALP)."""
    profile, interaction, action = _shape(event)
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.pk),
        "meta": {"profile": [f"{BALP}.{profile}"]},
        "type": _coding(AUDIT_EVENT_TYPE, "rest", "Restful Operation"),
        "subtype": [_coding(RESTFUL_INTERACTION, interaction)],
        "action": action,
        "recorded": event.occurred_at.isoformat(timespec="milliseconds"),
        "outcome": _OUTCOMES.get(event.outcome, "8"),
        "agent": [_user_agent(event), *_network_agents(event)],
        "source": {
            "observer": {"display": SYSTEM_NAME},
            "type": [_coding(SOURCE_TYPE, "4", "Application Server")],
        },
        "entity": _entities(event, profile),
    }
    if event.outcome != Outcome.ALLOWED:
        reason = event.detail.get("reason") or event.detail.get("error") or event.outcome
        resource["outcomeDesc"] = str(reason)
    if event.purpose_of_use or event.justification:
        purpose: dict[str, Any] = {}
        if event.purpose_of_use:
            purpose["coding"] = [_coding(ACT_REASON, event.purpose_of_use)]
        if event.justification:
            purpose["text"] = event.justification
        resource["purposeOfEvent"] = [purpose]
    return resource


def audit_bundle(events: Iterable[AccessEvent]) -> dict[str, Any]:
    """Several events as a FHIR R4 collection Bundle."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": audit_event(event)} for event in events],
    }
