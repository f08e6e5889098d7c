"""The demo partnership: shape, accounts of every user type, grants, extracts, idempotence."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import TOTP

from agencies.models import Agency, Dataset, Partnership, User, UserType
from governance import policy
from governance.models import GrantStatus, GrantVersion, Purpose
from singleview.demo import DEMO_PASSWORD, PARTNERSHIP_SLUG, totp_key

pytestmark = pytest.mark.django_db

PARTNER_TYPES = {
    "local_authority": 1,
    "police_force": 1,
    "icb": 1,
    "fire_rescue": 1,
    "ambulance_trust": 1,
    "mental_health_trust": 1,
    "acute_trust": 3,
}


@pytest.fixture
def seeded(tmp_path):
    out = StringIO()
    call_command("seed_demo", people=300, seed=7, out=tmp_path, stdout=out, stderr=StringIO())
    return tmp_path, out.getvalue()


def test_nine_partner_agencies_of_the_county_shape(seeded):
    partnership = Partnership.objects.get(slug=PARTNERSHIP_SLUG)
    senders = Agency.objects.filter(partnership=partnership, datasets__isnull=False).distinct()

    counts = {}
    for agency in senders.select_related("organisation_type"):
        counts[agency.organisation_type.code] = counts.get(agency.organisation_type.code, 0) + 1

    assert counts == PARTNER_TYPES


def test_every_sending_agency_has_staff_of_every_user_type(seeded):
    for agency in Agency.objects.filter(datasets__isnull=False).distinct():
        types = set().union(*(user.user_types for user in User.objects.filter(agency=agency)))
        assert {
            UserType.PRACTITIONER,
            UserType.CUSTODIAN,
            UserType.IG_OFFICER,
            UserType.PARTNER_IT,
        } <= types, agency.name
    assert User.objects.filter(groups__name="Partnership admin").exists()


def test_sign_ins_are_printed_with_their_totp_secrets(seeded):
    _, output = seeded

    assert f"every password is {DEMO_PASSWORD}" in output
    assert "avc-custodian" in output
    assert "TOTP secret" in output


def test_a_demo_practitioner_can_sign_in_with_printed_credentials(seeded, client):
    key = bytes.fromhex(totp_key(seed=7, username="y01001-practitioner"))
    code = f"{TOTP(key).token():06d}"

    client.post(reverse("signin"), {"username": "y01001-practitioner", "password": DEMO_PASSWORD})
    response = client.post(reverse("signin-code"), {"token": code}, follow=True)

    assert "Before you look at anyone's records" in response.content.decode()


def test_product_case_grants_are_in_force_and_some_await_sign_off(seeded):
    gp = User.objects.get(username="y01001-practitioner")
    direct_care = Purpose.objects.get(code="direct-care")
    asc = Dataset.objects.get(code="adult_social_care")

    decision = policy.decide(user=gp, purpose=direct_care, dataset_id=asc.pk)

    assert decision.level == "summary"
    assert "care_package" in decision.fields
    assert GrantVersion.objects.filter(status=GrantStatus.AWAITING_SIGN_OFF).count() >= 2
    assert set(
        policy.purposes_available(user=User.objects.get(username="avc-mash-practitioner"))
    ) == {Purpose.objects.get(code="safeguarding")}


def test_extracts_and_ground_truth_are_written(seeded):
    out_dir, _ = seeded
    with (out_dir / "ground_truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    with (out_dir / "adult_social_care.csv").open(newline="", encoding="utf-8") as handle:
        asc = list(csv.DictReader(handle))

    keys = {row["source_key"] for row in truth if row["dataset"] == "adult_social_care"}
    assert asc
    assert {row["source_key"] for row in asc} == keys


def test_running_it_again_changes_nothing(seeded):
    out_dir, _ = seeded
    before = (User.objects.count(), GrantVersion.objects.count(), Agency.objects.count())

    output = StringIO()
    call_command("seed_demo", people=300, seed=7, out=out_dir, stdout=output, stderr=StringIO())

    assert (User.objects.count(), GrantVersion.objects.count(), Agency.objects.count()) == before
    assert "already exists; nothing was changed" in output.getvalue()
