"""Access events as FHIR R4 AuditEvents in the IHE BALP shape."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import RequestFactory

from audit import events
from audit.fhir import audit_bundle, audit_event
from audit.models import Action

pytestmark = pytest.mark.django_db

BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit"


def _request():
    return RequestFactory().get(
        "/", REMOTE_ADDR="10.20.3.4", HTTP_USER_AGENT="Firefox/140", HTTP_X_REQUEST_ID="req-1"
    )


def _entities(resource, role):
    return [entity for entity in resource["entity"] if entity.get("role", {}).get("code") == role]


def _agent(resource, code):
    return next(agent for agent in resource["agent"] if agent["type"]["coding"][0]["code"] == code)


def test_a_person_view_is_a_balp_patient_read(world):
    # Given a recorded view of a person
    event = events.record_person_viewed(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosures=[world["disclosure"]],
        request=_request(),
    )

    # When it is exported
    resource = audit_event(event)

    # Then it is a successful RESTful read by the GP, for treatment, of that patient
    assert resource["meta"]["profile"] == [f"{BALP}.PatientRead"]
    assert (resource["type"]["code"], resource["subtype"][0]["code"]) == ("rest", "read")
    assert (resource["action"], resource["outcome"]) == ("R", "0")
    user = _agent(resource, "IRCP")
    assert user["requestor"] is True
    assert user["who"]["identifier"]["value"] == world["doctor"].username
    assert user["purposeOfUse"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
        "code": "TREAT",
    }
    assert _agent(resource, "110153")["network"] == {"address": "10.20.3.4", "type": "2"}
    assert _agent(resource, "110152")["requestor"] is False
    patients = _entities(resource, "1")
    assert [entity["what"]["identifier"]["value"] for entity in patients] == [
        str(world["person"].public_id)
    ]


def test_a_search_is_a_balp_patient_query_with_its_terms(world):
    terms = {"family_name": "Smith", "date_of_birth": "1970-01-02"}
    event = events.record_search(
        user=world["doctor"], purpose=world["direct_care"], terms=terms, result_count=2
    )

    resource = audit_event(event)

    (query,) = _entities(resource, "24")
    assert resource["meta"]["profile"] == [f"{BALP}.PatientQuery"]
    assert (resource["subtype"][0]["code"], resource["action"]) == ("search", "E")
    assert json.loads(base64.b64decode(query["query"])) == terms


def test_a_refusal_is_a_minor_failure_with_its_reason(world):
    event = events.record_denied(
        user=world["doctor"],
        purpose=world["direct_care"],
        attempted=Action.PERSON_VIEWED,
        reason="No grant covers this dataset.",
    )

    resource = audit_event(event)

    assert (resource["outcome"], resource["outcomeDesc"]) == ("4", "No grant covers this dataset.")
    assert resource["meta"]["profile"] == [f"{BALP}.PatientRead"]


def test_events_export_as_a_collection_bundle(world):
    event = events.record_search(
        user=world["doctor"], purpose=world["direct_care"], terms={}, result_count=0
    )

    bundle = audit_bundle([event])

    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    assert [entry["resource"]["id"] for entry in bundle["entry"]] == [str(event.pk)]
