"""The start page, the signed-in home and a landing page for each user type."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from agencies import selectors as agency_selectors
from agencies.models import User, UserType
from governance import policy
from governance import selectors as governance_selectors
from governance.models import RelationshipKind
from matching import search
from singleview import selectors, services
from singleview.access import PartnershipViewMixin
from singleview.csv_export import csv_lines, csv_response
from singleview.forms import PurposeForm, RelationshipForm, SearchForm
from singleview.selectors import DeclaredPurpose, declared_purpose

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
            context["agency_datasets"] = agency_selectors.dataset_list(
                user=self.user, agency=self.user.agency
            )
        if self.landing == UserType.IG_OFFICER:
            context["agency_staff"] = agency_selectors.staff_list(user=self.user).filter(
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
                    target = reverse("search")
                return redirect(target)
        return self.render_page(form)


class PurposeClearView(PartnershipViewMixin, View):
    user_types = (UserType.PRACTITIONER,)

    def post(self, request: HttpRequest) -> HttpResponse:
        services.purpose_clear(request=request)
        return redirect("purpose")


# Search and the person page ----------------------------------------------------------------------


class PractitionerViewMixin(PartnershipViewMixin):
    """Practitioner pages that read people's information: a declared purpose comes first."""

    user_types = (UserType.PRACTITIONER,)
    declared: DeclaredPurpose

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if isinstance(user, User) and user.is_verified():
            declared = declared_purpose(request=request, user=user)
            if declared is None and user.has_user_type(UserType.PRACTITIONER):
                messages.info(request, "Say why you are looking before you search.")
                return redirect(f"{reverse('purpose')}?{urlencode({'next': request.path})}")
            if declared is not None:
                self.declared = declared
        return super().dispatch(request, *args, **kwargs)


class SearchView(PractitionerViewMixin, View):
    template_name = "singleview/search.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": SearchForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SearchForm(request.POST)
        results = None
        if form.is_valid():
            try:
                results = selectors.person_search(
                    user=self.user, declared=self.declared, terms=form.terms(), request=request
                )
            except search.SearchError as error:
                form.add_search_errors(error.errors)
        return render(request, self.template_name, {"form": form, "results": results})


class PersonGoneMixin:
    """A merged person's address leads to the person they were merged into."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except selectors.PersonGone as gone:
            messages.info(request, "This record was merged with another: you are seeing both.")
            return redirect("person", public_id=gone.survivor)


class PersonView(PersonGoneMixin, PractitionerViewMixin, View):
    def get(self, request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
        page = selectors.person_page(
            user=self.user, declared=self.declared, public_id=public_id, request=request
        )
        return render(request, "singleview/person.html", {"page": page})


class PersonCardView(PersonGoneMixin, PractitionerViewMixin, View):
    def get(self, request: HttpRequest, public_id: uuid.UUID, dataset_id: int) -> HttpResponse:
        person, card = selectors.person_card(
            user=self.user,
            declared=self.declared,
            public_id=public_id,
            dataset_id=dataset_id,
            request=request,
        )
        return render(request, "singleview/card.html", {"person": person, "card": card})


class RelationshipView(PersonGoneMixin, PractitionerViewMixin, View):
    """Record a legitimate relationship with the person, then go back to their page."""

    template_name = "singleview/relationship.html"

    def render_page(self, form: RelationshipForm, public_id: uuid.UUID) -> HttpResponse:
        context = {"form": form, "public_id": public_id, "kinds": RelationshipKind.choices}
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
        selectors.person_get(user=self.user, public_id=public_id)
        return self.render_page(RelationshipForm(), public_id)

    def post(self, request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
        person = selectors.person_get(user=self.user, public_id=public_id)
        form = RelationshipForm(request.POST)
        if form.is_valid():
            try:
                services.relationship_record(
                    user=self.user,
                    declared=self.declared,
                    person=person,
                    kind=form.cleaned_data["kind"],
                    detail=form.cleaned_data["detail"],
                    request=request,
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, "Your relationship with this person is recorded.")
                return redirect("person", public_id=person.public_id)
        return self.render_page(form, public_id)


class PersonExportView(PersonGoneMixin, PractitionerViewMixin, View):
    """The person's cards as a CSV download (recorded as an export)."""

    def get(self, request: HttpRequest, public_id: uuid.UUID) -> Any:
        page, rows = selectors.person_export(
            user=self.user, declared=self.declared, public_id=public_id, request=request
        )
        header = ("Agency", "Dataset", "Level", "Field", "Value", "Extract")
        return csv_response(
            csv_lines(header, rows), filename=f"single-view-person-{page.person.public_id}.csv"
        )
