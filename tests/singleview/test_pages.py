"""The start page, landing pages per user type, health, CSP and the look."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LANDINGS = [
    ("practitioner", "landing-practitioner", "Before you look at anyone's records"),
    ("custodian", "landing-custodian", "Datasets you are custodian of"),
    ("ig_officer", "landing-ig-officer", "Accounts whose use you oversee"),
    ("partner_it", "landing-partner-it", "sends"),
    ("partnership_admin", "landing-partnership-admin", "Run the partnership"),
]


def test_start_page_is_public_and_generic(client):
    response = client.get(reverse("start"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "govuk-generic-header" in html
    assert "It is not a GOV.UK service" in html
    assert "govuk-header__logotype" not in html
    assert 'href="/sign-in/"' in html


@pytest.mark.parametrize(("user_type", "url_name", "text"), LANDINGS)
def test_each_user_type_lands_on_its_own_page(signed_in, agency, user_type, url_name, text):
    user = UserFactory(agency=agency, user_types=[user_type])
    client = signed_in(user)

    home = client.get(reverse("home"))
    landing = client.get(home["Location"])

    assert home["Location"] == reverse(url_name)
    assert text in landing.content.decode()


@pytest.mark.parametrize(("user_type", "url_name", "text"), LANDINGS)
def test_other_user_types_cannot_open_a_landing_page(signed_in, agency, user_type, url_name, text):
    others = [other for other, *_ in LANDINGS if other != user_type]
    user = UserFactory(agency=agency, user_types=others[:1])
    client = signed_in(user)

    response = client.get(reverse(url_name))

    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_user_with_several_types_chooses(signed_in, agency):
    user = UserFactory(agency=agency, user_types=["practitioner", "ig_officer"])
    client = signed_in(user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert reverse("landing-practitioner") in response.content.decode()
    assert reverse("landing-ig-officer") in response.content.decode()


def test_health_endpoint_reports_ok(client):
    response = client.get("/health/?format=json")

    assert response.status_code == 200
    assert "Database" in response.content.decode()


def test_pages_carry_a_nonce_csp_and_no_unnonced_inline_script(client):
    response = client.get(reverse("signin"))
    policy = response["Content-Security-Policy"]
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)

    assert "'unsafe-inline'" not in policy
    assert "script-src 'self' 'nonce-" in policy
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script(?![^>]*src)[^>]*>", html))


def test_stylesheet_is_served_with_arial(client):
    response = client.get("/static/css/singleview.css")
    css = b"".join(response.streaming_content).decode()

    assert response.status_code == 200
    assert "font-family:arial,sans-serif" in css
    assert "GDS Transport" not in css
