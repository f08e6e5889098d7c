"""The IG officer's subject access page: every recorded use of one person's information.

Reading the access log is itself recorded (fail closed, like every read), and so is the FHIR
download.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from agencies.models import UserType
from audit import events
from audit.fhir import audit_bundle
from audit.forms import SubjectAccessForm
from audit.selectors import SubjectAccessReport, subject_access_report
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
