"""A reading world: a council's adult social care dataset shared with GPs for direct care, a GP
who may see it, and a person it knows."""

from __future__ import annotations

import os
from typing import Any

import pytest

from agencies.models import OrganisationType, Sensitivity
from governance import policy
from governance.models import DisclosureLevel, PurposeOfUse
from matching.models import Person
from tests.factories import (
    AgencyFactory,
    PartnershipFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    dataset_with_fields,
    grant_in_force,
)

FIELDS = {
    "given_name": Sensitivity.NONE,
    "care_package": Sensitivity.HEALTH,
    "postcode": Sensitivity.LOCATION,
}


def reading_world(*, name="Avonshire"):
    partnership = PartnershipFactory(name=f"{name} Partnership", slug=name.lower())
    council = AgencyFactory(
        partnership=partnership,
        name=f"{name} County Council",
        code=f"{name[:3].upper()}CC",
        organisation_type=OrganisationType.objects.get(code="local_authority"),
    )
    practice = AgencyFactory(
        partnership=partnership,
        name=f"{name} Surgery",
        code=f"{name[:3].upper()}GP",
        organisation_type=OrganisationType.objects.get(code="gp_practice"),
    )
    gp = RoleFactory(partnership=partnership, code="gp", name="GP")
    direct_care = PurposeFactory(
        partnership=partnership,
        code="direct-care",
        name="Direct care",
        hl7_purpose_of_use=PurposeOfUse.TREAT,
    )
    dataset = dataset_with_fields(agency=council, fields=FIELDS, code="adult-social-care")
    version = grant_in_force(
        dataset=dataset,
        role=gp,
        organisation_type=practice.organisation_type,
        purpose=direct_care,
        disclosure_level=DisclosureLevel.SUMMARY,
        field_names=["given_name", "care_package"],
    )
    doctor = UserFactory(
        agency=practice,
        role_id=gp.pk,
        first_name="Grace",
        last_name="Hopper",
        username=f"ghopper-{name}",
    )
    return {
        "partnership": partnership,
        "council": council,
        "practice": practice,
        "gp": gp,
        "direct_care": direct_care,
        "dataset": dataset,
        "version": version,
        "doctor": doctor,
        "person": Person.objects.create(partnership=partnership),
        "disclosure": policy.decide(user=doctor, purpose=direct_care, dataset_id=dataset.pk),
    }


@pytest.fixture
def world() -> dict[str, Any]:
    return reading_world()


@pytest.fixture
def other_world() -> dict[str, Any]:
    """The same, in another partnership."""
    return reading_world(name="Elsewhere")


@pytest.fixture
def app_role() -> str:
    """A role name for this run; made inside the test's transaction, so rolled back with it."""
    return f"singleview_test_app_{os.getpid()}"
