"""The person page: one card per agency dataset at the level the policy decides, exactly the
granted fields, restrictions, staleness, relationships, break-glass, denials and tenancy."""

from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from agencies.models import DatasetPublication, Extract, SourceRecord
from audit import events
from audit.models import AccessEvent, Action, Alert, Outcome
from audit.selectors import alert_queue
from governance.models import DisclosureLevel, LegitimateRelationship, RestrictionKind
from governance.services import restriction_create
from matching.models import ReviewTask
from tests.factories import (
    AgencyFactory,
    DatasetFactory,
    PurposeFactory,
    UserFactory,
    custodian_of,
    grant_in_force,
)
from tests.singleview.conftest import declare, person_of, records_link

pytestmark = pytest.mark.django_db


def _page(client, record):
    return client.get(reverse("person", args=[person_of(record).public_id]))


def _card_html(page, dataset_code):
    return page.split(f'id="card-{dataset_code}"')[1].split('class="govuk-summary-card sv-card"')[0]


def test_the_person_page_needs_a_purpose(signed_in, world):
    client = signed_in(world["doctor"])

    response = _page(client, world["margaret"])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("purpose"))


def test_summary_card_shows_exactly_the_granted_fields(doctor, world):
    page = _page(doctor, world["margaret"]).content.decode()

    card = _card_html(page, "adult_social_care")
    assert 'data-level="summary"' in page
    shown = {field.split('"')[0] for field in card.split('data-field="')[1:]}
    assert shown == {"given_name", "family_name", "date_of_birth", "care_package"}
    assert "Home care, four visits a day" in card
    assert "12 March 1950" in card
    for withheld in ("S-NOTE", "SN1 4AB", "12 High Street", "9434765919"):
        assert withheld not in page


def test_known_to_card_shows_the_agency_and_no_field(doctor, world):
    page = _page(doctor, world["margaret"]).content.decode()

    card = _card_html(page, "police_person_index")
    assert 'data-level="known_to"' in page
    assert "Known to Avonshire Police" in card
    assert "data-field" not in card
    assert "firearms" not in card.lower()
    assert "Peggy" not in page


def test_each_card_shows_its_source_and_extract_date_and_warns_when_stale(doctor, world):
    uploader = world["doctor"]
    extract = Extract.objects.create(
        dataset=world["care"],
        uploaded_by=uploader,
        file="extracts/care.csv",
        size_bytes=1,
        content_bytes=1,
        sha256="a" * 64,
    )
    sent = timezone.now() - timedelta(days=3)
    DatasetPublication.objects.create(
        dataset=world["care"], last_extract=extract, last_published_at=sent, confirmed_at=sent
    )

    page = _page(doctor, world["margaret"]).content.decode()

    card = _card_html(page, "adult_social_care")
    assert f"extract of {timezone.localtime(sent):%-d %B %Y}" in card
    assert "This may be out of date" in card
    assert "sends it every 1 day" in card


def test_a_fresh_dataset_has_no_staleness_warning(doctor, world):
    extract = Extract.objects.create(
        dataset=world["care"],
        uploaded_by=world["doctor"],
        file="extracts/care.csv",
        size_bytes=1,
        content_bytes=1,
        sha256="b" * 64,
    )
    now = timezone.now()
    DatasetPublication.objects.create(
        dataset=world["care"], last_extract=extract, last_published_at=now, confirmed_at=now
    )

    page = _page(doctor, world["margaret"]).content.decode()

    assert "This may be out of date" not in _card_html(page, "adult_social_care")


def test_viewing_records_every_card_disclosed(doctor, world):
    _page(doctor, world["margaret"])

    event = AccessEvent.objects.get(action=Action.PERSON_VIEWED)
    assert event.person_ids == [str(person_of(world["margaret"]).public_id)]
    levels = {
        entry["dataset_code"]: (entry["level"], entry["fields"]) for entry in event.disclosures
    }
    assert levels == {
        "adult_social_care": (
            "summary",
            ["care_package", "date_of_birth", "family_name", "given_name"],
        ),
        "police_person_index": ("known_to", []),
    }


def test_nothing_is_shown_when_the_view_cannot_be_recorded(doctor, world, monkeypatch):
    def refuse(*events):
        raise DatabaseError("the access log refused the write")

    monkeypatch.setattr(events, "_insert", refuse)

    response = _page(doctor, world["margaret"])

    assert response.status_code == 503
    assert "Home care" not in response.content.decode()


def test_protected_address_hides_location_fields_even_under_a_full_grant(signed_in, world):
    restriction_create(
        user=custodian_of(world["care"]),
        dataset=world["care"],
        source_key="ASC-1",
        kind=RestrictionKind.PROTECTED_ADDRESS,
        reason="Fleeing domestic abuse.",
    )
    purpose = PurposeFactory(partnership=world["partnership"], name="Home visits")
    grant_in_force(
        dataset=world["care"],
        role=world["gp"],
        organisation_type=world["practice"].organisation_type,
        purpose=purpose,
        disclosure_level=DisclosureLevel.FULL,
        field_names=["given_name", "postcode", "address", "care_package"],
    )
    client = signed_in(world["doctor"])
    declare(client, purpose)

    page = _page(client, world["margaret"]).content.decode()

    assert "Home care" in page
    assert "SN1 4AB" not in page
    assert "12 High Street" not in page


def test_an_objection_withholds_the_card(doctor, world):
    restriction_create(
        user=custodian_of(world["care"]),
        dataset=world["care"],
        source_key="ASC-1",
        kind=RestrictionKind.OBJECTION,
        reason="The person objected.",
    )

    page = _page(doctor, world["margaret"]).content.decode()

    assert 'id="card-adult_social_care"' not in page
    assert "Home care" not in page
    assert 'id="card-police_person_index"' in page


def test_a_person_with_nothing_to_show_is_a_404_and_a_recorded_denial(doctor, world):
    hidden = DatasetFactory(agency=world["council"])
    record = SourceRecord.objects.create(dataset=hidden, source_key="H-1", family_name="Hidden")
    records_link(record)

    response = _page(doctor, record)

    assert response.status_code == 404
    denial = AccessEvent.objects.get(action=Action.DENIED)
    assert denial.outcome == Outcome.DENIED
    assert denial.detail["attempted"] == Action.PERSON_VIEWED
    assert denial.person_ids == [str(person_of(record).public_id)]


def test_a_denied_card_writes_a_denial_event(doctor, world):
    hidden = DatasetFactory(agency=world["council"], code="housing")
    SourceRecord.objects.create(dataset=hidden, source_key="HSG-1", family_name="Smith")
    person = person_of(world["margaret"])

    response = doctor.get(reverse("person-card", args=[person.public_id, hidden.pk]))

    assert response.status_code == 404
    denial = AccessEvent.objects.get(action=Action.DENIED)
    assert denial.detail["attempted"] == Action.CARD_SHOWN


def test_one_card_on_its_own_is_recorded(doctor, world):
    person = person_of(world["margaret"])

    page = doctor.get(reverse("person-card", args=[person.public_id, world["care"].pk]))

    assert "Home care" in page.content.decode()
    event = AccessEvent.objects.get(action=Action.CARD_SHOWN)
    assert [entry["dataset_code"] for entry in event.disclosures] == ["adult_social_care"]


def test_another_partnerships_person_is_a_404(doctor, other_partnership):
    elsewhere = DatasetFactory(agency=AgencyFactory(partnership=other_partnership))
    record = SourceRecord.objects.create(dataset=elsewhere, source_key="X-1", family_name="Far")
    records_link(record)

    assert _page(doctor, record).status_code == 404
    assert (
        doctor.get(reverse("person-relationship", args=[person_of(record).public_id])).status_code
        == 404
    )


def test_possible_matches_are_listed_apart_never_merged(doctor, world):
    john = world["others"][0]
    first, second = sorted([world["margaret"].pk, john.pk])
    ReviewTask.objects.get_or_create(
        partnership=world["partnership"],
        first_record_id=first,
        second_record_id=second,
        defaults={"score": 4.2},
    )

    page = _page(doctor, world["margaret"]).content.decode()

    assert "Possible matches" in page
    assert reverse("person", args=[person_of(john).public_id]) in page
    assert "John" not in page
    assert person_of(john) != person_of(world["margaret"])


def test_a_card_needing_a_relationship_stays_closed_until_one_is_recorded(
    signed_in, world, care_planning
):
    client = signed_in(world["doctor"])
    declare(client, care_planning)
    person = person_of(world["margaret"])

    closed = _page(client, world["margaret"]).content.decode()
    response = client.post(
        reverse("person-relationship", args=[person.public_id]),
        {"kind": "registered_patient", "detail": ""},
    )
    opened = _page(client, world["margaret"]).content.decode()

    assert "Record your relationship" in closed
    assert "Home care" not in closed
    assert response["Location"] == reverse("person", args=[person.public_id])
    assert "Home care" in opened
    relationship = LegitimateRelationship.objects.get(user=world["doctor"], person=person)
    assert relationship.kind == "registered_patient"
    recorded = AccessEvent.objects.get(action=Action.RELATIONSHIP_RECORDED)
    assert recorded.detail["relationship_id"] == relationship.pk
    first_view = AccessEvent.objects.filter(action=Action.PERSON_VIEWED).order_by("id").first()
    assert first_view.disclosures[0]["level"] == "known_to"


def test_a_colleagues_relationship_does_not_open_the_card(signed_in, world, care_planning):
    # Given another GP at the same practice recorded a relationship with the person
    colleague = UserFactory(agency=world["practice"], role_id=world["gp"].pk)
    other = signed_in(colleague)
    declare(other, care_planning)
    person = person_of(world["margaret"])
    other.post(reverse("person-relationship", args=[person.public_id]), {"kind": "allocated_case"})

    # When the doctor, who recorded none, opens the person's page
    client = signed_in(world["doctor"])
    declare(client, care_planning)
    page = _page(client, world["margaret"]).content.decode()

    # Then the card stays closed for the doctor
    assert "Record your relationship" in page
    assert "Home care" not in page


def test_another_relationship_must_be_described(signed_in, world, care_planning):
    client = signed_in(world["doctor"])
    declare(client, care_planning)
    person = person_of(world["margaret"])

    page = client.post(
        reverse("person-relationship", args=[person.public_id]), {"kind": "other", "detail": ""}
    ).content.decode()

    assert "Say what your relationship with the person is." in page
    assert not LegitimateRelationship.objects.exists()


def test_a_relationship_lapses_after_its_time(signed_in, world, care_planning, settings):
    settings.LEGITIMATE_RELATIONSHIP_DURATION = timedelta(hours=13)
    client = signed_in(world["doctor"])
    declare(client, care_planning)
    person = person_of(world["margaret"])
    client.post(reverse("person-relationship", args=[person.public_id]), {"kind": "allocated_case"})
    with time_machine.travel(timezone.now() + settings.LEGITIMATE_RELATIONSHIP_DURATION):
        later = signed_in(world["doctor"])
        declare(later, care_planning)
        page = _page(later, world["margaret"]).content.decode()

    assert "Record your relationship" in page


def test_break_glass_opens_the_emergency_grant_alerts_and_expires(signed_in, world):
    client = signed_in(world["doctor"])
    declare(client, world["emergency"], justification="Unconscious patient brought in by crew.")

    page = _page(client, world["margaret"]).content.decode()

    card = _card_html(page, "adult_social_care")
    assert 'data-level="full"' in page
    shown = {field.split('"')[0] for field in card.split('data-field="')[1:]}
    assert shown == set(world["care"].fields.values_list("name", flat=True))  # full: every field
    assert "S-NOTE" in card
    assert "break-glass access" in page
    event = AccessEvent.objects.get(action=Action.BREAK_GLASS)
    assert event.justification == "Unconscious patient brought in by crew."
    alert = Alert.objects.get(rule="break_glass")
    assert alert.event_ids == [event.pk]
    assert world["council"].pk in set(alert.agencies.values_list("pk", flat=True))
    assert alert in alert_queue(
        requester=UserFactory(agency=world["council"], user_types=["ig_officer"])
    )
    start = timezone.now()
    for minutes in (25, 50):  # still using the session, so it never idles out
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert _page(client, world["margaret"]).status_code == 200
    with time_machine.travel(start + timedelta(minutes=61)):
        expired = _page(client, world["margaret"])
    assert expired.status_code == 302
    assert expired["Location"].startswith(reverse("purpose"))


def test_break_glass_shows_a_sealed_record_as_known_to_only(signed_in, world):
    restriction_create(
        user=custodian_of(world["care"]),
        dataset=world["care"],
        source_key="ASC-1",
        kind=RestrictionKind.SEALED,
        reason="Sealed by court order.",
    )
    client = signed_in(world["doctor"])
    declare(client, world["emergency"], justification="Unconscious patient brought in by crew.")

    page = _page(client, world["margaret"]).content.decode()

    assert 'data-level="known_to"' in page.split('id="card-adult_social_care"')[1][:200]
    assert "S-NOTE" not in page


def test_the_download_holds_only_the_granted_fields_and_is_recorded(doctor, world):
    person = person_of(world["margaret"])

    response = doctor.get(reverse("person-export", args=[person.public_id]))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'Adult Social Care,Summary: the chosen fields,Care package,"Home care, four' in text
    assert "Police person index,Known-to flag only,Known to this agency,Yes" in text
    assert "S-NOTE" not in text
    assert "SN1 4AB" not in text
    export = AccessEvent.objects.get(action=Action.EXPORT)
    assert export.detail == {"format": "csv"}
    assert export.result_count == len(text.strip().splitlines()) - 1
