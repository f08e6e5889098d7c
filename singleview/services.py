"""Writes for the practitioner pages: declaring why they are looking, and recording a
legitimate relationship with a person."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from agencies.models import User
from audit import events
from governance import policy
from governance.models import LegitimateRelationship, Purpose, RelationshipKind
from matching.models import Person
from singleview.selectors import PURPOSE_SESSION_KEY, DeclaredPurpose

MIN_JUSTIFICATION = 10


def purpose_needs_justification(purpose: Purpose) -> bool:
    """Whether declaring the purpose needs a reason in the practitioner's own words (a
    break-glass purpose always does: its use is reviewed against the reason)."""
    return purpose.requires_justification or purpose.is_emergency


def purpose_lifetime(purpose: Purpose) -> timedelta:
    """How long a declaration of the purpose holds."""
    return settings.BREAK_GLASS_DURATION if purpose.is_emergency else settings.PURPOSE_MAX_AGE


def purpose_check(
    *,
    user: User,
    purpose: Purpose,
    justification: str = "",
    case_reference: str = "",
) -> DeclaredPurpose:
    """The purpose as declared now, if the user may declare it: one their role has a grant in
    force for, with a justification in the practitioner's own words where the purpose needs one
    (`purpose_needs_justification`). It holds for `purpose_lifetime`. Raises ValidationError
    naming the field otherwise.

    The one check for both ways of declaring: the purpose page (kept in the session) and the
    API, where every request names its purpose."""
    if not policy.purposes_available(user=user).filter(pk=purpose.pk).exists():
        raise ValidationError({"purpose": "Choose one of the purposes listed."})
    justification = justification.strip()
    if purpose_needs_justification(purpose) and len(justification) < MIN_JUSTIFICATION:
        raise ValidationError(
            {
                "justification": f"Say why you need to look, in at least {MIN_JUSTIFICATION} "
                f"characters: {purpose.name} needs a reason."
            }
        )
    now = timezone.now()
    return DeclaredPurpose(
        purpose=purpose,
        justification=justification,
        case_reference=case_reference.strip(),
        declared_at=now,
        expires_at=now + purpose_lifetime(purpose),
    )


def purpose_declare(
    *,
    request: HttpRequest,
    user: User,
    purpose: Purpose,
    justification: str = "",
    case_reference: str = "",
) -> None:
    """Declare the purpose for this session (`purpose_check` says whether it may be). It holds
    until it expires or is changed."""
    declared = purpose_check(
        user=user, purpose=purpose, justification=justification, case_reference=case_reference
    )
    request.session[PURPOSE_SESSION_KEY] = {
        "purpose_id": purpose.pk,
        "name": purpose.name,
        "is_emergency": purpose.is_emergency,
        "justification": declared.justification,
        "case_reference": declared.case_reference,
        "declared_at": declared.declared_at.isoformat(),
        "expires_at": declared.expires_at.isoformat(),
    }


def purpose_clear(*, request: HttpRequest) -> None:
    request.session.pop(PURPOSE_SESSION_KEY, None)


def relationship_record(
    *,
    user: User,
    declared: DeclaredPurpose,
    person: Person,
    kind: str,
    detail: str = "",
    request: HttpRequest | None = None,
) -> LegitimateRelationship:
    """Record the practitioner's legitimate relationship with a person, and its audit event, in
    one transaction: cards whose grants require a relationship open only after this."""
    detail = detail.strip()
    now = timezone.now()
    relationship = LegitimateRelationship(
        user=user,
        person=person,
        kind=kind,
        detail=detail,
        purpose=declared.purpose,
        recorded_at=now,
        expires_at=now + settings.LEGITIMATE_RELATIONSHIP_DURATION,
    )
    if kind == RelationshipKind.OTHER and not detail:
        raise ValidationError({"detail": "Say what your relationship with the person is."})
    relationship.full_clean()
    with events.committed():
        relationship.save()
        events.record_relationship(
            user=user,
            purpose=declared.purpose,
            person=person,
            kind=kind,
            detail=detail,
            relationship_id=relationship.pk,
            case_reference=declared.case_reference,
            request=request,
        )
    return relationship
