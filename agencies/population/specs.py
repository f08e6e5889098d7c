"""The Avonshire Single View Partnership as data: its nine agencies and the datasets they send.

The Django seed command reads these specs to create Agency, Dataset and DatasetField rows; the
generator reads them to write one CSV extract per dataset. Codes match the choices on
`agencies.models.OrganisationType.Code`, `Sensitivity` and `FieldType`.

Conventions of the extracts: UTF-8 CSV with a header row of field names in spec order; dates are
ISO `YYYY-MM-DD` (a date of birth may also be partial, `YYYY-MM` or `YYYY`, or blank); booleans are
`Y` or `N`; blank means not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OrganisationType = Literal[
    "gp_practice",
    "acute_trust",
    "mental_health_trust",
    "ambulance_trust",
    "police_force",
    "fire_rescue",
    "local_authority",
    "icb",
    "voluntary_sector",
]
FieldType = Literal["string", "date", "nhs_number", "postcode", "boolean", "integer", "choice"]
Sensitivity = Literal[
    "none",
    "health",
    "mental_health",
    "sexual_health",
    "substance_misuse",
    "criminal_justice",
    "childrens_social_care",
    "financial",
    "location",
]

ORGANISATION_TYPES: tuple[OrganisationType, ...] = (
    "gp_practice",
    "acute_trust",
    "mental_health_trust",
    "ambulance_trust",
    "police_force",
    "fire_rescue",
    "local_authority",
    "icb",
    "voluntary_sector",
)
FIELD_TYPES: tuple[FieldType, ...] = (
    "string",
    "date",
    "nhs_number",
    "postcode",
    "boolean",
    "integer",
    "choice",
)
SENSITIVITIES: tuple[Sensitivity, ...] = (
    "none",
    "health",
    "mental_health",
    "sexual_health",
    "substance_misuse",
    "criminal_justice",
    "childrens_social_care",
    "financial",
    "location",
)

BOOLEAN_TRUE = "Y"
BOOLEAN_FALSE = "N"
PARTNERSHIP_NAME = "Avonshire Single View Partnership"


@dataclass(frozen=True, slots=True)
class AgencySpec:
    """A partner agency: `code` is its organisation code, unique in the partnership."""

    code: str
    name: str
    organisation_type: OrganisationType


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One CSV column of a dataset."""

    name: str
    label: str
    type: FieldType
    identifying: bool
    sensitivity: Sensitivity
    required: bool
    max_length: int | None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A dataset an agency sends as a CSV extract every `cadence_days`.

    `coverage` is the approximate fraction of the whole population that appears in it; `health`
    datasets carry an NHS number on about 95% of records, the others on `nhs_number_rate` of them.
    `min_age` and `max_age` (inclusive, in whole years on the extract date) restrict who may
    appear; `error_multiplier` scales the generator's error rates for this source's data quality.
    """

    code: str
    agency_code: str
    name: str
    description: str
    cadence_days: int
    coverage: float
    health: bool
    fields: tuple[FieldSpec, ...]
    nhs_number_rate: float
    min_age: int | None = None
    max_age: int | None = None
    error_multiplier: float = 1.0

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def payload_fields(self) -> tuple[FieldSpec, ...]:
        return self.fields[len(IDENTIFYING_FIELDS) :]


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(code="AVC", name="Avonshire County Council", organisation_type="local_authority"),
    AgencySpec(code="AVP", name="Avonshire Constabulary", organisation_type="police_force"),
    AgencySpec(code="AICB", name="NHS Avonshire Integrated Care Board", organisation_type="icb"),
    AgencySpec(
        code="AFRS", name="Avonshire Fire and Rescue Service", organisation_type="fire_rescue"
    ),
    AgencySpec(
        code="AAS",
        name="Avonshire Ambulance Service NHS Trust",
        organisation_type="ambulance_trust",
    ),
    AgencySpec(
        code="AMHP",
        name="Avonshire Mental Health Partnership NHS Trust",
        organisation_type="mental_health_trust",
    ),
    AgencySpec(
        code="NGH",
        name="Northgate Hospitals NHS Foundation Trust",
        organisation_type="acute_trust",
    ),
    AgencySpec(
        code="RGH", name="Riverside General Hospital NHS Trust", organisation_type="acute_trust"
    ),
    AgencySpec(
        code="EDH",
        name="Eastbury District Hospital NHS Foundation Trust",
        organisation_type="acute_trust",
    ),
)

IDENTIFYING_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        name="source_key",
        label="Record reference",
        type="string",
        identifying=True,
        sensitivity="none",
        required=True,
        max_length=32,
    ),
    FieldSpec(
        name="given_name",
        label="Given name",
        type="string",
        identifying=True,
        sensitivity="none",
        required=False,
        max_length=100,
    ),
    FieldSpec(
        name="family_name",
        label="Family name",
        type="string",
        identifying=True,
        sensitivity="none",
        required=False,
        max_length=100,
    ),
    FieldSpec(
        name="date_of_birth",
        label="Date of birth",
        type="date",
        identifying=True,
        sensitivity="none",
        required=False,
        max_length=10,
    ),
    FieldSpec(
        name="sex",
        label="Sex",
        type="choice",
        identifying=True,
        sensitivity="none",
        required=False,
        max_length=1,
        choices=("M", "F", "U"),
    ),
    FieldSpec(
        name="postcode",
        label="Postcode",
        type="postcode",
        identifying=True,
        sensitivity="location",
        required=False,
        max_length=8,
    ),
    FieldSpec(
        name="address",
        label="Address",
        type="string",
        identifying=True,
        sensitivity="location",
        required=False,
        max_length=200,
    ),
    FieldSpec(
        name="nhs_number",
        label="NHS number",
        type="nhs_number",
        identifying=True,
        sensitivity="none",
        required=False,
        max_length=12,
    ),
)


def _payload(
    name: str,
    label: str,
    field_type: FieldType,
    sensitivity: Sensitivity,
    *,
    max_length: int | None = None,
    choices: tuple[str, ...] = (),
    required: bool = False,
) -> FieldSpec:
    return FieldSpec(
        name=name,
        label=label,
        type=field_type,
        identifying=False,
        sensitivity=sensitivity,
        required=required,
        max_length=max_length,
        choices=choices,
    )


CARE_PACKAGES = (
    "Home care",
    "Residential care",
    "Nursing care",
    "Direct payment",
    "Day services",
    "Reablement",
    "Supported living",
    "Carer support",
    "Assessment only",
)
PRIMARY_SUPPORT_REASONS = (
    "Physical support: personal care",
    "Physical support: access and mobility",
    "Sensory support",
    "Support with memory and cognition",
    "Learning disability support",
    "Mental health support",
    "Social support",
)
ADULT_SOCIAL_CARE_TEAMS = (
    "North Locality Team",
    "South Locality Team",
    "East Locality Team",
    "West Locality Team",
    "Hospital Discharge Team",
    "Learning Disability Team",
    "Sensory Impairment Team",
)
CHILDRENS_SOCIAL_CARE_STATUSES = ("Child in need", "Child protection plan", "Looked after")
INCIDENT_CATEGORIES = ("Category 1", "Category 2", "Category 3", "Category 4")
MENTAL_HEALTH_TEAMS = (
    "Community Mental Health Team North",
    "Community Mental Health Team South",
    "Community Mental Health Team East",
    "Early Intervention in Psychosis",
    "Older Adults Community Mental Health Team",
    "Crisis Resolution and Home Treatment",
    "Assertive Outreach",
    "Perinatal Mental Health",
)
ATTENDANCE_TYPES = ("ED", "Inpatient", "Outpatient")
SPECIALTIES = (
    "Emergency Medicine",
    "General Medicine",
    "General Surgery",
    "Trauma and Orthopaedics",
    "Cardiology",
    "Respiratory Medicine",
    "Gastroenterology",
    "Geriatric Medicine",
    "Paediatrics",
    "Obstetrics",
    "Gynaecology",
    "Ophthalmology",
    "Ear, Nose and Throat",
    "Dermatology",
    "Urology",
    "Oncology",
)


def _acute_dataset(*, code: str, agency_code: str, hospital: str, coverage: float) -> DatasetSpec:
    return DatasetSpec(
        code=code,
        agency_code=agency_code,
        name=f"{hospital} attendances",
        description=(
            f"Patients who attended {hospital} in the last five years: emergency department,"
            " inpatient and outpatient, with their latest attendance."
        ),
        cadence_days=1,
        coverage=coverage,
        health=True,
        nhs_number_rate=0.95,
        error_multiplier=1.0,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload("last_attendance_date", "Last attendance", "date", "health"),
            _payload(
                "attendance_type",
                "Attendance type",
                "choice",
                "health",
                max_length=10,
                choices=ATTENDANCE_TYPES,
            ),
            _payload(
                "specialty", "Specialty", "choice", "health", max_length=40, choices=SPECIALTIES
            ),
        ),
    )


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        code="adult_social_care",
        agency_code="AVC",
        name="Adult social care (ACIS)",
        description=(
            "Adults known to adult social care: their care package, primary support reason and"
            " the team and worker allocated to them."
        ),
        cadence_days=1,
        coverage=0.035,
        health=False,
        nhs_number_rate=0.30,
        min_age=18,
        error_multiplier=1.0,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload(
                "care_package",
                "Care package",
                "choice",
                "health",
                max_length=40,
                choices=CARE_PACKAGES,
            ),
            _payload(
                "primary_support_reason",
                "Primary support reason",
                "choice",
                "health",
                max_length=60,
                choices=PRIMARY_SUPPORT_REASONS,
            ),
            _payload(
                "allocated_team",
                "Allocated team",
                "choice",
                "none",
                max_length=60,
                choices=ADULT_SOCIAL_CARE_TEAMS,
            ),
            _payload("allocated_worker", "Allocated worker", "string", "none", max_length=100),
            _payload("duty_team_phone", "Duty team telephone", "string", "none", max_length=20),
            _payload(
                "disability_or_mobility_need", "Disability or mobility need", "boolean", "health"
            ),
            _payload("last_review_date", "Last review", "date", "none"),
        ),
    ),
    DatasetSpec(
        code="childrens_social_care",
        agency_code="AVC",
        name="Children's social care",
        description=(
            "Children open to children's social care as a child in need, on a child protection"
            " plan or looked after, with their allocated social worker."
        ),
        cadence_days=1,
        coverage=0.008,
        health=False,
        nhs_number_rate=0.25,
        max_age=17,
        error_multiplier=1.0,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload(
                "status",
                "Status",
                "choice",
                "childrens_social_care",
                max_length=30,
                choices=CHILDRENS_SOCIAL_CARE_STATUSES,
                required=True,
            ),
            _payload(
                "allocated_worker",
                "Allocated social worker",
                "string",
                "childrens_social_care",
                max_length=100,
            ),
            _payload("duty_team_phone", "Duty team telephone", "string", "none", max_length=20),
        ),
    ),
    DatasetSpec(
        code="council_tax",
        agency_code="AVC",
        name="Council tax",
        description="People liable for council tax on a property in the county.",
        cadence_days=7,
        coverage=0.50,
        health=False,
        nhs_number_rate=0.0,
        min_age=18,
        error_multiplier=0.8,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload(
                "account_reference", "Account reference", "string", "financial", max_length=12
            ),
            _payload("single_person_discount", "Single person discount", "boolean", "financial"),
            _payload("liable_from", "Liable from", "date", "financial"),
        ),
    ),
    DatasetSpec(
        code="electoral_register",
        agency_code="AVC",
        name="Electoral register",
        description="Electors registered at an address in the county (full register).",
        cadence_days=30,
        coverage=0.68,
        health=False,
        nhs_number_rate=0.0,
        min_age=18,
        error_multiplier=0.7,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload("polling_district", "Polling district", "string", "location", max_length=8),
            _payload("registered_from", "Registered from", "date", "none"),
        ),
    ),
    DatasetSpec(
        code="police_person_index",
        agency_code="AVP",
        name="Police person index",
        description=(
            "People known to Avonshire Constabulary as victims, witnesses, suspects or"
            " licence holders, with warning markers for officer safety."
        ),
        cadence_days=1,
        coverage=0.08,
        health=False,
        nhs_number_rate=0.10,
        min_age=10,
        error_multiplier=1.4,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload(
                "firearms_licence_holder", "Firearms licence holder", "boolean", "criminal_justice"
            ),
            _payload(
                "warning_markers", "Warning markers", "string", "criminal_justice", max_length=200
            ),
            _payload("last_contact_date", "Last contact", "date", "criminal_justice"),
        ),
    ),
    DatasetSpec(
        code="gp_registrations",
        agency_code="AICB",
        name="GP registrations",
        description="Patients registered with a GP practice in the county.",
        cadence_days=1,
        coverage=0.97,
        health=True,
        nhs_number_rate=0.95,
        error_multiplier=0.6,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload(
                "registered_practice", "Registered practice", "string", "none", max_length=100
            ),
            _payload("practice_code", "Practice code", "string", "none", max_length=6),
            _payload("registered_from", "Registered from", "date", "none"),
        ),
    ),
    DatasetSpec(
        code="safe_and_well",
        agency_code="AFRS",
        name="Safe and well visits",
        description="Households visited by the fire service for a safe and well check.",
        cadence_days=1,
        coverage=0.05,
        health=False,
        nhs_number_rate=0.15,
        error_multiplier=1.2,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload("last_visit_date", "Last visit", "date", "none"),
            _payload("smoke_alarm_fitted", "Smoke alarm fitted", "boolean", "none"),
            _payload("risk_score", "Fire risk score (1 to 10)", "integer", "none"),
        ),
    ),
    DatasetSpec(
        code="ambulance_incidents",
        agency_code="AAS",
        name="Ambulance incidents",
        description="Patients attended by the ambulance service, with their latest incident.",
        cadence_days=1,
        coverage=0.10,
        health=True,
        nhs_number_rate=0.95,
        error_multiplier=1.6,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload("last_incident_date", "Last incident", "date", "health"),
            _payload(
                "incident_category",
                "Incident category",
                "choice",
                "health",
                max_length=12,
                choices=INCIDENT_CATEGORIES,
            ),
        ),
    ),
    DatasetSpec(
        code="mental_health_caseload",
        agency_code="AMHP",
        name="Mental health caseload",
        description="People open to secondary mental health services and their care coordinator.",
        cadence_days=1,
        coverage=0.03,
        health=True,
        nhs_number_rate=0.95,
        min_age=14,
        error_multiplier=0.9,
        fields=(
            *IDENTIFYING_FIELDS,
            _payload(
                "care_coordinator", "Care coordinator", "string", "mental_health", max_length=100
            ),
            _payload(
                "team",
                "Team",
                "choice",
                "mental_health",
                max_length=60,
                choices=MENTAL_HEALTH_TEAMS,
            ),
            _payload("crisis_plan", "Crisis plan in place", "boolean", "mental_health"),
            _payload(
                "care_programme_approach", "Care programme approach", "boolean", "mental_health"
            ),
        ),
    ),
    _acute_dataset(
        code="ngh_attendances",
        agency_code="NGH",
        hospital="Northgate Hospitals",
        coverage=0.22,
    ),
    _acute_dataset(
        code="rgh_attendances",
        agency_code="RGH",
        hospital="Riverside General Hospital",
        coverage=0.20,
    ),
    _acute_dataset(
        code="edh_attendances",
        agency_code="EDH",
        hospital="Eastbury District Hospital",
        coverage=0.17,
    ),
)

_DATASETS_BY_CODE = {dataset.code: dataset for dataset in DATASETS}


def dataset_spec(code: str) -> DatasetSpec:
    """The dataset with this code; KeyError names the known codes if there is none."""
    try:
        return _DATASETS_BY_CODE[code]
    except KeyError:
        known = ", ".join(sorted(_DATASETS_BY_CODE))
        raise KeyError(f"No dataset with code {code!r}; known codes: {known}.") from None


def agency_spec(code: str) -> AgencySpec:
    """The agency with this code."""
    for agency in AGENCIES:
        if agency.code == code:
            return agency
    raise KeyError(f"No agency with code {code!r}.")
