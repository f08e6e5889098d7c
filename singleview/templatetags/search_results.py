"""Filters for the practitioner's search results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

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
