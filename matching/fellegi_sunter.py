"""The Fellegi-Sunter model: match weights in bits, estimated from the data being matched.

For each comparison level, m is the probability of the level among pairs that are the same
person and u among pairs that are not. A pair's match weight is the prior log-odds plus, for each
comparison, log2(m / u) of its level; "missing" has m = u = 1 and so adds nothing (a blank field
neither agrees nor disagrees).

- u comes from the records themselves: exact-agreement levels from value frequencies (the
  chance two random records share a value is the sum of squared frequencies), the other levels
  from comparing a random sample of record pairs (almost all of which are different people).
- m comes from expectation-maximisation over the candidate pairs (Winkler's EM): the pairs are a
  mixture of matches and non-matches; EM alternates between the probability that each pair
  matches and the level frequencies of each class, until they settle. Pairs with the same levels
  are counted once with a weight, so EM runs over a few thousand patterns, not millions of pairs.
  EM also estimates u among candidate pairs (which agree more than random pairs: they were
  blocked together); that u is used inside EM only. Scoring uses the random-pair u.
- The prior is the chance two random records match: the expected matches found by EM over all
  possible pairs.
- Term frequency: an exact agreement on a value is worth log2(m / frequency of the value), so a
  common surname counts for less than a rare one (for dates, only more common than usual counts
  for less: placeholder dates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matching.comparison import (
    ADDRESS,
    BIRTH,
    COMPARISONS,
    FAMILY,
    GIVEN,
    NHS,
    SEX,
    RecordTable,
    compare_pairs,
)

_FLOOR = 1e-9  # no probability is exactly 0: a level never seen is rare, not impossible
# The smallest m: the data a model is fitted on may lack an error that later extracts have (no
# sex recorded wrongly, no NHS number of someone else), so no level is taken to be rarer than
# one in ten thousand among matches.
M_FLOOR = 1e-4

# Reference probabilities, typical of UK person registers, that estimates are drawn towards in
# proportion to how little data there is (additive smoothing): with a few hundred records they
# dominate, with tens of thousands they hardly matter. Levels in COMPARISONS order, missing left
# out. REFERENCE_M: among records of one person; REFERENCE_U: among records of two people.
REFERENCE_M: dict[str, tuple[float, ...]] = {
    "nhs_number": (0.999, 0.001),
    "given_name": (0.90, 0.05, 0.025, 0.02, 0.005),
    "family_name": (0.88, 0.01, 0.03, 0.01, 0.07),
    "date_of_birth": (0.95, 0.01, 0.02, 0.01, 0.005, 0.005),
    "sex": (0.995, 0.005),
    "address": (0.80, 0.01, 0.01, 0.03, 0.15),
}
REFERENCE_U: dict[str, tuple[float, ...]] = {
    "nhs_number": (1e-7, 1.0 - 1e-7),
    "given_name": (0.01, 0.005, 0.002, 0.01, 0.973),
    "family_name": (0.005, 0.0005, 0.002, 0.005, 0.9875),
    "date_of_birth": (3.5e-5, 1e-5, 1e-4, 1e-3, 0.012, 0.986855),
    "sex": (0.5, 0.5),
    "address": (1e-5, 1e-4, 2e-3, 0.02, 0.97789),
}
PSEUDO_MATCHES = 20.0  # weight of REFERENCE_M, in matching pairs
PSEUDO_CLASS = 2.0  # weight of a non-match class's starting point, in pairs
PSEUDO_SHARES = (5.0, 1.0)  # prior pairs for the match class and for each other class
PSEUDO_PAIRS = 1_000.0  # weight of REFERENCE_U for levels from random pairs, in pairs
PSEUDO_RECORDS = 200.0  # weight of reference frequencies for value frequencies, in records


@dataclass(frozen=True, slots=True)
class ComparisonWeights:
    """m and u for each level of one comparison (the last level, missing, is 1 and 1)."""

    name: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]

    @property
    def bits(self) -> tuple[float, ...]:
        """log2(m / u) per level; 0 for missing."""
        return tuple(math.log2(m / u) for m, u in zip(self.m, self.u, strict=True))


@dataclass(frozen=True)
class MatchModel:
    """A fitted model: everything needed to score pairs, as plain data (see `as_dict`)."""

    comparisons: tuple[ComparisonWeights, ...]
    prior: float
    term_frequencies: Mapping[str, Mapping[str, float]]
    unseen_frequency: Mapping[str, float]
    records: int
    candidate_pairs: int
    em_iterations: int
    blocked_prior: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def prior_bits(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    def comparison(self, name: str) -> ComparisonWeights:
        return next(item for item in self.comparisons if item.name == name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the service may store the model and pass it back to later runs."""
        return {
            "comparisons": [
                {"name": c.name, "levels": list(c.levels), "m": list(c.m), "u": list(c.u)}
                for c in self.comparisons
            ],
            "prior": self.prior,
            "term_frequencies": {
                name: dict(values) for name, values in self.term_frequencies.items()
            },
            "unseen_frequency": dict(self.unseen_frequency),
            "records": self.records,
            "candidate_pairs": self.candidate_pairs,
            "em_iterations": self.em_iterations,
            "blocked_prior": self.blocked_prior,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatchModel:
        return cls(
            comparisons=tuple(
                ComparisonWeights(
                    name=item["name"],
                    levels=tuple(item["levels"]),
                    m=tuple(float(value) for value in item["m"]),
                    u=tuple(float(value) for value in item["u"]),
                )
                for item in data["comparisons"]
            ),
            prior=float(data["prior"]),
            term_frequencies={
                name: {key: float(value) for key, value in values.items()}
                for name, values in data["term_frequencies"].items()
            },
            unseen_frequency={k: float(v) for k, v in data["unseen_frequency"].items()},
            records=int(data["records"]),
            candidate_pairs=int(data["candidate_pairs"]),
            em_iterations=int(data["em_iterations"]),
            blocked_prior=float(data.get("blocked_prior", 0.0)),
            notes=tuple(data.get("notes", ())),
        )


# ---------------------------------------------------------------------------------------------
# Value frequencies

_TF_COLUMNS = {GIVEN: "given", FAMILY: "family"}


def _value_codes(table: RecordTable, comparison: int, positions: np.ndarray) -> np.ndarray:
    """The codes term frequencies are kept for: first given name, whole family name, full date
    of birth (YYYYMMDD), NHS number, sex. -1 or 0 where missing."""
    if comparison == GIVEN:
        return table.given[positions].astype(np.int64)
    if comparison == FAMILY:
        return table.family[positions].astype(np.int64)
    if comparison == BIRTH:
        codes = table.birth_codes(positions)
        return np.where(table.day[positions] > 0, codes, -1)
    if comparison == NHS:
        return np.where(table.nhs[positions] > 0, table.nhs[positions], -1)
    if comparison == SEX:
        return np.where(table.sex[positions] > 0, table.sex[positions].astype(np.int64), -1)
    raise ValueError(f"No value frequencies for comparison {comparison}.")


def _value_name(table: RecordTable, comparison: int, code: int) -> str:
    if comparison == GIVEN:
        return table.names.values[code]
    if comparison == FAMILY:
        return table.families.values[code]
    return str(code)


def _frequencies(table: RecordTable, comparison: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct codes, their counts, and how many records have a value."""
    codes = _value_codes(table, comparison, np.arange(len(table)))
    codes = codes[codes >= 0]
    distinct, counts = np.unique(codes, return_counts=True)
    return distinct, counts, len(codes)


def term_frequencies(
    table: RecordTable, *, exact_u: Mapping[str, float]
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Relative frequency of each value of the term-frequency comparisons, smoothed towards the
    average (`exact_u`, the chance two random records agree) by PSEUDO_RECORDS records, and the
    frequency of a value never seen."""
    tables: dict[str, dict[str, float]] = {}
    unseen: dict[str, float] = {}
    for index, comparison in enumerate(COMPARISONS):
        if not comparison.term_frequency:
            continue
        distinct, counts, total = _frequencies(table, index)
        prior = PSEUDO_RECORDS * exact_u[comparison.name]
        denominator = total + PSEUDO_RECORDS
        tables[comparison.name] = {
            _value_name(table, index, code): (count + prior) / denominator
            for code, count in zip(distinct.tolist(), counts.tolist(), strict=True)
        }
        unseen[comparison.name] = (1.0 + prior) / denominator
    return tables, unseen


def _smoothed(value: float, records: int, reference: float) -> float:
    return max((records * value + PSEUDO_RECORDS * reference) / (records + PSEUDO_RECORDS), _FLOOR)


def _exact_u(table: RecordTable, comparison: int) -> float:
    """The chance two random records agree exactly: the sum of squared value frequencies, times
    the chance both have a value of the kind compared (a full date, for dates of birth)."""
    _, counts, total = _frequencies(table, comparison)
    exact = 0.0
    if total:
        frequencies = counts / total
        exact = float(np.sum(frequencies * frequencies))
    if comparison == BIRTH and total:
        exact *= _full_date_share(table) ** 2
    return _smoothed(exact, total, REFERENCE_U[COMPARISONS[comparison].name][0])


def _full_date_share(table: RecordTable) -> float:
    with_year = int(np.count_nonzero(table.year > 0))
    return int(np.count_nonzero(table.day > 0)) / with_year if with_year else 0.0


def _swapped_u(table: RecordTable) -> float:
    """The chance a random record's date of birth is another's with day and month swapped."""
    distinct, counts, total = _frequencies(table, BIRTH)
    swapped = 0.0
    if total:
        year, month, day = distinct // 10_000, distinct // 100 % 100, distinct % 100
        can_swap = (day <= 12) & (day != month)
        mirror = year * 10_000 + day * 100 + month
        slot = np.minimum(np.searchsorted(distinct, mirror), len(distinct) - 1)
        found = can_swap & (distinct[slot] == mirror)
        swapped = float(np.sum(counts[found] * counts[slot[found]])) / total / total
        swapped *= _full_date_share(table) ** 2
    return _smoothed(swapped, total, REFERENCE_U["date_of_birth"][1])


def _same_address_u(table: RecordTable) -> float:
    """The chance two random records (each with an address or postcode) have the same address
    line: the sum of squared frequencies of (numbers, words)."""
    with_line = table.address_words >= 0
    located = int(np.count_nonzero(with_line | (table.district >= 0)))
    lines = int(np.count_nonzero(with_line))
    same = 0.0
    if lines:
        codes = (table.address_numbers[with_line].astype(np.int64) + 1) << np.int64(32) | (
            table.address_words[with_line].astype(np.int64)
        )
        _, counts = np.unique(codes, return_counts=True)
        frequencies = counts / lines
        same = float(np.sum(frequencies * frequencies)) * (lines / located) ** 2
    return _smoothed(same, lines, REFERENCE_U["address"][0])


def _analytic_u(table: RecordTable, comparison: int) -> dict[int, float]:
    """u of the levels that value frequencies give exactly (random pairs rarely reach them, so
    a sample would say little): exact agreements, swapped dates, the same address line."""
    if comparison in (NHS, GIVEN, FAMILY, SEX):
        return {0: _exact_u(table, comparison)}
    if comparison == BIRTH:
        return {0: _exact_u(table, comparison), 1: _swapped_u(table)}
    return {0: _same_address_u(table)}


# ---------------------------------------------------------------------------------------------
# u from random pairs


def u_estimate(
    table: RecordTable, *, sample_pairs: int, seed: int, workers: int = 1
) -> tuple[tuple[float, ...], ...]:
    """u for every level of every comparison, from value frequencies and random record pairs
    (`sample_pairs` at most; twenty per record, and at least 100,000, are plenty)."""
    size = len(table)
    rng = np.random.default_rng(seed)
    total_pairs = size * (size - 1) // 2
    draws = min(sample_pairs, max(total_pairs, 1), max(100_000, 20 * size))
    first = rng.integers(0, max(size, 1), draws, dtype=np.int64)
    second = rng.integers(0, max(size, 1), draws, dtype=np.int64)
    keep = first != second
    levels = compare_pairs(table, first[keep], second[keep], workers=workers)
    result: list[tuple[float, ...]] = []
    for index, comparison in enumerate(COMPARISONS):
        missing = comparison.missing_level
        counts = np.bincount(levels[:, index], minlength=len(comparison.levels))[:missing]
        reference = np.array(REFERENCE_U[comparison.name])
        sampled = (counts + PSEUDO_PAIRS * reference) / (counts.sum() + PSEUDO_PAIRS)
        known = _analytic_u(table, index)
        others = np.array([level not in known for level in range(missing)])
        sampled[others] *= (1.0 - sum(known.values())) / sampled[others].sum()
        for level, value in known.items():
            sampled[level] = value
        u = np.clip(sampled, _FLOOR, 1.0)
        result.append((*(float(value) for value in u), 1.0))
    return tuple(result)


# ---------------------------------------------------------------------------------------------
# m by expectation-maximisation


_LEVEL_BITS = 3  # every comparison has at most 8 levels


def level_patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of `levels` (sorted) and how many pairs have each: each row read as one
    number, three bits per comparison, and counted."""
    width = len(COMPARISONS)
    if len(levels) == 0:
        return np.empty((0, width), np.int8), np.empty(0, np.int64)
    codes = np.zeros(len(levels), np.int64)
    for index in range(width):
        codes = (codes << _LEVEL_BITS) | levels[:, index].astype(np.int64)
    counts = np.bincount(codes, minlength=1 << (_LEVEL_BITS * width))
    present = np.flatnonzero(counts)
    patterns = np.empty((len(present), width), np.int8)
    for index in range(width):
        shift = _LEVEL_BITS * (width - 1 - index)
        patterns[:, index] = (present >> shift) & ((1 << _LEVEL_BITS) - 1)
    return patterns, counts[present].astype(np.int64)


def _start_same_person() -> list[np.ndarray]:
    """Starting m: the reference m."""
    return [np.r_[np.array(REFERENCE_M[c.name]), 1.0] for c in COMPARISONS]


def _start_agreeing_on(
    agreeing: tuple[int, ...], u_start: tuple[tuple[float, ...], ...]
) -> list[np.ndarray]:
    """Starting level probabilities of non-matches brought together by blocking on some fields:
    those fields agree (mostly exactly), every other field is as in random pairs."""
    starts: list[np.ndarray] = []
    for index, comparison in enumerate(COMPARISONS):
        if index in agreeing:
            missing = comparison.missing_level
            raw = np.full(missing, 0.02)
            raw[0] = 0.9
            starts.append(np.r_[raw / raw.sum(), 1.0])
        else:
            starts.append(np.array(u_start[index], np.float64))
    return starts


# The kinds of non-match that blocking brings together, by the fields they share: members of
# one household (address, family name), namesakes (given and family name), people born on one
# day with the same given or family name (twins among them), and unrelated people.
NON_MATCH_KINDS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("household", (ADDRESS, FAMILY)),
    ("namesakes", (GIVEN, FAMILY)),
    ("birthday_given_name", (BIRTH, GIVEN)),
    ("birthday_family_name", (BIRTH, FAMILY)),
    ("unrelated", ()),
)


def _starting_classes(u_start: tuple[tuple[float, ...], ...]) -> list[list[np.ndarray]]:
    return [
        _start_same_person(),
        *(_start_agreeing_on(fields, u_start) for _, fields in NON_MATCH_KINDS),
    ]


@dataclass(frozen=True, slots=True)
class EMResult:
    m: tuple[tuple[float, ...], ...]
    shares: tuple[float, ...]
    iterations: int

    @property
    def prior(self) -> float:
        """The share of candidate pairs that are matches."""
        return self.shares[0]


def em_fit(
    *,
    patterns: np.ndarray,
    counts: np.ndarray,
    u_start: tuple[tuple[float, ...], ...],
    max_iterations: int = 500,
    tolerance: float = 1e-6,
) -> EMResult:
    """EM over level patterns (with pair counts) for a mixture of classes: the first is the
    matches, whose level probabilities are m; the others are kinds of non-match.

    Candidate pairs break the independence assumption in one systematic way: blocking on
    address and family name brings together members of one household, who agree on those
    fields without being one person. With only two classes EM would count many of them as
    matches (and learn that a different NHS number or date of birth is common among matches).
    A household class absorbs them, so m describes only the same person.
    """
    classes = _starting_classes(u_start)
    # Pseudo-counts (a Dirichlet prior), which matter only when there are few candidate pairs:
    # matches are drawn towards the reference m, other classes towards where they started, and
    # the share of matches towards PSEUDO_SHARES.
    pseudo = [
        [PSEUDO_MATCHES * np.array(REFERENCE_M[comparison.name]) for comparison in COMPARISONS],
        *(
            [PSEUDO_CLASS * start[index][:-1] for index in range(len(COMPARISONS))]
            for start in classes[1:]
        ),
    ]
    pseudo_shares = np.r_[PSEUDO_SHARES[0], np.full(len(classes) - 1, PSEUDO_SHARES[1])]
    shares = pseudo_shares / pseudo_shares.sum()
    weights = counts.astype(np.float64)
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported after the loop
        if len(patterns) == 0:
            break
        log_joint = np.zeros((len(classes), len(patterns)))
        for class_index, probabilities in enumerate(classes):
            log_joint[class_index] = math.log(shares[class_index])
            for index in range(len(COMPARISONS)):
                log_joint[class_index] += np.log(probabilities[index][patterns[:, index]])
        posterior = np.exp(log_joint - np.logaddexp.reduce(log_joint, axis=0))
        change = 0.0
        new_classes: list[list[np.ndarray]] = []
        for class_index in range(len(classes)):
            share_weights = posterior[class_index] * weights
            updated: list[np.ndarray] = []
            for index, comparison in enumerate(COMPARISONS):
                size = len(comparison.levels)
                missing = comparison.missing_level
                level_counts = (
                    np.bincount(patterns[:, index], weights=share_weights, minlength=size)[:missing]
                    + pseudo[class_index][index]
                )
                level = np.clip(level_counts / max(level_counts.sum(), _FLOOR), _FLOOR, 1.0)
                change = max(
                    change, float(np.abs(level - classes[class_index][index][:missing]).max())
                )
                updated.append(np.r_[level, 1.0])
            new_classes.append(updated)
        new_shares = np.clip(
            ((posterior * weights).sum(axis=1) + pseudo_shares)
            / (weights.sum() + pseudo_shares.sum()),
            _FLOOR,
            1.0,
        )
        change = max(change, float(np.abs(new_shares - shares).max()))
        classes, shares = new_classes, new_shares / new_shares.sum()
        if change < tolerance:
            break
    return EMResult(
        m=tuple(_with_floor(level) for level in classes[0]),
        shares=tuple(float(share) for share in shares),
        iterations=iterations,
    )


def _with_floor(probabilities: np.ndarray) -> tuple[float, ...]:
    """m with no level below M_FLOOR (renormalised; missing stays 1)."""
    levels = np.maximum(probabilities[:-1], M_FLOOR)
    return (*(float(value) for value in levels / levels.sum()), 1.0)


def model_fit(
    *,
    table: RecordTable,
    patterns: np.ndarray,
    counts: np.ndarray,
    u_sample_pairs: int,
    seed: int,
    workers: int = 1,
    max_iterations: int = 500,
) -> MatchModel:
    """Fit a model to these records, given the level patterns of their candidate pairs."""
    u_random = u_estimate(table, sample_pairs=u_sample_pairs, seed=seed, workers=workers)
    em = em_fit(patterns=patterns, counts=counts, u_start=u_random, max_iterations=max_iterations)
    candidates = int(counts.sum())
    size = len(table)
    all_pairs = max(size * (size - 1) // 2, 1)
    expected_matches = em.prior * candidates
    prior = min(max(expected_matches / all_pairs, _FLOOR), 0.5)
    frequencies, unseen = term_frequencies(
        table,
        exact_u={
            comparison.name: u[0]
            for comparison, u in zip(COMPARISONS, u_random, strict=True)
            if comparison.term_frequency
        },
    )
    return MatchModel(
        comparisons=tuple(
            ComparisonWeights(name=comparison.name, levels=comparison.levels, m=m, u=u)
            for comparison, m, u in zip(COMPARISONS, em.m, u_random, strict=True)
        ),
        prior=prior,
        term_frequencies=frequencies,
        unseen_frequency=unseen,
        records=size,
        candidate_pairs=candidates,
        em_iterations=em.iterations,
        blocked_prior=em.prior,
    )


# ---------------------------------------------------------------------------------------------
# Scoring


def _tf_bits(
    model: MatchModel,
    table: RecordTable,
    comparison: int,
    positions: np.ndarray,
) -> np.ndarray:
    """The term-frequency-adjusted weight of an exact agreement for each record's value."""
    spec = COMPARISONS[comparison]
    weights = model.comparisons[comparison]
    frequencies = model.term_frequencies.get(spec.name, {})
    unseen = model.unseen_frequency.get(spec.name, weights.u[0])
    codes = _value_codes(table, comparison, positions)
    distinct, inverse = np.unique(codes, return_inverse=True)
    values = np.array(
        [
            frequencies.get(_value_name(table, comparison, code), unseen)
            for code in distinct.tolist()
        ],
        np.float64,
    )
    if spec.term_frequency == "down":
        values = np.maximum(values, weights.u[0])
    return np.log2(weights.m[0] / np.maximum(values, _FLOOR))[inverse.reshape(-1)]


def pair_contributions(
    *,
    model: MatchModel,
    table: RecordTable,
    first: np.ndarray,
    second: np.ndarray,
    levels: np.ndarray,
) -> np.ndarray:
    """Each comparison's contribution in bits for each pair: shape (pairs, comparisons)."""
    contributions = np.zeros(levels.shape, np.float64)
    for index, comparison in enumerate(COMPARISONS):
        bits = np.array(model.comparisons[index].bits, np.float64)
        contributions[:, index] = bits[levels[:, index]]
        if comparison.term_frequency:
            exact = np.flatnonzero(levels[:, index] == 0)
            if len(exact):
                contributions[exact, index] = _tf_bits(model, table, index, first[exact])
    return contributions


def pair_weights(
    *,
    model: MatchModel,
    table: RecordTable,
    first: np.ndarray,
    second: np.ndarray,
    levels: np.ndarray,
) -> np.ndarray:
    """Match weight in bits (prior included) for each pair."""
    contributions = pair_contributions(
        model=model, table=table, first=first, second=second, levels=levels
    )
    return model.prior_bits + contributions.sum(axis=1)


def weight_probability(weight: float) -> float:
    """The match probability of a weight in bits."""
    return 1.0 / (1.0 + 2.0 ** (-weight))
