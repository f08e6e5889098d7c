"""The partnership's product cases (docs/demo.md), walked through in Chromium by the demo's own
staff. Each test seeds the demo (`seed_demo`: its agencies, staff, grants and a small synthetic
population loaded through the real extract pipeline and matcher), signs in as the case's
practitioner, declares the case's purpose, searches by two identifiers for a person the demo
holds, opens them and checks what the case shows and what it must not."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from agencies.models import User
from governance.models import Restriction
from matching.models import Link, LinkStatus, Person
from singleview.demo import DEMO_PASSWORD, GRANTS, KNOWN_TO_CONTACTS

pytestmark = pytest.mark.django_db(transaction=True)

# A small population keeps each seeding to seconds. With the demo's own seed it holds every
# case's people: adults known to adult social care, a child known to children's social care and
# other agencies, and a firearms licence holder in the police person index.
PEOPLE = 150
SEED = 2026
NAME_FIELDS = {"given_name", "family_name", "date_of_birth"}
MASH_DATASETS = {grant.dataset for grant in GRANTS if grant.role == "mash-practitioner"}


@pytest.fixture(scope="module")
def extracts_dir(tmp_path_factory):
    """The synthetic extract files, written once for the module (the same seed writes the same
    files); each test's database loads them afresh."""
    return tmp_path_factory.mktemp("demo-extracts")


@pytest.fixture
def demo(extracts_dir, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command(
        "seed_demo",
        people=PEOPLE,
        seed=SEED,
        out=extracts_dir,
        stdout=StringIO(),
        stderr=StringIO(),
    )


def demo_person(dataset_code, *, also_in=(), **payload):
    """A person the matcher linked a current, unrestricted record of `dataset_code` to (with a
    last name and a full date of birth to search by), known also to the `also_in` datasets.
    Returns the person and that record."""
    links = (
        Link.objects.filter(
            status=LinkStatus.ACTIVE,
            source_record__dataset__code=dataset_code,
            source_record__retired_at__isnull=True,
            source_record__date_of_birth__regex=r"^\d{4}-\d{2}-\d{2}$",
            **{f"source_record__payload__{name}": value for name, value in payload.items()},
        )
        .exclude(source_record__family_name="")
        .exclude(
            source_record__source_key__in=Restriction.objects.filter(
                dataset__code=dataset_code
            ).values("source_key")
        )
    )
    for other in also_in:
        links = links.filter(
            person__in=Person.objects.filter(
                links__status=LinkStatus.ACTIVE, links__source_record__dataset__code=other
            )
        )
    found = links.select_related("person", "source_record").order_by("source_record__pk").first()
    assert found is not None, f"The demo has no person in {dataset_code} {also_in} {payload}."
    return found.person, found.source_record


def person_datasets(person):
    return set(
        Link.objects.filter(
            person=person, status=LinkStatus.ACTIVE, source_record__retired_at__isnull=True
        ).values_list("source_record__dataset__code", flat=True)
    )


def declare_purpose(journey, page, *, purpose, reason):
    page.get_by_role("button", name="Declare your purpose").click()
    journey.check()
    page.get_by_label(re.compile(f"^{re.escape(purpose)}")).check()
    page.get_by_label("Your reason").fill(reason)
    page.get_by_role("button", name="Continue").click()
    journey.check()
    expect(page.get_by_role("heading", name="Find a person")).to_be_visible()


def search_and_open(journey, page, *, person, record):
    """Search by last name and date of birth, then open the person's result. Returns the
    results page and the result's "Known to" list."""
    year, month, day = record.date_of_birth.split("-")
    page.get_by_label("Last name").fill(record.family_name)
    page.get_by_label("Day", exact=True).fill(day)
    page.get_by_label("Month", exact=True).fill(month)
    page.get_by_label("Year", exact=True).fill(year)
    page.get_by_role("button", name="Search").click()
    journey.check()
    result = page.locator(".sv-result").filter(
        has=page.locator(f"a[href='/practitioner/people/{person.public_id}/']")
    )
    expect(result).to_have_count(1)
    results_html = page.content()
    known_to = (
        result.locator(".govuk-summary-list__row")
        .filter(has_text="Known to")
        .locator("li")
        .all_inner_texts()
    )
    result.get_by_role("link", name=re.compile("^Open")).click()
    journey.check()
    return results_html, known_to


def card_fields(page, dataset_code):
    """The granted fields a card shows: {field name: value} (one record's values per field)."""
    rows = page.locator(f"#card-{dataset_code} [data-field]")
    return {
        rows.nth(index).get_attribute("data-field"): rows.nth(index)
        .locator(".govuk-summary-list__value")
        .inner_text()
        for index in range(rows.count())
    }


def shown_cards(page):
    cards = page.locator(".sv-card")
    return {
        cards.nth(index).get_attribute("data-dataset"): cards.nth(index).get_attribute("data-level")
        for index in range(cards.count())
    }


def test_gp_sees_adult_social_care_after_recording_a_relationship(journey, demo):
    # Given a GP and a patient known to adult social care
    gp = User.objects.get(username="y01001-practitioner")
    person, record = demo_person("adult_social_care")

    # When the GP declares direct care, finds the patient and opens them
    page = journey.sign_in(gp, DEMO_PASSWORD)
    declare_purpose(
        journey, page, purpose="Direct care", reason="Reviewing the patient at an appointment."
    )
    search_and_open(journey, page, person=person, record=record)

    # Then the card is locked until the GP records a relationship
    assert shown_cards(page) == {"adult_social_care": "known_to"}
    assert card_fields(page, "adult_social_care") == {}
    assert record.payload["care_package"] not in page.content()
    page.get_by_role("link", name=re.compile("^Record your relationship")).click()
    journey.check()
    page.get_by_label("Registered patient at my practice").check()
    page.get_by_role("button", name="Record and continue").click()
    journey.check()

    # And then it shows the care package, support reason and whom to call, and nothing else
    assert shown_cards(page) == {"adult_social_care": "summary"}
    fields = card_fields(page, "adult_social_care")
    assert set(fields) == {
        *NAME_FIELDS,
        "care_package",
        "primary_support_reason",
        "allocated_team",
        "allocated_worker",
        "duty_team_phone",
    }
    assert fields["care_package"] == record.payload["care_package"]
    assert fields["primary_support_reason"] == record.payload["primary_support_reason"]
    assert fields["duty_team_phone"] == record.payload["duty_team_phone"]
    html = page.content()
    for withheld in ("disability_or_mobility_need", "last_review_date", "address", "postcode"):
        assert f'data-field="{withheld}"' not in html
    for label in ("Disability or mobility need", "Last review", "Address", "NHS number"):
        assert f">{label}<" not in html
    assert record.address not in html
    assert record.postcode not in html


def test_mash_sees_which_agencies_know_a_child_and_nothing_more(journey, demo):
    # Given a MASH practitioner and a child known to children's social care and other agencies
    mash = User.objects.get(username="avc-mash-practitioner")
    child, record = demo_person("childrens_social_care")
    known = person_datasets(child) & MASH_DATASETS
    assert len(known) >= 2, known

    # When they declare safeguarding with a reason, search for the child and open them
    page = journey.sign_in(mash, DEMO_PASSWORD)
    declare_purpose(
        journey,
        page,
        purpose="Safeguarding",
        reason="Referral from a school about the child's welfare; deciding on a strategy meeting.",
    )
    results_html, known_to = search_and_open(journey, page, person=child, record=record)

    # Then the result lists the agencies that know the child, without their details
    assert "Avonshire County Council: Children's social care" in known_to
    assert len(known_to) == len(known)
    assert record.given_name not in results_html
    assert record.postcode not in results_html

    # And the person page has one known-to card per agency dataset, each with whom to contact
    assert shown_cards(page) == dict.fromkeys(known, "known_to")
    expect(page.locator("[data-field]")).to_have_count(0)
    for code in known:
        expect(page.locator(f"#card-{code}")).to_contain_text(KNOWN_TO_CONTACTS[code])
    html = page.content()
    for value in (
        record.given_name,
        record.postcode,
        record.address,
        record.payload["status"],
        record.payload["allocated_worker"],
    ):
        assert value not in html


def test_mental_health_practitioner_sees_only_the_firearms_licence_flag(journey, demo):
    # Given a mental health practitioner and a patient the police know holds a firearms licence
    clinician = User.objects.get(username="amhp-practitioner")
    patient, record = demo_person("police_person_index", firearms_licence_holder="Y")

    # When they declare a mental health risk assessment, find the patient and open them
    page = journey.sign_in(clinician, DEMO_PASSWORD)
    declare_purpose(
        journey,
        page,
        purpose="Mental health risk assessment",
        reason="Assessing risk to others before discharge from the ward.",
    )
    search_and_open(journey, page, person=patient, record=record)

    # Then the police card shows the name and the firearms flag, and nothing else of the police's
    assert shown_cards(page) == {"police_person_index": "summary"}
    fields = card_fields(page, "police_person_index")
    assert set(fields) == {*NAME_FIELDS, "firearms_licence_holder"}
    assert fields["firearms_licence_holder"] == "Yes"
    html = page.content()
    for withheld in ("warning_markers", "last_contact_date", "address", "postcode"):
        assert f'data-field="{withheld}"' not in html
    for label in ("Warning markers", "Last contact"):
        assert f">{label}<" not in html
    assert record.address not in html


def test_police_see_council_held_addresses(journey, demo):
    # Given a police officer and a person on both council tax and the electoral register
    officer = User.objects.get(username="avp-practitioner")
    person, record = demo_person("council_tax", also_in=("electoral_register",))

    # When they declare policing with a reason, find the person and open them
    page = journey.sign_in(officer, DEMO_PASSWORD)
    declare_purpose(
        journey,
        page,
        purpose="Policing: locating a person",
        reason="Locating a missing person reported this morning; risk to life.",
    )
    search_and_open(journey, page, person=person, record=record)

    # Then both council sources show the name, address and postcode, and no financial detail
    assert shown_cards(page) == {"council_tax": "summary", "electoral_register": "summary"}
    council_tax = card_fields(page, "council_tax")
    assert set(council_tax) == {*NAME_FIELDS, "address", "postcode"}
    assert set(card_fields(page, "electoral_register")) == {*NAME_FIELDS, "address", "postcode"}
    expect(page.locator("#card-council_tax")).to_contain_text(record.address)
    expect(page.locator("#card-council_tax")).to_contain_text(record.postcode)
    html = page.content()
    for withheld in ("account_reference", "single_person_discount", "liable_from"):
        assert f'data-field="{withheld}"' not in html
    for withheld in ("polling_district", "registered_from"):
        assert f'data-field="{withheld}"' not in html
    assert record.payload["account_reference"] not in html


def test_council_tax_sees_only_that_adult_social_care_is_involved(journey, demo):
    # Given a council tax officer and a person known to adult social care
    officer = User.objects.get(username="avc-council-tax-officer")
    person, record = demo_person("adult_social_care")

    # When they declare council tax decisions, find the person and open them
    page = journey.sign_in(officer, DEMO_PASSWORD)
    declare_purpose(
        journey,
        page,
        purpose="Council tax decisions",
        reason="Deciding whether to pause recovery of arrears.",
    )
    results_html, known_to = search_and_open(journey, page, person=person, record=record)

    # Then the result and the person page say only that adult social care is involved
    assert known_to == ["Avonshire County Council: Adult social care (ACIS)"]
    assert record.given_name not in results_html
    assert shown_cards(page) == {"adult_social_care": "known_to"}
    expect(page.locator("[data-field]")).to_have_count(0)
    expect(page.locator("#card-adult_social_care")).to_contain_text(
        KNOWN_TO_CONTACTS["adult_social_care"]
    )
    html = page.content()
    for value in (
        record.payload["care_package"],
        record.payload["primary_support_reason"],
        record.payload["allocated_team"],
        record.address,
        record.postcode,
    ):
        assert value not in html
