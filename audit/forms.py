"""The subject access form: a person's Single View id and a period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from audit.models import ReviewOutcome
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
