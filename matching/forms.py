"""Forms for clerical review and manual links. They check input only; the rules are services."""

from __future__ import annotations

from django import forms

from matching.models import DecisionKind


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Are these records the same person?",
        choices=DecisionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether these records are the same person."},
    )
    reason = forms.CharField(
        label="Reason (optional)", required=False, widget=forms.Textarea, max_length=2000
    )


class ManualLinkForm(forms.Form):
    person = forms.UUIDField(
        label="Person id to link this record to",
        error_messages={
            "required": "Enter the id of the person to link this record to.",
            "invalid": "Enter a person id in the form shown on the person's link page.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter the reason for this change."},
    )


class UnlinkForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter the reason for this change."},
    )
