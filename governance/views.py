"""Grant pages: drafting, the grants list, custodian sign-off and previews on a sample person.

Views stay thin: the gate is PartnershipViewMixin, reads are governance.selectors (which take the
user and 404 outside their partnership), writes are governance.services, and the policy decision
point answers every preview.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from agencies.models import OrganisationType, UserType
from governance import selectors, services
from governance.forms import (
    AudiencePreviewForm,
    GovukForm,
    GrantFilterForm,
    GrantLineForm,
    GrantTermsForm,
    LiftRestrictionForm,
    RestrictionForm,
    RestrictionsForm,
    SignOffForm,
    StatusChangeForm,
    terms_initial,
)
from governance.models import (
    Grant,
    GrantStatus,
    GrantVersion,
    Purpose,
    Role,
    SignOffDecision,
)
from singleview.access import PartnershipViewMixin

DRAFTERS = (UserType.PARTNERSHIP_ADMIN, UserType.CUSTODIAN, UserType.IG_OFFICER)
CUSTODIANS = (UserType.CUSTODIAN,)
PREVIEWERS = (UserType.CUSTODIAN, UserType.IG_OFFICER)


def _detail(grant: Grant | GrantVersion) -> HttpResponse:
    grant_id = grant.grant_id if isinstance(grant, GrantVersion) else grant.pk
    return redirect("governance:grant-detail", pk=grant_id)


# The grants list ---------------------------------------------------------------------------------


class GrantListView(PartnershipViewMixin, TemplateView):
    user_types = DRAFTERS
    template_name = "governance/grant_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = GrantFilterForm(self.request.GET or None)
        status = form.cleaned_data["status"] if form.is_valid() else ""
        context["filter_form"] = form
        context["status_label"] = GrantStatus(status).label.lower() if status else ""
        context["lines"] = selectors.grant_list(user=self.user, status=status)
        return context


class GrantDetailView(PartnershipViewMixin, TemplateView):
    user_types = DRAFTERS
    template_name = "governance/grant_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        grant = selectors.grant_get(user=self.user, pk=self.kwargs["pk"])
        versions = list(grant.versions.all())
        context.update(
            grant=grant,
            versions=versions,
            in_force=next((v for v in versions if v.status in selectors.IN_FORCE_STATUSES), None),
            open_version=next((v for v in versions if v.status in selectors.OPEN_STATUSES), None),
            is_dataset_custodian=selectors.custodian_datasets(user=self.user)
            .filter(pk=grant.dataset_id)
            .exists(),
            can_preview=bool(self.user.user_types.intersection(PREVIEWERS)),
        )
        return context


# Drafting ---------------------------------------------------------------------------------------


class GrantLineView(PartnershipViewMixin, View):
    """Step 1 of drafting: choose the dataset, job role, organisation type and purpose."""

    user_types = DRAFTERS
    template_name = "governance/grant_line.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = GrantLineForm(user=self.user, initial=request.GET.dict())
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = GrantLineForm(request.POST, user=self.user)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        existing = selectors.grant_find(user=self.user, **form.cleaned_data)
        if existing is not None:
            messages.info(
                request,
                "This grant line already exists. Propose a change to it here, or carry on with "
                "the version that is open.",
            )
            return _detail(existing)
        query = urlencode({name: value.pk for name, value in form.cleaned_data.items()})
        return redirect(f"{reverse('governance:grant-new-terms')}?{query}")


class TermsView(PartnershipViewMixin, View):
    """Step 2 of drafting: the terms. Subclasses say which grant line, what to start from and
    which service saves it."""

    user_types = DRAFTERS
    template_name = "governance/grant_terms.html"
    heading = "Grant terms"
    caption = ""

    def line(self) -> dict[str, Any]:
        """The grant line's dataset, role, organisation_type and purpose."""
        raise NotImplementedError

    def initial(self) -> dict[str, Any]:
        return {}

    def save(self, terms: dict[str, Any]) -> GrantVersion:
        return services.grant_draft(drafted_by=self.user, **self.line(), **terms)

    def back_url(self) -> str:
        raise NotImplementedError

    def guard(self) -> HttpResponse | None:
        """A response instead of the form (for example, when the grant already exists)."""
        return None

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        blocked = self.guard()
        if blocked is not None:
            return blocked
        form = GrantTermsForm(initial=self.initial(), dataset=self.line()["dataset"])
        return self.render_form(form)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        blocked = self.guard()
        if blocked is not None:
            return blocked
        form = GrantTermsForm(request.POST, dataset=self.line()["dataset"])
        if form.is_valid():
            try:
                version = self.save(form.cleaned_data)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    f"Version {version.version} of this grant is saved as a draft. Send it for "
                    "sign-off when it is ready.",
                )
                return _detail(version)
        return self.render_form(form)

    def render_form(self, form: GrantTermsForm) -> HttpResponse:
        context = {
            "form": form,
            "line": self.line(),
            "heading": self.heading,
            "caption": self.caption or self.line()["dataset"].name,
            "back_url": self.back_url(),
        }
        return render(self.request, self.template_name, context)


class NewGrantTermsView(TermsView):
    heading = "What the grant shares, and on what basis"
    caption = "Draft a grant, step 2 of 2"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.line_form: GrantLineForm | None = None

    def _line_form(self) -> GrantLineForm:
        if self.line_form is None:
            self.line_form = GrantLineForm(self.request.GET, user=self.user)
        return self.line_form

    def guard(self) -> HttpResponse | None:
        form = self._line_form()
        if not form.is_valid():
            return redirect("governance:grant-new")
        existing = selectors.grant_find(user=self.user, **form.cleaned_data)
        return _detail(existing) if existing is not None else None

    def line(self) -> dict[str, Any]:
        return dict(self._line_form().cleaned_data)

    def back_url(self) -> str:
        return f"{reverse('governance:grant-new')}?{self.request.GET.urlencode()}"


class NewVersionView(TermsView):
    """Propose a change: a new draft version pre-filled from the one in force (else the latest)."""

    heading = "Propose a change"

    def grant(self) -> Grant:
        if not hasattr(self, "_grant"):
            self._grant = selectors.grant_get(user=self.user, pk=self.kwargs["pk"])
        return self._grant

    def line(self) -> dict[str, Any]:
        grant = self.grant()
        return {
            "dataset": grant.dataset,
            "role": grant.role,
            "organisation_type": grant.organisation_type,
            "purpose": grant.purpose,
        }

    def guard(self) -> HttpResponse | None:
        grant = self.grant()
        open_version = next(
            (v for v in grant.versions.all() if v.status in selectors.OPEN_STATUSES), None
        )
        if open_version is None:
            return None
        messages.info(
            self.request,
            f"Version {open_version.version} is already "
            f"{open_version.get_status_display().lower()}, and only one version can be open at a "
            "time.",
        )
        return _detail(grant)

    def initial(self) -> dict[str, Any]:
        source = selectors.version_to_copy(grant=self.grant())
        return terms_initial(source) if source is not None else {}

    def back_url(self) -> str:
        return reverse("governance:grant-detail", args=[self.grant().pk])


class EditDraftView(NewVersionView):
    """Edit a draft: its terms are replaced, keeping its version number."""

    heading = "Edit a draft"

    def version(self) -> GrantVersion:
        if not hasattr(self, "_version"):
            self._version = selectors.version_get(user=self.user, pk=self.kwargs["pk"])
        return self._version

    def grant(self) -> Grant:
        return self.version().grant

    def guard(self) -> HttpResponse | None:
        version = self.version()
        if version.status == GrantStatus.DRAFT:
            return None
        messages.info(
            self.request,
            f"Version {version.version} is {version.get_status_display().lower()}, so it can no "
            "longer be edited. Propose a change instead.",
        )
        return _detail(version)

    def initial(self) -> dict[str, Any]:
        return terms_initial(self.version())

    def save(self, terms: dict[str, Any]) -> GrantVersion:
        return services.grant_draft_update(version=self.version(), user=self.user, **terms)


class VersionSubmitView(PartnershipViewMixin, View):
    """Check the draft's answers, then send it to the dataset's custodians."""

    user_types = DRAFTERS
    template_name = "governance/version_submit.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.version_get(user=self.user, pk=pk)
        return self.render_page(version, [])

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.version_get(user=self.user, pk=pk)
        try:
            services.grant_submit(version=version, user=self.user)
        except ValidationError as error:
            return self.render_page(version, error.messages)
        messages.success(
            request,
            f"Version {version.version} was sent to the custodians of "
            f"{version.grant.dataset.name} for sign-off.",
        )
        return _detail(version)

    def render_page(self, version: GrantVersion, errors: list[str]) -> HttpResponse:
        context = {
            "version": version,
            "grant": version.grant,
            "errors": errors,
            **_terms_context(version),
        }
        return render(self.request, self.template_name, context)


class VersionDiscardView(PartnershipViewMixin, View):
    user_types = DRAFTERS
    template_name = "governance/version_discard.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.version_get(user=self.user, pk=pk)
        return render(request, self.template_name, {"version": version, "errors": []})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.version_get(user=self.user, pk=pk)
        try:
            services.grant_draft_discard(version=version, user=self.user)
        except ValidationError as error:
            context = {"version": version, "errors": error.messages}
            return render(request, self.template_name, context)
        messages.success(request, f"Draft version {version.version} was discarded.")
        return redirect("governance:grant-detail", pk=version.grant_id)


def _terms_context(version: GrantVersion) -> dict[str, Any]:
    """What a version shares and how it differs from the one in force, for summary lists."""
    return {
        "shared_fields": selectors.shared_fields(version=version),
        "diff": selectors.version_diff(version=version),
    }


# Custodian sign-off -----------------------------------------------------------------------------


class SignOffQueueView(PartnershipViewMixin, TemplateView):
    user_types = CUSTODIANS
    template_name = "governance/sign_off_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["queue"] = list(selectors.sign_off_queue(user=self.user))
        context["in_force"] = list(selectors.custodian_versions_in_force(user=self.user))
        return context


DECISIONS: dict[str, Callable[..., GrantVersion]] = {
    SignOffDecision.APPROVED.value: services.grant_approve,
    SignOffDecision.REJECTED.value: services.grant_reject,
    "suspend": services.grant_suspend,
    "reinstate": services.grant_reinstate,
    "revoke": services.grant_revoke,
}


class DecisionView(PartnershipViewMixin, View):
    """A custodian's decision on a version: the form's choice picks the service."""

    user_types = CUSTODIANS
    template_name = ""
    choice_field = ""

    def form(self, version: GrantVersion, data: Any = None) -> GovukForm:
        raise NotImplementedError

    def context(self, version: GrantVersion) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.custodian_version_get(user=self.user, pk=pk)
        return self.render_page(version, self.form(version))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = selectors.custodian_version_get(user=self.user, pk=pk)
        form = self.form(version, request.POST)
        if form.is_valid():
            decide = DECISIONS[form.cleaned_data[self.choice_field]]
            try:
                decide(version=version, custodian=self.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_error(error)
            else:
                return redirect("governance:sign-off-done", pk=version.pk)
        return self.render_page(version, form)

    def render_page(self, version: GrantVersion, form: GovukForm) -> HttpResponse:
        context = {"version": version, "grant": version.grant, "form": form}
        context.update(self.context(version))
        return render(self.request, self.template_name, context)


class SignOffReviewView(DecisionView):
    """Check your answers: exactly what would be shared, then approve or reject with a reason."""

    template_name = "governance/sign_off_review.html"
    choice_field = "decision"

    def form(self, version: GrantVersion, data: Any = None) -> GovukForm:
        return SignOffForm(data)

    def context(self, version: GrantVersion) -> dict[str, Any]:
        return {
            "blocker": selectors.sign_off_blocker(user=self.user, version=version),
            "awaiting": version.status == GrantStatus.AWAITING_SIGN_OFF,
            **_terms_context(version),
        }


class VersionStatusView(DecisionView):
    """Suspend, reinstate or revoke a version in force, with a reason."""

    template_name = "governance/version_status.html"
    choice_field = "action"

    def form(self, version: GrantVersion, data: Any = None) -> GovukForm:
        return StatusChangeForm(data, version=version)

    def context(self, version: GrantVersion) -> dict[str, Any]:
        return {"in_force": version.status in selectors.IN_FORCE_STATUSES}


class SignOffDoneView(PartnershipViewMixin, TemplateView):
    user_types = CUSTODIANS
    template_name = "governance/sign_off_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        version = selectors.custodian_version_get(user=self.user, pk=self.kwargs["pk"])
        context["version"] = version
        context["sign_off"] = selectors.latest_sign_off(user=self.user, version=version)
        return context


# Previews -----------------------------------------------------------------------------------------


class VersionPreviewView(PartnershipViewMixin, TemplateView):
    """What one grant version (in any status) would show on the sample person."""

    user_types = PREVIEWERS
    template_name = "governance/version_preview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        version = selectors.version_get(user=self.user, pk=self.kwargs["pk"])
        form = RestrictionsForm(self.request.GET or None)
        chosen = form.cleaned_data["restrictions"] if form.is_valid() else []
        context.update(
            version=version,
            grant=version.grant,
            form=form,
            card=selectors.version_preview(
                user=self.user, version=version, restrictions=selectors.restriction_kinds(chosen)
            ),
            is_dataset_custodian=selectors.custodian_datasets(user=self.user)
            .filter(pk=version.grant.dataset_id)
            .exists(),
        )
        return context


class AudiencePreviewView(PartnershipViewMixin, TemplateView):
    """What a job role at an organisation type would see for a purpose, under grants in force."""

    user_types = PREVIEWERS
    template_name = "governance/audience_preview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = AudiencePreviewForm(self.request.GET or None, user=self.user)
        context["form"] = form
        if form.is_valid():
            audience: dict[str, Any] = form.cleaned_data
            role: Role = audience["role"]
            organisation_type: OrganisationType = audience["organisation_type"]
            purpose: Purpose = audience["purpose"]
            context["audience"] = audience
            context["cards"] = selectors.audience_preview(
                user=self.user,
                role=role,
                organisation_type=organisation_type,
                purpose=purpose,
                restrictions=selectors.restriction_kinds(audience["restrictions"]),
            )
        return context


# Person-level restrictions ------------------------------------------------------------------------

RESTRICTERS = (UserType.CUSTODIAN, UserType.IG_OFFICER)


class RestrictionListView(PartnershipViewMixin, TemplateView):
    """Restrictions the user's agency has placed on its own records."""

    user_types = RESTRICTERS
    template_name = "governance/restriction_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        restrictions = selectors.restriction_list(user=self.user)
        context["active"] = restrictions.filter(lifted_at__isnull=True)
        context["lifted"] = restrictions.filter(lifted_at__isnull=False)[:50]
        return context


class RestrictionCreateView(PartnershipViewMixin, View):
    user_types = RESTRICTERS
    template_name = "governance/restriction_form.html"

    def form(self, data: Any = None) -> RestrictionForm:
        return RestrictionForm(data, datasets=selectors.restrictable_datasets(user=self.user))

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            dataset = selectors.restrictable_datasets(user=self.user).get(
                pk=form.cleaned_data["dataset"]
            )
            try:
                restriction = services.restriction_create(
                    user=self.user,
                    dataset=dataset,
                    source_key=form.cleaned_data["source_key"].strip(),
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    f"{restriction.get_kind_display().split(':')[0]} restriction placed on "
                    f"record {restriction.source_key} in {dataset.name}.",
                )
                return redirect("governance:restriction-list")
        return render(request, self.template_name, {"form": form})


class RestrictionLiftView(PartnershipViewMixin, View):
    user_types = RESTRICTERS
    template_name = "governance/restriction_lift.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        restriction = selectors.restriction_get(user=self.user, pk=pk)
        return render(
            request, self.template_name, {"form": LiftRestrictionForm(), "restriction": restriction}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        restriction = selectors.restriction_get(user=self.user, pk=pk)
        form = LiftRestrictionForm(request.POST)
        if form.is_valid():
            try:
                services.restriction_lift(
                    user=self.user, restriction=restriction, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    f"The restriction on record {restriction.source_key} was lifted.",
                )
                return redirect("governance:restriction-list")
        return render(request, self.template_name, {"form": form, "restriction": restriction})


# Custodians ---------------------------------------------------------------------------------------


class CustodianListView(PartnershipViewMixin, TemplateView):
    """Partnership admins assign each dataset's custodians from its owning agency's staff."""

    user_types = (UserType.PARTNERSHIP_ADMIN,)
    template_name = "governance/custodian_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.custodian_overview(user=self.user)
        return context


class CustodianChangeView(PartnershipViewMixin, View):
    user_types = (UserType.PARTNERSHIP_ADMIN,)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        dataset = selectors.partnership_dataset_get(user=self.user, pk=pk)
        try:
            person = selectors.partnership_staff_get(
                user=self.user, pk=int(request.POST.get("user", "0") or 0)
            )
        except ValueError:
            person = None
        if person is None:
            messages.error(request, "Choose a member of staff.")
            return redirect("governance:custodian-list")
        if request.POST.get("action") == "remove":
            services.custodian_remove(dataset=dataset, user=person)
            messages.success(
                request, f"{person.get_full_name()} is no longer a custodian of {dataset.name}."
            )
        else:
            try:
                services.custodian_assign(dataset=dataset, user=person)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("governance:custodian-list")
            messages.success(
                request, f"{person.get_full_name()} is now a custodian of {dataset.name}."
            )
        return redirect("governance:custodian-list")
