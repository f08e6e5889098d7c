"""Writes about roles, purposes, grants, sign-offs, custodians and restrictions.

Every grant change is a new version; only a custodian of the dataset's owning agency who did not
draft it may approve it; each decision is an immutable SignOff with a reason.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from agencies.models import Dataset, OrganisationType, Partnership, Sensitivity, User, UserType
from governance.models import (
    Article9,
    DisclosureLevel,
    Grant,
    GrantStatus,
    GrantVersion,
    Purpose,
    Restriction,
    RestrictionKind,
    Role,
    SignOff,
    SignOffDecision,
)

CUSTODIAN_PERMISSION = "agencies.act_as_custodian"
# UK GDPR Article 9 special categories among the sensitivity categories.
SPECIAL_CATEGORIES = frozenset(
    {
        Sensitivity.HEALTH,
        Sensitivity.MENTAL_HEALTH,
        Sensitivity.SEXUAL_HEALTH,
        Sensitivity.SUBSTANCE_MISUSE,
    }
)


@transaction.atomic
def role_create(*, partnership: Partnership, code: str, name: str, description: str = "") -> Role:
    role = Role(partnership=partnership, code=code, name=name, description=description)
    role.full_clean()
    role.save()
    return role


@transaction.atomic
def purpose_create(
    *,
    partnership: Partnership,
    code: str,
    name: str,
    description: str,
    requires_justification: bool = False,
    is_emergency: bool = False,
    overrides_objection: bool = False,
    hl7_purpose_of_use: str = "",
) -> Purpose:
    purpose = Purpose(
        partnership=partnership,
        code=code,
        name=name,
        description=description,
        requires_justification=requires_justification or is_emergency,
        is_emergency=is_emergency,
        overrides_objection=overrides_objection,
        hl7_purpose_of_use=hl7_purpose_of_use,
    )
    purpose.full_clean()
    purpose.save()
    return purpose


def is_custodian(*, user: User, dataset: Dataset) -> bool:
    """Custodian of this dataset: guardian object permission, and staff of its owning agency."""
    return (
        user.is_active
        and user.agency_id == dataset.agency_id
        and user.has_user_type(UserType.CUSTODIAN)
        and user.has_perm(CUSTODIAN_PERMISSION, dataset)
    )


@transaction.atomic
def custodian_assign(*, dataset: Dataset, user: User) -> None:
    if user.agency_id != dataset.agency_id:
        raise ValidationError(
            f"{user.get_full_name()} works for {user.agency.name}, not {dataset.agency.name}: "
            "only the owning agency's staff can be custodians of its datasets."
        )
    if not user.has_user_type(UserType.CUSTODIAN):
        raise ValidationError(f"{user.get_full_name()} is not a custodian.")
    assign_perm(CUSTODIAN_PERMISSION, user, dataset)


@transaction.atomic
def custodian_remove(*, dataset: Dataset, user: User) -> None:
    remove_perm(CUSTODIAN_PERMISSION, user, dataset)


def _check_terms(
    *,
    dataset: Dataset,
    disclosure_level: str,
    field_names: list[str],
    article9_condition: str,
) -> list[str]:
    """Validate a version's terms against its dataset; return the exact fields it shares."""
    fields = {field.name: field for field in dataset.fields.all()}
    unknown = sorted(set(field_names) - set(fields))
    if unknown:
        raise ValidationError(
            {
                "field_names": f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                f"a field of {dataset.name}."
            }
        )
    if disclosure_level == DisclosureLevel.KNOWN_TO:
        if field_names:
            raise ValidationError(
                {
                    "field_names": "A known-to grant shares no fields: remove the fields or choose "
                    "summary."
                }
            )
        shared: list[str] = []
    elif disclosure_level == DisclosureLevel.FULL:
        shared = list(fields)
    else:
        if not field_names:
            raise ValidationError({"field_names": "Choose the fields a summary grant shares."})
        shared = [name for name in fields if name in set(field_names)]
    # A known-to flag from a dataset holding special category data is itself such data.
    considered = shared or (list(fields) if disclosure_level == DisclosureLevel.KNOWN_TO else [])
    special = sorted(
        {fields[name].get_sensitivity_display() for name in considered}
        & {Sensitivity(value).label for value in SPECIAL_CATEGORIES}
    )
    if special and not article9_condition:
        categories = ", ".join(special)
        raise ValidationError(
            {
                "article9_condition": f"This grant shares special category data ({categories}): "
                "choose the UK GDPR Article 9 condition relied on."
            }
        )
    if article9_condition and article9_condition not in Article9.values:
        raise ValidationError(
            {"article9_condition": "Choose an Article 9 condition from the list."}
        )
    return shared


@transaction.atomic
def grant_draft(
    *,
    drafted_by: User,
    dataset: Dataset,
    role: Role,
    organisation_type: OrganisationType,
    purpose: Purpose,
    disclosure_level: str,
    field_names: list[str],
    article6_condition: str,
    statute: str,
    necessity_statement: str,
    valid_from: date,
    valid_until: date,
    review_date: date,
    article9_condition: str = "",
    conditions: str = "",
    requires_legitimate_relationship: bool = False,
) -> GrantVersion:
    """Draft a new grant line, or the next version of an existing one."""
    partnership = drafted_by.partnership
    for thing, owner in (
        (dataset.name, dataset.agency.partnership_id),
        (role.name, role.partnership_id),
        (purpose.name, purpose.partnership_id),
    ):
        if owner != partnership.pk:
            raise ValidationError(f"{thing} does not belong to {partnership.name}.")
    shared = _check_terms(
        dataset=dataset,
        disclosure_level=disclosure_level,
        field_names=field_names,
        article9_condition=article9_condition,
    )
    grant, _ = Grant.objects.select_for_update().get_or_create(
        dataset=dataset,
        role=role,
        organisation_type=organisation_type,
        purpose=purpose,
        defaults={"partnership": partnership},
    )
    if grant.versions.filter(
        status__in=[GrantStatus.DRAFT, GrantStatus.AWAITING_SIGN_OFF]
    ).exists():
        raise ValidationError(
            "This grant already has a version being drafted or awaiting sign-off. Finish or "
            "withdraw that version first."
        )
    latest = grant.versions.aggregate(latest=Max("version"))["latest"] or 0
    version = GrantVersion(
        grant=grant,
        version=latest + 1,
        disclosure_level=disclosure_level,
        field_names=shared,
        article6_condition=article6_condition,
        article9_condition=article9_condition,
        statute=statute,
        necessity_statement=necessity_statement,
        conditions=conditions,
        requires_legitimate_relationship=requires_legitimate_relationship,
        valid_from=valid_from,
        valid_until=valid_until,
        review_date=review_date,
        drafted_by=drafted_by,
    )
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def grant_draft_update(
    *,
    version: GrantVersion,
    user: User,
    disclosure_level: str,
    field_names: list[str],
    article6_condition: str,
    statute: str,
    necessity_statement: str,
    valid_from: date,
    valid_until: date,
    review_date: date,
    article9_condition: str = "",
    conditions: str = "",
    requires_legitimate_relationship: bool = False,
) -> GrantVersion:
    """Change the terms of a draft (a submitted version never changes: draft a new one)."""
    version = (
        GrantVersion.objects.select_for_update().select_related("grant__dataset").get(pk=version.pk)
    )
    if version.grant.partnership_id != user.partnership.pk:
        raise PermissionDenied
    if version.status != GrantStatus.DRAFT:
        raise ValidationError("Only a draft can be edited. Propose a change instead.")
    version.field_names = _check_terms(
        dataset=version.grant.dataset,
        disclosure_level=disclosure_level,
        field_names=field_names,
        article9_condition=article9_condition,
    )
    version.disclosure_level = disclosure_level
    version.article6_condition = article6_condition
    version.article9_condition = article9_condition
    version.statute = statute
    version.necessity_statement = necessity_statement
    version.conditions = conditions
    version.requires_legitimate_relationship = requires_legitimate_relationship
    version.valid_from = valid_from
    version.valid_until = valid_until
    version.review_date = review_date
    version.drafted_by = user
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def grant_draft_discard(*, version: GrantVersion, user: User) -> None:
    """Withdraw a draft (never a submitted version)."""
    version = GrantVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != GrantStatus.DRAFT:
        raise ValidationError("Only a draft can be discarded.")
    if version.grant.partnership_id != user.partnership.pk:
        raise PermissionDenied
    version.delete()


@transaction.atomic
def grant_submit(*, version: GrantVersion, user: User) -> GrantVersion:
    """Send a draft to the dataset's custodians for sign-off."""
    version = GrantVersion.objects.select_for_update().get(pk=version.pk)
    if version.grant.partnership_id != user.partnership.pk:
        raise PermissionDenied
    if version.status != GrantStatus.DRAFT:
        raise ValidationError("Only a draft can be sent for sign-off.")
    if version.valid_until < timezone.localdate():
        raise ValidationError({"valid_until": "This version would already have expired."})
    version.status = GrantStatus.AWAITING_SIGN_OFF
    version.submitted_at = timezone.now()
    version.save(update_fields=["status", "submitted_at"])
    return version


def _decide(
    *,
    version: GrantVersion,
    custodian: User,
    reason: str,
    allowed_from: tuple[str, ...],
    decision: str,
    new_status: str,
) -> GrantVersion:
    version = (
        GrantVersion.objects.select_for_update()
        .select_related("grant__dataset__agency")
        .get(pk=version.pk)
    )
    dataset = version.grant.dataset
    if dataset.agency.partnership_id != custodian.partnership.pk:
        raise PermissionDenied
    if not is_custodian(user=custodian, dataset=dataset):
        raise PermissionDenied(
            f"Only a custodian of {dataset.name} at {dataset.agency.name} can decide on this grant."
        )
    if decision in (SignOffDecision.APPROVED, SignOffDecision.REJECTED) and (
        version.drafted_by_id == custodian.pk
    ):
        raise PermissionDenied(
            "You drafted this version, so another custodian must sign it off (two-person rule)."
        )
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for your decision."})
    if version.status not in allowed_from:
        raise ValidationError(
            f"This version is {version.get_status_display().lower()}, so it cannot be "
            f"{SignOffDecision(decision).label.lower()}."
        )
    now = timezone.now()
    if new_status == GrantStatus.APPROVED:
        if version.valid_until < timezone.localdate():
            raise ValidationError("This version's valid-until date has passed: it cannot start.")
        # The version in force gives way to its approved successor, in the same transaction.
        GrantVersion.objects.select_for_update().filter(
            grant=version.grant, status__in=[GrantStatus.APPROVED, GrantStatus.SUSPENDED]
        ).exclude(pk=version.pk).update(status=GrantStatus.SUPERSEDED, ended_at=now)
    version.status = new_status
    if decision in (SignOffDecision.APPROVED, SignOffDecision.REJECTED):
        version.decided_at = now
    if new_status in (GrantStatus.REVOKED, GrantStatus.REJECTED):
        version.ended_at = now
    version.save(update_fields=["status", "decided_at", "ended_at"])
    sign_off = SignOff(
        grant_version=version, custodian=custodian, decision=decision, reason=reason.strip()
    )
    sign_off.full_clean()
    sign_off.save()
    return version


@transaction.atomic
def grant_approve(*, version: GrantVersion, custodian: User, reason: str) -> GrantVersion:
    return _decide(
        version=version,
        custodian=custodian,
        reason=reason,
        allowed_from=(GrantStatus.AWAITING_SIGN_OFF,),
        decision=SignOffDecision.APPROVED,
        new_status=GrantStatus.APPROVED,
    )


@transaction.atomic
def grant_reject(*, version: GrantVersion, custodian: User, reason: str) -> GrantVersion:
    return _decide(
        version=version,
        custodian=custodian,
        reason=reason,
        allowed_from=(GrantStatus.AWAITING_SIGN_OFF,),
        decision=SignOffDecision.REJECTED,
        new_status=GrantStatus.REJECTED,
    )


@transaction.atomic
def grant_suspend(*, version: GrantVersion, custodian: User, reason: str) -> GrantVersion:
    return _decide(
        version=version,
        custodian=custodian,
        reason=reason,
        allowed_from=(GrantStatus.APPROVED,),
        decision=SignOffDecision.SUSPENDED,
        new_status=GrantStatus.SUSPENDED,
    )


@transaction.atomic
def grant_reinstate(*, version: GrantVersion, custodian: User, reason: str) -> GrantVersion:
    return _decide(
        version=version,
        custodian=custodian,
        reason=reason,
        allowed_from=(GrantStatus.SUSPENDED,),
        decision=SignOffDecision.REINSTATED,
        new_status=GrantStatus.APPROVED,
    )


@transaction.atomic
def grant_revoke(*, version: GrantVersion, custodian: User, reason: str) -> GrantVersion:
    return _decide(
        version=version,
        custodian=custodian,
        reason=reason,
        allowed_from=(GrantStatus.APPROVED, GrantStatus.SUSPENDED),
        decision=SignOffDecision.REVOKED,
        new_status=GrantStatus.REVOKED,
    )


@transaction.atomic
def grants_expire(*, today: date | None = None) -> int:
    """Expire every version in force whose valid-until date has passed. Returns how many."""
    today = today or timezone.localdate()
    return GrantVersion.objects.filter(
        status__in=[GrantStatus.APPROVED, GrantStatus.SUSPENDED], valid_until__lt=today
    ).update(status=GrantStatus.EXPIRED, ended_at=timezone.now())


def _check_restriction_setter(*, user: User, dataset: Dataset) -> None:
    if user.agency_id != dataset.agency_id:
        raise PermissionDenied(f"Only {dataset.agency.name} can restrict its own records.")
    if not (user.has_user_type(UserType.CUSTODIAN) or user.has_user_type(UserType.IG_OFFICER)):
        raise PermissionDenied("Only custodians and IG officers can restrict records.")


@transaction.atomic
def restriction_create(
    *, user: User, dataset: Dataset, source_key: str, kind: str, reason: str
) -> Restriction:
    _check_restriction_setter(user=user, dataset=dataset)
    if Restriction.objects.filter(
        dataset=dataset, source_key=source_key, kind=kind, lifted_at__isnull=True
    ).exists():
        raise ValidationError(
            f"Record {source_key} already has a {RestrictionKind(kind).label.split(':')[0].lower()}"
            " restriction."
        )
    restriction = Restriction(
        dataset=dataset, source_key=source_key, kind=kind, reason=reason.strip(), created_by=user
    )
    restriction.full_clean()
    restriction.save()
    return restriction


@transaction.atomic
def restriction_lift(*, user: User, restriction: Restriction, reason: str) -> Restriction:
    restriction = Restriction.objects.select_for_update().get(pk=restriction.pk)
    _check_restriction_setter(user=user, dataset=restriction.dataset)
    if restriction.lifted_at is not None:
        raise ValidationError("This restriction was already lifted.")
    if not reason.strip():
        raise ValidationError({"lift_reason": "Give the reason for lifting the restriction."})
    restriction.lifted_at = timezone.now()
    restriction.lifted_by = user
    restriction.lift_reason = reason.strip()
    restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return restriction
