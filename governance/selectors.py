"""Reads of grants, sign-offs and previews. Every selector takes the requesting user and stays in
their partnership: another partnership's grant or version is a 404, never a 403 or a leak."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from agencies.models import Dataset, DatasetField, OrganisationType, Sensitivity, User, UserType
from governance import policy
from governance.models import (
    DisclosureLevel,
    Grant,
    GrantStatus,
    GrantVersion,
    Purpose,
    Restriction,
    RestrictionKind,
    Role,
    SignOff,
)
from governance.preview import synthetic_record
from governance.services import CUSTODIAN_PERMISSION

OPEN_STATUSES = (GrantStatus.DRAFT, GrantStatus.AWAITING_SIGN_OFF)
IN_FORCE_STATUSES = (GrantStatus.APPROVED, GrantStatus.SUSPENDED)

WITHHELD_MESSAGES = {
    policy.Withheld.NO_GRANT: "Nothing is shown: no grant in force covers this dataset.",
    policy.Withheld.NO_ROLE: "Nothing is shown: the user has no job role.",
    policy.Withheld.OBJECTION: (
        "Nothing is shown, not even that the agency knows the person, because the person "
        "objected to sharing and this purpose does not override an objection."
    ),
    policy.Withheld.SEALED: (
        "Nothing is shown, not even that the agency knows the person, because the record is "
        "sealed and this purpose does not override that."
    ),
}


# Lists and lookups for drafting -----------------------------------------------------------------


def role_list(*, user: User) -> QuerySet[Role]:
    return Role.objects.filter(partnership=user.partnership)


def purpose_list(*, user: User) -> QuerySet[Purpose]:
    return Purpose.objects.filter(partnership=user.partnership)


def organisation_type_list(*, user: User) -> QuerySet[OrganisationType]:
    """Organisation types are national categories, the same for every partnership."""
    return OrganisationType.objects.all()


def dataset_choices(*, user: User) -> QuerySet[Dataset]:
    return Dataset.objects.filter(agency__partnership=user.partnership).select_related("agency")


def dataset_fields(*, dataset: Dataset) -> list[DatasetField]:
    return list(dataset.fields.all())


def _grants(*, user: User) -> QuerySet[Grant]:
    return Grant.objects.filter(partnership=user.partnership).select_related(
        "dataset__agency", "role", "organisation_type", "purpose"
    )


def _versions(*, user: User) -> QuerySet[GrantVersion]:
    return GrantVersion.objects.filter(grant__partnership=user.partnership).select_related(
        "grant__dataset__agency",
        "grant__role",
        "grant__organisation_type",
        "grant__purpose",
        "drafted_by__agency",
    )


def grant_get(*, user: User, pk: int) -> Grant:
    """The user's partnership's grant line, with its versions and their sign-offs, or 404."""
    versions = GrantVersion.objects.select_related("drafted_by__agency").prefetch_related(
        Prefetch("sign_offs", queryset=SignOff.objects.select_related("custodian__agency"))
    )
    return get_object_or_404(
        _grants(user=user).prefetch_related(Prefetch("versions", queryset=versions)), pk=pk
    )


def grant_find(
    *,
    user: User,
    dataset: Dataset,
    role: Role,
    organisation_type: OrganisationType,
    purpose: Purpose,
) -> Grant | None:
    """The grant line for this dataset, role, organisation type and purpose, if drafted before."""
    return (
        _grants(user=user)
        .filter(dataset=dataset, role=role, organisation_type=organisation_type, purpose=purpose)
        .first()
    )


def version_get(*, user: User, pk: int) -> GrantVersion:
    """The user's partnership's grant version, or 404."""
    return get_object_or_404(_versions(user=user), pk=pk)


def version_in_force(*, grant: Grant, exclude: GrantVersion | None = None) -> GrantVersion | None:
    """The version currently in force (approved, or approved then suspended), if any."""
    versions = grant.versions.filter(status__in=IN_FORCE_STATUSES).select_related("drafted_by")
    if exclude is not None:
        versions = versions.exclude(pk=exclude.pk)
    return versions.first()


def version_to_copy(*, grant: Grant) -> GrantVersion | None:
    """The version a proposed change starts from: the one in force, else the latest."""
    return version_in_force(grant=grant) or grant.versions.order_by("-version").first()


# The grants list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantLine:
    """One row of the grants list: a grant line, its version in force and any open version."""

    grant: Grant
    in_force: GrantVersion | None
    open: GrantVersion | None
    latest: GrantVersion | None


def grant_list(*, user: User, status: str = "") -> list[GrantLine]:
    """Every grant line of the user's partnership; with a status, only lines that have a version
    in that status."""
    grants = _grants(user=user).prefetch_related(
        Prefetch("versions", queryset=GrantVersion.objects.order_by("-version"))
    )
    if status:
        grants = grants.filter(versions__status=status).distinct()
    lines = []
    for grant in grants:
        versions = list(grant.versions.all())
        lines.append(
            GrantLine(
                grant=grant,
                in_force=next((v for v in versions if v.status in IN_FORCE_STATUSES), None),
                open=next((v for v in versions if v.status in OPEN_STATUSES), None),
                latest=versions[0] if versions else None,
            )
        )
    return lines


# Custodians ---------------------------------------------------------------------------------------


def custodian_datasets(*, user: User) -> QuerySet[Dataset]:
    """Datasets this user may sign off grants for (see governance.services.is_custodian)."""
    if not (user.is_active and user.has_user_type(UserType.CUSTODIAN)):
        return Dataset.objects.none()
    return get_objects_for_user(
        user,
        CUSTODIAN_PERMISSION,
        klass=Dataset.objects.filter(agency=user.agency),
        accept_global_perms=False,
    )


def sign_off_queue(*, user: User) -> QuerySet[GrantVersion]:
    """Versions awaiting sign-off for datasets this user is custodian of, oldest first."""
    return (
        _versions(user=user)
        .filter(
            status=GrantStatus.AWAITING_SIGN_OFF,
            grant__dataset__in=custodian_datasets(user=user),
        )
        .order_by("submitted_at", "pk")
    )


def custodian_versions_in_force(*, user: User) -> QuerySet[GrantVersion]:
    """Approved or suspended versions of datasets this user is custodian of."""
    return _versions(user=user).filter(
        status__in=IN_FORCE_STATUSES, grant__dataset__in=custodian_datasets(user=user)
    )


def custodian_version_get(*, user: User, pk: int) -> GrantVersion:
    """A version of a dataset this user is custodian of, or 404."""
    return get_object_or_404(
        _versions(user=user).filter(grant__dataset__in=custodian_datasets(user=user)), pk=pk
    )


def sign_off_blocker(*, user: User, version: GrantVersion) -> str:
    """Why this custodian cannot approve or reject this version ('' when they can)."""
    if version.drafted_by_id == user.pk:
        return (
            "You drafted this version, so another custodian must sign it off (two-person rule). "
            "You can still see exactly what it would share."
        )
    return ""


def latest_sign_off(*, user: User, version: GrantVersion) -> SignOff | None:
    """This user's most recent decision on this version."""
    return version.sign_offs.filter(custodian=user).order_by("-decided_at", "-pk").first()


# What a version shares ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedField:
    name: str
    label: str
    sensitivity: str
    special: bool
    identifying: bool


def shared_fields(*, version: GrantVersion) -> list[SharedField]:
    """The fields this version shares, in dataset order, with their sensitivity."""
    names = set(version.field_names)
    return [
        SharedField(
            name=item.name,
            label=item.label,
            sensitivity=item.get_sensitivity_display(),
            special=item.sensitivity != Sensitivity.NONE,
            identifying=item.identifying,
        )
        for item in version.grant.dataset.fields.all()
        if item.name in names
    ]


@dataclass(frozen=True)
class VersionDiff:
    """How a version differs from the one in force."""

    current: GrantVersion
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    level_before: str = ""
    level_after: str = ""
    other_changes: list[str] = field(default_factory=list)

    @property
    def level_changed(self) -> bool:
        return self.level_before != self.level_after

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.level_changed or self.other_changes)


_COMPARED_TERMS = (
    ("article6_condition", "Article 6 condition"),
    ("article9_condition", "Article 9 condition"),
    ("statute", "Statute"),
    ("necessity_statement", "Necessity statement"),
    ("conditions", "Conditions"),
    ("requires_legitimate_relationship", "Legitimate relationship required"),
    ("valid_from", "Valid from"),
    ("valid_until", "Valid until"),
    ("review_date", "Review date"),
)


def version_diff(*, version: GrantVersion) -> VersionDiff | None:
    """Differences from the version in force (None when no other version is in force)."""
    current = version_in_force(grant=version.grant, exclude=version)
    if current is None:
        return None
    labels = {item.name: item.label for item in version.grant.dataset.fields.all()}
    before, after = set(current.field_names), set(version.field_names)
    return VersionDiff(
        current=current,
        added=[label for name, label in labels.items() if name in after - before],
        removed=[label for name, label in labels.items() if name in before - after],
        level_before=current.get_disclosure_level_display(),
        level_after=version.get_disclosure_level_display(),
        other_changes=[
            label
            for attribute, label in _COMPARED_TERMS
            if getattr(current, attribute) != getattr(version, attribute)
        ],
    )


# Previews on a synthetic person -------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewValue:
    label: str
    value: str


@dataclass(frozen=True)
class PreviewCard:
    """What one audience would see from one dataset on the sample person."""

    dataset: Dataset
    level: str | None
    level_label: str
    values: list[PreviewValue]
    withheld_message: str
    grant_version: int | None
    requires_legitimate_relationship: bool


def _card(*, dataset: Dataset, disclosure: policy.Disclosure) -> PreviewCard:
    fields = list(dataset.fields.all())
    record = synthetic_record(fields)
    shown = disclosure.fields if disclosure.level != DisclosureLevel.KNOWN_TO else frozenset()
    return PreviewCard(
        dataset=dataset,
        level=disclosure.level,
        level_label=DisclosureLevel(disclosure.level).label if disclosure.level else "",
        values=[
            PreviewValue(label=item.label, value=record[item.name])
            for item in fields
            if item.name in shown
        ],
        withheld_message=WITHHELD_MESSAGES.get(disclosure.withheld, ""),
        grant_version=disclosure.grant_version,
        requires_legitimate_relationship=disclosure.requires_legitimate_relationship,
    )


def restriction_kinds(values: list[str]) -> frozenset[str]:
    """The known restriction kinds among these values."""
    return frozenset(value for value in values if value in RestrictionKind.values)


def version_preview(
    *, user: User, version: GrantVersion, restrictions: frozenset[str]
) -> PreviewCard:
    """What this version (in any status) would show on the sample person, as if in force."""
    disclosure = policy.preview_version(version=version, restrictions=restrictions)
    dataset = dataset_choices(user=user).prefetch_related("fields").get(pk=version.grant.dataset_id)
    return _card(dataset=dataset, disclosure=disclosure)


def audience_preview(
    *,
    user: User,
    role: Role,
    organisation_type: OrganisationType,
    purpose: Purpose,
    restrictions: frozenset[str],
) -> list[PreviewCard]:
    """What a role at an organisation type would see for a purpose now: one card per dataset
    shared with them."""
    snapshot = policy.snapshot_for_audience(
        role_id=role.pk, organisation_type_id=organisation_type.pk, purpose=purpose
    )
    datasets = dataset_choices(user=user).filter(pk__in=snapshot.dataset_ids)
    return [
        _card(dataset=dataset, disclosure=snapshot.decide(dataset.pk, restrictions))
        for dataset in datasets.prefetch_related("fields")
    ]


def restriction_list(*, user: User) -> QuerySet[Restriction]:
    """Restrictions on the user's own agency's records (only an owning agency restricts)."""
    return Restriction.objects.filter(dataset__agency=user.agency).select_related(
        "dataset", "created_by", "lifted_by"
    )


def restriction_get(*, user: User, pk: int) -> Restriction:
    """One of the user's agency's restrictions, or 404."""
    return get_object_or_404(restriction_list(user=user), pk=pk)


def restrictable_datasets(*, user: User) -> QuerySet[Dataset]:
    return Dataset.objects.filter(agency=user.agency).order_by("name")


@dataclass(frozen=True)
class DatasetCustodians:
    dataset: Dataset
    custodians: list[User]
    candidates: list[User]


def custodian_overview(*, user: User) -> list[DatasetCustodians]:
    """Every dataset of the partnership with its custodians and the owning agency's other
    custodian-type staff who could be made custodians."""
    datasets = Dataset.objects.filter(agency__partnership=user.partnership).select_related("agency")
    staff = list(
        User.objects.filter(
            agency__partnership=user.partnership,
            is_active=True,
            groups__name=UserType.CUSTODIAN.label,
        ).order_by("last_name", "first_name")
    )
    overview = []
    for dataset in datasets.order_by("agency__name", "name"):
        eligible = [person for person in staff if person.agency_id == dataset.agency_id]
        holders = [person for person in eligible if person.has_perm(CUSTODIAN_PERMISSION, dataset)]
        overview.append(
            DatasetCustodians(
                dataset=dataset,
                custodians=holders,
                candidates=[person for person in eligible if person not in holders],
            )
        )
    return overview


def partnership_dataset_get(*, user: User, pk: int) -> Dataset:
    return get_object_or_404(Dataset.objects.filter(agency__partnership=user.partnership), pk=pk)


def partnership_staff_get(*, user: User, pk: int) -> User:
    return get_object_or_404(User.objects.filter(agency__partnership=user.partnership), pk=pk)
