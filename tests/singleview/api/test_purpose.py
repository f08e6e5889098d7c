"""Purpose first, per request: every read names its purpose, checked as the purpose page checks
it (`services.purpose_check`); without one nothing is read and nothing is searched."""

import pytest
from django.urls import reverse

from audit.models import AccessEvent, Action
from tests.factories import PurposeFactory
from tests.singleview.api.conftest import JUSTIFICATION, person_url

pytestmark = pytest.mark.django_db

SEARCH = {"family_name": "Smith", "postcode": "SN1 4AB"}


def test_the_purposes_listed_are_those_the_role_has_grants_for(api, world):
    PurposeFactory(partnership=world["partnership"], name="Council tax decisions")

    response = api.get(reverse("api-purposes"))

    assert response.status_code == 200
    listed = {purpose["code"]: purpose for purpose in response.json()}
    assert set(listed) == {world["direct_care"].code, world["emergency"].code}
    assert listed[world["emergency"].code]["break_glass"] is True
    assert listed[world["emergency"].code]["requires_justification"] is True
    assert listed[world["emergency"].code]["holds_for_minutes"] == 60
    assert listed[world["direct_care"].code]["requires_justification"] is False


def test_no_search_runs_without_a_purpose(api):
    response = api.get(reverse("api-people"), SEARCH)

    assert response.status_code == 400
    assert "Say why you are looking" in response.json()["purpose"][0]
    assert not AccessEvent.objects.exists()


def test_no_person_is_read_without_a_purpose(api, world):
    response = api.get(person_url(world["margaret"]))

    assert response.status_code == 400
    assert "Home care" not in response.content.decode()
    assert not AccessEvent.objects.exists()


def test_a_purpose_the_role_has_no_grant_for_is_refused(api, world):
    ungranted = PurposeFactory(partnership=world["partnership"], name="Council tax decisions")

    response = api.get(reverse("api-people"), {"purpose": ungranted.code, **SEARCH})

    assert response.status_code == 400
    assert "Choose one of your purposes" in response.json()["purpose"][0]
    assert not AccessEvent.objects.exists()


def test_another_partnerships_purpose_code_is_refused(api, world, other_partnership):
    foreign = PurposeFactory(partnership=other_partnership, code="foreign-purpose")

    response = api.get(reverse("api-people"), {"purpose": foreign.code, **SEARCH})

    assert response.status_code == 400
    assert not AccessEvent.objects.exists()


def test_a_purpose_needing_a_reason_is_refused_without_one(api, world):
    response = api.get(
        person_url(world["margaret"]),
        {"purpose": world["emergency"].code, "justification": "urgent"},
    )

    assert response.status_code == 400
    assert "at least 10 characters" in response.json()["justification"][0]
    assert not AccessEvent.objects.exists()


def test_a_break_glass_purpose_needs_a_reason_even_if_set_up_without_one(api, world):
    world["emergency"].requires_justification = False
    world["emergency"].save()

    response = api.get(person_url(world["margaret"]), {"purpose": world["emergency"].code})

    assert response.status_code == 400
    assert "justification" in response.json()


def test_the_purpose_reason_and_case_reference_are_recorded_with_each_read(api, world):
    api.get(
        person_url(world["margaret"]),
        {
            "purpose": world["emergency"].code,
            "justification": f"  {JUSTIFICATION}  ",
            "case_reference": "INC-2041",
        },
    )

    event = AccessEvent.objects.get(action=Action.BREAK_GLASS)
    assert event.purpose_id == world["emergency"].pk
    assert event.justification == JUSTIFICATION
    assert event.case_reference == "INC-2041"


def test_a_purpose_holds_for_one_request_only(api, world):
    api.get(reverse("api-people"), {"purpose": world["direct_care"].code, **SEARCH})

    response = api.get(reverse("api-people"), SEARCH)

    assert response.status_code == 400
    assert AccessEvent.objects.filter(action=Action.SEARCH).count() == 1
