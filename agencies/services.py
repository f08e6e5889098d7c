"""Writes about partnerships, agencies, staff and their sign-in."""

from __future__ import annotations

from django.contrib.auth import login as auth_login
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Agency, OrganisationType, User, UserType
from singleview.middleware import LAST_SEEN_AT, SIGNED_IN_AT

TOTP_DEVICE_NAME = "Authenticator app"


@transaction.atomic
def user_create(
    *,
    agency: Agency,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    user_types: list[str],
    password: str | None = None,
    job_title: str = "",
    role_id: int | None = None,
) -> User:
    """Create a member of staff at one agency with the given user types."""
    user = User(
        agency=agency,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        job_title=job_title,
        role_id=role_id,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.is_staff = UserType.PARTNERSHIP_ADMIN in user_types
    user.full_clean(exclude=["password"])
    user.save()
    labels = dict(UserType.choices)
    user.groups.set([Group.objects.get(name=labels[user_type]) for user_type in user_types])
    return user


def session_start(*, request: HttpRequest, user: User) -> None:
    """First factor passed: sign the user in, pending their second factor."""
    auth_login(request, user)
    now = timezone.now().isoformat()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def two_factor_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a TOTP code against the user's confirmed device; mark the session verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token(token):
        return False
    otp_login(request, device)
    return True


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device an enrolling user scans; reused until confirmed."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": TOTP_DEVICE_NAME}
    )
    return device


@transaction.atomic
def totp_device_confirm(*, request: HttpRequest, user: User, token: str) -> bool:
    """Confirm the enrolling device with a first correct code; it replaces any older one."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True


@transaction.atomic
def totp_device_set(*, user: User, key_hex: str) -> TOTPDevice:
    """Give a user a confirmed device with a known key (the demo and tests use this)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key_hex, confirmed=True)


# Model permissions each user type's group carries (object permissions come from guardian).
USER_TYPE_MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    UserType.PARTNERSHIP_ADMIN: (
        "agencies.view_partnership",
        "agencies.view_agency",
        "agencies.add_agency",
        "agencies.change_agency",
        "agencies.view_user",
        "agencies.add_user",
        "agencies.change_user",
        "agencies.view_dataset",
        "agencies.add_dataset",
        "agencies.change_dataset",
        "agencies.view_datasetfield",
        "agencies.add_datasetfield",
        "agencies.change_datasetfield",
        "agencies.delete_datasetfield",
        "governance.view_role",
        "governance.add_role",
        "governance.change_role",
        "governance.view_purpose",
        "governance.add_purpose",
        "governance.change_purpose",
        "governance.view_grant",
        "governance.view_grantversion",
        "governance.view_signoff",
        "governance.view_restriction",
    ),
}


def user_type_permissions_sync() -> None:
    """Reference data after every migrate (and every test flush): the national organisation
    types, and each user type's group with exactly its model permissions."""
    from django.contrib.auth.models import Permission

    for code, name in OrganisationType.Code.choices:
        OrganisationType.objects.get_or_create(code=code, defaults={"name": name})
    labels = dict(UserType.choices)
    for user_type, label in labels.items():
        group, _ = Group.objects.get_or_create(name=label)
        wanted = USER_TYPE_MODEL_PERMISSIONS.get(user_type, ())
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type")
            if f"{permission.content_type.app_label}.{permission.codename}" in wanted
        ]
        group.permissions.set(permissions)
