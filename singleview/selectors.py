"""Reads for the practitioner pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone

from agencies.models import User
from governance import policy
from governance.models import Purpose

PURPOSE_SESSION_KEY = "singleview_purpose"


@dataclass(frozen=True)
class DeclaredPurpose:
    """The purpose a practitioner declared for this session, and until when it holds."""

    purpose: Purpose
    justification: str
    case_reference: str
    declared_at: datetime
    expires_at: datetime

    @property
    def is_break_glass(self) -> bool:
        return self.purpose.is_emergency


def declared_purpose(*, request: HttpRequest, user: User) -> DeclaredPurpose | None:
    """The declared purpose if it still holds: not expired, and the user's role still has a grant
    in force for it. Anything else means the practitioner must declare again."""
    stored = request.session.get(PURPOSE_SESSION_KEY)
    if not stored:
        return None
    expires_at = datetime.fromisoformat(stored["expires_at"])
    if timezone.now() >= expires_at:
        return None
    purpose = policy.purposes_available(user=user).filter(pk=stored["purpose_id"]).first()
    if purpose is None:
        return None
    return DeclaredPurpose(
        purpose=purpose,
        justification=stored["justification"],
        case_reference=stored["case_reference"],
        declared_at=datetime.fromisoformat(stored["declared_at"]),
        expires_at=expires_at,
    )


def purpose_banner(*, request: HttpRequest) -> dict[str, object] | None:
    """What the banner on every page says, from the session alone (no query)."""
    stored = request.session.get(PURPOSE_SESSION_KEY) if hasattr(request, "session") else None
    if not stored or timezone.now() >= datetime.fromisoformat(stored["expires_at"]):
        return None
    return {
        "name": stored["name"],
        "case_reference": stored["case_reference"],
        "expires_at": datetime.fromisoformat(stored["expires_at"]),
        "is_break_glass": stored["is_emergency"],
    }
