from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from governance.models import Purpose


class PurposeForm(forms.Form):
    purpose = forms.ModelChoiceField(
        label="Why are you looking?",
        queryset=Purpose.objects.none(),
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why you are looking.",
            "invalid_choice": "Choose one of the purposes listed.",
        },
    )
    justification = forms.CharField(
        label="Your reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        help_text="Needed where a purpose says so. Say what you need to know, and why.",
    )
    case_reference = forms.CharField(
        label="Case reference (optional)",
        required=False,
        max_length=100,
        help_text="For example an incident, referral or case number.",
    )

    def __init__(self, *args: Any, purposes: QuerySet[Purpose], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["purpose"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        field.queryset = purposes

    def add_service_error(self, error: Any) -> None:
        for name, errors in error.error_dict.items():
            for item in errors:
                self.add_error(name if name in self.fields else None, item)
