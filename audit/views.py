"""The IG officer's pages: the dashboard, subject access, alerts and their review, one event,
and marking a person sensitive.

Reading the access log is itself recorded (fail closed, like every read), and so is every
download (FHIR, CSV, PDF): its export event is committed before the response starts.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from agencies.models import User, UserType
from audit import events, exports, services
from audit.fhir import audit_bundle
from audit.forms import (
    DashboardFilterForm,
    ReasonAnswer,
    ReviewDecision,
    SensitivePersonForm,
    SubjectAccessForm,
)
from audit.models import AlertStatus, ReviewKind
from audit.selectors import (
    DashboardFilters,
    SubjectAccessReport,
    alert_events,
    alert_for_answer,
    alert_get,
    alert_own_events,
    alert_queue,
    alert_reviews,
    dashboard_events,
    dashboard_figures,
    dashboard_filter_choices,
    dashboard_person,
    event_get,
    sensitive_persons,
    subject_access_report,
)
from singleview.access import PartnershipViewMixin
from singleview.csv_export import csv_response


class SubjectAccessView(PartnershipViewMixin, View):
    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/subject_access.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        form = SubjectAccessForm(request.GET if "person" in request.GET else None)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        report = self._report(form)
        requested = request.GET.get("format")
        if requested == "fhir":
            return self._fhir(request, report)
        if requested == "csv":
            return self._csv(request, report)
        if requested == "pdf":
            return self._pdf(request, report)
        with events.committed():
            events.record_report_viewed(
                user=self.user,
                report="subject_access",
                parameters=_parameters(report),
                persons=[report.person],
                result_count=len(report.events),
                request=request,
            )
        return render(request, self.template_name, {"form": form, "report": report})

    def _report(self, form: SubjectAccessForm) -> SubjectAccessReport:
        return subject_access_report(
            requester=self.user,
            person_id=form.cleaned_data["person"],
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
        )

    def _fhir(self, request: HttpRequest, report: SubjectAccessReport) -> HttpResponse:
        with events.committed():
            events.record_export(
                user=self.user,
                purpose=None,
                persons=[report.person],
                export_format="fhir-r4-auditevent",
                row_count=len(report.events),
                request=request,
            )
        response = HttpResponse(
            json.dumps(audit_bundle(report.events), indent=2), content_type="application/fhir+json"
        )
        response["Content-Disposition"] = f'attachment; filename="{_file_name(report)}.json"'
        response["Cache-Control"] = "no-store"
        return response

    def _csv(self, request: HttpRequest, report: SubjectAccessReport) -> HttpResponseBase:
        self._record_export(request, report, "subject-access-csv")
        lines = exports.events_csv_lines(report.events)
        return csv_response(lines, filename=f"{_file_name(report)}.csv")

    def _pdf(self, request: HttpRequest, report: SubjectAccessReport) -> HttpResponse:
        pdf = exports.pdf_render(
            "audit/subject_access_pdf.html",
            {"report": report, "officer": self.user, "generated_at": timezone.now()},
        )
        self._record_export(request, report, "subject-access-pdf")
        return _pdf_response(pdf, filename=f"{_file_name(report)}.pdf")

    def _record_export(
        self, request: HttpRequest, report: SubjectAccessReport, export_format: str
    ) -> None:
        with events.committed():
            events.record_export(
                user=self.user,
                purpose=None,
                persons=[report.person],
                export_format=export_format,
                row_count=len(report.events),
                request=request,
            )


def _file_name(report: SubjectAccessReport) -> str:
    return f"subject-access-{report.person.public_id}-{report.since}-{report.until}"


def _pdf_response(pdf: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _parameters(report: SubjectAccessReport) -> dict[str, object]:
    return {
        "person": str(report.person.public_id),
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
    }


# Alerts and their review (ADR 0013) ---------------------------------------------------------------


class AlertQueueView(PartnershipViewMixin, View):
    """The IG officer's review queue: alerts involving their agency (the partnership's, for a
    partnership IG lead)."""

    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/alert_queue.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        status = request.GET.get("status", "")
        status = status if status in AlertStatus.values else ""
        alerts = list(alert_queue(requester=self.user, status=status or None)[:500])
        return render(
            request,
            self.template_name,
            {"alerts": alerts, "status": status, "statuses": AlertStatus.choices},
        )


class AlertDetailView(PartnershipViewMixin, View):
    """One alert: its events (drill down to each), its review so far, and the next step."""

    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/alert_detail.html"

    def get(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._page(request, pk, ReviewDecision())

    def post(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        alert = alert_get(requester=self.user, alert_id=pk)
        form = ReviewDecision(request.POST)
        if not form.is_valid():
            return self._page(request, pk, form, status=400)
        decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
        try:
            if decision == ReviewDecision.FLAG:
                services.alert_flag(reviewer=self.user, alert_id=pk, note=note, request=request)
            elif decision == ReviewDecision.ASK:
                services.alert_reason_request(
                    reviewer=self.user, alert_id=pk, question=note, request=request
                )
            elif decision == ReviewDecision.ESCALATE:
                services.alert_escalate(reviewer=self.user, alert_id=pk, note=note, request=request)
            else:
                services.alert_close(
                    reviewer=self.user,
                    alert_id=pk,
                    outcome=form.cleaned_data["outcome"],
                    note=note,
                    request=request,
                )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self._page(request, pk, form, status=400)
        messages.success(request, "Your decision on the alert was recorded.")
        return redirect("audit:alert-detail", pk=alert.pk)

    def _page(
        self, request: HttpRequest, pk: int, form: ReviewDecision, status: int = 200
    ) -> HttpResponse:
        alert = alert_get(requester=self.user, alert_id=pk)
        alert_events_ = alert_events(requester=self.user, alert=alert)
        with events.committed():
            events.record_report_viewed(
                user=self.user,
                report="alert",
                parameters={"alert": alert.pk},
                result_count=len(alert_events_),
                request=request,
            )
        context = {
            "alert": alert,
            "events": alert_events_,
            "reviews": list(alert_reviews(alert=alert)),
            "form": form,
        }
        return render(request, self.template_name, context, status=status)


class AlertAnswerView(PartnershipViewMixin, View):
    """Where the user an alert is about answers the IG officer's question."""

    template_name = "audit/alert_answer.html"

    def get(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._page(request, pk, ReasonAnswer())

    def post(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ReasonAnswer(request.POST)
        if not form.is_valid():
            return self._page(request, pk, form, status=400)
        services.alert_reason_give(
            user=self.user, alert_id=pk, reason=form.cleaned_data["reason"], request=request
        )
        messages.success(request, "Thank you: your answer was sent to the IG officer.")
        return redirect("start")

    def _page(
        self, request: HttpRequest, pk: int, form: ReasonAnswer, status: int = 200
    ) -> HttpResponse:
        alert = alert_for_answer(user=self.user, alert_id=pk)
        context = {
            "alert": alert,
            "events": alert_own_events(user=self.user, alert=alert),
            "question": alert_reviews(alert=alert).filter(kind=ReviewKind.REASON_REQUESTED).last(),
            "form": form,
        }
        return render(request, self.template_name, context, status=status)


class EventDetailView(PartnershipViewMixin, View):
    """One access event in full (drill-down from reports and alerts)."""

    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/event_detail.html"

    def get(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        event = event_get(requester=self.user, event_id=pk)
        with events.committed():
            events.record_report_viewed(
                user=self.user,
                report="event",
                parameters={"event": event.pk},
                result_count=1,
                request=request,
            )
        return render(request, self.template_name, {"event": event})


# The IG dashboard (issue 6) ----------------------------------------------------------------------


def _dashboard_form(user: User, request: HttpRequest) -> DashboardFilterForm:
    agencies, purposes = dashboard_filter_choices(requester=user)
    data = request.GET.copy()
    data.pop("page", None)
    return DashboardFilterForm(data or None, agencies=agencies, purposes=purposes)


def _filter_query(request: HttpRequest) -> str:
    """The filters as a query string, without the page, for page links and downloads."""
    data = request.GET.copy()
    data.pop("page", None)
    return data.urlencode()


class DashboardView(PartnershipViewMixin, View):
    """The IG officer's dashboard: events over time by agency, purpose and action, break-glass
    uses, the busiest users and the open alerts, as charts with their tables, over the events
    they oversee, filtered, with the events themselves listed page by page."""

    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/dashboard.html"
    page_size = 50

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = _dashboard_form(self.user, request)
        if form.is_bound and not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        filters = form.filters()
        figures = dashboard_figures(requester=self.user, filters=filters)
        page = Paginator(figures.events, self.page_size).get_page(request.GET.get("page"))
        listed = list(page.object_list)
        with events.committed():
            events.record_report_viewed(
                user=self.user,
                report="dashboard",
                parameters={**filters.as_parameters(), "page": page.number},
                result_count=page.paginator.count,
                request=request,
            )
        context = {
            "form": form,
            "figures": figures,
            "charts": exports.dashboard_charts(figures),
            "page": page,
            "listed": listed,
            "query": _filter_query(request),
        }
        return render(request, self.template_name, context)


class DashboardExportView(PartnershipViewMixin, View):
    """The dashboard's filtered events as CSV (every event, streamed) or PDF (the charts, their
    tables and the first events). The download is recorded before the response starts."""

    user_types = (UserType.IG_OFFICER,)
    export_format = "csv"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        form = _dashboard_form(self.user, request)
        if form.is_bound and not form.is_valid():
            return render(request, DashboardView.template_name, {"form": form}, status=400)
        filters = form.filters()
        if self.export_format == "pdf":
            return self._pdf(request, filters)
        return self._csv(request, filters)

    def _csv(self, request: HttpRequest, filters: DashboardFilters) -> HttpResponseBase:
        # Events recorded while the download streams (this one included) are left out, so the
        # count recorded is the count sent.
        selected = dashboard_events(requester=self.user, filters=filters).filter(
            occurred_at__lte=timezone.now()
        )
        self._record(request, filters, "audit-dashboard-csv", selected.count())
        lines = exports.events_csv_lines(selected.iterator(chunk_size=2000))
        return csv_response(lines, filename=f"{_dashboard_file_name(filters)}.csv")

    def _pdf(self, request: HttpRequest, filters: DashboardFilters) -> HttpResponse:
        figures = dashboard_figures(requester=self.user, filters=filters)
        listed, truncated = exports.first_events(figures.events)
        pdf = exports.pdf_render(
            "audit/dashboard_pdf.html",
            {
                "figures": figures,
                "charts": exports.dashboard_charts(figures),
                "listed": listed,
                "truncated": truncated,
                "officer": self.user,
                "generated_at": timezone.now(),
            },
        )
        self._record(request, filters, "audit-dashboard-pdf", len(listed))
        return _pdf_response(pdf, filename=f"{_dashboard_file_name(filters)}.pdf")

    def _record(
        self, request: HttpRequest, filters: DashboardFilters, export_format: str, rows: int
    ) -> None:
        person = (
            dashboard_person(requester=self.user, person_id=filters.person_id)
            if filters.person_id is not None
            else None
        )
        with events.committed():
            events.record_export(
                user=self.user,
                purpose=None,
                persons=[person] if person is not None else [],
                export_format=export_format,
                row_count=rows,
                request=request,
            )


def _dashboard_file_name(filters: DashboardFilters) -> str:
    return f"access-log-{filters.since}-{filters.until}"


# Sensitive and VIP persons (ADR 0013) ------------------------------------------------------------


class SensitivePersonView(PartnershipViewMixin, View):
    """Mark a person of the partnership sensitive or VIP: every later view of them raises an
    alert. Lists the persons marked now."""

    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/sensitive_persons.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._page(request, SensitivePersonForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SensitivePersonForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        try:
            services.sensitive_person_flag(
                officer=self.user,
                person_id=form.cleaned_data["person"],
                reason=form.cleaned_data["reason"].strip(),
            )
        except ValidationError as error:
            already = "sensitive_person_one_active" in str(error)
            form.add_error(
                None,
                "This person is already marked sensitive." if already else error.messages,
            )
            return self._page(request, form, status=400)
        messages.success(
            request, "The person was marked sensitive: every view of them will raise an alert."
        )
        return redirect("audit:sensitive-persons")

    def _page(
        self, request: HttpRequest, form: SensitivePersonForm, status: int = 200
    ) -> HttpResponse:
        marked = list(sensitive_persons(requester=self.user))
        with events.committed():
            events.record_report_viewed(
                user=self.user,
                report="sensitive_persons",
                parameters={},
                persons=[flag.person for flag in marked],
                result_count=len(marked),
                request=request,
            )
        return render(request, self.template_name, {"form": form, "marked": marked}, status=status)
