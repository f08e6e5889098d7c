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
