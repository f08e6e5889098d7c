"""A clearly fictional person to preview grants on, built from a dataset's own field definitions.

Pure: it takes plain field descriptions and returns plain strings, so custodians can see exactly
what an audience would see without any real person's record (and without the synthetic
population generator). Every value is recognisably fake: the name is "Sample Person", the NHS
number is in the 999 range reserved for testing, the postcode is the NHS pseudo-postcode
ZZ99 3VZ and telephone numbers are in Ofcom's drama range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Protocol

SAMPLE_GIVEN_NAME = "Sample"
SAMPLE_FAMILY_NAME = "Person"
SAMPLE_DATE_OF_BIRTH = date(1970, 1, 1)
SAMPLE_POSTCODE = "ZZ99 3VZ"
SAMPLE_ADDRESS = "1 Sample Street, Exampletown"
SAMPLE_TELEPHONE = "01632 960000"
NHS_TEST_PREFIX = "999"
_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
# Dates other than the date of birth: a fixed, recent-looking day, one week apart per field.
_FIRST_EVENT_DATE = date(2024, 4, 1)


class FieldDefinition(Protocol):
    """What the preview needs of a dataset field (a DatasetField has all of it)."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def field_type(self) -> str: ...

    @property
    def choices(self) -> Sequence[str]: ...


def nhs_check_digit(body: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None where no valid number uses them."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def sample_nhs_number() -> str:
    """The first valid NHS number in the 999 test range, spaced 3-3-4 as the NHS writes it."""
    for serial in range(1_000_000):
        body = f"{NHS_TEST_PREFIX}{serial:06d}"
        check = nhs_check_digit(body)
        if check is not None:
            digits = f"{body}{check}"
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    raise AssertionError("The 999 range always holds a valid NHS number.")  # pragma: no cover


def _string_value(field: FieldDefinition) -> str:
    name = field.name
    if name == "given_name":
        return SAMPLE_GIVEN_NAME
    if name == "family_name":
        return SAMPLE_FAMILY_NAME
    if name == "address":
        return SAMPLE_ADDRESS
    if name == "source_key":
        return "SAMPLE-0001"
    if "phone" in name:
        return SAMPLE_TELEPHONE
    return f"Sample {field.label[:1].lower()}{field.label[1:]}"


def sample_value(field: FieldDefinition, *, position: int = 0) -> str:
    """A plausible, clearly fictional value for one field, as the person page would show it."""
    field_type = field.field_type
    if field_type == "nhs_number":
        return sample_nhs_number()
    if field_type == "postcode":
        return SAMPLE_POSTCODE
    if field_type == "date":
        if field.name == "date_of_birth":
            return SAMPLE_DATE_OF_BIRTH.isoformat()
        return (_FIRST_EVENT_DATE + timedelta(weeks=position)).isoformat()
    if field_type == "boolean":
        return "Yes"
    if field_type == "integer":
        return str(3 + position)
    if field_type == "choice":
        return str(field.choices[-1]) if field.choices else "Not recorded"
    return _string_value(field)


def synthetic_record(fields: Iterable[FieldDefinition]) -> dict[str, str]:
    """The sample person's record for a dataset with these fields: field name to value."""
    return {field.name: sample_value(field, position=index) for index, field in enumerate(fields)}
