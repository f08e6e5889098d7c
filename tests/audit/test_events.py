"""The access log's writers: each event stands alone, saying who, why, whom, what and where."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from audit import events
from audit.models import AccessEvent, Action, Outcome
from governance import policy
from governance.models import Role
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def _request(**headers):
    return RequestFactory().get(
        "/people/1/", REMOTE_ADDR="10.20.3.4", HTTP_USER_AGENT="Firefox/140", **headers
    )


def test_person_viewed_records_who_why_whom_and_the_grant(world):
    # Given a GP allowed a summary of adult social care for direct care
    doctor, person, version = world["doctor"], world["person"], world["version"]

    # When the view of one person is recorded
    event = events.record_person_viewed(
        user=doctor,
        purpose=world["direct_care"],
        person=person,
        disclosures=[world["disclosure"]],
        justification="Home visit tomorrow.",
        case_reference="CASE-42",
    )

    # Then the event copies who, why and whom, and the grant version behind the disclosure
    stored = AccessEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.outcome) == (Action.PERSON_VIEWED, Outcome.ALLOWED)
    assert (stored.partnership_id, stored.user_id, stored.username) == (
        world["partnership"].pk,
        doctor.pk,
        doctor.username,
    )
    assert stored.user_full_name == "Grace Hopper"
    assert (stored.agency_id, stored.agency_name, stored.agency_code) == (
        world["practice"].pk,
        "Avonshire Surgery",
        "AVOGP",
    )
    assert (stored.organisation_type, stored.role_code, stored.role_name) == (
        "gp_practice",
        "gp",
        "GP",
    )
    assert (stored.purpose_code, stored.purpose_of_use) == ("direct-care", "TREAT")
    assert (stored.justification, stored.case_reference) == ("Home visit tomorrow.", "CASE-42")
    assert stored.person_ids == [str(person.public_id)]
    assert stored.disclosures == [
        {
            "dataset_id": world["dataset"].pk,
            "dataset_code": "adult-social-care",
            "level": "summary",
            "fields": ["care_package", "given_name"],
            "grant_id": version.grant_id,
            "grant_version_id": version.pk,
            "grant_version": 1,
        }
    ]


def test_withheld_datasets_are_not_recorded_as_disclosed(world):
    # Given a dataset the GP has no grant for
    other = DatasetFactory(agency=world["council"])
    withheld = policy.decide(
        user=world["doctor"], purpose=world["direct_care"], dataset_id=other.pk
    )

    # When a view is recorded with both decisions
    event = events.record_person_viewed(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosures=[world["disclosure"], withheld],
    )

    # Then only what was shown is in the event
    assert [entry["dataset_id"] for entry in event.disclosures] == [world["dataset"].pk]


def test_search_keeps_the_terms_exactly_as_given(world):
    terms = {"family_name": "  O'Brien ", "date_of_birth": "1970-01-02", "postcode": "ba1 1aa"}

    event = events.record_search(
        user=world["doctor"], purpose=world["direct_care"], terms=terms, result_count=3
    )

    stored = AccessEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.search_terms, stored.result_count) == (Action.SEARCH, terms, 3)


def test_results_shown_lists_each_person_once(world):
    person = world["person"]

    event = events.record_results_shown(
        user=world["doctor"],
        purpose=world["direct_care"],
        persons=[person, person],
        disclosures=[world["disclosure"]],
    )

    assert (event.person_ids, event.result_count) == ([str(person.public_id)], 1)


def test_a_search_and_its_results_are_written_together_each_as_its_own_event(world):
    # Given a search through the proxy that showed one person
    person = world["person"]
    terms = {"family_name": "Okafor", "postcode": "SN15 1ER"}

    # When both are recorded at once
    search, shown = events.record_search_and_results(
        user=world["doctor"],
        purpose=world["direct_care"],
        terms=terms,
        result_count=4,
        persons=[person],
        disclosures=[world["disclosure"]],
        request=_request(HTTP_X_REQUEST_ID="req-9c1d"),
    )

    # Then the log holds the search, then the results shown, each with its own content
    stored = list(AccessEvent.objects.filter(request_id="req-9c1d").order_by("id"))
    assert [(event.pk, event.action) for event in stored] == [
        (search.pk, Action.SEARCH),
        (shown.pk, Action.RESULTS_SHOWN),
    ]
    assert (stored[0].search_terms, stored[0].result_count, stored[0].person_ids) == (
        terms,
        4,
        [],
    )
    assert (stored[1].person_ids, stored[1].result_count) == ([str(person.public_id)], 1)
    assert [entry["dataset_id"] for entry in stored[1].disclosures] == [world["dataset"].pk]


def test_request_details_are_recorded(world):
    # Given a request through the proxy with its own request id
    request = _request(HTTP_X_REQUEST_ID="req-7f3a")

    # When a card is shown
    event = events.record_card_shown(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosure=world["disclosure"],
        request=request,
    )

    # Then the request id, client address and browser are in the event
    stored = AccessEvent.objects.get(pk=event.pk)
    assert (stored.request_id, stored.client_address, stored.user_agent) == (
        "req-7f3a",
        "10.20.3.4",
        "Firefox/140",
    )


def test_one_request_gives_its_events_one_made_up_id_when_the_proxy_gave_none(world):
    # Given a request without a usable X-Request-ID
    request = _request(HTTP_X_REQUEST_ID="not a valid id; drop table")

    # When it records a search and the results shown
    search = events.record_search(
        user=world["doctor"],
        purpose=world["direct_care"],
        terms={},
        result_count=1,
        request=request,
    )
    shown = events.record_results_shown(
        user=world["doctor"],
        purpose=world["direct_care"],
        persons=[world["person"]],
        request=request,
    )

    # Then both carry the same id, made here
    assert search.request_id == shown.request_id
    assert len(search.request_id) == 32


def test_denied_records_the_attempt_and_the_reason(world):
    event = events.record_denied(
        user=world["doctor"],
        purpose=world["direct_care"],
        attempted=Action.PERSON_VIEWED,
        reason="No grant covers this dataset for your role.",
        person=world["person"],
    )

    assert (event.action, event.outcome) == (Action.DENIED, Outcome.DENIED)
    assert event.detail == {
        "attempted": "person_viewed",
        "reason": "No grant covers this dataset for your role.",
    }


def test_break_glass_needs_a_justification(world):
    with pytest.raises(ValidationError, match="emergency access"):
        events.record_break_glass(
            user=world["doctor"],
            purpose=world["direct_care"],
            person=world["person"],
            justification="  ",
        )


def test_export_records_its_format_and_rows(world):
    event = events.record_export(
        user=world["doctor"],
        purpose=world["direct_care"],
        persons=[world["person"]],
        export_format="csv",
        row_count=1,
        disclosures=[world["disclosure"]],
    )

    assert (event.action, event.detail, event.result_count) == (Action.EXPORT, {"format": "csv"}, 1)


def test_review_decision_names_the_event_reviewed(world):
    viewed = events.record_person_viewed(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosures=[world["disclosure"]],
    )

    decision = events.record_review_decision(
        reviewer=world["doctor"],
        event_id=viewed.pk,
        decision="appropriate",
        reason="Known patient.",
    )

    assert decision.detail == {
        "event_id": viewed.pk,
        "decision": "appropriate",
        "reason": "Known patient.",
    }


def test_event_stands_alone_when_the_role_and_agency_change_later(world):
    # Given a recorded view
    event = events.record_person_viewed(
        user=world["doctor"],
        purpose=world["direct_care"],
        person=world["person"],
        disclosures=[world["disclosure"]],
    )

    # When the role and the agency are renamed
    Role.objects.filter(pk=world["gp"].pk).update(name="General practitioner")
    world["practice"].name = "Renamed Surgery"
    world["practice"].save()

    # Then the event still says what was true when it happened
    stored = AccessEvent.objects.get(pk=event.pk)
    assert (stored.role_name, stored.agency_name) == ("GP", "Avonshire Surgery")
