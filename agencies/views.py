"""Sign-in (password, then TOTP), two-factor enrolment, sign-out and the partnership directory."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import selectors, services
from agencies.forms import CodeForm, SignInForm
from agencies.models import Agency, User
from singleview.access import PartnershipViewMixin


def _timeout_message(reason: str) -> str | None:
    idle = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
    absolute = int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
    messages = {
        "idle": f"You were signed out because you did nothing for {idle} minutes. Sign in again.",
        "expired": f"You were signed out because you signed in more than {absolute} hours ago. "
        "Sign in again.",
    }
    return messages.get(reason)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _pending_user(request: HttpRequest) -> User | None:
    """The user who passed the password step and still owes a second factor."""
    user = request.user
    return user if isinstance(user, User) else None


def demo_code(device: TOTPDevice) -> str | None:
    """The demo shows its accounts' current code; never outside the demo."""
    if not settings.SINGLEVIEW_DEMO:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


class SignInView(View):
    template_name = "registration/signin.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _pending_user(request)
        if user is not None and user.is_verified():
            return redirect(_next_url(request))
        return self._render(request, SignInForm(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SignInForm(request, data=request.POST)
        if not form.is_valid():
            return self._render(request, form, status=200)
        user = form.get_user()
        client = get_client_ip_address(request) or ""
        if not user.agency.allows_address(client):
            form.add_error(
                None,
                f"You cannot sign in from this network. {user.agency.name} allows sign-in only "
                "from its own networks.",
            )
            return self._render(request, form, status=403)
        services.session_start(request=request, user=user)
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        target = reverse("signin-code" if has_device else "two-factor-setup")
        return HttpResponseRedirect(f"{target}?next={_next_url(request)}")

    def _render(self, request: HttpRequest, form: SignInForm, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "next": _next_url(request),
            "timeout_message": _timeout_message(request.GET.get("timeout", "")),
        }
        return render(request, self.template_name, context, status=status)


class SignInCodeView(View):
    template_name = "registration/signin_code.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _pending_user(request)
        if user is None:
            return redirect("signin")
        return self._render(request, user, CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _pending_user(request)
        if user is None:
            return redirect("signin")
        form = CodeForm(request.POST)
        if form.is_valid():
            if services.two_factor_verify(
                request=request, user=user, token=form.cleaned_data["token"]
            ):
                return redirect(_next_url(request))
            form.add_error(
                "token",
                "The security code is wrong or has expired. Enter the current code from your "
                "authenticator app.",
            )
        return self._render(request, user, form)

    def _render(self, request: HttpRequest, user: User, form: CodeForm) -> HttpResponse:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        context = {
            "form": form,
            "next": _next_url(request),
            "demo_code": demo_code(device) if device else None,
        }
        return render(request, self.template_name, context)


class TwoFactorSetupView(View):
    template_name = "registration/two_factor_setup.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _pending_user(request)
        if user is None:
            return redirect("signin")
        return self._render(request, user, CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _pending_user(request)
        if user is None:
            return redirect("signin")
        form = CodeForm(request.POST)
        if form.is_valid():
            if services.totp_device_confirm(
                request=request, user=user, token=form.cleaned_data["token"]
            ):
                return redirect(_next_url(request))
            form.add_error(
                "token",
                "That code does not match. Check the time on your phone is right and enter the "
                "current code.",
            )
        return self._render(request, user, form)

    def _render(self, request: HttpRequest, user: User, form: CodeForm) -> HttpResponse:
        device = services.totp_device_start(user=user)
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = BytesIO()
        image.save(buffer)
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        context = {
            "form": form,
            "next": _next_url(request),
            "qr_svg": buffer.getvalue().decode(),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "demo_code": demo_code(device),
        }
        return render(request, self.template_name, context)


class SignOutView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        return redirect("signed-out")


class SignedOutView(TemplateView):
    template_name = "registration/signed_out.html"


class AgencyListView(PartnershipViewMixin, ListView[Agency]):
    template_name = "agencies/agency_list.html"
    context_object_name = "agencies"

    def get_queryset(self) -> Any:
        return selectors.agency_list(user=self.user)


class AgencyDetailView(PartnershipViewMixin, DetailView[Agency]):
    template_name = "agencies/agency_detail.html"
    context_object_name = "agency"

    def get_object(self, queryset: Any = None) -> Agency:
        return selectors.agency_get(user=self.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["datasets"] = selectors.dataset_list(user=self.user, agency=self.object)
        return context
