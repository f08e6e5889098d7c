"""The practitioner API's gate: knox tokens only (expiring, revocable), practitioners only, from
their agency's networks; another partnership's people are 404."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from agencies import services as agency_services
from agencies.models import SourceRecord
from audit.models import AccessEvent, Action
from tests.factories import AgencyFactory, DatasetFactory, UserFactory
from tests.singleview.api.conftest import person_url, token_client
from tests.singleview.conftest import person_of, records_link

pytestmark = pytest.mark.django_db


def _read(client, world):
    return client.get(person_url(world["margaret"]), {"purpose": world["direct_care"].code})


def test_a_service_accounts_token_reads_a_person(api, world):
    response = _read(api, world)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    event = AccessEvent.objects.get(action=Action.PERSON_VIEWED)
    assert event.username == "svc-practice"


def test_no_token_is_refused_and_nothing_is_read(world):
    response = _read(APIClient(), world)

    assert response.status_code == 401
    assert not AccessEvent.objects.exists()


def test_a_signed_in_browser_session_is_not_enough(signed_in, world):
    client = signed_in(world["doctor"])

    response = _read(client, world)

    assert response.status_code == 401


def test_an_expired_token_is_refused(api, world):
    later = timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        response = _read(api, world)

    assert response.status_code == 401
    assert not AccessEvent.objects.filter(action=Action.PERSON_VIEWED).exists()


def test_a_revoked_token_is_refused(service_account, world):
    token_model, token = AuthToken.objects.create(user=service_account)
    client = token_client(token)
    assert _read(client, world).status_code == 200

    agency_services.api_token_revoke(user=service_account, token_key=token_model.token_key)

    assert _read(client, world).status_code == 401


def test_a_deactivated_accounts_token_is_refused(api, service_account, world):
    service_account.is_active = False
    service_account.save()

    assert _read(api, world).status_code == 401


def test_a_practitioners_own_token_works_too(world):
    _, token = AuthToken.objects.create(user=world["doctor"])

    assert _read(token_client(token), world).status_code == 200


def test_partner_it_tokens_are_refused(world):
    it_user = UserFactory(agency=world["practice"], user_types=["partner_it"])
    _, token = agency_services.api_token_create(user=it_user)

    response = token_client(token).get(reverse("api-purposes"))

    assert response.status_code == 403


def test_tokens_work_only_from_the_agencys_networks(api, world):
    world["practice"].allowed_networks = ["10.20.0.0/16"]
    world["practice"].save()

    outside = _read(api, world)
    inside = api.get(
        person_url(world["margaret"]),
        {"purpose": world["direct_care"].code},
        REMOTE_ADDR="10.20.1.5",
    )

    assert outside.status_code == 403
    assert inside.status_code == 200


@pytest.fixture
def elsewhere(other_partnership):
    """A person of another partnership, with a dataset of the same code as one of ours."""
    dataset = DatasetFactory(
        agency=AgencyFactory(partnership=other_partnership), code="adult_social_care"
    )
    record = SourceRecord.objects.create(
        dataset=dataset,
        source_key="X-1",
        given_name="Olivia",
        family_name="Brown",
        date_of_birth="2011-05-05",
        postcode="BA1 1AA",
    )
    records_link(record)
    return record


@pytest.mark.parametrize("part", ["", "adult_social_care"], ids=["person", "card"])
def test_another_partnerships_person_is_404(api, world, elsewhere, part):
    url = person_url(elsewhere, part) if part else person_url(elsewhere)

    response = api.get(url, {"purpose": world["direct_care"].code})

    assert response.status_code == 404
    assert "Olivia" not in response.content.decode()


def test_a_relationship_with_another_partnerships_person_is_404(api, world, elsewhere):
    response = api.post(
        f"{person_url(elsewhere, 'relationships')}?purpose={world['direct_care'].code}",
        {"kind": "registered_patient"},
        format="json",
    )

    assert response.status_code == 404
    assert not AccessEvent.objects.filter(action=Action.RELATIONSHIP_RECORDED).exists()


def test_another_partnerships_people_are_never_found(api, world, elsewhere):
    response = api.get(
        reverse("api-people"),
        {"purpose": world["direct_care"].code, "family_name": "Brown", "postcode": "BA1 1AA"},
    )

    assert response.status_code == 200
    assert response.json()["total"] == 1
    assert response.json()["results"][0]["id"] == str(person_of(world["others"][2]).public_id)
