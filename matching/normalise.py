"""Normalising the identifying fields of a record before blocking and comparison.

Pure functions over strings: no database, no Django. Each rule is small and named:

- text: Unicode folded to lower-case ASCII (accents removed), punctuation removed;
- given names: titles (Mr, Mrs, Dr, ...) and generational suffixes dropped, tokens kept in order
  (the first is the name used for comparison, the rest are middle names);
- family names: apostrophes removed (O'Brien -> obrien), prefix particles joined to the name they
  belong to (Mc Donald -> mcdonald, de la Cruz -> delacruz), hyphenated and double-barrelled names
  kept as parts so that either half can match;
- nicknames: a given name's forms are itself and the formal names it is a nickname of, from the
  `nicknames` package and a British list (`matching.nicknames_uk`); two names are nicknames of
  each other when their forms meet;
- dates of birth: full (YYYY-MM-DD and common UK layouts) or partial (YYYY-MM, YYYY); a date with
  a month above 12 and a day of 12 or less is read day-first; impossible dates are missing;
- postcodes: spacing and case normalised, look-alike letters in the inward digit fixed, with the
  area, district (outward code) and sector; an outward code alone is a partial postcode;
- NHS numbers: ten digits with a valid Modulus 11 check digit, otherwise missing.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import NamedTuple

from nicknames import NickNamer

from matching.nicknames_uk import UK_NICKNAMES

RecordKey = tuple[str, str]
"""(source, record_id): a record's identity in the matcher, e.g. ("gp_registrations", "GP1")."""

INPUT_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
)

TITLES: frozenset[str] = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "master", "mstr", "dr", "doctor", "prof", "professor",
        "rev", "revd", "reverend", "fr", "father", "sister", "sir", "dame", "lady", "lord",
        "capt", "captain", "major", "col", "colonel", "lt", "sgt", "cllr", "hon", "rt",
    }
)  # fmt: skip
SUFFIXES: frozenset[str] = frozenset(
    {"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "esq", "obe", "mbe", "phd"}
)
# Particles that belong to the name after them: "Mc Donald" and "McDonald" are one surname.
FAMILY_PARTICLES: frozenset[str] = frozenset(
    {
        "mc", "mac", "o", "de", "da", "di", "du", "del", "della", "der", "den", "van", "von",
        "le", "la", "st", "ste", "al", "el", "ter", "ten", "dos", "das", "fitz", "ap", "ab",
    }
)  # fmt: skip
STREET_ABBREVIATIONS: dict[str, str] = {
    "rd": "road",
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "dr": "drive",
    "drv": "drive",
    "cres": "crescent",
    "cresc": "crescent",
    "gdns": "gardens",
    "pl": "place",
    "ct": "court",
    "crt": "court",
    "gr": "grove",
    "gro": "grove",
    "terr": "terrace",
    "ter": "terrace",
    "tce": "terrace",
    "wlk": "walk",
    "wk": "walk",
    "sq": "square",
    "pk": "park",
    "pde": "parade",
    "hse": "house",
    "mws": "mews",
    "hts": "heights",
    "cotts": "cottages",
    "bldgs": "buildings",
    "apt": "flat",
    "apartment": "flat",
    "saint": "street",  # "St" is read as street either way, so both spellings agree
    "gt": "great",
    "upr": "upper",
    "lwr": "lower",
}

_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_INWARD = re.compile(r"^[0-9][A-Z]{2}$")
_INWARD_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8"})
_YEAR_RANGE = (1880, 2100)


# ---------------------------------------------------------------------------------------------
# Records


class RecordIn(NamedTuple):
    """A record as an agency holds it: any identifying field may be blank."""

    source: str
    record_id: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: str = ""
    sex: str = ""
    postcode: str = ""
    address: str = ""
    nhs_number: str = ""

    @property
    def key(self) -> RecordKey:
        return (self.source, self.record_id)

    @classmethod
    def from_mapping(cls, *, source: str, record_id: str, values: Mapping[str, str]) -> RecordIn:
        """From a row keyed by field name (other keys are ignored, absent fields are blank)."""
        return cls(source, record_id, *((values.get(field) or "") for field in INPUT_FIELDS))


class BirthDate(NamedTuple):
    """A date of birth, possibly partial: month and day are 0 where unknown."""

    year: int
    month: int = 0
    day: int = 0

    @property
    def is_full(self) -> bool:
        return self.day != 0

    def iso(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


class Postcode(NamedTuple):
    """A UK postcode; `inward` is blank when only the outward code (district) is known."""

    outward: str
    inward: str = ""

    @property
    def text(self) -> str:
        return f"{self.outward} {self.inward}" if self.inward else self.outward

    @property
    def is_full(self) -> bool:
        return bool(self.inward)

    @property
    def area(self) -> str:
        """The letters before the district number: "SN" for "SN1 4AB"."""
        return self.outward[:2] if self.outward[1:2].isalpha() else self.outward[:1]

    @property
    def district(self) -> str:
        return self.outward

    @property
    def sector(self) -> str:
        """Outward code and the inward digit ("SN1 4"), or blank for a partial postcode."""
        return f"{self.outward} {self.inward[0]}" if self.inward else ""


class Address(NamedTuple):
    """An address line: the numbers (house, flat) in order and the words, both normalised."""

    numbers: str
    words: str

    @property
    def text(self) -> str:
        return f"{self.numbers} | {self.words}"


class NormalisedRecord(NamedTuple):
    """A record's identifying fields after normalisation; blank or None where missing."""

    source: str
    record_id: str
    given_names: tuple[str, ...]
    family_name: str
    family_parts: tuple[str, ...]
    birth: BirthDate | None
    sex: str
    postcode: Postcode | None
    address: Address | None
    nhs_number: str

    @property
    def key(self) -> RecordKey:
        return (self.source, self.record_id)

    @property
    def given_name(self) -> str:
        return self.given_names[0] if self.given_names else ""


# ---------------------------------------------------------------------------------------------
# Text and names


def text_fold(value: str) -> str:
    """Lower-case ASCII: accents removed (é -> e, ø -> o), other characters kept."""
    if value.isascii():
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold().translate(_FOLD_EXTRA))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_tokens(value: str) -> tuple[str, ...]:
    """Folded name tokens: apostrophes removed, any other punctuation separates tokens."""
    folded = _APOSTROPHES.sub("", text_fold(value))
    return tuple(_NOT_ALNUM.sub(" ", folded).split())


def _strip_titles_and_suffixes(tokens: tuple[str, ...]) -> tuple[str, ...]:
    start = 0
    while start < len(tokens) - 1 and tokens[start] in TITLES:
        start += 1
    end = len(tokens)
    while end > start + 1 and tokens[end - 1] in SUFFIXES:
        end -= 1
    return tokens[start:end]


@lru_cache(maxsize=1 << 16)
def given_names_normalise(value: str) -> tuple[str, ...]:
    """Given name and middle names: "Mr  JOHN-Paul" -> ("john", "paul")."""
    return _strip_titles_and_suffixes(name_tokens(value))


@lru_cache(maxsize=1 << 17)
def family_name_parts(value: str) -> tuple[str, ...]:
    """The parts of a family name, particles joined to the part they precede.

    "Smith-Jones" and "Smith Jones" -> ("smith", "jones"); "O'Brien" and "O Brien" -> ("obrien",);
    "de la Cruz" -> ("delacruz",).
    """
    tokens = _strip_titles_and_suffixes(name_tokens(value))
    parts: list[str] = []
    prefix = ""
    for index, token in enumerate(tokens):
        if token in FAMILY_PARTICLES and index < len(tokens) - 1:
            prefix += token
            continue
        parts.append(prefix + token)
        prefix = ""
    return tuple(parts)


def family_name_normalise(value: str) -> str:
    """The whole family name as one token: "Smith-Jones" -> "smithjones"."""
    return "".join(family_name_parts(value))


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def _uk_formal_names() -> dict[str, frozenset[str]]:
    formal: dict[str, set[str]] = {}
    for name, forms in UK_NICKNAMES.items():
        for form in forms:
            formal.setdefault(form, set()).add(name)
    return {form: frozenset(names) for form, names in formal.items()}


@lru_cache(maxsize=1 << 16)
def given_name_forms(name: str) -> frozenset[str]:
    """The name itself and every formal name it is a nickname of ("peggy" -> margaret, ...)."""
    if not name:
        return frozenset()
    formal = _nicknamer().canonicals_of(name) | _uk_formal_names().get(name, frozenset())
    return frozenset({name, *formal})


@cache
def _known_given_names() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Every name the nickname sources know, and a deletion index of them (each name under
    itself and each of its one-letter deletions) for finding known names within one edit."""
    names: set[str] = set()
    for formal, forms in _nicknamer().nickname_lookup.items():
        names.add(formal)
        names.update(forms)
    for formal, uk_forms in UK_NICKNAMES.items():
        names.add(formal)
        names.update(uk_forms)
    index: dict[str, set[str]] = {}
    for name in names:
        for variant in _deletions(name):
            index.setdefault(variant, set()).add(name)
    return frozenset(names), {variant: frozenset(found) for variant, found in index.items()}


def _deletions(name: str) -> set[str]:
    return {name, *(name[:i] + name[i + 1 :] for i in range(len(name)))}


def _one_edit(first: str, second: str) -> bool:
    """Optimal string alignment distance of at most one (substitution, insertion, deletion or
    swap of neighbouring letters)."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) == len(second):
        differ = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        return (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and first[differ[0]] == second[differ[1]]
            and first[differ[1]] == second[differ[0]]
        )
    shorter, longer = (first, second) if len(first) < len(second) else (second, first)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@lru_cache(maxsize=1 << 16)
def given_name_corrections(name: str) -> frozenset[str]:
    """Known names one edit away from a name the nickname sources do not know ("bbby" ->
    bobby, abby): a mistyped name is read as every name it could be a slip for."""
    known, index = _known_given_names()
    if len(name) < 3 or name in known:
        return frozenset()
    candidates = {known for variant in _deletions(name) for known in index.get(variant, ())}
    return frozenset(known for known in candidates if _one_edit(name, known))


@lru_cache(maxsize=1 << 16)
def given_name_tolerant_forms(name: str) -> frozenset[str]:
    """The forms of the name and of every known name it could be a slip for."""
    forms = set(given_name_forms(name))
    for correction in given_name_corrections(name):
        forms |= given_name_forms(correction)
    return frozenset(forms)


def names_are_variants(first: str, second: str) -> bool:
    """Whether one name could be a slip for a form of the other: the forms of each, with the
    known names a mistyped name could be a slip for, meet ("Bbby" and Robert, "Lizzoe" and
    Elizabeth). Weaker than `names_are_nicknames`."""
    if not first or not second:
        return False
    return not given_name_tolerant_forms(first).isdisjoint(given_name_tolerant_forms(second))


def names_are_nicknames(first: str, second: str) -> bool:
    """Whether two different given names are forms of one name (Peggy and Margaret, Bill and
    Billy, Kate and Katie)."""
    if not first or not second or first == second:
        return False
    return not given_name_forms(first).isdisjoint(given_name_forms(second))


# ---------------------------------------------------------------------------------------------
# Dates of birth

_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_UK_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def _full_date(year: int, month: int, day: int) -> BirthDate | None:
    if not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]:
        return None
    if month > 12 and 1 <= day <= 12:
        month, day = day, month  # unambiguous day-month swap
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return BirthDate(year, month, day)


def _partial_date(year: int, month: int = 0) -> BirthDate | None:
    if not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1] or not 0 <= month <= 12:
        return None
    return BirthDate(year, month)


@lru_cache(maxsize=1 << 16)
def date_of_birth_parse(value: str) -> BirthDate | None:
    """A full or partial date of birth, or None when blank or impossible.

    Accepts YYYY-MM-DD (also with / or .; a time after the date is ignored), DD/MM/YYYY,
    YYYYMMDD, YYYY-MM, MM/YYYY and YYYY.
    """
    text = value.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(group) for group in match.groups())
        return _full_date(year, month, day)
    if match := _UK_DATE.match(text):
        day, month, year = (int(group) for group in match.groups())
        return _full_date(year, month, day)
    if match := _COMPACT_DATE.match(text):
        year, month, day = (int(group) for group in match.groups())
        return _full_date(year, month, day)
    if match := _YEAR_MONTH.match(text):
        return _partial_date(int(match[1]), int(match[2]))
    if match := _MONTH_YEAR.match(text):
        return _partial_date(int(match[2]), int(match[1]))
    if match := _YEAR.match(text):
        return _partial_date(int(match[1]))
    return None


def dates_swapped(first: BirthDate, second: BirthDate) -> bool:
    """Two full dates that differ only by day and month being swapped."""
    return (
        first.is_full
        and second.is_full
        and first.year == second.year
        and first.month != second.month
        and first.month == second.day
        and first.day == second.month
    )


def dates_compatible(first: BirthDate, second: BirthDate) -> bool:
    """Whether the two dates agree on every part both of them know."""
    if first.year != second.year:
        return False
    if first.month and second.month and first.month != second.month:
        return False
    return not (first.day and second.day and first.day != second.day)


# ---------------------------------------------------------------------------------------------
# Sex, postcodes, addresses, NHS numbers

_SEX = {"m": "M", "male": "M", "1": "M", "f": "F", "female": "F", "2": "F"}


def sex_normalise(value: str) -> str:
    """ "M", "F" or "" (unknown, not stated, indeterminate and blank are all missing)."""
    return _SEX.get(value.strip().casefold(), "")


@lru_cache(maxsize=1 << 17)
def postcode_normalise(value: str) -> Postcode | None:
    """A postcode ("sn14ab" -> SN1 4AB), an outward code alone, or None when not a postcode."""
    compact = re.sub(r"[^A-Za-z0-9]", "", text_fold(value)).upper()
    if 5 <= len(compact) <= 7:
        outward, inward = compact[:-3], compact[-3:]
        inward = inward[0].translate(_INWARD_DIGIT_LOOKALIKES) + inward[1:]
        if _OUTWARD.match(outward) and _INWARD.match(inward):
            return Postcode(outward, inward)
        return None
    if 2 <= len(compact) <= 4 and _OUTWARD.match(compact):
        return Postcode(compact)
    return None


_POSTCODE_AT_END = re.compile(r"\s[a-z]{1,2}[0-9][a-z0-9]?\s?[0-9][a-z]{2}$")


@lru_cache(maxsize=1 << 19)
def address_normalise(value: str) -> Address | None:
    """Numbers and words of an address line, abbreviations expanded and punctuation removed.

    "Flat 4, Kestrel Ct, 12A High St" -> numbers "4 12a", words "flat kestrel court high street".
    A postcode at the end of the line is dropped (it is compared as the postcode).
    """
    folded = _POSTCODE_AT_END.sub("", _APOSTROPHES.sub("", text_fold(value)).strip())
    tokens = _NOT_ALNUM.sub(" ", folded).split()
    numbers: list[str] = []
    words: list[str] = []
    after_number = False
    for token in tokens:
        if not token.isalpha():  # tokens are letters and digits: this one has a digit
            numbers.append(token)
            after_number = True
            continue
        if after_number and len(token) == 1:
            numbers[-1] += token  # "12 a" -> "12a"
        else:
            words.append(STREET_ABBREVIATIONS.get(token, token))
        after_number = False
    if not numbers and not words:
        return None
    return Address(numbers=" ".join(numbers), words=" ".join(words))


_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_number_normalise(value: str) -> str:
    """The ten digits of a valid NHS number (spaces and hyphens allowed), or "" when the number
    is blank, malformed, fails the Modulus 11 check or is one digit repeated."""
    digits = value.replace(" ", "").replace("-", "").strip()
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return ""
    if digits == digits[0] * 10:
        return ""
    total = sum(int(digit) * weight for digit, weight in zip(digits, _NHS_WEIGHTS, strict=False))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return ""
    return digits


def record_normalise(record: RecordIn) -> NormalisedRecord:
    """Every identifying field of the record normalised."""
    parts = family_name_parts(record.family_name)
    return NormalisedRecord(
        source=record.source,
        record_id=record.record_id,
        given_names=given_names_normalise(record.given_name),
        family_name="".join(parts),
        family_parts=parts,
        birth=date_of_birth_parse(record.date_of_birth) if record.date_of_birth else None,
        sex=sex_normalise(record.sex),
        postcode=postcode_normalise(record.postcode) if record.postcode else None,
        address=address_normalise(record.address) if record.address else None,
        nhs_number=nhs_number_normalise(record.nhs_number) if record.nhs_number else "",
    )
