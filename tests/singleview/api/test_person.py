"""A person by the API: one card per dataset at the level the policy decides, with exactly the
granted fields in the JSON; restrictions, refusals, relationships, break-glass and merges."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from agencies.models import DatasetPublication, Extract, SourceRecord
from audit import events
from audit.models import AccessEvent, Action, Alert, Outcome
from governance.models import DisclosureLevel, LegitimateRelationship, RestrictionKind
from governance.services import restriction_create
from matching.models import Person, ReviewTask
from tests.factories import DatasetFactory, PurposeFactory, custodian_of, grant_in_force
from tests.singleview.api.conftest import JUSTIFICATION, person_url
from tests.singleview.conftest import DEMOGRAPHICS, person_of, records_link

pytestmark = pytest.mark.django_db


def _cards(body):
    return {card["dataset"]: card for card in body["cards"]}


def _restrict(world, kind, source_key="ASC-1"):
    restriction_create(
        user=custodian_of(world["care"]),
        dataset=world["care"],
        source_key=source_key,
        kind=kind,
        reason="Agreed with the person's social worker.",
    )


@pytest.fixture
def read(api, world):
    def _read(record, *rest, purpose=None, **params):
        chosen = purpose or world["direct_care"]
        return api.get(person_url(record, *rest), {"purpose": chosen.code, **params})

    return _read


@pytest.fixture
def emergency(world):
    return {"purpose": world["emergency"], "justification": JUSTIFICATION}


def test_a_summary_card_has_exactly_the_granted_fields(read, world):
    body = read(world["margaret"]).json()

    card = _cards(body)["adult_social_care"]
    assert card["level"] == "summary"
    assert card["agency"] == "Avonshire County Council"
    assert card["grant_version"] == world["care_grant"].version
    assert card["records"] == [
        {
            "given_name": "Margaret",
            "family_name": "Smith",
            "date_of_birth": "12 March 1950",
            "care_package": "Home care, four visits a day",
        }
    ]
    assert list(card["labels"]) == ["given_name", "family_name", "date_of_birth", "care_package"]
    assert "S-NOTE" not in str(body)
    assert "12 High Street" not in str(body)
    assert "9434765919" not in str(body)


def test_a_known_to_card_has_no_field(read, world):
    card = _cards(read(world["margaret"]).json())["police_person_index"]

    assert card["level"] == "known_to"
    assert card["records"] == []
    assert card["labels"] == {}
    assert card["agency"] == "Avonshire Police"


def test_a_full_card_has_every_field_of_the_dataset(read, world, emergency):
    body = read(world["margaret"], **emergency).json()

    card = _cards(body)["adult_social_care"]
    assert card["level"] == "full"
    assert list(card["records"][0]) == [*DEMOGRAPHICS, "care_package", "safeguarding_notes"]
    assert card["records"][0]["safeguarding_notes"] == "S-NOTE"
    assert card["records"][0]["address"] == "12 High Street, Swindon"
    assert "police_person_index" not in _cards(body)


def test_the_recorded_disclosures_match_the_json(read, world):
    body = read(world["margaret"]).json()

    event = AccessEvent.objects.get(action=Action.PERSON_VIEWED)
    recorded = {entry["dataset_code"]: sorted(entry["fields"]) for entry in event.disclosures}
    shown = {card["dataset"]: sorted(card["labels"]) for card in body["cards"]}
    assert recorded == shown
    assert event.person_ids == [body["id"]]


def test_a_card_says_where_it_came_from_and_whether_it_is_stale(read, world):
    extract = Extract.objects.create(
        dataset=world["care"],
        uploaded_by=world["doctor"],
        file="extracts/care.csv",
        size_bytes=1,
        content_bytes=1,
        sha256="c" * 64,
    )
    sent = timezone.now() - timedelta(days=3)
    DatasetPublication.objects.create(
        dataset=world["care"], last_extract=extract, last_published_at=sent, confirmed_at=sent
    )

    cards = _cards(read(world["margaret"]).json())

    care = cards["adult_social_care"]
    assert care["freshness"]["stale"] is True
    assert care["freshness"]["cadence_days"] == 1
    assert care["extracted_at"] == sent.isoformat().replace("+00:00", "Z")
    assert cards["police_person_index"]["freshness"]["state"] == "never"
    assert cards["police_person_index"]["extracted_at"] is None


def test_an_objection_withholds_the_card(read, world):
    _restrict(world, RestrictionKind.OBJECTION)

    body = read(world["margaret"]).json()

    assert set(_cards(body)) == {"police_person_index"}
    assert "Home care" not in str(body)


def test_an_emergency_purpose_overrides_an_objection(read, world, emergency):
    _restrict(world, RestrictionKind.OBJECTION)

    card = _cards(read(world["margaret"], **emergency).json())["adult_social_care"]

    assert card["level"] == "full"


def test_a_protected_address_hides_location_fields(read, world):
    _restrict(world, RestrictionKind.PROTECTED_ADDRESS)
    home_visits = PurposeFactory(partnership=world["partnership"], name="Home visits")
    grant_in_force(
        dataset=world["care"],
        role=world["gp"],
        organisation_type=world["practice"].organisation_type,
        purpose=home_visits,
        disclosure_level=DisclosureLevel.SUMMARY,
        field_names=["given_name", "postcode", "address", "care_package"],
    )

    response = read(world["margaret"], purpose=home_visits)

    card = _cards(response.json())["adult_social_care"]
    assert set(card["records"][0]) == {"given_name", "care_package"}
    assert "SN1 4AB" not in response.content.decode()
    assert "12 High Street" not in response.content.decode()


def test_a_sealed_record_is_withheld_and_known_to_only_under_break_glass(read, world, emergency):
    _restrict(world, RestrictionKind.SEALED)

    ordinary = _cards(read(world["margaret"]).json())
    urgent = _cards(read(world["margaret"], **emergency).json())

    assert "adult_social_care" not in ordinary
    assert urgent["adult_social_care"]["level"] == "known_to"
    assert urgent["adult_social_care"]["records"] == []


def test_a_person_with_nothing_to_show_is_404_and_a_recorded_denial(read, world):
    hidden = DatasetFactory(agency=world["council"])
    record = SourceRecord.objects.create(dataset=hidden, source_key="H-1", family_name="Hidden")
    records_link(record)

    response = read(record)

    assert response.status_code == 404
    denial = AccessEvent.objects.get(action=Action.DENIED)
    assert denial.detail["attempted"] == Action.PERSON_VIEWED
    assert denial.person_ids == [str(person_of(record).public_id)]


def test_one_card_on_its_own_is_recorded(read, world):
    response = read(world["margaret"], "adult_social_care")

    body = response.json()
    assert body["id"] == str(person_of(world["margaret"]).public_id)
    assert body["break_glass"] is False
    assert body["card"]["level"] == "summary"
    assert set(body["card"]["records"][0]) == {
        "given_name",
        "family_name",
        "date_of_birth",
        "care_package",
    }
    event = AccessEvent.objects.get(action=Action.CARD_SHOWN)
    assert [entry["dataset_code"] for entry in event.disclosures] == ["adult_social_care"]


def test_a_denied_card_writes_a_denial_event(read, world, emergency):
    response = read(world["margaret"], "police_person_index", **emergency)

    assert response.status_code == 404
    denial = AccessEvent.objects.get(action=Action.DENIED)
    assert denial.outcome == Outcome.DENIED
    assert denial.detail["attempted"] == Action.CARD_SHOWN
    assert denial.purpose_id == world["emergency"].pk
    assert denial.person_ids == [str(person_of(world["margaret"]).public_id)]
    assert not AccessEvent.objects.filter(action=Action.BREAK_GLASS).exists()


def test_a_card_withheld_by_an_objection_writes_a_denial_event(read, world):
    _restrict(world, RestrictionKind.OBJECTION)

    response = read(world["margaret"], "adult_social_care")

    assert response.status_code == 404
    denial = AccessEvent.objects.get(action=Action.DENIED)
    assert "objection" in denial.detail["reason"]


def test_break_glass_records_the_read_and_alerts_the_data_owners(read, world, emergency):
    response = read(world["margaret"], **emergency)

    assert response.json()["break_glass"] is True
    event = AccessEvent.objects.get(action=Action.BREAK_GLASS)
    assert event.justification == JUSTIFICATION
    assert event.username == "svc-practice"
    assert not AccessEvent.objects.filter(action=Action.PERSON_VIEWED).exists()
    alert = Alert.objects.get(rule="break_glass")
    assert alert.event_ids == [event.pk]
    assert world["council"].pk in set(alert.agencies.values_list("pk", flat=True))


def test_break_glass_on_one_card_is_recorded_and_alerted_too(read, world, emergency):
    response = read(world["margaret"], "adult_social_care", **emergency)

    assert response.json()["break_glass"] is True
    event = AccessEvent.objects.get(action=Action.BREAK_GLASS)
    assert Alert.objects.get(rule="break_glass").event_ids == [event.pk]


def test_possible_matches_are_listed_by_id_only(read, world):
    john = world["others"][0]
    first, second = sorted([world["margaret"].pk, john.pk])
    ReviewTask.objects.get_or_create(
        partnership=world["partnership"],
        first_record_id=first,
        second_record_id=second,
        defaults={"score": 4.2},
    )

    body = read(world["margaret"]).json()

    assert body["possible_matches"] == [str(person_of(john).public_id)]
    assert "John" not in str(body)


def test_a_merged_persons_address_redirects_to_the_survivor(read, api, world):
    survivor = person_of(world["margaret"])
    merged = Person.objects.create(
        partnership=world["partnership"], merged_into=survivor, merged_at=timezone.now()
    )
    code = world["direct_care"].code

    response = api.get(reverse("api-person", args=[merged.public_id]), {"purpose": code})

    assert response.status_code == 308
    assert response.json()["id"] == str(survivor.public_id)
    assert response["Location"] == (
        f"http://testserver{reverse('api-person', args=[survivor.public_id])}?purpose={code}"
    )
    assert not AccessEvent.objects.exists()


def test_a_merged_persons_card_redirects_to_the_survivors_card(api, world):
    survivor = person_of(world["margaret"])
    merged = Person.objects.create(
        partnership=world["partnership"], merged_into=survivor, merged_at=timezone.now()
    )

    response = api.get(
        reverse("api-person-card", args=[merged.public_id, world["care"].pk]),
        {"purpose": world["direct_care"].code},
    )

    assert response.status_code == 308
    survivors_card = reverse("api-person-card", args=[survivor.public_id, world["care"].pk])
    assert survivors_card in response["Location"]


def test_nothing_is_shown_when_the_read_cannot_be_recorded(read, world, monkeypatch):
    def refuse(*events):
        raise DatabaseError("the access log refused the write")

    monkeypatch.setattr(events, "_insert", refuse)

    response = read(world["margaret"])

    assert response.status_code == 503
    assert "Home care" not in response.content.decode()


# Relationships -----------------------------------------------------------------------------------


def test_a_card_needing_a_relationship_opens_once_one_is_recorded(
    api, read, world, care_planning, service_account
):
    relationships = f"{person_url(world['margaret'], 'relationships')}?purpose={care_planning.code}"

    closed = _cards(read(world["margaret"], purpose=care_planning).json())["adult_social_care"]
    recorded = api.post(relationships, {"kind": "registered_patient"}, format="json")
    opened = _cards(read(world["margaret"], purpose=care_planning).json())["adult_social_care"]

    assert closed["locked"] is True
    assert closed["level"] == "known_to"
    assert closed["records"] == []
    assert recorded.status_code == 201
    assert recorded.json()["kind"] == "registered_patient"
    assert opened["locked"] is False
    assert opened["records"] == [
        {"given_name": "Margaret", "care_package": "Home care, four visits a day"}
    ]
    relationship = LegitimateRelationship.objects.get(user=service_account)
    event = AccessEvent.objects.get(action=Action.RELATIONSHIP_RECORDED)
    assert event.detail["relationship_id"] == relationship.pk
    assert event.purpose_id == care_planning.pk


def test_a_relationship_needs_a_purpose(api, world):
    response = api.post(
        person_url(world["margaret"], "relationships"), {"kind": "care_team"}, format="json"
    )

    assert response.status_code == 400
    assert "purpose" in response.json()
    assert not LegitimateRelationship.objects.exists()


def test_another_relationship_must_be_described(api, world, care_planning):
    response = api.post(
        f"{person_url(world['margaret'], 'relationships')}?purpose={care_planning.code}",
        {"kind": "other", "detail": " "},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == ["Say what your relationship with the person is."]
    assert not LegitimateRelationship.objects.exists()


def test_an_unknown_relationship_kind_is_refused(api, world, care_planning):
    response = api.post(
        f"{person_url(world['margaret'], 'relationships')}?purpose={care_planning.code}",
        {"kind": "neighbour"},
        format="json",
    )

    assert response.status_code == 400
    assert "kind" in response.json()
