"""The IG officer's forms: subject access, the dashboard's filters, alert review, marking a person
sensitive, and the user's answer to an alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from audit.models import Action, ReviewOutcome
from audit.selectors import DashboardFilters
from governance.forms import GovukDateField


class SubjectAccessForm(forms.Form):
    person = forms.UUIDField(
        label="Single View person id",
        help_text="The id on the person's Single View page, for example "
        "3f2b8c1e-6d4a-4f7e-9b0a-1c2d3e4f5a6b.",
        error_messages={
            "required": "Enter the person's Single View id.",
            "invalid": "Enter the person's Single View id, as it appears on their page.",
        },
    )
    since = GovukDateField(noun="the start date", label="From")
    until = GovukDateField(noun="the end date", label="To")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("since", today - timedelta(days=365))
            self.initial.setdefault("until", today)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must be the same as or after the start date.")
        return cleaned


class ReviewDecision(forms.Form):
    """An IG officer's next step on an alert."""

    FLAG, ASK, ESCALATE, CLOSE = "flag", "ask", "escalate", "close"

    decision = forms.ChoiceField(
        label="What do you want to do?",
        widget=forms.RadioSelect,
        choices=[
            (FLAG, "Flag it for a closer look"),
            (ASK, "Ask the user for a reason (they are emailed)"),
            (ESCALATE, "Escalate it"),
            (CLOSE, "Close it with an outcome"),
        ],
        error_messages={"required": "Choose what you want to do with this alert."},
    )
    note = forms.CharField(
        label="Note, or the question for the user",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )
    outcome = forms.ChoiceField(
        label="Outcome (when closing)",
        choices=[("", "Choose an outcome"), *ReviewOutcome.choices],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        decision, note = cleaned.get("decision"), (cleaned.get("note") or "").strip()
        if decision == self.CLOSE and not cleaned.get("outcome"):
            self.add_error("outcome", "Choose the outcome of the review.")
        if decision in (self.ASK, self.ESCALATE) and not note:
            self.add_error("note", "Write the question for the user, or why you are escalating.")
        return cleaned


class ReasonAnswer(forms.Form):
    reason = forms.CharField(
        label="Why did you use Single View in this way?",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        error_messages={"required": "Explain why you used Single View in this way."},
    )


# The IG dashboard --------------------------------------------------------------------------------

DASHBOARD_DEFAULT_DAYS = 30
DASHBOARD_MAX_DAYS = 366


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET). Everything is optional; the period defaults to the last
    30 days."""

    username = forms.CharField(label="Username", required=False, max_length=150)
    person = forms.UUIDField(
        label="Single View person id",
        required=False,
        error_messages={
            "invalid": "Enter the person's Single View id, as it appears on their page."
        },
    )
    agency = forms.TypedChoiceField(
        label="Agency of the user", required=False, coerce=int, empty_value=None
    )
    purpose = forms.TypedChoiceField(label="Purpose", required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label="What they did", required=False, choices=[("", "Anything"), *Action.choices]
    )
    since = GovukDateField(noun="the start date", label="From", required=False)
    until = GovukDateField(noun="the end date", label="To", required=False)

    def __init__(
        self,
        *args: Any,
        agencies: list[tuple[int, str]],
        purposes: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *agencies]  # type: ignore[attr-defined]
        self.fields["purpose"].choices = [("", "Any purpose"), *purposes]  # type: ignore[attr-defined]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("since", today - timedelta(days=DASHBOARD_DEFAULT_DAYS - 1))
            self.initial.setdefault("until", today)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        until = cleaned.get("until") or today
        since = cleaned.get("since") or until - timedelta(days=DASHBOARD_DEFAULT_DAYS - 1)
        if until < since:
            self.add_error("until", "The end date must be the same as or after the start date.")
        elif (until - since).days >= DASHBOARD_MAX_DAYS:
            self.add_error("since", "Choose a period of a year or less.")
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    def filters(self) -> DashboardFilters:
        """The filters chosen, or the defaults for a form not yet sent."""
        if not self.is_bound:
            return DashboardFilters(since=self.initial["since"], until=self.initial["until"])
        data = self.cleaned_data
        return DashboardFilters(
            since=data["since"],
            until=data["until"],
            username=data["username"].strip(),
            person_id=data["person"],
            agency_id=data["agency"],
            purpose_id=data["purpose"],
            action=data["action"],
        )


class SensitivePersonForm(forms.Form):
    """Mark a person sensitive or VIP: every later view of them raises an alert."""

    person = forms.UUIDField(
        label="Single View person id",
        help_text="The id on the person's Single View page.",
        error_messages={
            "required": "Enter the person's Single View id.",
            "invalid": "Enter the person's Single View id, as it appears on their page.",
        },
    )
    reason = forms.CharField(
        label="Why is this person sensitive?",
        help_text="For example, a member of staff, a public figure or a person at risk.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say why this person is sensitive."},
    )
