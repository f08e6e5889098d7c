"""The public transparency register: plain English from live configuration, only grant versions
in force, CSV and JSON, no sign-in, and nothing from another partnership."""

import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from agencies.models import OrganisationType, Sensitivity
from governance import transparency
from governance.services import (
    grant_draft,
    grant_reject,
    grant_revoke,
    grant_submit,
    grant_suspend,
    grants_expire,
)
from tests.factories import (
    AgencyFactory,
    PartnershipFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    custodian_of,
    dataset_with_fields,
    draft_terms,
    grant_in_force,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 6, 1)
NECESSITY = "GPs need to know what care and support a patient already receives"
FIELDS = {
    "name": Sensitivity.NONE,
    "date_of_birth": Sensitivity.NONE,
    "care_package": Sensitivity.HEALTH,
    "home_address": Sensitivity.LOCATION,
}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=LONDON), tick=False) as traveller:
        yield traveller


@pytest.fixture
def world():
    """Avonshire County Council shares adult social care with GPs at GP practices."""
    partnership = PartnershipFactory(name="Avonshire Partnership", slug="avonshire")
    council = AgencyFactory(
        partnership=partnership,
        name="Avonshire County Council",
        organisation_type=OrganisationType.objects.get(code="local_authority"),
    )
    dataset = dataset_with_fields(agency=council, fields=FIELDS, name="Adult social care")
    return {
        "partnership": partnership,
        "council": council,
        "dataset": dataset,
        "custodian": custodian_of(dataset),
        "gp": RoleFactory(partnership=partnership, name="GP"),
        "gp_practice": OrganisationType.objects.get(code="gp_practice"),
        "direct_care": PurposeFactory(partnership=partnership, name="Direct care"),
    }


def _line(world, purpose=None):
    return {
        "dataset": world["dataset"],
        "role": world["gp"],
        "organisation_type": world["gp_practice"],
        "purpose": purpose or PurposeFactory(partnership=world["partnership"]),
    }


def _in_force(world, purpose=None, **terms):
    terms = {"field_names": ["name"], **terms}
    return grant_in_force(**_line(world, purpose), custodian=world["custodian"], **terms)


def _terms(necessity_statement):
    return draft_terms(field_names=["name"], necessity_statement=necessity_statement)


def _summary_grant(world):
    return _in_force(
        world,
        world["direct_care"],
        field_names=["name", "date_of_birth", "care_package"],
        necessity_statement=NECESSITY,
        valid_from=date(2026, 4, 1),
        valid_until=date(2027, 3, 31),
        review_date=date(2026, 10, 1),
    )


def _drafter(world):
    return UserFactory(agency=world["council"], user_types=["partnership_admin"])


def test_register_describes_an_approved_grant_in_plain_english(client, world):
    # Given an approved summary grant in force
    _summary_grant(world)

    # When anyone opens the partnership's register
    response = client.get(reverse("transparency-register", args=["avonshire"]))

    # Then it says, in plain English with field labels, what is shared, why and until when
    page = response.content.decode()
    assert response.status_code == 200
    assert '<h2 class="govuk-heading-m">Avonshire County Council</h2>' in page
    assert (
        "Avonshire County Council shares Adult social care records with GPs at GP practices for "
        "Direct care, at summary level: name, date of birth, care package."
    ) in page
    assert (
        "Legal basis: UK GDPR Article 6(1)(e) public task, Article 9(2)(h) health or social care, "
        "Care Act 2014 s.6."
    ) in page
    assert f"Why: {NECESSITY}." in page
    assert "Valid until 31 March 2027, next review 1 October 2026." in page
    assert "date_of_birth" not in page
    assert "home address" not in page


def test_register_describes_known_to_and_full_grants(world):
    # Given a known-to grant and a full grant in force
    _in_force(
        world,
        PurposeFactory(partnership=world["partnership"], name="Safeguarding"),
        disclosure_level="known_to",
        field_names=[],
        requires_legitimate_relationship=True,
    )
    _in_force(
        world,
        PurposeFactory(partnership=world["partnership"], name="Care planning"),
        disclosure_level="full",
        conditions="Only for patients registered at the practice",
    )

    # When the register is built
    statements = [
        entry.statement
        for entry in transparency.register_entries(partnership=world["partnership"], today=TODAY)
    ]

    # Then each level reads in plain English, with conditions and the relationship rule
    assert statements[0].startswith(
        "Avonshire County Council shares Adult social care records with GPs at GP practices for "
        "Care planning, in full: name, date of birth, care package, home address."
    )
    assert "Conditions: Only for patients registered at the practice." in statements[0]
    assert statements[1].startswith(
        "Avonshire County Council shares Adult social care records with GPs at GP practices for "
        "Safeguarding, as a known-to flag only: that it holds a record of the person, and "
        "nothing more."
    )
    assert "Staff must record their relationship to the person before they look." in statements[1]


def test_register_lists_only_approved_versions_in_date(client, world, today):
    # Given versions in every state, each with its own necessity statement
    drafter = _drafter(world)
    grant_draft(drafted_by=drafter, **_line(world), **_terms("State: draft"))
    awaiting = grant_draft(drafted_by=drafter, **_line(world), **_terms("State: awaiting"))
    grant_submit(version=awaiting, user=drafter)
    rejected = grant_draft(drafted_by=drafter, **_line(world), **_terms("State: rejected"))
    grant_submit(version=rejected, user=drafter)
    grant_reject(version=rejected, custodian=world["custodian"], reason="Too much data.")
    suspended = _in_force(world, necessity_statement="State: suspended")
    grant_suspend(version=suspended, custodian=world["custodian"], reason="Under investigation.")
    revoked = _in_force(world, necessity_statement="State: revoked")
    grant_revoke(version=revoked, custodian=world["custodian"], reason="No longer needed.")
    purpose = PurposeFactory(partnership=world["partnership"])
    _in_force(world, purpose, necessity_statement="State: superseded")
    _in_force(world, purpose, necessity_statement="State: current version")
    _in_force(
        world,
        necessity_statement="State: not started",
        valid_from=TODAY + timedelta(days=10),
        review_date=TODAY + timedelta(days=20),
    )
    _in_force(
        world,
        necessity_statement="State: expired",
        valid_until=TODAY + timedelta(days=1),
        review_date=TODAY,
    )
    _in_force(
        world,
        necessity_statement="State: past its date, not yet expired",
        valid_until=TODAY + timedelta(days=2),
        review_date=TODAY,
    )
    _in_force(world, necessity_statement="State: in force")
    today.move_to(datetime(2026, 6, 4, 10, tzinfo=LONDON))
    grants_expire(today=TODAY + timedelta(days=2))

    # When anyone opens the register
    page = client.get(reverse("transparency-register", args=["avonshire"])).content.decode()

    # Then only the approved versions in date today appear
    listed = {line for line in page.splitlines() if "State: " in line}
    assert {line.strip() for line in listed} == {
        '<p class="govuk-body">Why: State: current version.</p>',
        '<p class="govuk-body">Why: State: in force.</p>',
    }


def test_register_hides_other_partnerships_grants(client, world):
    # Given a grant in another partnership
    _summary_grant(world)
    other = PartnershipFactory(name="Elsewhere Partnership", slug="elsewhere")
    elsewhere = AgencyFactory(partnership=other, name="Elsewhere Borough Council")
    other_dataset = dataset_with_fields(
        agency=elsewhere, fields={"name": Sensitivity.NONE}, name="Housing"
    )
    grant_in_force(
        dataset=other_dataset,
        role=RoleFactory(partnership=other),
        organisation_type=world["gp_practice"],
        purpose=PurposeFactory(partnership=other),
        field_names=["name"],
        necessity_statement="Elsewhere needs this",
    )
    url = reverse("transparency-register", args=["avonshire"])

    # When anyone reads Avonshire's register in each format
    page = client.get(url).content.decode()
    rows = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode("utf-8-sig")
    data = client.get(url, {"format": "json"}).content.decode()

    # Then nothing of the other partnership appears
    for body in (page, rows, data):
        assert "Elsewhere" not in body
        assert "Housing" not in body
        assert "Avonshire County Council" in body


def test_register_csv_streams_with_bom_and_guards_formula_cells(client, world):
    # Given a grant whose necessity statement and conditions look like spreadsheet formulas
    _in_force(
        world,
        world["direct_care"],
        field_names=["name"],
        necessity_statement='=HYPERLINK("https://evil.example","Click")',
        conditions="@SUM(1+1)",
    )

    # When the register is downloaded as CSV
    response = client.get(reverse("transparency-register-csv", args=["avonshire"]))
    content = b"".join(response.streaming_content)

    # Then it is UTF-8 with a byte order mark and formula cells are prefixed with a quote
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="avonshire-transparency-register.csv"' in response["Content-Disposition"]
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Why"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert rows[0]["Conditions"] == "'@SUM(1+1)"
    assert rows[0]["Sharing agency"] == "Avonshire County Council"
    assert rows[0]["Fields shared"] == "Name"
    assert rows[0]["Plain English"].startswith("Avonshire County Council shares")


def test_register_csv_by_query_string_matches_the_csv_address(client, world):
    _summary_grant(world)

    by_suffix = client.get(reverse("transparency-register-csv", args=["avonshire"]))
    by_query = client.get(reverse("transparency-register", args=["avonshire"]), {"format": "csv"})

    assert b"".join(by_query.streaming_content) == b"".join(by_suffix.streaming_content)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_starting_with_a_formula_character_are_quoted(prefix):
    assert transparency.csv_safe(f"{prefix}1+1") == f"'{prefix}1+1"


def test_csv_plain_cells_are_unchanged():
    assert transparency.csv_safe("Care Act 2014 s.6") == "Care Act 2014 s.6"


def test_register_json_structure(client, world):
    # Given an approved grant in force
    version = _summary_grant(world)

    # When the register is read as JSON
    response = client.get(reverse("transparency-register-json", args=["avonshire"]))

    # Then it is grouped by sharing agency, with labels rather than codes
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["partnership"] == {"name": "Avonshire Partnership", "slug": "avonshire"}
    assert data["as_of"] == "2026-06-01"
    assert [agency["name"] for agency in data["agencies"]] == ["Avonshire County Council"]
    grant = data["agencies"][0]["grants"][0]
    assert grant == {
        "dataset": "Adult social care",
        "shared_with": {"role": "GP", "organisation_type": "GP practice"},
        "purpose": "Direct care",
        "disclosure_level": {"code": "summary", "label": "Summary: the chosen fields"},
        "fields": ["Name", "Date of birth", "Care package"],
        "legal_basis": {
            "uk_gdpr_article_6": "Article 6(1)(e) public task",
            "uk_gdpr_article_9": "Article 9(2)(h) health or social care",
            "statute": "Care Act 2014 s.6",
        },
        "why": NECESSITY,
        "conditions": None,
        "relationship_must_be_recorded_first": False,
        "shared_even_where_the_person_objected": False,
        "valid_from": "2026-04-01",
        "valid_until": "2027-03-31",
        "next_review": "2026-10-01",
        "version": version.version,
        "plain_english": grant["plain_english"],
    }
    assert grant["plain_english"].endswith("Valid until 31 March 2027, next review 1 October 2026.")


def test_register_json_by_query_string_matches_the_json_address(client, world):
    _summary_grant(world)

    by_suffix = client.get(reverse("transparency-register-json", args=["avonshire"]))
    by_query = client.get(reverse("transparency-register", args=["avonshire"]), {"format": "json"})

    assert json.loads(by_query.content) == json.loads(by_suffix.content)


@pytest.mark.parametrize(
    "url_name",
    ["transparency-register", "transparency-register-csv", "transparency-register-json"],
)
def test_unknown_partnership_is_404(client, world, url_name):
    response = client.get(reverse(url_name, args=["no-such-partnership"]))

    assert response.status_code == 404


def test_register_needs_no_sign_in(client, world):
    # Given nobody is signed in
    _summary_grant(world)

    # When they open the index and the register
    index = client.get(reverse("transparency-index"))
    register = client.get(reverse("transparency-register", args=["avonshire"]))

    # Then both are shown, not a sign-in redirect
    assert index.status_code == 200
    assert reverse("transparency-register", args=["avonshire"]) in index.content.decode()
    assert register.status_code == 200


def test_register_is_shown_to_a_signed_in_member_of_staff_too(signed_in, world):
    _summary_grant(world)
    client = signed_in(UserFactory(agency=world["council"]))

    response = client.get(reverse("transparency-register", args=["avonshire"]))

    assert response.status_code == 200
    assert "Avonshire County Council shares" in response.content.decode()


def test_register_is_built_with_a_fixed_number_of_queries(world, django_assert_num_queries):
    # Given several grants across purposes and datasets
    _summary_grant(world)
    _in_force(world, field_names=["name"])
    second = dataset_with_fields(agency=world["council"], fields={"flag": Sensitivity.NONE})
    grant_in_force(
        dataset=second,
        role=world["gp"],
        organisation_type=world["gp_practice"],
        purpose=world["direct_care"],
        field_names=["flag"],
    )

    # When the register is built, then it takes two queries
    with django_assert_num_queries(2):
        entries = transparency.register_entries(partnership=world["partnership"], today=TODAY)
    assert len(entries) == 3


def test_register_says_when_nothing_is_in_force(client, world):
    response = client.get(reverse("transparency-register", args=["avonshire"]))

    assert "Avonshire Partnership has no sharing agreements in force today." in (
        response.content.decode()
    )
