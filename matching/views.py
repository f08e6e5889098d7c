"""Clerical review, manual links and explanations (IG officers and partnership admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from agencies.models import SourceRecord, UserType
from audit import events
from matching import selectors, services
from matching.forms import ManualLinkForm, ReviewDecisionForm, UnlinkForm
from singleview.access import PartnershipViewMixin

REVIEWERS = (UserType.IG_OFFICER, UserType.PARTNERSHIP_ADMIN)


def _record_shown(
    *, request: HttpRequest, user: Any, page: str, records: list[SourceRecord]
) -> None:
    """Clerical review shows records' identifying fields: a read of person data, so its access
    event is committed before anything is rendered; if it cannot be, nothing is shown (503)."""
    with events.committed():
        events.record_report_viewed(
            user=user,
            report=f"matching_{page}",
            parameters={"source_records": [record.pk for record in records]},
            persons=selectors.persons_of(user=user, records=records),
            result_count=len(records),
            request=request,
        )


def _errors_to_form(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.error_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error)


class ReviewListView(PartnershipViewMixin, View):
    user_types = REVIEWERS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tasks = list(selectors.review_tasks_open(user=self.user)[:200])
        shown = [record for task in tasks for record in (task.first_record, task.second_record)]
        _record_shown(request=request, user=self.user, page="review_list", records=shown)
        return render(request, "matching/review_list.html", {"tasks": tasks})


class ReviewTaskView(PartnershipViewMixin, View):
    user_types = REVIEWERS

    def _render(self, request: HttpRequest, pk: int, form: ReviewDecisionForm) -> HttpResponse:
        task = selectors.review_task_get(user=self.user, task_id=pk)
        pair = selectors.pair_shown(
            user=self.user, first=task.first_record, second=task.second_record
        )
        _record_shown(
            request=request,
            user=self.user,
            page="review_task",
            records=[task.first_record, task.second_record],
        )
        return render(
            request, "matching/review_task.html", {"task": task, "pair": pair, "form": form}
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, pk, ReviewDecisionForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = selectors.review_task_get(user=self.user, task_id=pk)
        form = ReviewDecisionForm(request.POST)
        if form.is_valid():
            try:
                services.review_task_decide(
                    user=self.user,
                    task_id=task.pk,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "Your decision has been saved and applied.")
                return redirect("matching:review-list")
        return self._render(request, pk, form)


class RecordView(PartnershipViewMixin, View):
    user_types = REVIEWERS

    def _render(
        self,
        request: HttpRequest,
        pk: int,
        link_form: Form | None = None,
        unlink_form: Form | None = None,
    ) -> HttpResponse:
        record = selectors.record_get(user=self.user, record_id=pk)
        _record_shown(request=request, user=self.user, page="record", records=[record])
        return render(
            request,
            "matching/record.html",
            {
                "record": record,
                "fields": selectors.IDENTIFYING_FIELDS,
                "values": [
                    (label, getattr(record, name)) for name, label in selectors.IDENTIFYING_FIELDS
                ],
                "links": selectors.record_links(user=self.user, record=record),
                "decisions": selectors.record_decisions(user=self.user, record=record),
                "link_form": link_form or ManualLinkForm(),
                "unlink_form": unlink_form or UnlinkForm(),
            },
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, pk)


class RecordLinkView(RecordView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = selectors.record_get(user=self.user, record_id=pk)
        form = ManualLinkForm(request.POST)
        if form.is_valid():
            try:
                services.record_link_manual(
                    user=self.user,
                    record_id=record.pk,
                    person_public_id=form.cleaned_data["person"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "The record has been linked to the person you chose.")
                return redirect("matching:record", pk=record.pk)
        return self._render(request, pk, link_form=form)


class RecordUnlinkView(RecordView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = selectors.record_get(user=self.user, record_id=pk)
        form = UnlinkForm(request.POST)
        if form.is_valid():
            try:
                services.record_unlink(
                    user=self.user, record_id=record.pk, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "The record is now a person of its own.")
                return redirect("matching:record", pk=record.pk)
        return self._render(request, pk, unlink_form=form)


class LinkExplainView(PartnershipViewMixin, View):
    user_types = REVIEWERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        link = selectors.link_get(user=self.user, link_id=pk)
        pairs = selectors.link_companions(user=self.user, link=link)
        shown = [link.source_record, *(pair.second.record for pair in pairs)]
        _record_shown(request=request, user=self.user, page="link_explain", records=shown)
        return render(request, "matching/link_explain.html", {"link": link, "pairs": pairs})


class PairExplainView(PartnershipViewMixin, View):
    user_types = REVIEWERS

    def get(self, request: HttpRequest, first: int, second: int) -> HttpResponse:
        records = [
            selectors.record_get(user=self.user, record_id=first),
            selectors.record_get(user=self.user, record_id=second),
        ]
        pair = selectors.pair_shown(user=self.user, first=records[0], second=records[1])
        _record_shown(request=request, user=self.user, page="pair_explain", records=records)
        return render(request, "matching/pair_explain.html", {"pair": pair})
