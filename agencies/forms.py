from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": (
            "Enter a correct username and password. After 5 wrong attempts the account is "
            "locked for 15 minutes."
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
