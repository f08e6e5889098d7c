"""Writes for service accounts: practitioner accounts that only a program uses, through the
practitioner API with a knox token. They have no usable password (so no browser sign-in and no
second factor to bypass); each read they make still names its purpose and is audited under the
account's name, role and agency."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from knox.models import AuthToken

from agencies.models import Agency, User, UserType
from agencies.services import user_create
from governance.models import Role

SERVICE_ACCOUNT_NAME = "Service account"
SERVICE_ACCOUNT_JOB_TITLE = "Service account (API only)"


@dataclass(frozen=True)
class ServiceAccount:
    user: User
    created: bool


def is_service_account(user: User) -> bool:
    """A practitioner account made by `service_account_create`, which no one can sign in as."""
    return (
        user.job_title == SERVICE_ACCOUNT_JOB_TITLE
        and user.has_user_type(UserType.PRACTITIONER)
        and not user.has_usable_password()
    )


@transaction.atomic
def service_account_create(*, agency: Agency, role: Role, username: str) -> ServiceAccount:
    """The service account `username` at the agency with the role: created, or the existing one
    when it is already exactly that (a person's account, or one elsewhere, is refused)."""
    if role.partnership_id != agency.partnership_id:
        raise ValidationError({"role": f"The role {role.code} is not one of this partnership's."})
    existing = User.objects.filter(username=username).first()
    if existing is None:
        user = user_create(
            agency=agency,
            username=username,
            email="",
            first_name=SERVICE_ACCOUNT_NAME,
            last_name=username,
            user_types=[UserType.PRACTITIONER],
            password=None,
            job_title=SERVICE_ACCOUNT_JOB_TITLE,
            role_id=role.pk,
        )
        return ServiceAccount(user=user, created=True)
    if not is_service_account(existing):
        raise ValidationError(
            {"username": f"{username} is someone's own account, not a service account."}
        )
    if existing.agency_id != agency.pk or existing.role_id != role.pk:
        raise ValidationError(
            {
                "username": f"The service account {username} belongs to another agency or role: "
                "choose another username."
            }
        )
    if not existing.is_active:
        raise ValidationError({"username": f"The service account {username} is deactivated."})
    return ServiceAccount(user=existing, created=False)


def service_account_token_create(
    *, user: User, revoke_others: bool = False
) -> tuple[AuthToken, str]:
    """A new API token for a service account, expiring after REST_KNOX TOKEN_TTL. Only its digest
    is stored: the token itself is returned once, here. With `revoke_others`, the account's other
    tokens stop working at once (rotation)."""
    if not is_service_account(user):
        raise PermissionDenied("Only service accounts get tokens this way.")
    with transaction.atomic():
        if revoke_others:
            AuthToken.objects.filter(user=user).delete()
        token: tuple[AuthToken, str] = AuthToken.objects.create(user=user)
    return token
