"""Search by the API: the same two-identifier rule, policy filter and audit as the search page."""

import pytest
from django.db import DatabaseError
from django.urls import reverse

from audit import events
from audit.models import AccessEvent, Action, Outcome
from governance.models import RestrictionKind
from governance.services import restriction_create
from tests.factories import custodian_of
from tests.singleview.conftest import person_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def search(api, world):
    def _search(**terms):
        return api.get(reverse("api-people"), {"purpose": world["direct_care"].code, **terms})

    return _search


def test_one_identifier_is_refused_and_the_refusal_recorded(search):
    response = search(family_name="Smith")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "Enter at least two of: last name, date of birth and postcode, or an NHS number. "
        "Single View does not list people by one detail."
    ]
    refusal = AccessEvent.objects.get(action=Action.DENIED)
    assert refusal.outcome == Outcome.DENIED
    assert refusal.detail["attempted"] == Action.SEARCH
    assert not AccessEvent.objects.filter(action=Action.SEARCH).exists()


def test_a_first_and_last_name_are_one_identifier(search):
    response = search(given_name="Margaret", family_name="Smith")

    assert response.status_code == 400
    assert "Enter at least two of" in response.json()["non_field_errors"][0]


def test_nothing_at_all_is_refused(search):
    assert search().status_code == 400


def test_wildcards_are_refused(search):
    response = search(family_name="Sm*", postcode="SN1 4AB")

    assert response.status_code == 400
    assert "Wildcards" in response.json()["non_field_errors"][0]


def test_each_bad_detail_is_named(search):
    response = search(family_name="Smith", date_of_birth="1950-02-31", postcode="XX")

    assert response.status_code == 400
    errors = response.json()
    assert errors["date_of_birth"] == ["Enter a real date of birth, like 27 3 2007."]
    assert "Enter a UK postcode" in errors["postcode"][0]


def test_an_nhs_number_alone_is_enough(search, world):
    response = search(nhs_number="943 476 5919")

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["results"][0]["id"] == str(person_of(world["margaret"]).public_id)
    assert body["results"][0]["match"] == "strong"


def test_results_carry_only_granted_demographics_and_who_knows_the_person(search, world):
    response = search(given_name="Peggy", family_name="Smith", date_of_birth="1950-12-03")

    first = response.json()["results"][0]
    assert first["id"] == str(person_of(world["margaret"]).public_id)
    assert first["demographics"] == {
        "given_name": "Margaret",
        "family_name": "Smith",
        "date_of_birth": "12 March 1950",
    }
    assert first["known_to"] == [
        {
            "dataset": "adult_social_care",
            "dataset_name": "Adult Social Care",
            "agency": "Avonshire County Council",
        },
        {
            "dataset": "police_person_index",
            "dataset_name": "Police person index",
            "agency": "Avonshire Police",
        },
    ]
    assert "SN1 4AB" not in response.content.decode()
    assert "Home care" not in response.content.decode()


def test_the_list_is_capped(search, settings):
    settings.SEARCH_MAX_RESULTS = 1

    body = search(given_name="Margaret", family_name="Smith", date_of_birth="1950-03-12").json()

    assert body["total"] == 2
    assert body["total_at_least"] is False
    assert body["capped"] is True
    assert len(body["results"]) == 1


def test_an_objection_hides_that_record_from_search(search, world):
    restriction_create(
        user=custodian_of(world["care"]),
        dataset=world["care"],
        source_key="ASC-3",
        kind=RestrictionKind.OBJECTION,
        reason="The person objected to sharing.",
    )

    body = search(family_name="Khan", postcode="SN1 4AB").json()

    assert body == {"total": 0, "total_at_least": False, "capped": False, "results": []}


def test_every_search_records_its_terms_and_the_people_shown(search, world):
    search(family_name="Smith", postcode="SN1 4AB")

    searched = AccessEvent.objects.get(action=Action.SEARCH)
    shown = AccessEvent.objects.get(action=Action.RESULTS_SHOWN)
    assert searched.search_terms == {"family_name": "Smith", "postcode": "SN1 4AB"}
    assert searched.purpose_id == world["direct_care"].pk
    assert shown.person_ids == [str(person_of(world["margaret"]).public_id)]


def test_no_results_are_given_when_the_search_cannot_be_recorded(search, monkeypatch):
    def refuse(*events):
        raise DatabaseError("the access log refused the write")

    monkeypatch.setattr(events, "_insert", refuse)

    response = search(family_name="Smith", postcode="SN1 4AB")

    assert response.status_code == 503
    assert "Margaret" not in response.content.decode()
