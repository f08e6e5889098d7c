"""Writes for the practitioner pages: declaring why they are looking."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from agencies.models import User
from governance import policy
from governance.models import Purpose
from singleview.selectors import PURPOSE_SESSION_KEY

MIN_JUSTIFICATION = 10


def purpose_declare(
    *,
    request: HttpRequest,
    user: User,
    purpose: Purpose,
    justification: str = "",
    case_reference: str = "",
) -> None:
    """Declare the purpose for this session. It must be one the user's role has a grant in force
    for; some purposes need a justification in the practitioner's own words. It holds until
    PURPOSE_MAX_AGE (a break-glass purpose: BREAK_GLASS_DURATION) or until changed."""
    if not policy.purposes_available(user=user).filter(pk=purpose.pk).exists():
        raise ValidationError({"purpose": "Choose one of the purposes listed."})
    justification = justification.strip()
    if purpose.requires_justification and len(justification) < MIN_JUSTIFICATION:
        raise ValidationError(
            {
                "justification": f"Say why you need to look, in at least {MIN_JUSTIFICATION} "
                f"characters: {purpose.name} needs a reason."
            }
        )
    now = timezone.now()
    lifetime = settings.BREAK_GLASS_DURATION if purpose.is_emergency else settings.PURPOSE_MAX_AGE
    request.session[PURPOSE_SESSION_KEY] = {
        "purpose_id": purpose.pk,
        "name": purpose.name,
        "is_emergency": purpose.is_emergency,
        "justification": justification,
        "case_reference": case_reference.strip(),
        "declared_at": now.isoformat(),
        "expires_at": (now + lifetime).isoformat(),
    }


def purpose_clear(*, request: HttpRequest) -> None:
    request.session.pop(PURPOSE_SESSION_KEY, None)
