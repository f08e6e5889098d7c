"""Each user type's main journey, in a real browser, with accessibility checks on every page.
The practitioner's whole journey (purpose, search, person) is walked through with the demo's own
data in test_product_cases.py; partner IT's in tests/agencies/test_extract_browser.py."""

import re

import pytest
from playwright.sync_api import expect

from agencies.models import OrganisationType, Sensitivity
from governance.models import GrantStatus, GrantVersion, SignOff
from governance.services import grant_draft, grant_submit
from tests.factories import (
    AgencyFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    custodian_of,
    dataset_with_fields,
    draft_terms,
    grant_in_force,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sharing(agency):
    """A council dataset, a GP role and a purpose in the test partnership."""
    partnership = agency.partnership
    dataset = dataset_with_fields(
        agency=agency,
        fields={"given_name": Sensitivity.NONE, "care_package": Sensitivity.HEALTH},
        name="Adult social care",
    )
    return {
        "dataset": dataset,
        "role": RoleFactory(partnership=partnership, name="GP"),
        "organisation_type": OrganisationType.objects.get(code="gp_practice"),
        "purpose": PurposeFactory(partnership=partnership, name="Direct care"),
    }


def test_public_pages_are_accessible(journey, sharing):
    grant_in_force(**sharing, field_names=["given_name"])

    page = journey.visit("/")
    expect(page.get_by_role("heading", name="Single View")).to_be_visible()
    page = journey.visit(f"/transparency/{sharing['dataset'].agency.partnership.slug}/")
    expect(page.get_by_text("Adult social care").first).to_be_visible()


def test_custodian_signs_off_a_grant(journey, sharing):
    # Given a version awaiting sign-off, drafted by a partnership admin
    drafter = UserFactory(agency=sharing["dataset"].agency, user_types=["partnership_admin"])
    version = grant_draft(drafted_by=drafter, **sharing, **draft_terms(field_names=["given_name"]))
    grant_submit(version=version, user=drafter)
    custodian = custodian_of(sharing["dataset"])

    # When the custodian signs in, opens their queue, checks the answers and approves
    page = journey.sign_in(custodian)
    page.get_by_role("link", name=re.compile("Grants awaiting your sign-off")).click()
    journey.check()
    page.get_by_role("link", name=re.compile("Adult social care to GP")).click()
    journey.check()
    expect(page.get_by_text("Given name").first).to_be_visible()
    page.get_by_label(re.compile("^Approve")).check()
    page.get_by_label("Reason").fill("The necessity case is made; agreed at IG board.")
    page.get_by_role("button", name="Record my decision").click()
    journey.check()

    # Then the confirmation shows and the version is in force with the custodian's reason
    expect(page.locator(".govuk-panel")).to_be_visible()
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.APPROVED
    assert SignOff.objects.get(grant_version=version).custodian == custodian


def test_partnership_admin_drafts_a_grant(journey, sharing):
    admin_user = UserFactory(agency=sharing["dataset"].agency, user_types=["partnership_admin"])

    page = journey.sign_in(admin_user)
    page.get_by_role("link", name="Grants").first.click()
    journey.check()
    page.get_by_role("link", name=re.compile("Draft a (new )?grant")).click()
    journey.check()
    page.get_by_label("Dataset to share").select_option(value=str(sharing["dataset"].pk))
    page.get_by_label("Job role that will see it").select_option(value=str(sharing["role"].pk))
    page.get_by_label("Type of organisation they work at").select_option(
        value=str(sharing["organisation_type"].pk)
    )
    page.get_by_label(re.compile("Purpose")).select_option(value=str(sharing["purpose"].pk))
    page.get_by_role("button", name="Continue").click()
    journey.check()
    expect(page.get_by_text("Care package").first).to_be_visible()


def test_ig_officer_reviews_the_access_log(journey, agency):
    officer = UserFactory(agency=agency, user_types=["ig_officer"])

    page = journey.sign_in(officer)
    page.get_by_role("link", name=re.compile("dashboard", re.IGNORECASE)).first.click()
    journey.check()
    expect(page.get_by_role("heading", name="Access log dashboard")).to_be_visible()
    page = journey.visit("/audit/alerts/")
    expect(page.get_by_role("heading", name="Alerts to review")).to_be_visible()
    page = journey.visit("/audit/subject-access/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_practitioner_declares_a_purpose_first(journey, sharing):
    grant_in_force(**sharing, field_names=["given_name"])
    practice = AgencyFactory(
        partnership=sharing["dataset"].agency.partnership,
        organisation_type=sharing["organisation_type"],
    )
    doctor = UserFactory(agency=practice, role_id=sharing["role"].pk)

    page = journey.sign_in(doctor)
    page.get_by_role("button", name="Declare your purpose").click()
    journey.check()
    page.get_by_label("Direct care").check()
    page.get_by_label("Case reference (optional)").fill("REF-7")
    page.get_by_role("button", name="Continue").click()
    journey.check()

    expect(page.get_by_text("You are looking for")).to_be_visible()
    expect(page.get_by_text("(case REF-7)")).to_be_visible()
