"""Search: purpose first, at least two identifiers (or an NHS number), fuzzy, ranked, capped,
policy-filtered, and every search recorded before results are shown."""

import pytest
from django.db import DatabaseError
from django.urls import reverse

from agencies.models import SourceRecord
from audit import events
from audit.models import AccessEvent, Action, Outcome
from governance.models import RestrictionKind
from governance.services import restriction_create
from matching.services import record_unlink
from tests.factories import (
    AgencyFactory,
    DatasetFactory,
    UserFactory,
    custodian_of,
)
from tests.singleview.conftest import declare, person_of, records_link, search

pytestmark = pytest.mark.django_db


def test_search_without_a_purpose_asks_for_one_first(signed_in, world):
    client = signed_in(world["doctor"])

    response = client.get(reverse("search"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("purpose"))
    assert not AccessEvent.objects.filter(action=Action.SEARCH).exists()


def test_declaring_a_purpose_leads_to_search(signed_in, world):
    client = signed_in(world["doctor"])

    response = declare(client, world["direct_care"])

    assert response["Location"] == reverse("search")


def test_one_identifier_is_refused_and_the_refusal_recorded(doctor):
    response = search(doctor, family_name="Smith")

    page = response.content.decode()
    assert "Enter at least two of: last name, date of birth and postcode" in page
    assert "Known to" not in page
    refusal = AccessEvent.objects.get(action=Action.DENIED)
    assert refusal.outcome == Outcome.DENIED
    assert refusal.detail["attempted"] == Action.SEARCH
    assert not AccessEvent.objects.filter(action=Action.SEARCH).exists()


def test_a_first_and_last_name_are_one_identifier(doctor):
    page = search(doctor, given_name="Margaret", family_name="Smith").content.decode()

    assert "Enter at least two of" in page


def test_wildcards_are_refused(doctor):
    page = search(doctor, family_name="Sm*", postcode="SN1 4AB").content.decode()

    assert "Wildcards (*, % and ?) cannot be used" in page


def test_an_impossible_date_is_a_clear_error(doctor):
    page = search(
        doctor, family_name="Smith", dob_day="31", dob_month="2", dob_year="1950"
    ).content.decode()

    assert "Enter a real date of birth" in page


def test_nickname_and_swapped_day_and_month_find_the_person(doctor, world):
    page = search(
        doctor,
        given_name="Peggy",
        family_name="Smith",
        dob_day="3",
        dob_month="12",
        dob_year="1950",
    ).content.decode()

    person = person_of(world["margaret"])
    assert reverse("person", args=[person.public_id]) in page
    assert "Margaret" in page
    assert "12 March 1950" in page
    assert "Avonshire County Council: Adult Social Care" in page
    assert "Avonshire Police: Police person index" in page


def test_results_show_only_granted_demographics(doctor):
    page = search(doctor, family_name="Smith", postcode="SN1 4AB").content.decode()

    results = page.split('id="results"')[1]
    assert "Margaret" in results
    assert "SN1 4AB" not in results  # typed into the form, so echoed there only
    assert "12 High Street" not in page
    assert "Home care" not in page


def test_a_mistyped_family_name_with_date_and_postcode_finds_the_person(doctor, world):
    page = search(
        doctor, family_name="Smyth", dob_day="12", dob_month="3", dob_year="1950", postcode="SN14AB"
    ).content.decode()

    assert reverse("person", args=[person_of(world["margaret"]).public_id]) in page


def test_an_old_postcode_does_not_stop_a_name_and_date_match(doctor, world):
    page = search(
        doctor,
        family_name="Smith",
        dob_day="12",
        dob_month="3",
        dob_year="1950",
        postcode="GL1 1AA",
    ).content.decode()

    assert reverse("person", args=[person_of(world["margaret"]).public_id]) in page


def test_an_nhs_number_alone_is_enough(doctor, world):
    page = search(doctor, nhs_number="943 476 5919").content.decode()

    assert "1 person matches" in page
    assert reverse("person", args=[person_of(world["margaret"]).public_id]) in page


def test_a_record_a_reviewer_unlinks_is_found_as_its_own_person(doctor, world):
    # Given Margaret's care record and Peggy's police record linked as one person
    assert person_of(world["peggy"]) == person_of(world["margaret"])
    reviewer = UserFactory(agency=world["council"], user_types=["ig_officer"])

    # When a reviewer makes the police record a person of its own
    record_unlink(user=reviewer, record_id=world["peggy"].pk, reason="Two people, GP confirmed.")

    # Then the same search finds two people, each under their own person page
    page = search(doctor, nhs_number="9434765919").content.decode()
    assert "2 people match" in page
    for record in (world["margaret"], world["peggy"]):
        assert reverse("person", args=[person_of(record).public_id]) in page


def test_a_changed_record_is_found_and_shown_as_it_is_now(doctor, world):
    # Given Margaret's record renamed by her agency's next extract, and linked again
    margaret = world["margaret"]
    margaret.given_name, margaret.family_name = "Margaret", "Jones"
    margaret.save()
    records_link(margaret)

    # When she is searched for by her new name
    page = search(doctor, family_name="Jones", postcode="SN1 4AB").content.decode()

    # Then she is found, shown with her new name and not her old one
    results = page.split('id="results"')[1]
    assert reverse("person", args=[person_of(margaret).public_id]) in results
    assert "Jones" in results
    assert "Smith" not in results


def test_a_broad_search_keeps_the_closest_records_and_says_more_may_match(doctor, world, settings):
    # Given four Smiths newer than Margaret elsewhere in her postcode district, and a search that
    # scores at most three records
    settings.SEARCH_CANDIDATE_LIMIT = 3
    newer = [
        SourceRecord.objects.create(
            dataset=world["care"],
            source_key=f"ASC-SMITH-{n}",
            given_name=given,
            family_name="Smith",
            date_of_birth=f"19{60 + n}-01-0{n}",
            postcode=f"SN1 {n}ZZ",
        )
        for n, given in enumerate(["Alan", "Beth", "Carl", "Dora"], start=1)
    ]
    records_link(*newer)

    # When the doctor searches for Smith at Margaret's full postcode
    page = search(doctor, family_name="Smith", postcode="SN1 4AB").content.decode()

    # Then Margaret, who agrees on the full postcode, is kept ahead of the newer district-only
    # Smiths, and the count says more people may match
    results = page.split('id="results"')[1]
    assert reverse("person", args=[person_of(world["margaret"]).public_id]) in results
    assert "Alan" not in results
    assert "At least 1 person matches" in page


def test_markup_in_a_record_is_shown_as_text(doctor, world):
    record = SourceRecord.objects.create(
        dataset=world["care"],
        source_key="ASC-MARKUP",
        given_name="<i>Ivy</i>",
        family_name="O'Hara",
        date_of_birth="1990-01-01",
        postcode="SN1 4AB",
    )
    records_link(record)

    page = search(doctor, family_name="O'Hara", postcode="SN1 4AB").content.decode()

    results = page.split('id="results"')[1]
    assert "&lt;i&gt;Ivy&lt;/i&gt; O&#x27;Hara" in results
    assert "<i>" not in results


def test_an_nhs_number_failing_its_check_digit_is_refused(doctor):
    page = search(doctor, nhs_number="9434765918").content.decode()

    assert "fails its check digit" in page


def test_best_match_comes_first_and_the_list_is_capped(doctor, world, settings):
    settings.SEARCH_MAX_RESULTS = 1

    page = search(
        doctor,
        given_name="Margaret",
        family_name="Smith",
        dob_day="12",
        dob_month="3",
        dob_year="1950",
    ).content.decode()

    assert "2 people match" in page
    assert "Only the best 1 are shown" in page
    assert reverse("person", args=[person_of(world["margaret"]).public_id]) in page
    assert reverse("person", args=[person_of(world["others"][0]).public_id]) not in page


def test_people_known_only_to_ungranted_datasets_are_not_listed(doctor, world):
    hidden = DatasetFactory(agency=world["council"])
    record = SourceRecord.objects.create(
        dataset=hidden,
        source_key="H-1",
        given_name="Hannah",
        family_name="Hidden",
        date_of_birth="1990-01-01",
        postcode="SN1 4AB",
    )
    records_link(record)

    page = search(
        doctor, family_name="Hidden", dob_day="1", dob_month="1", dob_year="1990"
    ).content.decode()

    assert "No one matches" in page
    assert "Hannah" not in page


def test_an_objection_hides_that_record_from_search(doctor, world):
    restriction_create(
        user=custodian_of(world["care"]),
        dataset=world["care"],
        source_key="ASC-3",
        kind=RestrictionKind.OBJECTION,
        reason="The person objected to sharing.",
    )

    page = search(doctor, family_name="Khan", postcode="SN1 4AB").content.decode()

    assert "No one matches" in page


def test_another_partnerships_people_are_never_found(doctor, other_partnership):
    elsewhere = DatasetFactory(agency=AgencyFactory(partnership=other_partnership))
    record = SourceRecord.objects.create(
        dataset=elsewhere,
        source_key="X-1",
        given_name="Olivia",
        family_name="Brown",
        date_of_birth="2011-05-05",
        postcode="BA1 1AA",
    )
    records_link(record)

    page = search(doctor, family_name="Brown", postcode="BA1 1AA").content.decode()

    assert "1 person matches" in page  # their own Olivia Brown, not the other partnership's
    assert reverse("person", args=[person_of(record).public_id]) not in page


def test_every_search_records_its_terms_and_the_people_shown(doctor, world):
    search(doctor, family_name="Smith", postcode="SN1 4AB")

    searched = AccessEvent.objects.get(action=Action.SEARCH)
    shown = AccessEvent.objects.get(action=Action.RESULTS_SHOWN)
    assert searched.search_terms == {"family_name": "Smith", "postcode": "SN1 4AB"}
    assert searched.purpose_id == world["direct_care"].pk
    assert shown.person_ids == [str(person_of(world["margaret"]).public_id)]
    assert {entry["dataset_code"] for entry in shown.disclosures} == {
        "adult_social_care",
        "police_person_index",
    }


def test_no_results_are_shown_when_the_search_cannot_be_recorded(doctor, monkeypatch):
    def refuse(*events):
        raise DatabaseError("the access log refused the write")

    monkeypatch.setattr(events, "_insert", refuse)

    response = search(doctor, family_name="Smith", postcode="SN1 4AB")

    assert response.status_code == 503
    assert "Margaret" not in response.content.decode()


def test_a_grant_needing_a_relationship_shows_only_known_to_in_results_until_recorded(
    signed_in, world, care_planning
):
    purpose = care_planning
    client = signed_in(world["doctor"])
    declare(client, purpose)
    person = person_of(world["margaret"])

    before = search(client, family_name="Smith", postcode="SN1 4AB").content.decode()
    client.post(reverse("person-relationship", args=[person.public_id]), {"kind": "care_team"})
    after = search(client, family_name="Smith", postcode="SN1 4AB").content.decode()

    assert "Avonshire County Council: Adult Social Care" in before
    assert "Margaret" not in before.split('id="results"')[1]
    assert "Margaret" in after.split('id="results"')[1]
