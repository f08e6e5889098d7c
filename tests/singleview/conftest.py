"""A small partnership for the search and person-page tests: a council's adult social care
record and a police record of one woman, a GP who may see some of them, and records of others."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from agencies.models import OrganisationType, Sensitivity, SourceRecord
from governance.models import DisclosureLevel
from matching.models import Link, LinkStatus, Person
from matching.services import source_records_link
from tests.factories import (
    AgencyFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    dataset_with_fields,
    grant_in_force,
)

DEMOGRAPHICS = {
    "given_name": Sensitivity.NONE,
    "family_name": Sensitivity.NONE,
    "date_of_birth": Sensitivity.NONE,
    "postcode": Sensitivity.LOCATION,
    "address": Sensitivity.LOCATION,
    "nhs_number": Sensitivity.NONE,
}


def records_link(*records: SourceRecord) -> None:
    source_records_link(source_record_ids=[record.pk for record in records])


def person_of(record: SourceRecord) -> Person:
    return Link.objects.get(source_record=record, status=LinkStatus.ACTIVE).person


@pytest.fixture
def world(partnership):
    council = AgencyFactory(partnership=partnership, name="Avonshire County Council")
    police = AgencyFactory(
        partnership=partnership,
        name="Avonshire Police",
        organisation_type=OrganisationType.objects.get(code="police_force"),
    )
    practice = AgencyFactory(
        partnership=partnership,
        name="Riverside Surgery",
        organisation_type=OrganisationType.objects.get(code="gp_practice"),
    )
    care = dataset_with_fields(
        agency=council,
        code="adult_social_care",
        name="Adult Social Care",
        known_to_contact="Contact the duty team on 01632 960000.",
        fields={
            **DEMOGRAPHICS,
            "care_package": Sensitivity.HEALTH,
            "safeguarding_notes": Sensitivity.HEALTH,
        },
    )
    firearms = dataset_with_fields(
        agency=police,
        code="police_person_index",
        name="Police person index",
        fields={**DEMOGRAPHICS, "firearms_licence_holder": Sensitivity.CRIMINAL_JUSTICE},
    )
    gp = RoleFactory(partnership=partnership, name="GP")
    direct_care = PurposeFactory(partnership=partnership, name="Direct care")
    emergency = PurposeFactory(
        partnership=partnership,
        name="Emergency care",
        is_emergency=True,
        requires_justification=True,
        overrides_objection=True,
    )
    gp_practice = practice.organisation_type
    care_grant = grant_in_force(
        dataset=care,
        role=gp,
        organisation_type=gp_practice,
        purpose=direct_care,
        disclosure_level=DisclosureLevel.SUMMARY,
        field_names=["given_name", "family_name", "date_of_birth", "care_package"],
    )
    grant_in_force(
        dataset=firearms,
        role=gp,
        organisation_type=gp_practice,
        purpose=direct_care,
        disclosure_level=DisclosureLevel.KNOWN_TO,
        field_names=[],
    )
    grant_in_force(
        dataset=care,
        role=gp,
        organisation_type=gp_practice,
        purpose=emergency,
        disclosure_level=DisclosureLevel.FULL,
        field_names=[
            "given_name",
            "family_name",
            "date_of_birth",
            "care_package",
            "safeguarding_notes",
        ],
    )
    margaret = SourceRecord.objects.create(
        dataset=care,
        source_key="ASC-1",
        given_name="Margaret",
        family_name="Smith",
        date_of_birth="1950-03-12",
        postcode="SN1 4AB",
        address="12 High Street, Swindon",
        nhs_number="9434765919",
        payload={"care_package": "Home care, four visits a day", "safeguarding_notes": "S-NOTE"},
    )
    peggy = SourceRecord.objects.create(
        dataset=firearms,
        source_key="POL-1",
        given_name="Peggy",
        family_name="Smith",
        date_of_birth="1950-03-12",
        postcode="SN1 4AB",
        nhs_number="9434765919",
        payload={"firearms_licence_holder": True},
    )
    others = [
        SourceRecord.objects.create(
            dataset=care,
            source_key=f"ASC-{n}",
            given_name=given,
            family_name=family,
            date_of_birth=born,
            postcode=postcode,
            payload={"care_package": "Day centre"},
        )
        for n, (given, family, born, postcode) in enumerate(
            [
                ("John", "Smith", "1950-03-12", "SN2 1AA"),
                ("Ahmed", "Khan", "1984-07-30", "SN1 4AB"),
                ("Olivia", "Brown", "2011-05-05", "BA1 1AA"),
            ],
            start=2,
        )
    ]
    records_link(margaret, peggy, *others)
    doctor = UserFactory(agency=practice, role_id=gp.pk)
    return {
        "partnership": partnership,
        "council": council,
        "police": police,
        "practice": practice,
        "care": care,
        "firearms": firearms,
        "gp": gp,
        "direct_care": direct_care,
        "emergency": emergency,
        "care_grant": care_grant,
        "margaret": margaret,
        "peggy": peggy,
        "others": others,
        "doctor": doctor,
    }


def declare(client: Any, purpose: Any, justification: str = "", case_reference: str = "") -> Any:
    return client.post(
        reverse("purpose"),
        {"purpose": purpose.pk, "justification": justification, "case_reference": case_reference},
    )


def search(client: Any, **terms: str) -> Any:
    data = {
        "given_name": "",
        "family_name": "",
        "dob_day": "",
        "dob_month": "",
        "dob_year": "",
        "postcode": "",
        "nhs_number": "",
        **terms,
    }
    return client.post(reverse("search"), data)


ONE_DAY = timedelta(days=1)


@pytest.fixture
def doctor(signed_in, world):
    """The GP, signed in, with Direct care declared."""
    client = signed_in(world["doctor"])
    declare(client, world["direct_care"])
    return client


@pytest.fixture
def care_planning(world):
    """A purpose whose adult social care grant needs a legitimate relationship first."""
    purpose = PurposeFactory(partnership=world["partnership"], name="Care planning")
    grant_in_force(
        dataset=world["care"],
        role=world["gp"],
        organisation_type=world["practice"].organisation_type,
        purpose=purpose,
        disclosure_level=DisclosureLevel.SUMMARY,
        field_names=["given_name", "care_package"],
        requires_legitimate_relationship=True,
    )
    return purpose
