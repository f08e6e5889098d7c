from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from governance.models import Purpose, RelationshipKind


class ServiceErrorsForm(forms.Form):
    def add_service_error(self, error: Any) -> None:
        """Show a service's ValidationError on the fields it names (others on the form)."""
        for name, errors in error.error_dict.items():
            for item in errors:
                self.add_error(name if name in self.fields else None, item)


class PurposeForm(ServiceErrorsForm):
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


class SearchForm(forms.Form):
    """What the practitioner knows of the person. The two-identifier rule is the search's own
    (`matching.search.query_parse`); this form only gathers the date from its three boxes."""

    given_name = forms.CharField(label="First name", required=False, max_length=100)
    family_name = forms.CharField(label="Last name", required=False, max_length=100)
    dob_day = forms.CharField(label="Day", required=False, max_length=2)
    dob_month = forms.CharField(label="Month", required=False, max_length=2)
    dob_year = forms.CharField(label="Year", required=False, max_length=4)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)
    nhs_number = forms.CharField(
        label="NHS number", required=False, max_length=12, help_text="For example, 485 777 3456."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, month, year = (str(data.get(f"dob_{part}") or "").strip() for part in DATE_PARTS)
        data["date_of_birth"] = ""
        if day or month or year:
            if not year.isdigit() or len(year) != 4:
                self.add_error("dob_year", "Date of birth must include a year, like 2007.")
            elif (day or month) and not (day.isdigit() and month.isdigit()):
                self.add_error("dob_day", "Date of birth must be a real date, like 27 3 2007.")
            elif day and month:
                data["date_of_birth"] = f"{year}-{int(month):02d}-{int(day):02d}"
            else:
                data["date_of_birth"] = year
        return data

    def terms(self) -> dict[str, str]:
        return {
            name: str(self.cleaned_data.get(name) or "")
            for name in ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
        }

    def add_search_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            if name == "date_of_birth":
                name = "dob_day"
            self.add_error(name if name in self.fields else None, message)


DATE_PARTS = ("day", "month", "year")


class RelationshipForm(ServiceErrorsForm):
    kind = forms.ChoiceField(
        label="What is your relationship with this person?",
        choices=RelationshipKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose your relationship with this person."},
    )
    detail = forms.CharField(
        label="Describe the relationship",
        required=False,
        max_length=300,
        help_text="Needed for another relationship. For example, a referral number.",
    )
