"""Helpers for the grant, sign-off and preview page tests. Data is made through real services."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from agencies.models import Agency, Dataset, FieldType, OrganisationType, Sensitivity
from governance.models import Article6, Article9, DisclosureLevel, GrantVersion
from governance.services import grant_draft, grant_submit
from tests.factories import (
    AgencyFactory,
    DatasetFactory,
    DatasetFieldFactory,
    PartnershipFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    draft_terms,
    grant_in_force,
)

# name: (label, field type, sensitivity, choices)
SAMPLE_FIELDS: dict[str, tuple[str, str, str, list[str]]] = {
    "given_name": ("Given name", FieldType.STRING, Sensitivity.NONE, []),
    "family_name": ("Family name", FieldType.STRING, Sensitivity.NONE, []),
    "date_of_birth": ("Date of birth", FieldType.DATE, Sensitivity.NONE, []),
    "nhs_number": ("NHS number", FieldType.NHS_NUMBER, Sensitivity.NONE, []),
    "postcode": ("Postcode", FieldType.POSTCODE, Sensitivity.LOCATION, []),
    "allocated_worker": ("Allocated worker", FieldType.STRING, Sensitivity.NONE, []),
    "care_package": (
        "Care package",
        FieldType.CHOICE,
        Sensitivity.HEALTH,
        ["Home care", "Reablement"],
    ),
    "warning_markers": ("Warning markers", FieldType.STRING, Sensitivity.CRIMINAL_JUSTICE, []),
}


def sample_dataset(*, agency: Agency, name: str = "Adult social care") -> Dataset:
    """A dataset with typed fields, like the partnership's own."""
    dataset = cast(Dataset, DatasetFactory(agency=agency, name=name))
    for position, (field_name, (label, field_type, sensitivity, choices)) in enumerate(
        SAMPLE_FIELDS.items()
    ):
        DatasetFieldFactory(
            dataset=dataset,
            name=field_name,
            label=label,
            field_type=field_type,
            sensitivity=sensitivity,
            choices=choices,
            position=position,
        )
    return dataset


def grant_line(*, agency_name: str) -> dict[str, Any]:
    """A dataset, job role, organisation type and purpose in a new partnership."""
    partnership = PartnershipFactory()
    council = cast(Agency, AgencyFactory(partnership=partnership, name=agency_name))
    return {
        "dataset": sample_dataset(agency=council),
        "role": RoleFactory(partnership=partnership, name="Care co-ordinator"),
        "organisation_type": OrganisationType.objects.get(code="gp_practice"),
        "purpose": PurposeFactory(partnership=partnership, name="Direct care"),
    }


def drafter_in(line: dict[str, Any], user_type: str = "partnership_admin") -> Any:
    return UserFactory(agency=line["dataset"].agency, user_types=[user_type])


def draft(line: dict[str, Any], *, drafted_by: Any, **terms: Any) -> GrantVersion:
    terms.setdefault("field_names", ["given_name", "allocated_worker"])
    return grant_draft(drafted_by=drafted_by, **line, **draft_terms(**terms))


def submitted(line: dict[str, Any], *, drafted_by: Any, **terms: Any) -> GrantVersion:
    return grant_submit(version=draft(line, drafted_by=drafted_by, **terms), user=drafted_by)


def approved(line: dict[str, Any], **terms: Any) -> GrantVersion:
    """A version in force, drafted by an admin and signed off by a custodian of the dataset."""
    terms.setdefault("field_names", ["given_name", "allocated_worker"])
    return grant_in_force(**line, **terms)


def _date_fields(name: str, value: date) -> dict[str, str]:
    return {
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def terms_post(**overrides: Any) -> dict[str, Any]:
    """The terms page's POST data, as a browser would send it."""
    terms = draft_terms(
        disclosure_level=DisclosureLevel.SUMMARY,
        field_names=["given_name", "allocated_worker"],
        article6_condition=Article6.E,
        article9_condition=Article9.NONE,
        conditions="",
        requires_legitimate_relationship="no",
    )
    terms.update(overrides)
    data: dict[str, Any] = {}
    for name, value in terms.items():
        if isinstance(value, date):
            data.update(_date_fields(name, value))
        elif value is not None:
            data[name] = value
    return data


def line_query(line: dict[str, Any]) -> dict[str, int]:
    return {name: value.pk for name, value in line.items()}
