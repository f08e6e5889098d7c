"""The policy decision point: the only code that reads grants.

Given a user (their role, their agency's organisation type, their partnership), a purpose, a
dataset, a person's record and a moment, it answers: nothing, known-to, or a set of fields, and
which grant version allows it. Person-level restrictions are applied here too.

It answers in bulk at a fixed cost: `snapshot` loads the grants in force for a user and purpose
in one query (plus one for address fields, the first time a protected address needs them), after
which every decision is made in memory;
`decide_for_records` adds one query for the records' restrictions, however many records there
are; `records_filter` compiles the same rules into a queryset filter for many records at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies import sql
from agencies.models import DatasetField, Sensitivity, User
from governance.models import (
    DisclosureLevel,
    Grant,
    GrantStatus,
    GrantVersion,
    Purpose,
    Restriction,
    RestrictionKind,
)

LEVEL_ORDER: dict[str, int] = {
    DisclosureLevel.KNOWN_TO: 1,
    DisclosureLevel.SUMMARY: 2,
    DisclosureLevel.FULL: 3,
}


class Withheld:
    """Why nothing is disclosed."""

    NO_GRANT = "no_grant"
    NO_ROLE = "no_role"
    OBJECTION = "objection"
    SEALED = "sealed"


@dataclass(frozen=True)
class RecordRef:
    """One agency record of a person: its dataset and the agency's own key."""

    dataset_id: int
    source_key: str


@dataclass(frozen=True)
class Disclosure:
    """What may be shown from one dataset (for one record, where restrictions were applied)."""

    dataset_id: int
    level: str | None
    fields: frozenset[str] = frozenset()
    grant_id: int | None = None
    grant_version_id: int | None = None
    grant_version: int | None = None
    requires_legitimate_relationship: bool = False
    withheld: str = ""
    restrictions: frozenset[str] = field(default_factory=frozenset)

    @property
    def shown(self) -> bool:
        return self.level is not None

    @property
    def known_to_only(self) -> bool:
        return self.level == DisclosureLevel.KNOWN_TO


@dataclass(frozen=True)
class _Terms:
    grant_id: int
    grant_version_id: int
    version: int
    level: str
    fields: frozenset[str]
    requires_legitimate_relationship: bool


def _in_force(*, at: date) -> Q:
    return Q(status=GrantStatus.APPROVED, valid_from__lte=at, valid_until__gte=at)


def _versions_for(*, user: User, role_id: int, at: date) -> QuerySet[GrantVersion]:
    """Versions in force for the user's role, organisation type and partnership (those of the
    user's agency, compared by id: joining through the agencies made every read's query plan
    several times dearer than running it)."""
    agency = user.agency
    return GrantVersion.objects.filter(
        _in_force(at=at),
        grant__role_id=role_id,
        grant__organisation_type_id=agency.organisation_type_id,
        grant__partnership_id=agency.partnership_id,
    )


class PolicySnapshot:
    """The grants in force for one user and purpose at one moment; decisions are in memory."""

    def __init__(
        self,
        *,
        purpose: Purpose,
        terms: Mapping[int, _Terms],
        location_fields: Mapping[int, frozenset[str]] | None,
        has_role: bool,
    ) -> None:
        """`location_fields` None: read the datasets' location fields when first needed (a
        protected address is rare, and every read would otherwise pay a query for them)."""
        self.purpose = purpose
        self._terms = dict(terms)
        self._dataset_ids = frozenset(self._terms)
        self._location_fields = location_fields
        self._has_role = has_role
        # Decisions made, by dataset and restrictions: a search decides on dozens of records
        # of a few datasets, and a Disclosure is immutable.
        self._decided: dict[tuple[int, frozenset[str]], Disclosure] = {}

    @property
    def dataset_ids(self) -> frozenset[int]:
        """Datasets this user may see anything of (at least known-to) for this purpose."""
        return self._dataset_ids

    def decide(self, dataset_id: int, restrictions: frozenset[str] = frozenset()) -> Disclosure:
        key = (dataset_id, restrictions)
        decided = self._decided.get(key)
        if decided is None:
            decided = self._decided[key] = self._decision(dataset_id, restrictions)
        return decided

    def _decision(self, dataset_id: int, restrictions: frozenset[str]) -> Disclosure:
        terms = self._terms.get(dataset_id)
        if terms is None:
            reason = Withheld.NO_GRANT if self._has_role else Withheld.NO_ROLE
            return Disclosure(dataset_id=dataset_id, level=None, withheld=reason)
        granted = Disclosure(
            dataset_id=dataset_id,
            level=terms.level,
            fields=terms.fields,
            grant_id=terms.grant_id,
            grant_version_id=terms.grant_version_id,
            grant_version=terms.version,
            requires_legitimate_relationship=terms.requires_legitimate_relationship,
            restrictions=restrictions,
        )
        overrides = self.purpose.overrides_objection
        if RestrictionKind.SEALED in restrictions:
            if not overrides:
                return replace(granted, level=None, fields=frozenset(), withheld=Withheld.SEALED)
            return replace(granted, level=DisclosureLevel.KNOWN_TO, fields=frozenset())
        if RestrictionKind.OBJECTION in restrictions and not overrides:
            return replace(granted, level=None, fields=frozenset(), withheld=Withheld.OBJECTION)
        if RestrictionKind.PROTECTED_ADDRESS in restrictions:
            if self._location_fields is None:
                self._location_fields = _location_fields(self._terms)
            hidden = self._location_fields.get(dataset_id, frozenset())
            return replace(granted, fields=granted.fields - hidden)
        return granted


def snapshot(*, user: User, purpose: Purpose, at: date | None = None) -> PolicySnapshot:
    """Load the grants in force for this user and purpose (one query; a second for address
    fields when a protected address first needs them)."""
    if user.role_id is None or not user.is_active:
        return PolicySnapshot(purpose=purpose, terms={}, location_fields={}, has_role=False)
    agency = user.agency
    _, terms = _terms_in_force(
        purpose_id=purpose.pk,
        partnership_id=agency.partnership_id,
        role_id=user.role_id,
        organisation_type_id=agency.organisation_type_id,
        at=at,
    )
    return PolicySnapshot(purpose=purpose, terms=terms, location_fields=None, has_role=True)


def declared_snapshot(
    *, user: User, purpose_id: int, at: date | None = None
) -> PolicySnapshot | None:
    """A declared purpose (by id) and the grants in force for the user and it, in the same one
    query (every practitioner request makes it). None when the purpose is not one of the user's
    partnership's or no grant of theirs is in force for it: it is then no longer available to
    them (`purposes_available`)."""
    if user.role_id is None or not user.is_active:
        return None
    agency = user.agency
    purpose, terms = _terms_in_force(
        purpose_id=purpose_id,
        partnership_id=agency.partnership_id,
        role_id=user.role_id,
        organisation_type_id=agency.organisation_type_id,
        at=at,
    )
    if purpose is None:
        return None
    return PolicySnapshot(purpose=purpose, terms=terms, location_fields=None, has_role=True)


def snapshot_for_audience(
    *, role_id: int, organisation_type_id: int, purpose: Purpose, at: date | None = None
) -> PolicySnapshot:
    """The same, for a role at an organisation type rather than a user (previews, reports)."""
    _, terms = _terms_in_force(
        purpose_id=purpose.pk,
        partnership_id=purpose.partnership_id,
        role_id=role_id,
        organisation_type_id=organisation_type_id,
        at=at,
    )
    return PolicySnapshot(purpose=purpose, terms=terms, location_fields=None, has_role=True)


_PURPOSE = sql.Columns(Purpose, "pu")
_TERMS = sql.Columns(
    GrantVersion,
    "gv",
    (
        "grant",
        "id",
        "version",
        "disclosure_level",
        "field_names",
        "requires_legitimate_relationship",
    ),
)


def _terms_in_force(
    *,
    purpose_id: int,
    partnership_id: int,
    role_id: int,
    organisation_type_id: int,
    at: date | None,
) -> tuple[Purpose | None, dict[int, _Terms]]:
    """The purpose (None if not the partnership's, or with no grant in force) and, by dataset,
    the terms of the versions in force at `at` (today) for the role at the organisation type.

    One hand-written query (`agencies.sql`): every practitioner request makes it, and the ORM
    spent more compiling it than the database spent running it. At most one row per dataset:
    one grant per dataset, role, organisation type and purpose; one approved version per grant.
    The partnership is compared by id (joining through the agencies made the plan several times
    dearer than running it)."""
    day = connection.ops.adapt_datefield_value(at or timezone.localdate())
    found = sql.rows(
        f"SELECT {_PURPOSE.sql}, g.dataset_id, {_TERMS.sql} "  # noqa: S608 - model names
        f"FROM {sql.table(Purpose)} pu "
        f"JOIN {sql.table(Grant)} g ON g.purpose_id = pu.id "
        f"JOIN {sql.table(GrantVersion)} gv ON gv.grant_id = g.id "
        "WHERE pu.id = %s AND pu.partnership_id = %s AND g.partnership_id = %s "
        "AND g.role_id = %s AND g.organisation_type_id = %s "
        "AND gv.status = %s AND gv.valid_from <= %s AND gv.valid_until >= %s",
        [
            purpose_id,
            partnership_id,
            partnership_id,
            role_id,
            organisation_type_id,
            GrantStatus.APPROVED.value,
            day,
            day,
        ],
    )
    if not found:
        return None, {}
    terms: dict[int, _Terms] = {}
    for row in found:
        dataset_id = row[_PURPOSE.width]
        grant_id, version_id, version, level, names, relationship = _TERMS.values(
            row, _PURPOSE.width + 1
        )
        terms[dataset_id] = _Terms(
            grant_id=grant_id,
            grant_version_id=version_id,
            version=version,
            level=level,
            fields=frozenset(names),
            requires_legitimate_relationship=relationship,
        )
    return _PURPOSE.instance(found[0]), terms


def preview_version(
    *, version: GrantVersion, restrictions: frozenset[str] = frozenset()
) -> Disclosure:
    """What a grant version would disclose if it were in force (for sign-off), on a record with
    these restrictions."""
    grant = version.grant
    terms = _Terms(
        grant_id=grant.pk,
        grant_version_id=version.pk,
        version=version.version,
        level=version.disclosure_level,
        fields=frozenset(version.field_names),
        requires_legitimate_relationship=version.requires_legitimate_relationship,
    )
    location = frozenset(
        DatasetField.objects.filter(
            dataset_id=grant.dataset_id, sensitivity=Sensitivity.LOCATION
        ).values_list("name", flat=True)
    )
    policy = PolicySnapshot(
        purpose=grant.purpose,
        terms={grant.dataset_id: terms},
        location_fields={grant.dataset_id: location},
        has_role=True,
    )
    return policy.decide(grant.dataset_id, restrictions)


def _location_fields(dataset_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The location fields (hidden for a protected address) of these datasets (one query)."""
    location: dict[int, set[str]] = defaultdict(set)
    for dataset_id, name in (
        DatasetField.objects.filter(
            dataset_id__in=list(dataset_ids), sensitivity=Sensitivity.LOCATION
        )
        .order_by()
        .values_list("dataset_id", "name")
    ):
        location[dataset_id].add(name)
    return {key: frozenset(value) for key, value in location.items()}


def decide(
    *,
    user: User,
    purpose: Purpose,
    dataset_id: int,
    source_key: str | None = None,
    at: date | None = None,
) -> Disclosure:
    """One decision: this user, purpose, dataset and (optionally) record, now or at a date."""
    policy = snapshot(user=user, purpose=purpose, at=at)
    restrictions = (
        restrictions_for([RecordRef(dataset_id, source_key)]).get(
            RecordRef(dataset_id, source_key), frozenset()
        )
        if source_key is not None
        else frozenset()
    )
    return policy.decide(dataset_id, restrictions)


def restrictions_for(records: Iterable[RecordRef]) -> dict[RecordRef, frozenset[str]]:
    """Active restrictions on these records (one query, over the records' datasets and their keys
    as two lists, which compiles and plans far faster than a condition per dataset; a restriction
    on a key of one of the datasets that belongs to another of them is then dropped here)."""
    wanted = set(records)
    if not wanted:
        return {}
    found: dict[RecordRef, set[str]] = defaultdict(set)
    dataset_ids = sorted({record.dataset_id for record in wanted})
    keys = sorted({record.source_key for record in wanted})
    # Hand-written (`agencies.sql`): every search and person page makes this query.
    table = sql.table(Restriction)
    in_datasets, dataset_params = sql.one_of("dataset_id", dataset_ids)
    in_keys, key_params = sql.one_of("source_key", keys)
    for dataset_id, key, kind in sql.rows(
        f"SELECT dataset_id, source_key, kind FROM {table} "  # noqa: S608 - model names
        f"WHERE {in_datasets} AND {in_keys} AND lifted_at IS NULL",
        [*dataset_params, *key_params],
    ):
        record = RecordRef(dataset_id, key)
        if record in wanted:
            found[record].add(kind)
    return {record: frozenset(kinds) for record, kinds in found.items()}


def decide_for_records(
    *,
    user: User,
    purpose: Purpose,
    records: Iterable[RecordRef],
    at: date | None = None,
) -> dict[RecordRef, Disclosure]:
    """Decisions for many records of one or many people at a fixed cost (at most three queries:
    the grants, the restrictions, and the location fields if a protected address needs them)."""
    records = list(records)
    policy = snapshot(user=user, purpose=purpose, at=at)
    relevant = [record for record in records if record.dataset_id in policy.dataset_ids]
    restrictions = restrictions_for(relevant)
    return {
        record: policy.decide(record.dataset_id, restrictions.get(record, frozenset()))
        for record in records
    }


def records_filter(
    *,
    user: User,
    purpose: Purpose,
    at: date | None = None,
    dataset_field: str = "dataset",
    key_field: str = "source_key",
) -> Q:
    """A queryset filter, for any model with a dataset and a source key, that keeps exactly the
    records this user may see anything of (at least known-to) for this purpose."""
    policy = snapshot(user=user, purpose=purpose, at=at)
    if not policy.dataset_ids:
        return Q(pk__in=[])
    blocking = (
        [] if purpose.overrides_objection else [RestrictionKind.OBJECTION, RestrictionKind.SEALED]
    )
    allowed = Q(**{f"{dataset_field}__in": sorted(policy.dataset_ids)})
    if not blocking:
        return allowed
    blocked = Restriction.objects.filter(
        dataset_id=OuterRef(dataset_field),
        source_key=OuterRef(key_field),
        kind__in=blocking,
        lifted_at__isnull=True,
    )
    return allowed & Q(~Exists(blocked))


def purposes_available(*, user: User, at: date | None = None) -> QuerySet[Purpose]:
    """Purposes the user's role has at least one grant in force for, at their organisation type."""
    at = at or timezone.localdate()
    if user.role_id is None:
        return Purpose.objects.none()
    purpose_ids = _versions_for(user=user, role_id=user.role_id, at=at).values("grant__purpose_id")
    return Purpose.objects.filter(pk__in=purpose_ids, partnership_id=user.agency.partnership_id)


def strongest(levels: Iterable[str | None]) -> str | None:
    """The most revealing of several disclosure levels (None when nothing)."""
    present = [level for level in levels if level]
    return max(present, key=LEVEL_ORDER.__getitem__) if present else None
