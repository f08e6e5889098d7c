"""Fellegi-Sunter weights: u from the data, m by EM, term frequencies, missing values."""

from __future__ import annotations

import math

import numpy as np

from matching.comparison import BIRTH, COMPARISONS, FAMILY, GIVEN, RecordTable
from matching.fellegi_sunter import (
    PSEUDO_RECORDS,
    REFERENCE_U,
    ComparisonWeights,
    MatchModel,
    em_fit,
    level_patterns,
    pair_contributions,
    term_frequencies,
    u_estimate,
    weight_probability,
)
from matching.normalise import RecordIn, record_normalise

SURNAMES = ["Smith"] * 60 + ["Jones"] * 30 + ["Quartermaine"] * 2 + ["Brown"] * 8
EXACT_U = {"given_name": 0.01, "family_name": 0.005, "date_of_birth": 3.5e-5}


def _smoothed(count: int, total: int, average: float) -> float:
    return (count + PSEUDO_RECORDS * average) / (total + PSEUDO_RECORDS)


def _table() -> RecordTable:
    records = [
        RecordIn.from_mapping(
            source="t",
            record_id=str(index),
            values={"given_name": f"Name{index % 40}", "family_name": surname},
        )
        for index, surname in enumerate(SURNAMES)
    ]
    return RecordTable.from_records([record_normalise(record) for record in records])


def _model(table: RecordTable) -> MatchModel:
    frequencies, unseen = term_frequencies(table, exact_u=EXACT_U)
    return MatchModel(
        comparisons=tuple(
            ComparisonWeights(
                name=comparison.name,
                levels=comparison.levels,
                m=(
                    *([0.9] + [0.1 / (len(comparison.levels) - 2)] * (len(comparison.levels) - 2)),
                    1.0,
                ),
                u=(
                    *(
                        [0.01]
                        + [0.99 / (len(comparison.levels) - 2)] * (len(comparison.levels) - 2)
                    ),
                    1.0,
                ),
            )
            for comparison in COMPARISONS
        ),
        prior=0.001,
        term_frequencies=frequencies,
        unseen_frequency=unseen,
        records=len(table),
        candidate_pairs=0,
        em_iterations=0,
    )


def test_a_common_surname_counts_for_less_than_a_rare_one() -> None:
    table = _table()
    model = _model(table)
    smiths = np.array([0, 1])
    quartermaines = np.array([90, 91])
    levels = np.zeros((2, len(COMPARISONS)), np.int8)

    contributions = pair_contributions(
        model=model,
        table=table,
        first=np.r_[smiths[0], quartermaines[0]],
        second=np.r_[smiths[1], quartermaines[1]],
        levels=levels,
    )

    smith_bits, quartermaine_bits = contributions[:, FAMILY]
    assert math.isclose(smith_bits, math.log2(0.9 / _smoothed(60, 100, 0.005)))
    assert math.isclose(quartermaine_bits, math.log2(0.9 / _smoothed(2, 100, 0.005)))
    assert quartermaine_bits > smith_bits


def test_missing_values_neither_agree_nor_disagree() -> None:
    table = _table()
    model = _model(table)
    missing = np.array([[comparison.missing_level for comparison in COMPARISONS]], np.int8)

    contributions = pair_contributions(
        model=model, table=table, first=np.array([0]), second=np.array([1]), levels=missing
    )

    assert contributions.tolist() == [[0.0] * len(COMPARISONS)]


def test_term_frequencies_are_relative_frequencies_drawn_towards_the_average() -> None:
    frequencies, unseen = term_frequencies(_table(), exact_u=EXACT_U)

    assert math.isclose(frequencies["family_name"]["smith"], _smoothed(60, 100, 0.005))
    assert math.isclose(unseen["family_name"], _smoothed(1, 100, 0.005))


def test_u_from_random_pairs_sums_to_one_per_comparison() -> None:
    u = u_estimate(_table(), sample_pairs=2000, seed=1)

    for values in u:
        assert math.isclose(sum(values[:-1]), 1.0)
        assert values[-1] == 1.0


def test_u_of_an_exact_surname_agreement_is_the_sum_of_squared_frequencies() -> None:
    squares = 0.6**2 + 0.3**2 + 0.02**2 + 0.08**2
    reference = REFERENCE_U["family_name"][0]

    u = u_estimate(_table(), sample_pairs=2000, seed=1)

    assert math.isclose(
        u[FAMILY][0], (100 * squares + PSEUDO_RECORDS * reference) / (100 + PSEUDO_RECORDS)
    )


def test_em_recovers_m_from_a_mixture_of_matches_and_non_matches() -> None:
    rng = np.random.default_rng(7)
    sizes = [len(comparison.levels) for comparison in COMPARISONS]
    true_m = [np.r_[0.9, np.full(size - 2, 0.1 / (size - 2))] for size in sizes]
    true_u = [np.r_[0.02, np.full(size - 2, 0.98 / (size - 2))] for size in sizes]
    matches = np.stack(
        [rng.choice(size - 1, 20_000, p=m) for size, m in zip(sizes, true_m, strict=True)], axis=1
    )
    others = np.stack(
        [rng.choice(size - 1, 30_000, p=u) for size, u in zip(sizes, true_u, strict=True)], axis=1
    )
    patterns, counts = level_patterns(np.vstack([matches, others]).astype(np.int8))
    u_start = tuple((*u.tolist(), 1.0) for u in true_u)

    fitted = em_fit(patterns=patterns, counts=counts, u_start=u_start)

    assert abs(fitted.prior - 0.4) < 0.01
    assert abs(fitted.m[GIVEN][0] - 0.9) < 0.01


def test_a_model_survives_a_round_trip_through_plain_data() -> None:
    model = _model(_table())

    assert MatchModel.from_dict(model.as_dict()) == model


def test_weights_are_log_odds_in_bits() -> None:
    assert weight_probability(0.0) == 0.5
    assert math.isclose(weight_probability(math.log2(99)), 0.99)


def test_u_of_a_swapped_date_comes_from_date_frequencies() -> None:
    dates = ["1950-04-07", "1950-04-07", "1950-07-04", "1960-01-01"]
    records = [
        RecordIn.from_mapping(source="t", record_id=str(i), values={"date_of_birth": date})
        for i, date in enumerate(dates)
    ]
    table = RecordTable.from_records([record_normalise(record) for record in records])
    swapped_by_chance = 2 * (2 / 4) * (1 / 4)  # either record may hold the swapped date
    reference = REFERENCE_U["date_of_birth"][1]

    u = u_estimate(table, sample_pairs=100, seed=1)

    assert math.isclose(
        u[BIRTH][1], (4 * swapped_by_chance + PSEUDO_RECORDS * reference) / (4 + PSEUDO_RECORDS)
    )
