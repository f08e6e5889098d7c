"""The practitioner's search results: filters, and each result's card rendered in Python (ten
cards drawn by the template took about a tenth of a search's CPU)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The search form's fields as the form names them, in the form's order.
TERM_NAMES = {
    "given_name": "first name",
    "family_name": "last name",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "nhs_number": "NHS number",
}


@register.filter
def agreed_terms(agreed: Iterable[str]) -> str:
    """The search terms a result agreed on, as a phrase: 'last name and date of birth'."""
    names = [name for field, name in TERM_NAMES.items() if field in set(agreed)]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


@register.filter
def shown_name(demographics: Iterable[Any]) -> str:
    """The name fields a result shows (given, then family), or '' when none is shared."""
    values = {item.name: item.value for item in demographics}
    return " ".join(values[name] for name in ("given_name", "family_name") if values.get(name))


_STRENGTH_TAGS = {"strong": " govuk-tag--green", "good": " govuk-tag--blue"}


@register.simple_tag
def result_card(result: Any, number: int) -> SafeString:
    """One search result as a GOV.UK summary card: the name shown (or 'Person N'), a link to the
    person's page, the match's strength and what it agreed on, the demographics shown and the
    datasets that know the person."""
    name = shown_name(result.demographics) or f"Person {number}"
    url = reverse("person", kwargs={"public_id": result.person.public_id})
    strength = result.score.strength
    tag = _STRENGTH_TAGS.get(strength, " govuk-tag--yellow")
    rows = "".join(
        '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">'
        f'{escape(item.label)}</dt><dd class="govuk-summary-list__value">{escape(item.value)}'
        "</dd></div>"
        for item in result.demographics
    )
    known = "".join(
        f"<li>{escape(item.agency_name)}: {escape(item.dataset_name)}</li>"
        for item in result.known_to
    )
    # Every value above is escaped; the markup around them is fixed.
    return mark_safe(  # noqa: S308 - built from escaped values
        '<div class="govuk-summary-card sv-result">\n'
        '    <div class="govuk-summary-card__title-wrapper">\n'
        f'      <h3 class="govuk-summary-card__title">{escape(name)}</h3>\n'
        '      <ul class="govuk-summary-card__actions"><li class="govuk-summary-card__action">'
        f'<a class="govuk-link" href="{escape(url)}">Open<span class="govuk-visually-hidden">'
        f" result {number}</span></a></li></ul>\n"
        "    </div>\n"
        '    <div class="govuk-summary-card__content">\n'
        '      <dl class="govuk-summary-list">\n'
        '        <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Match'
        '</dt><dd class="govuk-summary-list__value">'
        f'<strong class="govuk-tag{tag}">{escape(strength.capitalize())} match</strong> on '
        f"{escape(agreed_terms(result.score.agreed))}</dd></div>\n"
        f"        {rows}\n"
        '        <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Known to'
        '</dt><dd class="govuk-summary-list__value">'
        f'<ul class="govuk-list">{known}</ul></dd></div>\n'
        "      </dl>\n"
        "    </div>\n"
        "  </div>"
    )
