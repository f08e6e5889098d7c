"""Partnership admins cannot raise privileges; the admin signs in through Single View."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from agencies.models import User
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_partnership_admin_cannot_make_anyone_a_superuser(signed_in, agency):
    # Given a partnership admin and a colleague
    admin_user = UserFactory(agency=agency, user_types=["partnership_admin"])
    colleague = UserFactory(agency=agency)
    client = signed_in(admin_user)
    url = reverse("admin:agencies_user_change", args=[colleague.pk])

    # When they open the colleague's page
    page = client.get(url).content.decode()

    # Then the superuser and staff flags are not editable there
    assert page.count('name="is_superuser"') == 0
    assert page.count('name="is_staff"') == 0
    assert page.count('name="user_permissions"') == 0
    assert not User.objects.get(pk=colleague.pk).is_superuser


def test_admin_login_goes_through_the_single_view_sign_in(client):
    response = client.get("/django-admin/login/?next=/django-admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


def test_createsuperuser_accepts_an_agency_id(agency):
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.org",
        agency=agency.pk,
        verbosity=0,
    )

    assert User.objects.get(username="root").is_superuser


def test_sign_in_network_check_uses_the_forwarded_client_address(client, partnership, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    agency = AgencyFactory(partnership=partnership, allowed_networks=["10.20.0.0/16"])
    user = UserFactory(agency=agency)

    response = client.post(
        reverse("signin"),
        {"username": user.username, "password": "correct horse battery staple"},
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_FORWARDED_FOR="10.20.3.4, 192.0.2.1",
    )

    assert response.status_code == 302
