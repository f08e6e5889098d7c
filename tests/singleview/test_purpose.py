"""Purpose first: a practitioner declares why before any search, and it shows on every page."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agencies.models import OrganisationType, Sensitivity
from singleview.selectors import PURPOSE_SESSION_KEY
from tests.factories import (
    AgencyFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    dataset_with_fields,
    grant_in_force,
)

pytestmark = pytest.mark.django_db
START = timezone.now().replace(microsecond=0)


@pytest.fixture
def world(partnership):
    council = AgencyFactory(partnership=partnership)
    practice = AgencyFactory(
        partnership=partnership,
        organisation_type=OrganisationType.objects.get(code="gp_practice"),
    )
    gp = RoleFactory(partnership=partnership, name="GP")
    dataset = dataset_with_fields(agency=council, fields={"given_name": Sensitivity.NONE})
    direct_care = PurposeFactory(partnership=partnership, name="Direct care")
    safeguarding = PurposeFactory(
        partnership=partnership, name="Safeguarding", requires_justification=True
    )
    emergency = PurposeFactory(
        partnership=partnership,
        name="Emergency care",
        is_emergency=True,
        requires_justification=True,
    )
    ungranted = PurposeFactory(partnership=partnership, name="Council tax decisions")
    for purpose in (direct_care, safeguarding, emergency):
        grant_in_force(
            dataset=dataset,
            role=gp,
            organisation_type=practice.organisation_type,
            purpose=purpose,
            field_names=["given_name"],
        )
    return {
        "doctor": UserFactory(agency=practice, role_id=gp.pk),
        "direct_care": direct_care,
        "safeguarding": safeguarding,
        "emergency": emergency,
        "ungranted": ungranted,
    }


def _declare(client, purpose, justification="", case_reference=""):
    return client.post(
        reverse("purpose"),
        {"purpose": purpose.pk, "justification": justification, "case_reference": case_reference},
    )


def test_only_purposes_with_a_grant_are_offered(signed_in, world):
    client = signed_in(world["doctor"])

    page = client.get(reverse("purpose")).content.decode()

    assert "Direct care" in page
    assert "Safeguarding" in page
    assert "Council tax decisions" not in page


def test_an_ungranted_purpose_cannot_be_declared(signed_in, world):
    client = signed_in(world["doctor"])

    page = _declare(client, world["ungranted"]).content.decode()

    assert "Choose one of the purposes listed." in page
    assert PURPOSE_SESSION_KEY not in client.session


def test_a_purpose_needing_a_reason_refuses_none(signed_in, world):
    client = signed_in(world["doctor"])

    page = _declare(client, world["safeguarding"], justification="check").content.decode()

    assert "Safeguarding needs a reason" in page
    assert PURPOSE_SESSION_KEY not in client.session


def test_declared_purpose_shows_on_every_page(signed_in, world):
    client = signed_in(world["doctor"])

    _declare(client, world["direct_care"], case_reference="REF-42")
    page = client.get(reverse("agency-list")).content.decode()

    assert "You are looking for <strong>Direct care</strong> (case REF-42)" in page
    assert reverse("purpose") in page


def test_purpose_expires_after_its_limit(signed_in, world):
    with time_machine.travel(START, tick=False):
        client = signed_in(world["doctor"])
        _declare(client, world["direct_care"])
    for minutes in range(20, 4 * 60, 20):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            assert "You are looking for" in client.get(reverse("agency-list")).content.decode()
    with time_machine.travel(START + timedelta(hours=4, minutes=1), tick=False):
        after = client.get(reverse("agency-list")).content.decode()

    assert "You are looking for" not in after


def test_break_glass_lasts_sixty_minutes_and_says_so(signed_in, world):
    with time_machine.travel(START, tick=False):
        client = signed_in(world["doctor"])
        _declare(client, world["emergency"], justification="Unconscious patient in the ED.")
        page = client.get(reverse("agency-list")).content.decode()
    with time_machine.travel(START + timedelta(minutes=25), tick=False):
        still = client.get(reverse("agency-list")).content.decode()
    with time_machine.travel(START + timedelta(minutes=50), tick=False):
        client.get(reverse("agency-list"))
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        after = client.get(reverse("agency-list")).content.decode()

    assert "Break-glass access" in page
    assert "Break-glass access" in still
    assert "Break-glass access" not in after


def test_stopping_a_purpose_is_an_explicit_step(signed_in, world):
    client = signed_in(world["doctor"])
    _declare(client, world["direct_care"])

    client.post(reverse("purpose-clear"))

    assert PURPOSE_SESSION_KEY not in client.session


def test_only_practitioners_declare_purposes(signed_in, agency):
    custodian = UserFactory(agency=agency, user_types=["custodian"])
    client = signed_in(custodian)

    assert client.get(reverse("purpose")).status_code == 403


def test_another_partnerships_purpose_is_refused(signed_in, world, other_partnership):
    theirs = PurposeFactory(partnership=other_partnership)
    client = signed_in(world["doctor"])

    page = _declare(client, theirs).content.decode()

    assert "Choose one of the purposes listed." in page


def test_declaring_never_redirects_off_site(signed_in, world):
    client = signed_in(world["doctor"])

    response = client.post(
        reverse("purpose") + "?next=https://evil.example.org/",
        {"purpose": world["direct_care"].pk},
    )

    assert response["Location"] == reverse("search")
