"""The demo partnership: agencies, datasets, roles, purposes, staff of every user type, the
product cases' grants (some awaiting sign-off) and a synthetic population written as each
agency's extract files would arrive. Idempotent: a second run changes nothing."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from agencies.models import (
    Agency,
    Dataset,
    DatasetField,
    OrganisationType,
    Partnership,
    User,
    UserType,
)
from agencies.population import (
    AGENCIES,
    DATASETS,
    PARTNERSHIP_NAME,
    GenerationSummary,
    extract_filename,
    generate,
)
from agencies.services import extract_receive, totp_device_set, user_create
from governance.models import Article6, Article9, DisclosureLevel, Purpose, PurposeOfUse, Role
from governance.services import (
    custodian_assign,
    grant_approve,
    grant_draft,
    grant_submit,
    purpose_create,
    role_create,
)

PARTNERSHIP_SLUG = "avonshire"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed for the demo; production has no demo

# GP practices join as members that view data; they send no extracts in the demo.
GP_PRACTICES = (
    ("Y01001", "Riverside Surgery"),
    ("Y01002", "Market Street Medical Centre"),
)

KNOWN_TO_CONTACTS = {
    "adult_social_care": "Contact the Adult Social Care duty team on 01632 960100.",
    "childrens_social_care": "Contact the Children's Services front door on 01632 960200.",
    "council_tax": "Contact Council Tax on 01632 960300.",
    "electoral_register": "Contact Electoral Services on 01632 960400.",
    "police_person_index": "Contact the Police Safeguarding Hub on 01632 960500.",
    "gp_registrations": "Contact the ICB patient registration team on 01632 960600.",
    "safe_and_well": "Contact Community Safety on 01632 960700.",
    "ambulance_incidents": "Contact the Ambulance Service safeguarding team on 01632 960800.",
    "mental_health_caseload": "Contact the Mental Health single point of access on 01632 960900.",
    "ngh_attendances": "Contact the Northgate safeguarding team on 01632 960910.",
    "rgh_attendances": "Contact the Riverside safeguarding team on 01632 960920.",
    "edh_attendances": "Contact the Eastbury safeguarding team on 01632 960930.",
}

ROLES = (
    ("gp", "GP"),
    ("care-coordinator", "Care co-ordinator"),
    ("social-worker", "Social worker"),
    ("mash-practitioner", "MASH practitioner"),
    ("fire-safety-officer", "Fire safety officer"),
    ("police-officer", "Police officer"),
    ("council-tax-officer", "Council tax officer"),
    ("mental-health-practitioner", "Mental health practitioner"),
    ("ambulance-clinician", "Ambulance clinician"),
    ("hospital-clinician", "Hospital clinician"),
)


@dataclass(frozen=True)
class PurposeSpec:
    code: str
    name: str
    description: str
    hl7: str
    justification: bool = False
    emergency: bool = False
    overrides: bool = False


PURPOSES = (
    PurposeSpec(
        "direct-care",
        "Direct care",
        "Caring for a person you are treating or supporting now.",
        PurposeOfUse.TREAT,
    ),
    PurposeSpec(
        "care-coordination",
        "Care co-ordination",
        "Co-ordinating care across services for a person on your caseload.",
        PurposeOfUse.COC,
    ),
    PurposeSpec(
        "safeguarding",
        "Safeguarding",
        "Deciding whether a child or adult is at risk of harm and what to do about it.",
        PurposeOfUse.THREAT,
        justification=True,
        overrides=True,
    ),
    PurposeSpec(
        "safe-and-well",
        "Safe and Well visits",
        "Planning fire safety home visits for people with disability or mobility needs.",
        PurposeOfUse.PUBHLTH,
    ),
    PurposeSpec(
        "mental-health-risk",
        "Mental health risk assessment",
        "Assessing risk to a patient or others, including access to firearms.",
        PurposeOfUse.TREAT,
        justification=True,
    ),
    PurposeSpec(
        "policing",
        "Policing: locating a person",
        "Finding where a person lives to prevent or detect crime or protect life.",
        PurposeOfUse.LAW,
        justification=True,
    ),
    PurposeSpec(
        "council-tax-decisions",
        "Council tax decisions",
        "Deciding how to recover council tax arrears fairly where a person may need care.",
        PurposeOfUse.GOV,
    ),
    PurposeSpec(
        "fraud-prevention",
        "Single person discount review",
        "Checking single occupier discount claims against the electoral register.",
        PurposeOfUse.FRAUD,
    ),
    PurposeSpec(
        "emergency-care",
        "Emergency care (break-glass)",
        "Emergency treatment when the person cannot tell you what you need to know.",
        PurposeOfUse.ETREAT,
        justification=True,
        emergency=True,
        overrides=True,
    ),
)

NAME_FIELDS = ["given_name", "family_name", "date_of_birth"]


@dataclass(frozen=True)
class GrantSpec:
    dataset: str
    role: str
    organisation_type: str
    purpose: str
    level: str
    fields: tuple[str, ...]
    article6: str
    article9: str
    statute: str
    necessity: str
    approved: bool = True
    relationship: bool = False


# The partnership's product cases (../shared/DESIGN.md), as grants.
GRANTS = (
    GrantSpec(
        "adult_social_care",
        "gp",
        "gp_practice",
        "direct-care",
        DisclosureLevel.SUMMARY,
        (
            *NAME_FIELDS,
            "care_package",
            "primary_support_reason",
            "allocated_team",
            "allocated_worker",
            "duty_team_phone",
        ),
        Article6.E,
        Article9.H,
        "Care Act 2014 s.6; Health and Social Care Act 2012 s.251B",
        "GPs need to know what care a patient receives and whom to call; nothing less tells them.",
        relationship=True,
    ),
    GrantSpec(
        "adult_social_care",
        "care-coordinator",
        "icb",
        "care-coordination",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "care_package", "allocated_team", "allocated_worker", "duty_team_phone"),
        Article6.E,
        Article9.H,
        "Care Act 2014 s.6",
        "Care co-ordinators arrange joint care and need the package and the allocated worker.",
    ),
    GrantSpec(
        "adult_social_care",
        "fire-safety-officer",
        "fire_rescue",
        "safe-and-well",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "address", "postcode", "disability_or_mobility_need"),
        Article6.E,
        Article9.G,
        "Fire and Rescue Services Act 2004 s.6",
        "Home visits need the address and whether the person has a disability or mobility need.",
    ),
    GrantSpec(
        "police_person_index",
        "mental-health-practitioner",
        "mental_health_trust",
        "mental-health-risk",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "firearms_licence_holder"),
        Article6.E,
        Article9.NONE,
        "Firearms Act 1968; Data Protection Act 2018 Sch.1 para 10",
        "Only whether the patient holds a firearms licence is needed to assess risk.",
    ),
    GrantSpec(
        "council_tax",
        "police-officer",
        "police_force",
        "policing",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "address", "postcode"),
        Article6.E,
        Article9.NONE,
        "Data Protection Act 2018 s.31 and Sch.2 para 2",
        "Officers need a current address to locate a person; no financial detail is needed.",
    ),
    GrantSpec(
        "electoral_register",
        "police-officer",
        "police_force",
        "policing",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "address", "postcode"),
        Article6.E,
        Article9.NONE,
        "Data Protection Act 2018 s.31",
        "A second source of address confirms where a person lives.",
    ),
    GrantSpec(
        "adult_social_care",
        "council-tax-officer",
        "local_authority",
        "council-tax-decisions",
        DisclosureLevel.KNOWN_TO,
        (),
        Article6.E,
        Article9.B,
        "Local Government Finance Act 1992",
        "Knowing only that social care is involved lets officers pause recovery; no detail is "
        "needed.",
    ),
    GrantSpec(
        "electoral_register",
        "council-tax-officer",
        "local_authority",
        "fraud-prevention",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "address", "postcode", "registered_from"),
        Article6.E,
        Article9.NONE,
        "Local Government Finance Act 1992 Sch.2",
        "Comparing who is registered at an address is the only way to check a discount claim.",
    ),
    *(
        GrantSpec(
            dataset,
            "mash-practitioner",
            "local_authority",
            "safeguarding",
            DisclosureLevel.KNOWN_TO,
            (),
            Article6.E,
            Article9.G,
            "Children Act 1989 s.47; Children Act 2004 s.11",
            "The MASH needs to know which agencies know a child or family, and no more, before "
            "asking them for information.",
        )
        for dataset in (
            "childrens_social_care",
            "adult_social_care",
            "police_person_index",
            "gp_registrations",
            "ambulance_incidents",
            "mental_health_caseload",
            "ngh_attendances",
            "rgh_attendances",
            "edh_attendances",
            "safe_and_well",
        )
    ),
    GrantSpec(
        "mental_health_caseload",
        "ambulance-clinician",
        "ambulance_trust",
        "emergency-care",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "care_coordinator", "team", "crisis_plan"),
        Article6.D,
        Article9.C,
        "Mental Health Act 1983; Health and Social Care Act 2012 s.251B",
        "In an emergency the crew needs the crisis plan and whom to call.",
    ),
    GrantSpec(
        "mental_health_caseload",
        "gp",
        "gp_practice",
        "direct-care",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "care_coordinator", "team", "crisis_plan"),
        Article6.E,
        Article9.H,
        "Health and Social Care Act 2012 s.251B",
        "GPs need to know who co-ordinates a patient's mental health care.",
        approved=False,
    ),
    GrantSpec(
        "ambulance_incidents",
        "gp",
        "gp_practice",
        "direct-care",
        DisclosureLevel.SUMMARY,
        (*NAME_FIELDS, "last_incident_date", "incident_category"),
        Article6.E,
        Article9.H,
        "Health and Social Care Act 2012 s.251B",
        "GPs follow up patients after an ambulance call-out.",
        approved=False,
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    user_type: str
    agency: str
    role: str
    totp_key_hex: str


@dataclass(frozen=True)
class DemoResult:
    created: bool
    accounts: list[DemoAccount]
    extracts: GenerationSummary | None
    loaded: dict[str, str]


def totp_key(*, seed: int, username: str) -> str:
    """A stable TOTP key per demo account, so that a re-run prints the same secrets."""
    return hmac.new(str(seed).encode(), username.encode(), hashlib.sha1).hexdigest()


def _practitioner_roles(agency_code: str, organisation_type: str) -> list[str]:
    by_agency = {
        "AVC": ["social-worker", "mash-practitioner", "council-tax-officer"],
        "AVP": ["police-officer"],
        "AICB": ["care-coordinator"],
        "AFRS": ["fire-safety-officer"],
        "AAS": ["ambulance-clinician"],
        "AMHP": ["mental-health-practitioner"],
    }
    if organisation_type == "acute_trust":
        return ["hospital-clinician"]
    if organisation_type == "gp_practice":
        return ["gp"]
    return by_agency[agency_code]


def demo_seed(
    *,
    people: int,
    seed: int,
    extracts_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Create the demo partnership (once) and write its synthetic extracts (once per size)."""
    created = not Partnership.objects.filter(slug=PARTNERSHIP_SLUG).exists()
    if created:
        _create_partnership(seed=seed)
    accounts = _accounts(seed=seed)
    marker = extracts_dir / f".generated-{people}-{seed}"
    extracts = None
    if not marker.exists():
        extracts = generate(people=people, seed=seed, out_dir=extracts_dir, progress=progress)
        marker.touch()
    loaded = _load_extracts(extracts_dir=extracts_dir)
    return DemoResult(created=created, accounts=accounts, extracts=extracts, loaded=loaded)


def _load_extracts(*, extracts_dir: Path) -> dict[str, str]:
    """Send each dataset's extract file through the real pipeline as its agency's partner IT
    would (validate, stage, match, publish). A file already loaded is recognised and skipped."""
    outcome: dict[str, str] = {}
    for spec in DATASETS:
        path = extracts_dir / extract_filename(dataset=spec, compress=False)
        if not path.exists():
            continue
        dataset = Dataset.objects.get(agency__partnership__slug=PARTNERSHIP_SLUG, code=spec.code)
        sender = User.objects.get(username=f"{spec.agency_code.lower()}-it")
        with path.open("rb") as handle:
            receipt = extract_receive(
                user=sender, dataset=dataset, upload=File(handle, name=path.name), process_now=True
            )
        run = receipt.run
        if receipt.duplicate or run is None:
            outcome[spec.code] = "already loaded"
            continue
        run.refresh_from_db()
        outcome[spec.code] = run.get_status_display().lower()
    return outcome


@transaction.atomic
def _create_partnership(*, seed: int) -> None:
    partnership = Partnership.objects.create(name=PARTNERSHIP_NAME, slug=PARTNERSHIP_SLUG)
    types = {kind.code: kind for kind in OrganisationType.objects.all()}
    agencies: dict[str, Agency] = {}
    for spec in AGENCIES:
        agencies[spec.code] = Agency.objects.create(
            partnership=partnership,
            organisation_type=types[spec.organisation_type],
            name=spec.name,
            code=spec.code,
        )
    for code, name in GP_PRACTICES:
        agencies[code] = Agency.objects.create(
            partnership=partnership, organisation_type=types["gp_practice"], name=name, code=code
        )
    datasets: dict[str, Dataset] = {}
    for dataset_spec in DATASETS:
        dataset = Dataset.objects.create(
            agency=agencies[dataset_spec.agency_code],
            code=dataset_spec.code,
            name=dataset_spec.name,
            description=dataset_spec.description,
            refresh_cadence=timedelta(days=dataset_spec.cadence_days),
            known_to_contact=KNOWN_TO_CONTACTS.get(dataset_spec.code, ""),
        )
        DatasetField.objects.bulk_create(
            DatasetField(
                dataset=dataset,
                name=field.name,
                label=field.label,
                field_type=field.type,
                identifying=field.identifying,
                sensitivity=field.sensitivity,
                required=field.required,
                max_length=field.max_length,
                choices=list(field.choices),
                position=position,
            )
            for position, field in enumerate(dataset_spec.fields)
        )
        datasets[dataset_spec.code] = dataset
    roles = {
        code: role_create(partnership=partnership, code=code, name=name) for code, name in ROLES
    }
    purposes = {
        spec.code: purpose_create(
            partnership=partnership,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            requires_justification=spec.justification,
            is_emergency=spec.emergency,
            overrides_objection=spec.overrides,
            hl7_purpose_of_use=spec.hl7,
        )
        for spec in PURPOSES
    }
    users = _create_staff(seed=seed, agencies=agencies, roles=roles, datasets=datasets)
    _create_grants(users=users, datasets=datasets, roles=roles, purposes=purposes, types=types)


def _username(agency: Agency, suffix: str) -> str:
    return f"{agency.code.lower()}-{suffix}"


def _create_staff(
    *,
    seed: int,
    agencies: dict[str, Agency],
    roles: dict[str, Role],
    datasets: dict[str, Dataset],
) -> dict[str, User]:
    users: dict[str, User] = {}
    password_hash = make_password(DEMO_PASSWORD)  # one slow hash, shared by the demo accounts

    def add(
        agency: Agency, suffix: str, user_type: str, first: str, last: str, role: str = ""
    ) -> None:
        username = _username(agency, suffix)
        user = user_create(
            agency=agency,
            username=username,
            email=f"{username}@demo.singleview.invalid",
            first_name=first,
            last_name=last,
            user_types=[user_type],
            role_id=roles[role].pk if role else None,
        )
        User.objects.filter(pk=user.pk).update(password=password_hash)
        totp_device_set(user=user, key_hex=totp_key(seed=seed, username=username))
        users[username] = user

    for agency in agencies.values():
        kind = agency.organisation_type.code
        for role in _practitioner_roles(agency.code, kind):
            suffix = role if len(_practitioner_roles(agency.code, kind)) > 1 else "practitioner"
            add(agency, suffix, UserType.PRACTITIONER, "Demo", roles[role].name, role)
        if kind == "gp_practice":
            continue
        add(agency, "custodian", UserType.CUSTODIAN, "Demo", "Custodian")
        add(agency, "ig", UserType.IG_OFFICER, "Demo", "IG Officer")
        add(agency, "it", UserType.PARTNER_IT, "Demo", "Partner IT")
    council = agencies["AVC"]
    add(council, "custodian2", UserType.CUSTODIAN, "Second", "Custodian")
    add(agencies["AICB"], "admin", UserType.PARTNERSHIP_ADMIN, "Demo", "Partnership Admin")
    for dataset in datasets.values():
        for suffix in ("custodian", "custodian2"):
            user = users.get(_username(dataset.agency, suffix))
            if user is not None:
                custodian_assign(dataset=dataset, user=user)
    return users


def _create_grants(
    *,
    users: dict[str, User],
    datasets: dict[str, Dataset],
    roles: dict[str, Role],
    purposes: dict[str, Purpose],
    types: dict[str, OrganisationType],
) -> None:
    admin = users["aicb-admin"]
    today = timezone.localdate()
    for spec in GRANTS:
        dataset = datasets[spec.dataset]
        version = grant_draft(
            drafted_by=admin,
            dataset=dataset,
            role=roles[spec.role],
            organisation_type=types[spec.organisation_type],
            purpose=purposes[spec.purpose],
            disclosure_level=spec.level,
            field_names=list(spec.fields),
            article6_condition=spec.article6,
            article9_condition=spec.article9,
            statute=spec.statute,
            necessity_statement=spec.necessity,
            requires_legitimate_relationship=spec.relationship,
            valid_from=today - timedelta(days=60),
            valid_until=today + timedelta(days=365),
            review_date=today + timedelta(days=180),
        )
        grant_submit(version=version, user=admin)
        if spec.approved:
            custodian = users[_username(dataset.agency, "custodian")]
            grant_approve(
                version=version,
                custodian=custodian,
                reason="Agreed by the partnership IG board; the necessity case is made.",
            )


def _accounts(*, seed: int) -> list[DemoAccount]:
    users = (
        User.objects.filter(agency__partnership__slug=PARTNERSHIP_SLUG)
        .select_related("agency", "role")
        .prefetch_related("groups")
        .order_by("agency__name", "username")
    )
    return [
        DemoAccount(
            username=user.username,
            user_type=", ".join(sorted(group.name for group in user.groups.all())),
            agency=user.agency.name,
            role=user.role.name if user.role else "",
            totp_key_hex=totp_key(seed=seed, username=user.username),
        )
        for user in users
    ]
