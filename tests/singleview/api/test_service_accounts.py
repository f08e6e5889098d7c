"""Service accounts: `service_account_create` makes (or reuses) a practitioner account no one can
sign in as, and prints a new expiring API token for it once."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from agencies.models import User, UserType
from agencies.service_accounts import service_account_create, service_account_token_create
from tests.factories import AgencyFactory, RoleFactory, UserFactory
from tests.signin import PASSWORD
from tests.singleview.api.conftest import token_client

pytestmark = pytest.mark.django_db


def _create(world, username="svc-ehr", *options):
    out = StringIO()
    call_command(
        "service_account_create",
        world["practice"].code,
        world["gp"].code,
        username,
        *options,
        stdout=out,
    )
    return out.getvalue().splitlines()


def test_the_command_creates_a_practitioner_that_cannot_sign_in(world):
    lines = _create(world)

    account = User.objects.get(username="svc-ehr")
    assert account.agency == world["practice"]
    assert account.role == world["gp"]
    assert account.user_types == frozenset({UserType.PRACTITIONER})
    assert not account.has_usable_password()
    assert lines[0].startswith("Created the service account svc-ehr")


def test_the_printed_token_works_once_and_expires_after_the_ttl(world):
    before = timezone.now()

    token = _create(world)[-1]

    stored = AuthToken.objects.get(user__username="svc-ehr")
    assert token.startswith(stored.token_key)
    assert token not in (stored.digest, stored.token_key)
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert before + ttl <= stored.expiry <= timezone.now() + ttl
    assert token_client(token).get(reverse("api-purposes")).status_code == 200


def test_running_it_again_reuses_the_account_with_a_new_token(world):
    first = _create(world)[-1]

    again = _create(world)

    assert again[0].startswith("Reusing the service account svc-ehr")
    assert again[-1] != first
    assert User.objects.filter(username="svc-ehr").count() == 1
    assert AuthToken.objects.filter(user__username="svc-ehr").count() == 2


def test_rotating_revokes_the_accounts_other_tokens(world):
    first = _create(world)[-1]

    second = _create(world, "svc-ehr", "--revoke-others")[-1]

    assert token_client(first).get(reverse("api-purposes")).status_code == 401
    assert token_client(second).get(reverse("api-purposes")).status_code == 200


def test_a_persons_account_is_never_turned_into_a_service_account(world):
    with pytest.raises(CommandError, match="someone's own account"):
        _create(world, world["doctor"].username)

    assert not AuthToken.objects.exists()
    assert world["doctor"].check_password(PASSWORD)


def test_a_service_account_of_another_agency_is_not_reused(world):
    service_account_create(agency=world["council"], role=world["gp"], username="svc-ehr")

    with pytest.raises(CommandError, match="belongs to another agency or role"):
        _create(world)


def test_an_unknown_agency_or_role_is_named(world):
    with pytest.raises(CommandError, match="no agency with the code NOPE"):
        call_command("service_account_create", "NOPE", world["gp"].code, "svc-x")
    with pytest.raises(CommandError, match="no role with the code nope"):
        call_command("service_account_create", world["practice"].code, "nope", "svc-x")


def test_an_agency_code_in_two_partnerships_needs_the_partnership(world, other_partnership):
    AgencyFactory(partnership=other_partnership, code=world["practice"].code)
    RoleFactory(partnership=other_partnership, code=world["gp"].code)

    with pytest.raises(CommandError, match="--partnership"):
        _create(world)
    lines = _create(world, "svc-ehr", "--partnership", world["partnership"].slug)

    assert lines[0].startswith("Created")
    assert User.objects.get(username="svc-ehr").agency == world["practice"]


def test_tokens_are_made_this_way_only_for_service_accounts(world):
    with pytest.raises(PermissionDenied):
        service_account_token_create(user=world["doctor"])


def test_an_invited_person_without_a_password_yet_is_not_a_service_account(world):
    invited = UserFactory(agency=world["practice"], role_id=world["gp"].pk, password=None)

    with pytest.raises(PermissionDenied):
        service_account_token_create(user=invited)


def test_a_token_stops_working_the_moment_it_expires(world):
    token = _create(world)[-1]
    expiry = AuthToken.objects.get(user__username="svc-ehr").expiry

    with time_machine.travel(expiry + timedelta(seconds=1), tick=False):
        response = token_client(token).get(reverse("api-purposes"))

    assert response.status_code == 401
