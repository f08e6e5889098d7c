"""Session lifetime and the two-factor rule, applied to every request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import sql
from agencies.models import User

SIGNED_IN_AT = "singleview_signed_in_at"
LAST_SEEN_AT = "singleview_last_seen_at"
# The last-seen time is written at most this often: each write is an UPDATE and a COMMIT of the
# session row, which every request paid for. A session can therefore idle out up to this much
# early, never late.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)

# Pages a signed-in user may reach before their second factor is checked.
TWO_FACTOR_EXEMPT_PREFIXES = ("/static/", "/health/", "/transparency/", "/api/")
TWO_FACTOR_EXEMPT_NAMES = ("signin", "signin-code", "two-factor-setup", "signout", "signed-out")


_TOTP_DEVICE = sql.Columns(TOTPDevice, "d")


class StaffOTPMiddleware(OTPMiddleware):
    """django-otp's middleware (the second factor that verified this session, checked on every
    request), reading a TOTP device, the only kind staff have, with hand-written SQL
    (`agencies.sql`): the ORM's version cost a tenth of a practitioner request's CPU. Any other
    kind of device is read by django-otp itself; its checks of the device are unchanged."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        persistent_id = self._normalize_persistent_id(persistent_id)
        label, _, device_id = persistent_id.rpartition("/")
        if label != TOTPDevice._meta.label_lower or not device_id.isdigit():
            return super()._device_from_persistent_id(persistent_id)
        table = sql.table(TOTPDevice)
        found = sql.rows(
            f"SELECT {_TOTP_DEVICE.sql} FROM {table} d WHERE d.id = %s",  # noqa: S608 - model names
            [int(device_id)],
        )
        return _TOTP_DEVICE.instance(found[0]) if found else None


class SessionTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_TIMEOUT idle or SESSION_ABSOLUTE_TIMEOUT in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now()
            signed_in_at = _stored_time(request, SIGNED_IN_AT) or now
            last_seen_at = _stored_time(request, LAST_SEEN_AT) or now
            reason = None
            if now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                reason = "expired"
            elif now - last_seen_at > settings.SESSION_IDLE_TIMEOUT:
                reason = "idle"
            if reason:
                logout(request)
                query = urlencode({"timeout": reason, "next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('signin')}?{query}")
            request.session.setdefault(SIGNED_IN_AT, signed_in_at.isoformat())
            # Background polling (htmx GETs) does not count as activity.
            if not (request.method == "GET" and request.headers.get("HX-Request")) and (
                LAST_SEEN_AT not in request.session or now - last_seen_at >= LAST_SEEN_RESOLUTION
            ):
                request.session[LAST_SEEN_AT] = now.isoformat()
        return self.get_response(request)


def _stored_time(request: HttpRequest, key: str) -> datetime | None:
    value = request.session.get(key)
    return datetime.fromisoformat(value) if value else None


class TwoFactorRequiredMiddleware:
    """A signed-in user without a verified second factor may only complete sign-in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt_paths: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not user.is_verified() and not self._exempt(request):
            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            target = reverse("signin-code" if has_device else "two-factor-setup")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _exempt(self, request: HttpRequest) -> bool:
        if self.exempt_paths is None:
            self.exempt_paths = {reverse(name) for name in TWO_FACTOR_EXEMPT_NAMES}
        return request.path in self.exempt_paths or request.path.startswith(
            TWO_FACTOR_EXEMPT_PREFIXES
        )
