"""Sign-in (password, then TOTP), two-factor enrolment, sign-out and the partnership directory."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import BytesIO
from typing import Any, cast

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import DetailView, ListView, TemplateView
from django_htmx.http import HttpResponseClientRefresh
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import selectors, services
from agencies.extracts.report import report_csv, report_json
from agencies.extracts.schema import ExtractKind as ExtractKindName
from agencies.extracts.schema import SchemaError, json_schema, sample_csv
from agencies.extracts.upload import (
    ExtractRefused,
    SizeLimitUploadHandler,
    too_large_message,
)
from agencies.extracts.validation import PROBLEM_CODES
from agencies.forms import CodeForm, ExtractUploadForm, SignInForm
from agencies.models import Agency, Dataset, User, UserType
from singleview.access import PartnershipViewMixin

# Multipart framing around an uploaded file: a request this much over the limit is refused unread.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


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


# ---------------------------------------------------------------------------------------------
# Nightly extracts: partner IT of the owning agency only (ADR 0008)


class PartnerITViewMixin(PartnershipViewMixin):
    """Partner IT pages; selectors return 404 for other agencies' datasets and runs."""

    user_types = (UserType.PARTNER_IT,)


class ExtractDatasetListView(PartnerITViewMixin, TemplateView):
    template_name = "agencies/extracts/dataset_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.extract_dataset_overview(user=self.user)
        return context


class ExtractDatasetDetailView(PartnerITViewMixin, TemplateView):
    template_name = "agencies/extracts/dataset_detail.html"
    history_length = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        dataset = selectors.extract_dataset_get(user=self.user, pk=self.kwargs["pk"])
        context["dataset"] = dataset
        context["freshness"] = selectors.dataset_freshness(user=self.user, dataset=dataset)
        context["extracts"] = selectors.extract_list(user=self.user, dataset=dataset)[
            : self.history_length
        ]
        context["waiting"] = selectors.extract_waiting_count(dataset=dataset)
        return context


class ExtractSchemaView(PartnerITViewMixin, TemplateView):
    template_name = "agencies/extracts/schema.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        dataset = selectors.extract_dataset_get(user=self.user, pk=self.kwargs["pk"])
        context["dataset"] = dataset
        try:
            context["schema"] = selectors.dataset_extract_schema(dataset=dataset)
        except SchemaError as error:
            context["schema_error"] = str(error)
        context["problem_codes"] = sorted(PROBLEM_CODES.items())
        context["max_bytes"] = settings.EXTRACT_MAX_BYTES
        context["max_content_bytes"] = settings.EXTRACT_MAX_CONTENT_BYTES
        context["threshold"] = settings.EXTRACT_ERROR_THRESHOLD
        context["nightly_hour"] = settings.EXTRACTS_NIGHTLY_HOUR
        context["api_url"] = self.request.build_absolute_uri(
            reverse("api-dataset-extracts", args=[dataset.pk])
        )
        return context


def _kind(request: HttpRequest) -> ExtractKindName:
    return "delta" if request.GET.get("kind") == "delta" else "full"


class ExtractSchemaJSONView(PartnerITViewMixin, View):
    """The JSON Schema of one row (`?kind=delta` adds the _action column)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        try:
            schema = selectors.dataset_extract_schema(dataset=dataset)
        except SchemaError as error:
            return JsonResponse({"detail": str(error)}, status=409)
        response = JsonResponse(
            json_schema(schema, kind=_kind(request)), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = f'inline; filename="{dataset.code}.schema.json"'
        return response


class ExtractSampleCSVView(PartnerITViewMixin, View):
    """A small valid example file (`?kind=delta` for a delta)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        try:
            schema = selectors.dataset_extract_schema(dataset=dataset)
        except SchemaError as error:
            return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
        kind = _kind(request)
        response = HttpResponse(
            sample_csv(schema, kind=kind), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{dataset.code}-{kind}-sample.csv"'
        return response


@method_decorator(csrf_exempt, name="dispatch")
class ExtractUploadView(PartnerITViewMixin, View):
    """Send an extract in the browser. The size limit is applied before the file is stored: a
    request larger than EXTRACT_MAX_BYTES is refused unread, and an upload handler stops keeping
    a file once it passes the limit. (CSRF is checked after the handler is installed.)"""

    template_name = "agencies/extracts/upload.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        return self._render(request, dataset, ExtractUploadForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        limit = settings.EXTRACT_MAX_BYTES
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + UPLOAD_OVERHEAD_BYTES:
            form = ExtractUploadForm.refused(too_large_message(limit))
            return self._render(request, dataset, form, status=413)
        handler = SizeLimitUploadHandler(limit, request)
        request.upload_handlers.insert(0, handler)
        return self._post(request, dataset=dataset, handler=handler)

    @method_decorator(csrf_protect)
    def _post(
        self, request: HttpRequest, *, dataset: Dataset, handler: SizeLimitUploadHandler
    ) -> HttpResponse:
        form = ExtractUploadForm(request.POST, request.FILES)
        if handler.exceeded:
            form = ExtractUploadForm.refused(
                too_large_message(settings.EXTRACT_MAX_BYTES), data=request.POST
            )
            return self._render(request, dataset, form, status=413)
        if not form.is_valid():
            return self._render(request, dataset, form)
        when = form.cleaned_data["when"]
        try:
            receipt = services.extract_receive(
                user=self.user,
                dataset=dataset,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                validate_only=when == ExtractUploadForm.WHEN_CHECK,
                process_now=when == ExtractUploadForm.WHEN_NOW,
            )
        except (ExtractRefused, SchemaError) as error:
            form.add_error("file", getattr(error, "message", str(error)))
            return self._render(request, dataset, form, status=getattr(error, "status", 400))
        if receipt.duplicate:
            messages.info(
                request,
                "This file was already received on "
                f"{date_format(timezone.localtime(receipt.extract.received_at), 'j F Y, H:i')}. "
                "It is not loaded twice.",
            )
        elif when == ExtractUploadForm.WHEN_NIGHTLY:
            messages.success(
                request,
                f"The file was received. It will be loaded in tonight's run, at "
                f"{settings.EXTRACTS_NIGHTLY_HOUR:02d}:00.",
            )
        if receipt.run is None:
            return redirect("extract-dataset-detail", pk=dataset.pk)
        return redirect("extract-run-detail", pk=receipt.run.pk)

    def _render(
        self, request: HttpRequest, dataset: Dataset, form: ExtractUploadForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "dataset": dataset,
            "form": form,
            "max_bytes": settings.EXTRACT_MAX_BYTES,
            "nightly_hour": settings.EXTRACTS_NIGHTLY_HOUR,
        }
        return render(request, self.template_name, context, status=status)


class ExtractProcessNowView(PartnerITViewMixin, View):
    """Process the dataset's waiting extracts now rather than tonight."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        waiting = services.dataset_process_request(user=self.user, dataset=dataset)
        if waiting:
            messages.success(
                request,
                f"Processing {waiting} waiting extract{'s' if waiting != 1 else ''} of "
                f"{dataset.name} now.",
            )
        else:
            messages.info(request, f"No extracts of {dataset.name} are waiting to be processed.")
        return redirect("extract-dataset-detail", pk=dataset.pk)


class ExtractRunView(PartnerITViewMixin, TemplateView):
    """One run: progress while it runs (htmx polling), then its results and problems."""

    template_name = "agencies/extracts/run_detail.html"
    problems_shown = 100

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = selectors.extract_run_get(user=self.user, pk=self.kwargs["pk"])
        context["run"] = run
        context["extract"] = run.extract
        context["dataset"] = run.extract.dataset
        problems = selectors.extract_run_problems(user=self.user, run=run)
        context["problems"] = problems[: self.problems_shown]
        context["problems_stored"] = problems.count()
        context["problem_counts"] = sorted(run.problem_counts.items())
        context["problem_codes"] = PROBLEM_CODES
        return context


class ExtractRunProgressView(PartnerITViewMixin, View):
    """The progress fragment htmx polls. Once the run has ended the page reloads in full (and
    the fragment it then renders does not poll)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = selectors.extract_run_get(user=self.user, pk=pk)
        if run.is_finished and getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        return render(request, "agencies/extracts/_run_progress.html", {"run": run})


class ExtractRunReportJSONView(PartnerITViewMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = selectors.extract_run_get(user=self.user, pk=pk)
        summary, problems = selectors.extract_run_report(user=self.user, run=run)
        response = JsonResponse(
            report_json(summary=summary, problems=problems), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = f'attachment; filename="extract-run-{run.pk}.json"'
        return response


class ExtractRunReportCSVView(PartnerITViewMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = selectors.extract_run_get(user=self.user, pk=pk)
        _, problems = selectors.extract_run_report(user=self.user, run=run)
        response = HttpResponse(
            report_csv(problems=problems), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="extract-run-{run.pk}.csv"'
        return response


class ApiTokenListView(PartnerITViewMixin, View):
    """Partner IT's API tokens: create one (shown once), see them, revoke them."""

    template_name = "agencies/extracts/api_tokens.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, new_token=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        _, token = services.api_token_create(user=self.user)
        return self._render(request, new_token=token)

    def _render(self, request: HttpRequest, *, new_token: str | None) -> HttpResponse:
        context = {
            "tokens": selectors.api_token_list(user=self.user),
            "new_token": new_token,
            "now": timezone.now(),
            "ttl_days": cast(timedelta, settings.REST_KNOX["TOKEN_TTL"]).days,
        }
        return render(request, self.template_name, context)


class ApiTokenRevokeView(PartnerITViewMixin, View):
    def post(self, request: HttpRequest, token_key: str) -> HttpResponse:
        if services.api_token_revoke(user=self.user, token_key=token_key):
            messages.success(
                request, f"The token beginning {token_key} was revoked. It no longer works."
            )
        else:
            raise Http404("No such token.")
        return redirect("api-token-list")
