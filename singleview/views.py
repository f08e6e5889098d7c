"""The start page, the signed-in home and a landing page for each user type."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from agencies import selectors
from agencies.models import UserType
from governance import policy
from governance import selectors as governance_selectors
from singleview import services
from singleview.access import PartnershipViewMixin
from singleview.forms import PurposeForm
from singleview.selectors import declared_purpose

LANDING_URL_NAMES = {
    UserType.PRACTITIONER: "landing-practitioner",
    UserType.CUSTODIAN: "landing-custodian",
    UserType.IG_OFFICER: "landing-ig-officer",
    UserType.PARTNER_IT: "landing-partner-it",
    UserType.PARTNERSHIP_ADMIN: "landing-partnership-admin",
}


def start(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors see the start page; signed-in staff go to their home."""
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "singleview/start.html")


class HomeView(PartnershipViewMixin, TemplateView):
    """A user with one user type lands straight on its page; others choose."""

    template_name = "singleview/home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        types = [value for value in UserType.values if value in self.user.user_types]
        if len(types) == 1:
            return redirect(LANDING_URL_NAMES[UserType(types[0])])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["landings"] = [
            (UserType(value).label, LANDING_URL_NAMES[UserType(value)])
            for value in UserType.values
            if value in self.user.user_types
        ]
        return context


class LandingView(PartnershipViewMixin, TemplateView):
    """The landing page of one user type (set per URL)."""

    landing: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.user_types = (self.landing,)
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        return [f"singleview/landing_{self.landing}.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["user_type_label"] = UserType(self.landing).label
        context["agency"] = self.user.agency
        if self.landing == UserType.CUSTODIAN:
            context["custodian_datasets"] = governance_selectors.custodian_datasets(user=self.user)
            context["sign_off_count"] = governance_selectors.sign_off_queue(user=self.user).count()
        if self.landing == UserType.PARTNER_IT:
            context["agency_datasets"] = selectors.dataset_list(
                user=self.user, agency=self.user.agency
            )
        if self.landing == UserType.IG_OFFICER:
            context["agency_staff"] = selectors.staff_list(user=self.user).filter(
                agency=self.user.agency
            )
        return context


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


class PurposeView(PartnershipViewMixin, View):
    """Purpose first: before any search a practitioner says why, from the purposes their role
    has a grant in force for."""

    user_types = (UserType.PRACTITIONER,)
    template_name = "singleview/purpose.html"

    def purposes(self) -> Any:
        return policy.purposes_available(user=self.user).order_by("is_emergency", "name")

    def render_page(self, form: PurposeForm) -> HttpResponse:
        context = {
            "form": form,
            "purposes": list(self.purposes()),
            "current": declared_purpose(request=self.request, user=self.user),
            "break_glass_minutes": int(settings.BREAK_GLASS_DURATION.total_seconds() // 60),
        }
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(PurposeForm(purposes=self.purposes()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PurposeForm(request.POST, purposes=self.purposes())
        if form.is_valid():
            try:
                services.purpose_declare(
                    request=request,
                    user=self.user,
                    purpose=form.cleaned_data["purpose"],
                    justification=form.cleaned_data["justification"],
                    case_reference=form.cleaned_data["case_reference"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                target = request.GET.get("next", "")
                if not url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    target = reverse("landing-practitioner")
                return redirect(target)
        return self.render_page(form)


class PurposeClearView(PartnershipViewMixin, View):
    user_types = (UserType.PRACTITIONER,)

    def post(self, request: HttpRequest) -> HttpResponse:
        services.purpose_clear(request=request)
        return redirect("purpose")
