"""Sign-in: password then TOTP, enrolment, lockout with cool-off, network limits, timeouts."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.services import totp_device_set
from tests.factories import AgencyFactory, UserFactory
from tests.signin import PASSWORD, TOTP_KEY, current_code, sign_in

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0)


def _password_step(client, user, password=PASSWORD):
    return client.post(reverse("signin"), {"username": user.username, "password": password})


def test_password_alone_does_not_open_any_page(client, practitioner):
    # Given a user with an authenticator app
    totp_device_set(user=practitioner, key_hex=TOTP_KEY)

    # When they pass the password step only
    response = _password_step(client, practitioner)
    home = client.get(reverse("agency-list"))

    # Then they are asked for their code, and staff pages send them back to it
    assert response["Location"].startswith(reverse("signin-code"))
    assert home.status_code == 302
    assert home["Location"].startswith(reverse("signin-code"))


def test_correct_code_completes_sign_in(client, practitioner):
    device = totp_device_set(user=practitioner, key_hex=TOTP_KEY)
    _password_step(client, practitioner)

    response = client.post(reverse("signin-code"), {"token": current_code(device)}, follow=True)

    assert response.status_code == 200
    assert "Practitioner" in response.content.decode()
    assert practitioner.agency.name in response.content.decode()


def test_wrong_code_is_refused_with_a_clear_message(client, practitioner):
    device = totp_device_set(user=practitioner, key_hex=TOTP_KEY)
    _password_step(client, practitioner)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("signin-code"), {"token": wrong})

    assert response.status_code == 200
    assert "The security code is wrong or has expired" in response.content.decode()
    assert client.get(reverse("agency-list")).status_code == 302


def test_malformed_code_gets_a_specific_error(client, practitioner):
    totp_device_set(user=practitioner, key_hex=TOTP_KEY)
    _password_step(client, practitioner)

    response = client.post(reverse("signin-code"), {"token": "12ab"})

    assert "The security code must be 6 digits" in response.content.decode()


def test_new_user_enrols_an_authenticator_app(client, practitioner):
    # Given a user with no authenticator app yet
    response = _password_step(client, practitioner)
    assert response["Location"].startswith(reverse("two-factor-setup"))

    # When they open the set-up page and enter the code for the key it shows
    page = client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=practitioner, confirmed=False)
    confirm = client.post(reverse("two-factor-setup"), {"token": current_code(device)})

    # Then the page showed a QR code and key, and the device is confirmed and they are in
    assert "<svg" in page.content.decode()
    assert confirm.status_code == 302
    assert TOTPDevice.objects.get(user=practitioner).confirmed
    assert client.get(reverse("agency-list")).status_code == 200


def test_demo_code_is_never_shown_outside_the_demo(client, practitioner):
    device = totp_device_set(user=practitioner, key_hex=TOTP_KEY)
    _password_step(client, practitioner)

    page = client.get(reverse("signin-code")).content.decode()

    assert current_code(device) not in page
    assert "Demo only" not in page


def test_demo_shows_the_current_code(client, practitioner, settings):
    settings.SINGLEVIEW_DEMO = True
    device = totp_device_set(user=practitioner, key_hex=TOTP_KEY)
    _password_step(client, practitioner)

    page = client.get(reverse("signin-code")).content.decode()

    assert (
        f'the current code for this account is <strong class="sv-nowrap">{current_code(device)}'
        in page
    )


def test_lockout_after_five_failures_and_cool_off(client, practitioner):
    totp_device_set(user=practitioner, key_hex=TOTP_KEY)
    with time_machine.travel(START, tick=False):
        # Given five wrong passwords
        for _ in range(5):
            _password_step(client, practitioner, password="wrong password")

        # When the right password is then entered
        locked = _password_step(client, practitioner)

        # Then the account is locked and says so
        assert locked.status_code == 429
        assert "Your account is locked" in locked.content.decode()

    # And after the 15-minute cool-off the right password works again
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        response = _password_step(client, practitioner)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("signin-code"))


def test_lockout_is_per_account(client, agency):
    victim = UserFactory(agency=agency)
    bystander = UserFactory(agency=agency)
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            _password_step(client, victim, password="wrong password")

        assert _password_step(client, bystander).status_code == 302


def test_sign_in_refused_outside_agency_networks(client, partnership):
    agency = AgencyFactory(partnership=partnership, allowed_networks=["10.20.0.0/16"])
    user = UserFactory(agency=agency)

    refused = _password_step(client, user)
    allowed = client.post(
        reverse("signin"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="10.20.3.4",
    )

    assert refused.status_code == 403
    assert "You cannot sign in from this network" in refused.content.decode()
    assert allowed.status_code == 302


def test_idle_timeout_after_30_minutes(client, practitioner):
    with time_machine.travel(START, tick=False):
        sign_in(client, practitioner)
        assert client.get(reverse("agency-list")).status_code == 200

    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        response = client.get(reverse("agency-list"))
        signin_page = client.get(response["Location"])

    assert response["Location"].startswith(reverse("signin") + "?timeout=idle")
    assert "because you did nothing for 30 minutes" in signin_page.content.decode()


def test_activity_keeps_the_session_alive(client, practitioner):
    with time_machine.travel(START, tick=False):
        sign_in(client, practitioner)
    for minutes in (25, 50, 75):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("agency-list")).status_code == 200


def test_absolute_timeout_after_12_hours_despite_activity(client, practitioner):
    with time_machine.travel(START, tick=False):
        sign_in(client, practitioner)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            client.get(reverse("agency-list"))

    with time_machine.travel(START + timedelta(hours=12, minutes=5), tick=False):
        response = client.get(reverse("agency-list"))

    assert response["Location"].startswith(reverse("signin") + "?timeout=expired")


def test_sign_out_ends_the_session(signed_in, practitioner):
    client = signed_in(practitioner)

    response = client.post(reverse("signout"))

    assert response["Location"] == reverse("signed-out")
    assert client.get(reverse("agency-list")).status_code == 302


@pytest.mark.parametrize(
    "change",
    [lambda devices: devices.update(confirmed=False), lambda devices: devices.delete()],
    ids=["unconfirmed", "removed"],
)
def test_a_session_whose_authenticator_was_unconfirmed_or_removed_must_verify_again(
    client, practitioner, change
):
    # Given a practitioner signed in with their authenticator app
    sign_in(client, practitioner)
    assert client.get(reverse("agency-list")).status_code == 200
    devices = TOTPDevice.objects.filter(user=practitioner)

    # When the device is unconfirmed or removed
    change(devices)
    response = client.get(reverse("agency-list"))

    # Then their pages send them to set up an authenticator again
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two-factor-setup"))


def test_a_session_cannot_borrow_another_users_authenticator(client, practitioner, agency):
    # Given a practitioner signed in, and a colleague with their own authenticator app
    sign_in(client, practitioner)
    colleague = UserFactory(agency=agency)
    theirs = totp_device_set(user=colleague, key_hex=TOTP_KEY)

    # When the session is made to name the colleague's device
    session = client.session
    session["otp_device_id"] = theirs.persistent_id
    session.save()
    response = client.get(reverse("agency-list"))

    # Then the session is not verified
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin-code"))
