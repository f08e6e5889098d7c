"""Comparing candidate pairs field by field, in batches.

Normalised records are held as columns (`RecordTable`): each text value is a code into a
vocabulary, dates and sexes are small integers. A comparison takes arrays of record positions
(`first`, `second`) and returns one comparison level per pair, computed with numpy over the whole
batch; fuzzy similarities (Jaro-Winkler for names, token-set ratio for address lines) are computed
by `rapidfuzz.process.cpdist` once per distinct pair of values, never in a per-pair Python loop.

Each comparison has ordered levels from the strongest agreement to "different", and a last level
"missing" (either side blank) that neither agrees nor disagrees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from matching.normalise import (
    NormalisedRecord,
    RecordKey,
    given_name_forms,
    given_name_tolerant_forms,
)

Outcome = Literal["agreed", "partly agreed", "disagreed", "missing"]
TermFrequency = Literal["", "both", "down"]

IntArray = np.ndarray[Any, np.dtype[np.int64]]
Levels = np.ndarray[Any, np.dtype[np.int8]]

MAX_TOKENS = 3  # given-name tokens and family-name parts kept per record
NAME_CLOSE = 0.92  # Jaro-Winkler similarity for "close" names
NAME_SIMILAR = 0.80  # ... and for "similar" ones
ADDRESS_SAME = 90.0  # token-set ratio of address words for "the same address"
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Comparison:
    """One field's comparison: level names and what each says, strongest agreement first.

    `term_frequency` says how the first (exact) level is adjusted for how common the value is:
    "both" (a rare value counts for more, a common one for less), "down" (a value more common
    than usual counts for less; for dates, where placeholders like 1900-01-01 are common) or ""
    (no adjustment).
    """

    name: str
    levels: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    term_frequency: TermFrequency = ""

    @property
    def missing_level(self) -> int:
        return len(self.levels) - 1

    def level(self, name: str) -> int:
        return self.levels.index(name)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "nhs_number",
        ("exact", "different", "missing"),
        ("agreed", "disagreed", "missing"),
    ),
    Comparison(
        "given_name",
        ("exact", "nickname", "close", "similar", "different", "missing"),
        ("agreed", "partly agreed", "partly agreed", "partly agreed", "disagreed", "missing"),
        term_frequency="both",
    ),
    Comparison(
        "family_name",
        ("exact", "part", "close", "similar", "different", "missing"),
        ("agreed", "partly agreed", "partly agreed", "partly agreed", "disagreed", "missing"),
        term_frequency="both",
    ),
    Comparison(
        "date_of_birth",
        ("exact", "swapped", "partial", "close", "same_year", "different", "missing"),
        (
            "agreed",
            "partly agreed",
            "partly agreed",
            "partly agreed",
            "disagreed",
            "disagreed",
            "missing",
        ),
        term_frequency="down",
    ),
    Comparison(
        "sex",
        ("agree", "disagree", "missing"),
        ("agreed", "disagreed", "missing"),
    ),
    Comparison(
        "address",
        ("address", "postcode", "sector", "district", "different", "missing"),
        ("agreed", "partly agreed", "partly agreed", "partly agreed", "disagreed", "missing"),
    ),
)
COMPARISON_NAMES: tuple[str, ...] = tuple(comparison.name for comparison in COMPARISONS)
NHS, GIVEN, FAMILY, BIRTH, SEX, ADDRESS = range(len(COMPARISONS))


def comparison_named(name: str) -> Comparison:
    return COMPARISONS[COMPARISON_NAMES.index(name)]


# ---------------------------------------------------------------------------------------------
# Records as columns


class Vocabulary:
    """Distinct strings and their codes (0, 1, 2, ...); "" has the code -1. Append-only, so a
    code never changes once given."""

    __slots__ = ("_shape", "codes", "values")

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": -1}
        self.values: list[str] = []
        self._shape: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64),) * 2

    def shape(self) -> tuple[np.ndarray, np.ndarray]:
        """Each value's length and first character (as a code point), by code."""
        lengths, firsts = self._shape
        if len(lengths) < len(self.values):
            new = self.values[len(lengths) :]
            lengths = np.r_[lengths, np.fromiter(map(len, new), np.int64, len(new))]
            firsts = np.r_[firsts, np.fromiter((ord(v[0]) for v in new), np.int64, len(new))]
            self._shape = (lengths, firsts)
        return self._shape

    def __len__(self) -> int:
        return len(self.values)

    def encode(self, values: Sequence[str]) -> np.ndarray:
        """The codes of `values` (int32), adding the ones not seen before."""
        codes = self.codes
        result: list[int | None] = list(map(codes.get, values))
        if None in result:
            known = self.values
            for row, code in enumerate(result):
                if code is None:
                    value = values[row]
                    code = codes.get(value)
                    if code is None:
                        code = codes[value] = len(known)
                        known.append(value)
                    result[row] = code
        return np.array(result, np.int32)


class RecordTable:
    """Normalised records as columns, positions 0..n-1; rows can be appended or replaced.

    Columns: `given` (first given name) and `given_tokens` (all, padded with -1) in the `names`
    vocabulary; `family` (whole) and `family_parts` in `families`; `year`, `month`, `day` (0 when
    unknown); `sex` (0 missing, 1 M, 2 F); `nhs` (0 missing); `postcode`, `sector`, `district` in
    `postcodes`; `address_numbers` and `address_words` in `addresses`.
    """

    def __init__(self) -> None:
        self.names = Vocabulary()
        self.families = Vocabulary()
        self.postcodes = Vocabulary()
        self.addresses = Vocabulary()
        self.name_forms = PartLookup(given_name_forms)
        self.name_variants = PartLookup(given_name_tolerant_forms)
        self.keys: list[RecordKey] = []
        self.given = np.empty(0, np.int32)
        self.given_tokens = np.empty((0, MAX_TOKENS), np.int32)
        self.family = np.empty(0, np.int32)
        self.family_parts = np.empty((0, MAX_TOKENS), np.int32)
        self.year = np.empty(0, np.int16)
        self.month = np.empty(0, np.int8)
        self.day = np.empty(0, np.int8)
        self.sex = np.empty(0, np.int8)
        self.nhs = np.empty(0, np.int64)
        self.postcode = np.empty(0, np.int32)
        self.sector = np.empty(0, np.int32)
        self.district = np.empty(0, np.int32)
        self.address_numbers = np.empty(0, np.int32)
        self.address_words = np.empty(0, np.int32)

    _COLUMNS = (
        "given",
        "given_tokens",
        "family",
        "family_parts",
        "year",
        "month",
        "day",
        "sex",
        "nhs",
        "postcode",
        "sector",
        "district",
        "address_numbers",
        "address_words",
    )

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def from_records(cls, records: Sequence[NormalisedRecord]) -> RecordTable:
        table = cls()
        table.append(records)
        return table

    def _encode(self, records: Sequence[NormalisedRecord]) -> dict[str, np.ndarray]:
        size = len(records)
        blank = [""] * size
        given = [blank.copy() for _ in range(MAX_TOKENS)]
        parts = [blank.copy() for _ in range(MAX_TOKENS)]
        family, postcode, sector, district = blank.copy(), blank.copy(), blank.copy(), blank
        numbers, words = blank.copy(), blank.copy()
        district = blank.copy()
        year, month, day, sex, nhs = [0] * size, [0] * size, [0] * size, [0] * size, [0] * size
        sexes = {"M": 1, "F": 2}
        for row, record in enumerate(records):
            for column, name in enumerate(record.given_names[:MAX_TOKENS]):
                given[column][row] = name
            for column, part in enumerate(record.family_parts[:MAX_TOKENS]):
                parts[column][row] = part
            family[row] = record.family_name
            birth = record.birth
            if birth is not None:
                year[row], month[row], day[row] = birth
            if record.sex:
                sex[row] = sexes[record.sex]
            if record.nhs_number:
                nhs[row] = int(record.nhs_number)
            code = record.postcode
            if code is not None:
                district[row] = code.outward
                if code.inward:
                    postcode[row] = code.text
                    sector[row] = code.sector
            address = record.address
            if address is not None:
                if address.numbers:
                    numbers[row] = "#" + address.numbers
                words[row] = address.words
        given_tokens = np.stack([self.names.encode(column) for column in given], axis=1)
        return {
            "given": given_tokens[:, 0].copy(),
            "given_tokens": given_tokens,
            "family": self.families.encode(family),
            "family_parts": np.stack([self.families.encode(column) for column in parts], axis=1),
            "year": np.array(year, np.int16),
            "month": np.array(month, np.int8),
            "day": np.array(day, np.int8),
            "sex": np.array(sex, np.int8),
            "nhs": np.array(nhs, np.int64),
            "postcode": self.postcodes.encode(postcode),
            "sector": self.postcodes.encode(sector),
            "district": self.postcodes.encode(district),
            "address_numbers": self.addresses.encode(numbers),
            "address_words": self.addresses.encode(words),
        }

    def append(self, records: Sequence[NormalisedRecord]) -> range:
        """Add records at the end; returns their positions."""
        start = len(self.keys)
        encoded = self._encode(records)
        for column in self._COLUMNS:
            setattr(self, column, np.concatenate([getattr(self, column), encoded[column]]))
        self.keys.extend(record.key for record in records)
        return range(start, len(self.keys))

    def replace(self, positions: Sequence[int], records: Sequence[NormalisedRecord]) -> np.ndarray:
        """Overwrite the rows at `positions` (the record keys must not change); returns which
        rows differ from what they held."""
        encoded = self._encode(records)
        index = np.asarray(positions, np.int64)
        differs = np.zeros(len(index), np.bool_)
        for column in self._COLUMNS:
            values = getattr(self, column)
            before = values[index]
            after = encoded[column]
            changed = before != after
            differs |= changed.any(axis=1) if changed.ndim > 1 else changed
            values[index] = after
        return differs

    def birth_codes(self, positions: np.ndarray) -> IntArray:
        """YYYYMMDD as an integer (month and day 0 when unknown; 0 when no date)."""
        return (
            self.year[positions].astype(np.int64) * 10_000
            + self.month[positions].astype(np.int64) * 100
            + self.day[positions].astype(np.int64)
        )


# ---------------------------------------------------------------------------------------------
# Hashes of values

U64 = np.ndarray[Any, np.dtype[np.uint64]]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def stable_hash(value: str) -> int:
    """A 64-bit hash of a string that is the same in every process and run."""
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=False)


def mix_hash(state: U64, value: np.ndarray) -> U64:
    """Combine a 64-bit state with values (splitmix64 finaliser); wraps around on overflow."""
    mixed = (state ^ value.astype(np.uint64)) * _GOLDEN
    mixed ^= mixed >> np.uint64(30)
    mixed *= _MIX_1
    mixed ^= mixed >> np.uint64(27)
    mixed *= _MIX_2
    mixed ^= mixed >> np.uint64(31)
    return mixed


class PartLookup:
    """For each code of a vocabulary, the 64-bit hashes of strings derived from its value (CSR:
    `start`, `values`), computed once per distinct value and kept up to date as it grows."""

    __slots__ = ("derive", "members", "seen", "start", "values")

    def __init__(self, derive: Callable[[str], Iterable[str]]) -> None:
        self.derive = derive
        self.seen = 0
        self.start = np.zeros(1, np.int64)
        self.values = np.empty(0, np.uint64)
        self.members = np.empty(0, np.uint64)  # sorted mix_hash(code, part) of every part

    def update(self, vocabulary: Vocabulary) -> None:
        if self.seen == len(vocabulary):
            return
        new_values: list[int] = []
        counts: list[int] = []
        for value in vocabulary.values[self.seen :]:
            parts = sorted({stable_hash(part) for part in self.derive(value)})
            new_values.extend(parts)
            counts.append(len(parts))
        self.start = np.concatenate(
            [self.start, self.start[-1] + np.cumsum(np.array(counts, np.int64))]
        )
        self.values = np.concatenate([self.values, np.array(new_values, np.uint64)])
        self.seen = len(vocabulary)
        owners = np.repeat(np.arange(self.seen, dtype=np.uint64), np.diff(self.start))
        self.members = np.sort(mix_hash(owners, self.values))

    def expand(self, codes: np.ndarray) -> tuple[np.ndarray, U64]:
        """(row, part) for every part of every code (-1 codes have none)."""
        codes = np.asarray(codes, np.int64)
        rows = np.flatnonzero(codes >= 0)
        codes = codes[rows]
        counts = self.start[codes + 1] - self.start[codes]
        offsets = np.repeat(self.start[codes] - np.cumsum(counts) + counts, counts)
        parts = self.values[offsets + np.arange(int(counts.sum()), dtype=np.int64)]
        return np.repeat(rows, counts), parts

    def share_part(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Whether the codes in each pair (first[i], second[i]) have a part in common."""
        rows, parts = self.expand(first)
        found = np.zeros(len(first), np.bool_)
        if len(rows) == 0:
            return found
        probe = mix_hash(np.asarray(second, np.int64)[rows].astype(np.uint64), parts)
        slot = np.minimum(np.searchsorted(self.members, probe), len(self.members) - 1)
        found[rows[self.members[slot] == probe]] = True
        return found


# ---------------------------------------------------------------------------------------------
# Similarities over distinct value pairs

Scorer = Callable[..., float]


def _pair_similarity(
    values: Sequence[str],
    first: np.ndarray,
    second: np.ndarray,
    *,
    scorer: Scorer,
    workers: int,
) -> np.ndarray:
    """`scorer` for each pair of codes, computed once per distinct (first, second) pair."""
    if len(first) == 0:
        return np.empty(0, np.float64)
    width = np.int64(max(len(values), 1))
    pair_codes = first.astype(np.int64) * width + second.astype(np.int64)
    distinct, inverse = np.unique(pair_codes, return_inverse=True)
    left = [values[code] for code in (distinct // width).tolist()]
    right = [values[code] for code in (distinct % width).tolist()]
    scores = process.cpdist(left, right, scorer=scorer, dtype=np.float64, workers=workers)
    return np.asarray(scores, np.float64).reshape(-1)[inverse.reshape(-1)]


def _any_token_equal(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Whether any non-blank token of each row of `first` equals any token of `second`'s row."""
    found = np.zeros(len(first), np.bool_)
    for i in range(first.shape[1]):
        left = first[:, i]
        for j in range(second.shape[1]):
            found |= (left == second[:, j]) & (left >= 0)
    return found


def _select(conditions: list[np.ndarray], default: int, size: int) -> Levels:
    """The index of the first true condition for each pair, or `default`."""
    levels = np.full(size, default, np.int8)
    decided = np.zeros(size, np.bool_)
    for level, condition in enumerate(conditions):
        take = condition & ~decided
        levels[take] = level
        decided |= take
    return levels


# ---------------------------------------------------------------------------------------------
# The comparisons


def _compare_nhs(table: RecordTable, first: np.ndarray, second: np.ndarray) -> Levels:
    a, b = table.nhs[first], table.nhs[second]
    missing = (a == 0) | (b == 0)
    return _select([(a == b) & ~missing, ~missing], default=2, size=len(first))


def _name_levels(
    *,
    vocabulary: Vocabulary,
    a: np.ndarray,
    b: np.ndarray,
    tokens_a: np.ndarray,
    tokens_b: np.ndarray,
    forms: tuple[PartLookup, PartLookup] | None,
    workers: int,
) -> Levels:
    """Levels exact, nickname-or-part, close, similar, different, missing for names.

    With `forms` (given names: nickname forms and tolerant forms), the second level is a
    nickname and a shared token is close; without (family names), the second level is a shared
    part ("either half matches").
    """
    values = vocabulary.values
    size = len(a)
    missing = (a < 0) | (b < 0)
    exact = (a == b) & ~missing
    rest = ~missing & ~exact
    second_level = np.zeros(size, np.bool_)
    close = np.zeros(size, np.bool_)
    similar = np.zeros(size, np.bool_)
    index = np.flatnonzero(rest)
    if len(index):
        ra, rb = a[index], b[index]
        token_match = _any_token_equal(tokens_a[index], tokens_b[index])
        if forms is not None:
            second_level[index] = forms[0].share_part(ra, rb)
            close[index] = token_match
        else:
            second_level[index] = token_match
        jaro = _pair_similarity(
            values, ra, rb, scorer=JaroWinkler.normalized_similarity, workers=workers
        )
        close[index] |= jaro >= NAME_CLOSE - _EPSILON
        one_edit = _pair_similarity(values, ra, rb, scorer=OSA.distance, workers=workers) <= 1
        lengths, firsts = vocabulary.shape()
        initial = ((lengths[ra] == 1) | (lengths[rb] == 1)) & (firsts[ra] == firsts[rb])
        similar[index] = (jaro >= NAME_SIMILAR - _EPSILON) | one_edit | initial
        if forms is not None:
            similar[index] |= forms[1].share_part(ra, rb)
    return _select([exact, second_level, close, similar, ~missing], default=5, size=size)


def _compare_given(
    table: RecordTable, first: np.ndarray, second: np.ndarray, workers: int
) -> Levels:
    table.name_forms.update(table.names)
    table.name_variants.update(table.names)
    return _name_levels(
        vocabulary=table.names,
        a=table.given[first],
        b=table.given[second],
        tokens_a=table.given_tokens[first],
        tokens_b=table.given_tokens[second],
        forms=(table.name_forms, table.name_variants),
        workers=workers,
    )


def _compare_family(
    table: RecordTable, first: np.ndarray, second: np.ndarray, workers: int
) -> Levels:
    return _name_levels(
        vocabulary=table.families,
        a=table.family[first],
        b=table.family[second],
        tokens_a=table.family_parts[first],
        tokens_b=table.family_parts[second],
        forms=None,
        workers=workers,
    )


def _digit_typo(first: IntArray, second: IntArray) -> np.ndarray:
    """YYYYMMDD codes that differ in one digit or by two neighbouring digits swapped."""
    differs = np.zeros((len(first), 8), np.bool_)
    digits_a = np.zeros((len(first), 8), np.int64)
    digits_b = np.zeros((len(first), 8), np.int64)
    for position in range(8):
        scale = 10 ** (7 - position)
        digits_a[:, position] = (first // scale) % 10
        digits_b[:, position] = (second // scale) % 10
        differs[:, position] = digits_a[:, position] != digits_b[:, position]
    count = differs.sum(axis=1)
    transposed = np.zeros(len(first), np.bool_)
    for position in range(7):
        transposed |= (
            differs[:, position]
            & differs[:, position + 1]
            & (digits_a[:, position] == digits_b[:, position + 1])
            & (digits_a[:, position + 1] == digits_b[:, position])
        )
    return (count == 1) | ((count == 2) & transposed)


def _compare_birth(table: RecordTable, first: np.ndarray, second: np.ndarray) -> Levels:
    ya, yb = table.year[first], table.year[second]
    ma, mb = table.month[first], table.month[second]
    da, db = table.day[first], table.day[second]
    missing = (ya == 0) | (yb == 0)
    both_full = (da > 0) & (db > 0)
    same_year = (ya == yb) & ~missing
    exact = both_full & same_year & (ma == mb) & (da == db)
    swapped = both_full & same_year & (ma != mb) & (ma == db) & (da == mb)
    compatible = (
        same_year & ((ma == 0) | (mb == 0) | (ma == mb)) & ((da == 0) | (db == 0) | (da == db))
    )
    partial = compatible & ~both_full
    close = np.zeros(len(first), np.bool_)
    # A one-digit slip leaves the year, or the month and day, as they were.
    slips = np.flatnonzero(
        both_full & ~exact & ~swapped & ~missing & ((ya == yb) | ((ma == mb) & (da == db)))
    )
    if len(slips):
        close[slips] = _digit_typo(
            table.birth_codes(first[slips]), table.birth_codes(second[slips])
        )
    return _select(
        [exact, swapped, partial, close, same_year, ~missing], default=6, size=len(first)
    )


def _compare_sex(table: RecordTable, first: np.ndarray, second: np.ndarray) -> Levels:
    a, b = table.sex[first], table.sex[second]
    missing = (a == 0) | (b == 0)
    return _select([(a == b) & ~missing, ~missing], default=2, size=len(first))


def _compare_address(
    table: RecordTable, first: np.ndarray, second: np.ndarray, workers: int
) -> Levels:
    """The same address line (numbers equal, words alike, postcodes not in different
    districts), else the same postcode, sector or district."""
    size = len(first)
    district_a, district_b = table.district[first], table.district[second]
    words_a, words_b = table.address_words[first], table.address_words[second]
    numbers_a, numbers_b = table.address_numbers[first], table.address_numbers[second]
    has_a = (district_a >= 0) | (words_a >= 0)
    has_b = (district_b >= 0) | (words_b >= 0)
    missing = ~has_a | ~has_b
    districts_agree = (district_a < 0) | (district_b < 0) | (district_a == district_b)
    same_address = np.zeros(size, np.bool_)
    index = np.flatnonzero(
        (words_a >= 0) & (words_b >= 0) & (numbers_a == numbers_b) & districts_agree
    )
    if len(index):
        same_address[index] = (
            _pair_similarity(
                table.addresses.values,
                words_a[index],
                words_b[index],
                scorer=fuzz.token_set_ratio,
                workers=workers,
            )
            >= ADDRESS_SAME - _EPSILON
        )
    postcode_a, postcode_b = table.postcode[first], table.postcode[second]
    sector_a, sector_b = table.sector[first], table.sector[second]
    return _select(
        [
            same_address,
            (postcode_a == postcode_b) & (postcode_a >= 0),
            (sector_a == sector_b) & (sector_a >= 0),
            (district_a == district_b) & (district_a >= 0),
            ~missing,
        ],
        default=5,
        size=size,
    )


def compare_pairs(
    table: RecordTable, first: np.ndarray, second: np.ndarray, *, workers: int = 1
) -> np.ndarray:
    """The level of every comparison for each pair: an int8 array of shape (pairs, comparisons),
    columns in the order of COMPARISONS."""
    first = np.asarray(first, np.int64)
    second = np.asarray(second, np.int64)
    levels = np.empty((len(first), len(COMPARISONS)), np.int8)
    levels[:, NHS] = _compare_nhs(table, first, second)
    levels[:, GIVEN] = _compare_given(table, first, second, workers)
    levels[:, FAMILY] = _compare_family(table, first, second, workers)
    levels[:, BIRTH] = _compare_birth(table, first, second)
    levels[:, SEX] = _compare_sex(table, first, second)
    levels[:, ADDRESS] = _compare_address(table, first, second, workers)
    return levels


def pair_conflicts(table: RecordTable, first: np.ndarray, second: np.ndarray,
                   levels: np.ndarray) -> np.ndarray:  # fmt: skip
    """Pairs whose person-level identifiers contradict each other, so they cannot be one person
    however much else agrees: different valid NHS numbers; or, without an agreeing NHS number,
    given names that are different (not a nickname, variant, typo or initial) or two full dates
    of birth that differ beyond a swap or a one-digit slip.

    Household members and twins share family name, address and (twins) date of birth; the
    independence assumption of Fellegi-Sunter counts that shared evidence as if it were about
    the person. This check is what keeps them apart.
    """
    first = np.asarray(first, np.int64)
    second = np.asarray(second, np.int64)
    birth = COMPARISONS[BIRTH]
    nhs_level = levels[:, NHS]
    both_full = (table.day[first] > 0) & (table.day[second] > 0)
    dates_differ = both_full & (
        (levels[:, BIRTH] == birth.level("same_year"))
        | (levels[:, BIRTH] == birth.level("different"))
    )
    names_differ = levels[:, GIVEN] == COMPARISONS[GIVEN].level("different")
    nhs_exact = nhs_level == 0
    nhs_different = nhs_level == 1
    return nhs_different | (~nhs_exact & (names_differ | dates_differ))
