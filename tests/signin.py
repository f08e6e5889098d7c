"""Signing in as a person would: password page, then the TOTP code page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.services import totp_device_set

PASSWORD = "correct horse battery staple"
TOTP_KEY = "3132333435363738393031323334353637383930"


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def sign_in(client: Any, user: Any) -> None:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device_set(
        user=user, key_hex=TOTP_KEY
    )
    response = client.post(reverse("signin"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:2000]
    response = client.post(reverse("signin-code"), {"token": current_code(device)})
    assert response.status_code == 302, response.content[:2000]
    # A code is accepted once only: step past it so a second sign-in in the same test works.
    device.refresh_from_db()
