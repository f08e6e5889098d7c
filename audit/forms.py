"""The subject access form: a person's Single View id and a period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

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
