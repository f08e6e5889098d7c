"""How an agency's record of a person differs from the truth: the error model.

Each error type has a base rate per record (where it can apply at all), multiplied by the
generation's `error_scale` and the dataset's `error_multiplier` and capped at 1. The codes of the
errors applied to a record are written to ground_truth.csv so matchers can be evaluated by error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agencies.population.names import (
    INWARD_LETTERS,
    NICKNAMES,
    STREET_SUFFIXES,
    TITLES_FEMALE,
    TITLES_MALE,
)
from agencies.population.people import TruePerson
from agencies.population.specs import DatasetSpec

# Base rate per record at error_scale 1.0, given the error can apply to the record at all
# (a nickname needs a name that has one, a day-month swap a day of 12 or less, and so on).
BASE_ERROR_RATES: dict[str, float] = {
    "nickname": 0.07,
    "middle_name": 0.03,
    "given_name_typo": 0.012,
    "family_name_typo": 0.015,
    "previous_family_name": 0.2,
    "double_barrel_half": 0.2,
    "double_barrel_space": 0.1,
    "punctuation": 0.25,
    "title": 0.012,
    "upper_case": 0.02,
    "whitespace": 0.012,
    "dob_missing": 0.008,
    "dob_partial": 0.01,
    "dob_swap": 0.015,
    "sex_missing": 0.012,
    "moved_address": 0.3,
    "address_format": 0.02,
    "postcode_missing": 0.012,
    "postcode_typo": 0.008,
    "postcode_format": 0.012,
    "nhs_missing": 0.05,
    "nhs_transcription": 0.004,
    "nhs_format": 0.02,
}
ERROR_TYPES: tuple[str, ...] = tuple(BASE_ERROR_RATES)

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row_index, _row in enumerate(_KEYBOARD_ROWS):
    for _column, _letter in enumerate(_row):
        _near = [_row[_column - 1] if _column else "", _row[_column + 1 : _column + 2]]
        for _other in (_row_index - 1, _row_index + 1):
            if 0 <= _other < len(_KEYBOARD_ROWS):
                _near.append(_KEYBOARD_ROWS[_other][_column : _column + 1])
        _NEIGHBOURS[_letter] = "".join(_near)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_ABBREVIATIONS = tuple(
    (f" {suffix},", f" {short},") for suffix, _, short in STREET_SUFFIXES if suffix != short
)
_LOOKALIKE_DIGITS = {"0": "O", "1": "I", "5": "S", "8": "B"}


@dataclass(frozen=True, slots=True)
class ErrorRates:
    """The rates for one dataset at one error scale, capped at 1."""

    rates: dict[str, float]
    nhs_number_rate: float
    health: bool

    @classmethod
    def for_dataset(cls, *, dataset: DatasetSpec, error_scale: float) -> ErrorRates:
        factor = error_scale * dataset.error_multiplier
        return cls(
            rates={code: min(1.0, rate * factor) for code, rate in BASE_ERROR_RATES.items()},
            nhs_number_rate=dataset.nhs_number_rate,
            health=dataset.health,
        )


def typo(value: str, rng: random.Random) -> str:
    """One keying error: a substitution, deletion, insertion or transposition of letters."""
    positions = [index for index, char in enumerate(value) if char.isalpha()]
    if len(positions) < 2:
        return value + rng.choice(_ALPHABET)
    index = rng.choice(positions)
    char = value[index]
    kind = rng.random()
    if kind < 0.2 and len(positions) > 3:
        return value[:index] + value[index + 1 :]
    if kind < 0.45:
        return value[:index] + _cased(rng.choice(_ALPHABET), char) + value[index:]
    if kind < 0.7 and index + 1 < len(value) and value[index + 1].isalpha():
        following = value[index + 1]
        if following.lower() != char.lower():
            swapped = _cased(following, char) + _cased(char, following)
            return value[:index] + swapped + value[index + 2 :]
    near = _NEIGHBOURS.get(char.lower(), "") or _ALPHABET
    replacement = rng.choice(near)
    if replacement == char.lower():
        replacement = "e" if replacement != "e" else "a"
    return value[:index] + _cased(replacement, char) + value[index + 1 :]


def _cased(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter.lower()


def _has_punctuation(family_name: str) -> bool:
    return (
        "'" in family_name
        or " " in family_name
        or (family_name[:2] == "Mc" and family_name[2:3].isupper())
        or (family_name[:3] == "Mac" and family_name[3:4].isupper())
    )


def _punctuation_variant(family_name: str, rng: random.Random) -> str:
    if "'" in family_name:
        return family_name.replace("'", rng.choice(("", " ", "`")))
    if " " in family_name:
        capitalised = " ".join(part[:1].upper() + part[1:] for part in family_name.split(" "))
        if capitalised == family_name or rng.random() < 0.5:
            return family_name.replace(" ", "")
        return capitalised
    if family_name[:2] == "Mc":
        return rng.choice(("Mc " + family_name[2:], "Mc" + family_name[2:].lower()))
    return rng.choice(("Mac " + family_name[3:], "Mac" + family_name[3:].lower()))


def _address_variant(address: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        for full, short in _ABBREVIATIONS:
            if full in address:
                return address.replace(full, short, 1)
    if roll < 0.75 and ", " in address:
        return address.rsplit(", ", 1)[0]  # the town left off
    if address[:1].isdigit():
        number, rest = address.split(" ", 1)
        return f"{number}, {rest}"
    return address.lower()


def _postcode_typo(postcode: str, rng: random.Random) -> str:
    outward, inward = postcode.split(" ")
    roll = rng.random()
    if roll < 0.4:
        letters = INWARD_LETTERS.replace(inward[2], "")
        return f"{outward} {inward[:2]}{rng.choice(letters)}"
    if roll < 0.7:
        digit = str((int(inward[0]) + rng.randint(1, 9)) % 10)
        return f"{outward} {digit}{inward[1:]}"
    if roll < 0.85 and inward[0] in _LOOKALIKE_DIGITS:
        return f"{outward} {_LOOKALIKE_DIGITS[inward[0]]}{inward[1:]}"
    return f"{outward} {inward[0]}{inward[2]}{inward[1]}" if inward[1] != inward[2] else outward


def _nhs_transcription(nhs_number: str, rng: random.Random) -> str:
    """One digit wrong: Modulus 11 catches every single-digit error, so this is never valid."""
    index = rng.randrange(10)
    digit = str((int(nhs_number[index]) + rng.randint(1, 9)) % 10)
    return nhs_number[:index] + digit + nhs_number[index + 1 :]


def noisy_identity(
    *, person: TruePerson, rng: random.Random, rates: ErrorRates
) -> tuple[list[str], list[str]]:
    """The seven identifying values after `source_key`, as this agency holds them, and the codes
    of the errors applied."""
    rate = rates.rates
    roll = rng.random
    errors: list[str] = []

    given = person.given_name
    nicknames = NICKNAMES.get(given)
    if nicknames is not None and roll() < rate["nickname"]:
        given = rng.choice(nicknames)
        errors.append("nickname")
    elif person.middle_name and roll() < rate["middle_name"]:
        given = f"{given} {person.middle_name}"
        errors.append("middle_name")
    if roll() < rate["given_name_typo"]:
        given = typo(given, rng)
        errors.append("given_name_typo")

    family = person.family_name
    if person.previous_family_name and roll() < rate["previous_family_name"]:
        family = person.previous_family_name
        errors.append("previous_family_name")
    if "-" in family:
        if roll() < rate["double_barrel_half"]:
            family = rng.choice(family.split("-"))
            errors.append("double_barrel_half")
        elif roll() < rate["double_barrel_space"]:
            family = family.replace("-", " ")
            errors.append("double_barrel_space")
    if _has_punctuation(family) and roll() < rate["punctuation"]:
        family = _punctuation_variant(family, rng)
        errors.append("punctuation")
    if roll() < rate["family_name_typo"]:
        family = typo(family, rng)
        errors.append("family_name_typo")

    address, postcode = person.address, person.postcode
    if person.previous_address and roll() < rate["moved_address"]:
        address, postcode = person.previous_address, person.previous_postcode
        errors.append("moved_address")
    if roll() < rate["address_format"]:
        address = _address_variant(address, rng)
        errors.append("address_format")

    if person.age >= 16 and roll() < rate["title"]:
        titles = TITLES_MALE if person.sex == "M" else TITLES_FEMALE
        given = f"{rng.choice(titles)} {given}"
        errors.append("title")
    if roll() < rate["upper_case"]:
        given, family, address = given.upper(), family.upper(), address.upper()
        errors.append("upper_case")
    if roll() < rate["whitespace"]:
        where = rng.random()
        if where < 0.4:
            given = f" {given}  " if rng.random() < 0.5 else given.replace(" ", "  ") + " "
        elif where < 0.7:
            family = f"{family} " if rng.random() < 0.5 else f"  {family}"
        else:
            address = address.replace(" ", "  ", 1) if " " in address else f" {address}"
        errors.append("whitespace")

    birth = person.date_of_birth
    dob_roll = roll()
    missing, partial = rate["dob_missing"], rate["dob_partial"]
    if dob_roll < missing:
        dob = ""
        errors.append("dob_missing")
    elif dob_roll < missing + partial:
        dob = f"{birth.year:04d}-{birth.month:02d}" if rng.random() < 0.6 else f"{birth.year:04d}"
        errors.append("dob_partial")
    elif birth.day <= 12 and birth.day != birth.month and roll() < rate["dob_swap"]:
        dob = f"{birth.year:04d}-{birth.day:02d}-{birth.month:02d}"
        errors.append("dob_swap")
    else:
        dob = birth.isoformat()

    sex = person.sex
    if roll() < rate["sex_missing"]:
        sex = "" if rng.random() < 0.6 else "U"
        errors.append("sex_missing")

    postcode_roll = roll()
    if postcode_roll < rate["postcode_missing"]:
        postcode = ""
        errors.append("postcode_missing")
    elif postcode_roll < rate["postcode_missing"] + rate["postcode_typo"]:
        postcode = _postcode_typo(postcode, rng)
        errors.append("postcode_typo")
    elif roll() < rate["postcode_format"]:
        postcode = postcode.replace(" ", "") if rng.random() < 0.6 else postcode.lower()
        errors.append("postcode_format")

    nhs_number = person.nhs_number
    if nhs_number:
        if rates.health:
            if roll() < rate["nhs_missing"]:
                nhs_number = ""
                errors.append("nhs_missing")
        elif roll() >= rates.nhs_number_rate:
            nhs_number = ""  # this agency does not usually hold NHS numbers: not an error
    if nhs_number:
        if roll() < rate["nhs_transcription"]:
            nhs_number = _nhs_transcription(nhs_number, rng)
            errors.append("nhs_transcription")
        elif roll() < rate["nhs_format"]:
            nhs_number = f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
            errors.append("nhs_format")

    return [given, family, dob, sex, postcode, address, nhs_number], errors
