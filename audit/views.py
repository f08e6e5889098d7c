"""The IG officer's subject access page: every recorded use of one person's information.

Reading the access log is itself recorded (fail closed, like every read), and so is the FHIR
download.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from agencies.models import UserType
from audit import events, services
from audit.fhir import audit_bundle
from audit.forms import ReasonAnswer, ReviewDecision, SubjectAccessForm
from audit.models import AlertStatus, ReviewKind
from audit.selectors import (
    SubjectAccessReport,
    alert_events,
    alert_for_answer,
    alert_get,
    alert_own_events,
    alert_queue,
    alert_reviews,
    event_get,
    subject_access_report,
)
from singleview.access import PartnershipViewMixin


class SubjectAccessView(PartnershipViewMixin, View):
    user_types = (UserType.IG_OFFICER,)
    template_name = "audit/subject_access.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SubjectAccessForm(request.GET if "person" in request.GET else None)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        report = self._report(form)
        if request.GET.get("format") == "fhir":
            return self._fhir(request, report)
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
        name = f"subject-access-{report.person.public_id}-{report.since}-{report.until}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
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
