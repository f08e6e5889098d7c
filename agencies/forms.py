from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        self.error_messages = {
            "invalid_login": (
                "Enter a correct username and password. After "
                f"{settings.AXES_FAILURE_LIMIT} wrong attempts the account is locked for "
                f"{minutes} minutes."
            ),
            "inactive": "This account is disabled. Contact your partnership admin.",
        }


class CodeForm(forms.Form):
    token = forms.RegexField(
        label="Security code",
        regex=r"^\s*\d{6}\s*$",
        error_messages={
            "required": "Enter the 6-digit security code from your authenticator app.",
            "invalid": "The security code must be 6 digits, like 123456.",
        },
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class ExtractUploadForm(forms.Form):
    """Partner IT send an extract file in the browser."""

    WHEN_NIGHTLY = "nightly"
    WHEN_NOW = "now"
    WHEN_CHECK = "check"

    file = forms.FileField(
        label="Extract file",
        help_text="A UTF-8 CSV file with a header row, or the same compressed with gzip (.csv.gz).",
        allow_empty_file=False,
        error_messages={
            "required": "Choose the extract file to send.",
            "empty": "The file is empty. It must begin with a header row.",
            "invalid": "Choose the extract file to send.",
        },
    )
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[
            ("full", "Every record (a full extract): records not in the file are retired"),
            ("delta", "Changes only (a delta): rows marked D in the _action column are retired"),
        ],
        initial="full",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the file holds every record or changes only."},
    )
    when = forms.ChoiceField(
        label="When to load it",
        choices=[
            (WHEN_NIGHTLY, "In tonight's run"),
            (WHEN_NOW, "Now"),
            (WHEN_CHECK, "Check it only: report its problems and load nothing"),
        ],
        initial=WHEN_NIGHTLY,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose when to load the file."},
    )

    @classmethod
    def refused(cls, message: str, data: Any = None) -> ExtractUploadForm:
        """The form showing why a request was refused before its file could be read."""
        form = cls(data=data if data is not None else {"kind": "full", "when": cls.WHEN_NIGHTLY})
        form.full_clean()
        form.errors.clear()
        form.add_error(None, message)
        return form
