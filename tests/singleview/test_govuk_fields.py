"""The GOV.UK text input tag: label, hint, errors and value, as the design system marks them up."""

from django import forms
from django.template import Context, Template

TEMPLATE = Template(
    "{% load govuk_fields %}{% text_field form.name input_class='govuk-input--width-20' %}"
    "{% text_field form.secret input_type='password' autocomplete='current-password' %}"
)


class _Form(forms.Form):
    name = forms.CharField(label="Last name", help_text="As on their records.", max_length=5)
    secret = forms.CharField(label="Password")


def _render(data):
    form = _Form(data)
    form.is_valid()
    return TEMPLATE.render(Context({"form": form}))


def test_a_field_in_error_is_described_by_its_hint_and_error_and_keeps_its_value():
    html = _render({"name": "O'Brien-Smith", "secret": "hunter2"})

    assert '<label class="govuk-label" for="id_name">Last name</label>' in html
    assert '<div id="id_name-hint" class="govuk-hint">As on their records.</div>' in html
    assert (
        '<p id="id_name-error" class="govuk-error-message">'
        '<span class="govuk-visually-hidden">Error:</span> Ensure this value has at most 5'
    ) in html
    assert 'class="govuk-input govuk-input--width-20 govuk-input--error"' in html
    assert 'aria-describedby="id_name-hint id_name-error"' in html
    assert 'value="O&#x27;Brien-Smith"' in html
    assert "govuk-form-group--error" in html


def test_a_password_is_never_written_back_into_the_page():
    html = _render({"name": "Smith", "secret": "hunter2"})

    assert "hunter2" not in html
    assert 'type="password"' in html
    assert 'autocomplete="current-password"' in html
    assert "aria-describedby" not in html.split('id="id_secret"')[1].split(">")[0]
