"""GOV.UK forms for drafting grants, signing them off and previewing them.

Forms only collect and shape input; every rule about grants lives in governance.services, whose
ValidationErrors are shown against the right field with `add_service_error`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from agencies.models import Dataset, DatasetField, OrganisationType, Sensitivity, User
from governance import selectors
from governance.models import (
    Article6,
    Article9,
    DisclosureLevel,
    GrantStatus,
    GrantVersion,
    Purpose,
    RestrictionKind,
    Role,
    SignOffDecision,
)

YES_NO = [("yes", "Yes"), ("no", "No")]


class GovukRadios(forms.RadioSelect):
    """Radios whose first input carries the field's id, so error summaries can link to it."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return id_


class GovukCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose first input carries the field's id, so error summaries can link to it."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return id_


class GovukDateInput(forms.Widget):
    """The GOV.UK date input: three boxes named NAME-day, NAME-month and NAME-year."""

    parts = ("day", "month", "year")

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, ...]:
        return tuple(str(data.get(f"{name}-{part}", "")) for part in self.parts)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"{name}-{part}" in data for part in self.parts)

    def id_for_label(self, id_: str) -> str:
        return id_


class GovukDateField(forms.Field):
    """A date entered as day, month and year, with GOV.UK's error messages."""

    widget = GovukDateInput

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        self.noun = noun
        kwargs.setdefault("error_messages", {"required": f"Enter {noun}."})
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, date):
            return (str(value.day), str(value.month), str(value.year))
        return value

    def to_python(self, value: Any) -> date | None:
        if not value:
            return None
        parts = dict(zip(GovukDateInput.parts, (part.strip() for part in value), strict=True))
        if not any(parts.values()):
            return None
        missing = [part for part, text in parts.items() if not text]
        if missing:
            raise ValidationError(
                f"{self.noun[:1].upper()}{self.noun[1:]} must include a {' and '.join(missing)}."
            )
        if not all(text.isdigit() for text in parts.values()) or len(parts["year"]) != 4:
            raise ValidationError(
                f"{self.noun[:1].upper()}{self.noun[1:]} must be a real date, like 27 3 2026."
            )
        try:
            return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError as error:
            raise ValidationError(
                f"{self.noun[:1].upper()}{self.noun[1:]} must be a real date, like 27 3 2026."
            ) from error


@dataclass(frozen=True)
class Option:
    """One radio or checkbox, ready for a GOV.UK template."""

    id: str
    value: str
    label: str
    hint: str
    checked: bool


class GovukForm(forms.Form):
    """Shared by every form here: option lists for radios and checkboxes, and service errors."""

    option_hints: Mapping[str, Mapping[str, str]] = {}

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's ValidationError against the field it names (or the whole form)."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for item in errors:
                    self.add_error(name if name in self.fields else None, item)
        else:
            self.add_error(None, error)

    @property
    def options(self) -> dict[str, list[Option]]:
        """For each radios or checkboxes field: its options, with ids GOV.UK style (the first
        has the field's id so that the error summary can link to it)."""
        result: dict[str, list[Option]] = {}
        for name, field in self.fields.items():
            if not isinstance(field.widget, GovukRadios | GovukCheckboxes):
                continue
            bound = self[name]
            raw = bound.value()
            chosen = {str(item) for item in raw} if isinstance(raw, list | tuple) else {str(raw)}
            hints = self.option_hints.get(name, {})
            choices = list(getattr(field, "choices", []))
            result[name] = [
                Option(
                    id=bound.auto_id if index == 0 else f"{bound.auto_id}-{index + 1}",
                    value=str(value),
                    label=str(label),
                    hint=hints.get(str(value), ""),
                    checked=str(value) in chosen,
                )
                for index, (value, label) in enumerate(choices)
                if str(value) != ""
            ]
        return result


class GrantLineForm(GovukForm):
    """Step 1 of drafting: what is shared with whom, for what."""

    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(),
        label="Dataset to share",
        empty_label="Choose a dataset",
        error_messages={
            "required": "Choose the dataset to share.",
            "invalid_choice": "Choose a dataset from the list.",
        },
    )
    role = forms.ModelChoiceField(
        queryset=Role.objects.none(),
        label="Job role that will see it",
        empty_label="Choose a job role",
        error_messages={
            "required": "Choose the job role that will see the data.",
            "invalid_choice": "Choose a job role from the list.",
        },
    )
    organisation_type = forms.ModelChoiceField(
        queryset=OrganisationType.objects.none(),
        label="Type of organisation they work at",
        empty_label="Choose a type of organisation",
        error_messages={
            "required": "Choose the type of organisation the job role works at.",
            "invalid_choice": "Choose a type of organisation from the list.",
        },
    )
    purpose = forms.ModelChoiceField(
        queryset=Purpose.objects.none(),
        label="Purpose",
        empty_label="Choose a purpose",
        error_messages={
            "required": "Choose the purpose the data is shared for.",
            "invalid_choice": "Choose a purpose from the list.",
        },
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["dataset"].queryset = selectors.dataset_choices(user=user)
        fields["role"].queryset = selectors.role_list(user=user)
        fields["organisation_type"].queryset = selectors.organisation_type_list(user=user)
        fields["purpose"].queryset = selectors.purpose_list(user=user)


DISCLOSURE_HINTS = {
    DisclosureLevel.KNOWN_TO.value: (
        "Only that the agency knows the person, with its contact details. No fields are shared."
    ),
    DisclosureLevel.SUMMARY.value: "Only the fields you choose below.",
    DisclosureLevel.FULL.value: "Every field of the dataset as it is described now.",
}


def field_hint(field: DatasetField) -> str:
    """How a dataset field is described next to its checkbox."""
    sensitivity = (
        "No special sensitivity"
        if field.sensitivity == Sensitivity.NONE
        else f"Sensitivity: {field.get_sensitivity_display()}"
    )
    identifying = ". Identifies a person." if field.identifying else "."
    return f"{sensitivity}{identifying}"


class GrantTermsForm(GovukForm):
    """Step 2 of drafting: what the grant shares, on what legal basis, and until when."""

    disclosure_level = forms.ChoiceField(
        label="Disclosure level",
        choices=DisclosureLevel.choices,
        widget=GovukRadios,
        error_messages={"required": "Choose how much the grant shares."},
    )
    field_names = forms.MultipleChoiceField(
        label="Fields shared",
        required=False,
        widget=GovukCheckboxes,
        error_messages={"invalid_choice": "Choose fields from the list."},
    )
    article6_condition = forms.ChoiceField(
        label="UK GDPR Article 6 condition",
        choices=Article6.choices,
        widget=GovukRadios,
        error_messages={"required": "Choose the UK GDPR Article 6 condition relied on."},
    )
    article9_condition = forms.ChoiceField(
        label="UK GDPR Article 9 condition",
        choices=Article9.choices,
        required=False,
        widget=forms.Select,
    )
    statute = forms.CharField(
        label="Statute relied on",
        max_length=500,
        help_text="For example, Care Act 2014 section 6.",
        error_messages={
            "required": "Enter the statute relied on.",
            "max_length": "The statute must be 500 characters or fewer.",
        },
    )
    necessity_statement = forms.CharField(
        label="Why this is necessary",
        widget=forms.Textarea,
        help_text="Explain why less data, or no data, would not serve the purpose.",
        error_messages={"required": "Explain why sharing this data is necessary."},
    )
    conditions = forms.CharField(
        label="Conditions (optional)",
        widget=forms.Textarea,
        required=False,
        help_text="Anything that must be true before a practitioner may see the data.",
    )
    requires_legitimate_relationship = forms.TypedChoiceField(
        label="Must the practitioner record their relationship to the person first?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=GovukRadios,
        error_messages={
            "required": "Select yes if the practitioner must record a legitimate relationship."
        },
    )
    valid_from = GovukDateField(noun="the date the grant takes effect", label="Valid from")
    valid_until = GovukDateField(noun="the date the grant ends", label="Valid until")
    review_date = GovukDateField(noun="the date the grant is reviewed", label="Review date")

    def __init__(self, *args: Any, dataset: Dataset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dataset_fields = selectors.dataset_fields(dataset=dataset)
        fields: dict[str, Any] = self.fields
        fields["field_names"].choices = [(item.name, item.label) for item in self.dataset_fields]
        self.option_hints = {
            "disclosure_level": DISCLOSURE_HINTS,
            "field_names": {item.name: field_hint(item) for item in self.dataset_fields},
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        review = cleaned.get("review_date")
        if valid_from and valid_until and valid_until <= valid_from:
            self.add_error("valid_until", "The date the grant ends must be after it takes effect.")
        elif valid_from and valid_until and review and not valid_from <= review <= valid_until:
            self.add_error(
                "review_date",
                "The review date must be on or after the date the grant takes effect and on or "
                "before the date it ends.",
            )
        return cleaned


def terms_initial(version: GrantVersion) -> dict[str, Any]:
    """Initial terms copied from an existing version (to edit it or propose a change)."""
    return {
        "disclosure_level": version.disclosure_level,
        "field_names": list(version.field_names)
        if version.disclosure_level == DisclosureLevel.SUMMARY
        else [],
        "article6_condition": version.article6_condition,
        "article9_condition": version.article9_condition,
        "statute": version.statute,
        "necessity_statement": version.necessity_statement,
        "conditions": version.conditions,
        "requires_legitimate_relationship": (
            "yes" if version.requires_legitimate_relationship else "no"
        ),
        "valid_from": version.valid_from,
        "valid_until": version.valid_until,
        "review_date": version.review_date,
    }


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Reason")
        kwargs.setdefault("widget", forms.Textarea)
        kwargs.setdefault("error_messages", {"required": "Enter the reason for your decision."})
        super().__init__(**kwargs)


class SignOffForm(GovukForm):
    """A custodian's decision on a version awaiting sign-off."""

    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            (SignOffDecision.APPROVED.value, "Approve: this version may be shared as shown"),
            (SignOffDecision.REJECTED.value, "Reject: this version must not be shared"),
        ],
        widget=GovukRadios,
        error_messages={"required": "Choose whether you approve or reject this version."},
    )
    reason = ReasonField(
        help_text="This is recorded with your decision and shown to the drafter and IG officers."
    )


STATUS_ACTIONS: dict[str, list[tuple[str, str]]] = {
    GrantStatus.APPROVED: [
        ("suspend", "Suspend: stop sharing for now; it can be reinstated"),
        ("revoke", "Revoke: stop sharing for good"),
    ],
    GrantStatus.SUSPENDED: [
        ("reinstate", "Reinstate: share again on the same terms"),
        ("revoke", "Revoke: stop sharing for good"),
    ],
}


class StatusChangeForm(GovukForm):
    """Suspend, reinstate or revoke a version in force."""

    action = forms.ChoiceField(
        label="What do you want to do?",
        widget=GovukRadios,
        error_messages={"required": "Choose what you want to do with this version."},
    )
    reason = ReasonField()

    def __init__(self, *args: Any, version: GrantVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["action"].choices = STATUS_ACTIONS.get(version.status, [])


RESTRICTION_CHOICES: Sequence[tuple[str, str]] = RestrictionKind.choices


class RestrictionsForm(GovukForm):
    """Restrictions to place on the sample person's record, to see their effect."""

    restrictions = forms.MultipleChoiceField(
        label="Restrictions on the sample person's record",
        choices=RESTRICTION_CHOICES,
        required=False,
        widget=GovukCheckboxes,
        error_messages={"invalid_choice": "Choose restrictions from the list."},
    )


class AudiencePreviewForm(RestrictionsForm):
    """An audience (job role at an organisation type, for a purpose) to preview."""

    role = forms.ModelChoiceField(
        queryset=Role.objects.none(),
        label="Job role",
        empty_label="Choose a job role",
        error_messages={
            "required": "Choose the job role to preview.",
            "invalid_choice": "Choose a job role from the list.",
        },
    )
    organisation_type = forms.ModelChoiceField(
        queryset=OrganisationType.objects.none(),
        label="Type of organisation",
        empty_label="Choose a type of organisation",
        error_messages={
            "required": "Choose the type of organisation to preview.",
            "invalid_choice": "Choose a type of organisation from the list.",
        },
    )
    purpose = forms.ModelChoiceField(
        queryset=Purpose.objects.none(),
        label="Purpose",
        empty_label="Choose a purpose",
        error_messages={
            "required": "Choose the purpose to preview.",
            "invalid_choice": "Choose a purpose from the list.",
        },
    )
    field_order = ["role", "organisation_type", "purpose", "restrictions"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["role"].queryset = selectors.role_list(user=user)
        fields["organisation_type"].queryset = selectors.organisation_type_list(user=user)
        fields["purpose"].queryset = selectors.purpose_list(user=user)


class GrantFilterForm(GovukForm):
    status = forms.ChoiceField(
        label="Show grants with a version that is",
        choices=[("", "Any status"), *GrantStatus.choices],
        required=False,
    )


class RestrictionForm(GovukForm):
    """An agency restricts its own record of a person."""

    dataset = forms.TypedChoiceField(
        label="Dataset",
        coerce=int,
        error_messages={"required": "Choose the dataset that holds the record."},
    )
    source_key = forms.CharField(
        label="Record key",
        max_length=100,
        help_text="Your agency's own key for the record, as it appears in your extracts.",
        error_messages={"required": "Enter the record key, for example ASC000123."},
    )
    kind = forms.ChoiceField(
        label="Restriction",
        choices=RestrictionKind.choices,
        widget=GovukRadios,
        error_messages={"required": "Choose the kind of restriction."},
    )
    reason = ReasonField(
        help_text="Recorded with the restriction. Give no more about the person than needed.",
        error_messages={"required": "Enter the reason for the restriction."},
    )
    option_hints = {
        "kind": {
            RestrictionKind.OBJECTION: "Nothing is shared, except for purposes that override an "
            "objection (safeguarding, risk to life).",
            RestrictionKind.PROTECTED_ADDRESS: "Address fields are never shown, for any purpose.",
            RestrictionKind.SEALED: "Only that your agency knows the person, and only for purposes "
            "that override an objection.",
        }
    }

    def __init__(self, *args: Any, datasets: Iterable[Dataset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dataset_field = cast(forms.TypedChoiceField, self.fields["dataset"])
        dataset_field.choices = [("", "Choose a dataset"), *((d.pk, d.name) for d in datasets)]


class LiftRestrictionForm(GovukForm):
    reason = ReasonField(
        label="Why is the restriction being lifted?",
        error_messages={"required": "Enter the reason for lifting the restriction."},
    )
