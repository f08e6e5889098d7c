"""Finding a person from what a practitioner knows: pure, plain data in and out (no Django).

A search uses the matcher's own normalisation (nicknames, name parts, dates in any order,
postcodes in any spacing) and a small set of blocking lookups, each aimed at an error the others
miss, over keys stored per current source record (`SearchKeys`):

- the NHS number;
- the date of birth, and the same date with day and month swapped;
- the phonetic code (NYSIIS) of a family-name part with the year of birth (a mistyped day or
  month);
- the full postcode;
- the family-name code with the postcode district (a move within the district, a mistyped
  postcode).

Every candidate is then scored field by field (`score`): agreement adds weight, disagreement on a
field both sides hold takes it away; a candidate is a result only when it agrees on at least two
of the identifying fields searched for, or on the NHS number. A search must name at least two
identifying fields (name, date of birth, postcode) or an NHS number: no browsing, no wildcards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jellyfish
from rapidfuzz.distance import JaroWinkler

from matching.normalise import (
    BirthDate,
    Postcode,
    date_of_birth_parse,
    family_name_parts,
    given_names_normalise,
    names_are_nicknames,
    names_are_variants,
    nhs_number_normalise,
    postcode_normalise,
)

SEARCH_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number")
MAX_TERM_LENGTH = 100


class SearchError(ValueError):
    """A search that may not run, with an error per field (field name -> plain message)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True, slots=True)
class SearchKeys:
    """A record's stored search keys (blank or None where the record lacks the field)."""

    nhs_number: str
    birth: str
    birth_year: int | None
    family_code: str
    postcode: str
    district: str


@dataclass(frozen=True, slots=True)
class Query:
    """A search, normalised. `fields` are the identifying fields it names."""

    given_names: tuple[str, ...]
    family_parts: tuple[str, ...]
    birth: BirthDate | None
    postcode: Postcode | None
    nhs_number: str

    @property
    def fields(self) -> frozenset[str]:
        named = {
            "name": bool(self.family_parts),
            "date_of_birth": self.birth is not None,
            "postcode": self.postcode is not None,
            "nhs_number": bool(self.nhs_number),
        }
        return frozenset(field for field, present in named.items() if present)

    @property
    def family_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_code(part) for part in self.family_parts))

    def birth_values(self) -> tuple[str, ...]:
        """The date of birth as stored, and swapped where day and month could be."""
        if self.birth is None:
            return ()
        values = [self.birth.iso()]
        if self.birth.is_full and self.birth.day <= 12 and self.birth.day != self.birth.month:
            values.append(BirthDate(self.birth.year, self.birth.day, self.birth.month).iso())
        return tuple(values)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored record's identifying fields, as the store holds them."""

    given_name: str
    family_name: str
    date_of_birth: str
    postcode: str
    nhs_number: str


@dataclass(frozen=True, slots=True)
class Score:
    """How well a candidate fits a query: total weight and the fields that agreed."""

    weight: float
    agreed: frozenset[str]

    @property
    def strength(self) -> str:
        if "nhs_number" in self.agreed or self.weight >= STRONG:
            return "strong"
        return "good" if self.weight >= GOOD else "possible"


STRONG = 10.0
GOOD = 6.5


def _code(part: str) -> str:
    return jellyfish.nysiis(part)[:20] if part else ""


def keys_for(*, family_name: str, date_of_birth: str, postcode: str, nhs_number: str) -> SearchKeys:
    """The search keys of one record (given names are compared when scoring, not looked up)."""
    parts = family_name_parts(family_name)
    birth = date_of_birth_parse(date_of_birth) if date_of_birth else None
    code = postcode_normalise(postcode) if postcode else None
    return SearchKeys(
        nhs_number=nhs_number_normalise(nhs_number) if nhs_number else "",
        birth=birth.iso() if birth else "",
        birth_year=birth.year if birth else None,
        family_code=_code(parts[0]) if parts else "",
        postcode=code.text if code and code.is_full else "",
        district=code.district if code else "",
    )


def query_parse(terms: Mapping[str, str]) -> Query:
    """A search from the terms a practitioner typed, or SearchError saying what to change."""
    values = {field: (terms.get(field) or "").strip() for field in SEARCH_FIELDS}
    errors: dict[str, str] = {}
    for field, value in values.items():
        if len(value) > MAX_TERM_LENGTH:
            errors[field] = f"Enter no more than {MAX_TERM_LENGTH} characters."
    if any("*" in value or "%" in value or "?" in value for value in values.values()):
        errors["__all__"] = (
            "Wildcards (*, % and ?) cannot be used: enter what you know of the person."
        )
    if errors:
        raise SearchError(errors)
    nhs = values["nhs_number"]
    if nhs and not nhs_number_normalise(nhs):
        errors["nhs_number"] = (
            "Enter a valid 10-digit NHS number, like 943 476 5919: this one fails its check digit."
        )
    birth = date_of_birth_parse(values["date_of_birth"]) if values["date_of_birth"] else None
    if values["date_of_birth"] and birth is None:
        errors["date_of_birth"] = "Enter a real date of birth, like 27 3 2007."
    postcode = postcode_normalise(values["postcode"]) if values["postcode"] else None
    if values["postcode"] and postcode is None:
        errors["postcode"] = "Enter a UK postcode, like SN15 1ER, or its first half, like SN15."
    family = family_name_parts(values["family_name"])
    if values["given_name"] and not family:
        errors["family_name"] = "Enter a last name as well as a first name."
    if errors:
        raise SearchError(errors)
    query = Query(
        given_names=given_names_normalise(values["given_name"]),
        family_parts=family,
        birth=birth,
        postcode=postcode,
        nhs_number=nhs_number_normalise(nhs) if nhs else "",
    )
    if not query.nhs_number and len(query.fields) < 2:
        raise SearchError(
            {
                "__all__": "Enter at least two of: last name, date of birth and postcode, "
                "or an NHS number. Single View does not list people by one detail."
            }
        )
    return query


# Scoring --------------------------------------------------------------------------------------


def _family_weight(query: Query, family_name: str) -> float | None:
    if not query.family_parts:
        return None
    parts = family_name_parts(family_name)
    if not parts:
        return None
    if "".join(parts) == "".join(query.family_parts):
        return 4.0
    if set(parts) & set(query.family_parts):
        return 3.0  # one part of a double-barrelled name
    best = max(
        JaroWinkler.similarity(mine, theirs) for mine in query.family_parts for theirs in parts
    )
    codes = {_code(part) for part in parts}
    if best >= 0.92 or codes & set(query.family_codes):
        return 2.5
    if best >= 0.85:
        return 1.0
    return -3.0


def _given_weight(query: Query, given_name: str) -> float | None:
    if not query.given_names:
        return None
    names = given_names_normalise(given_name)
    if not names:
        return None
    mine, theirs = query.given_names[0], names[0]
    if mine == theirs:
        return 3.0
    if names_are_nicknames(mine, theirs):
        return 2.5
    if names_are_variants(mine, theirs) or JaroWinkler.similarity(mine, theirs) >= 0.9:
        return 2.0
    if len(mine) == 1 or len(theirs) == 1:
        return 1.0 if mine[0] == theirs[0] else -2.0
    if any(mine == name for name in names[1:]) or any(theirs == n for n in query.given_names[1:]):
        return 1.5  # known by a middle name
    return -2.0


def _one_digit_apart(first: BirthDate, second: BirthDate) -> bool:
    a, b = first.iso(), second.iso()
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _birth_weight(query: Query, date_of_birth: str) -> float | None:
    if query.birth is None or not date_of_birth:
        return None
    birth = date_of_birth_parse(date_of_birth)
    if birth is None:
        return None
    mine = query.birth
    if mine == birth:
        return 4.5 if birth.is_full else 2.0
    if (
        mine.is_full
        and birth.is_full
        and mine.year == birth.year
        and (mine.month, mine.day) == (birth.day, birth.month)
    ):
        return 3.5
    if not (mine.is_full and birth.is_full) and mine.year == birth.year:
        compatible = (not mine.month or not birth.month or mine.month == birth.month) and (
            not mine.day or not birth.day or mine.day == birth.day
        )
        return 2.0 if compatible else -3.0
    if mine.is_full and birth.is_full and _one_digit_apart(mine, birth):
        return 2.0
    return -4.0


def _postcode_weight(query: Query, postcode: str) -> float | None:
    mine = query.postcode
    if mine is None or not postcode:
        return None
    theirs = postcode_normalise(postcode)
    if theirs is None:
        return None
    if mine.is_full and theirs.is_full and mine == theirs:
        return 3.0
    if mine.district == theirs.district:
        return 1.5 if mine.is_full and theirs.is_full else 2.0
    return 0.0  # people move: an old postcode is no evidence against


def _nhs_weight(query: Query, nhs_number: str) -> float | None:
    if not query.nhs_number or not nhs_number:
        return None
    theirs = nhs_number_normalise(nhs_number)
    if not theirs:
        return None
    return 12.0 if theirs == query.nhs_number else -12.0


# Each identifying field of a candidate and how it weighs against the query (None: not compared).
_FIELD_WEIGHTS: dict[str, Callable[[Query, str], float | None]] = {
    "nhs_number": _nhs_weight,
    "family_name": _family_weight,
    "given_name": _given_weight,
    "date_of_birth": _birth_weight,
    "postcode": _postcode_weight,
}


def score(query: Query, candidate: Candidate) -> Score | None:
    """How well a stored record fits the search, or None when it is not a result: it must agree
    on the NHS number, or on at least two of the identifying fields searched for, and not
    contradict the NHS number searched for."""
    weights: dict[str, float] = {}
    for field, weigh in _FIELD_WEIGHTS.items():
        weight = weigh(query, getattr(candidate, field))
        if weight is not None:
            weights[field] = weight
    return _scored(weights)


class Scorer:
    """`score` for the many candidates of one query, each field's weight worked out once per
    distinct value: a broad search (a common family name and a year of birth) meets the same
    names and dates many times."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self._known: dict[str, dict[str, float | None]] = {field: {} for field in _FIELD_WEIGHTS}

    def __call__(self, candidate: Candidate) -> Score | None:
        weights: dict[str, float] = {}
        for field, weigh in _FIELD_WEIGHTS.items():
            value = getattr(candidate, field)
            known = self._known[field]
            if value in known:
                weight = known[value]
            else:
                weight = known[value] = weigh(self.query, value)
            if weight is not None:
                weights[field] = weight
        return _scored(weights)


def _scored(weights: Mapping[str, float]) -> Score | None:
    agreed = frozenset(field for field, weight in weights.items() if weight > 0)
    if weights.get("nhs_number", 0.0) < 0:
        return None
    identifying = {"name" if field == "family_name" else field for field in agreed}
    identifying.discard("given_name")
    if "nhs_number" not in agreed and len(identifying) < 2:
        return None
    return Score(weight=round(sum(weights.values()), 2), agreed=agreed)
