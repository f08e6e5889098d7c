"""Thresholds and clustering: match pairs into persons without chaining unrelated people."""

from __future__ import annotations

import numpy as np
import pytest

from matching.clustering import (
    MATCH,
    NON_MATCH,
    REVIEW,
    Thresholds,
    clusters_assign,
    connected_components,
    pair_decisions,
)


def _array(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


def _assign(
    size: int,
    matches: list[tuple[int, int, float]],
    conflicts: list[tuple[int, int]] | None = None,
    nhs: list[int] | None = None,
) -> list[int]:
    conflicts = conflicts or []
    return clusters_assign(
        size=size,
        match_first=_array(*(a for a, _, _ in matches)),
        match_second=_array(*(b for _, b, _ in matches)),
        match_weights=np.array([w for _, _, w in matches], np.float64),
        conflict_first=_array(*(a for a, _ in conflicts)),
        conflict_second=_array(*(b for _, b in conflicts)),
        nhs=_array(*(nhs or [0] * size)),
        rank=np.arange(size, dtype=np.int64),
    ).tolist()


def test_pairs_are_split_three_ways_by_two_thresholds() -> None:
    thresholds = Thresholds(match=5.0, review=-5.0)
    weights = np.array([9.0, 0.0, -9.0, 9.0])
    conflicts = np.array([False, False, False, True])

    decisions = pair_decisions(weights=weights, conflicts=conflicts, thresholds=thresholds)

    assert decisions.tolist() == [MATCH, REVIEW, NON_MATCH, REVIEW]


def test_the_review_threshold_cannot_exceed_the_match_threshold() -> None:
    with pytest.raises(ValueError, match="review threshold"):
        Thresholds(match=0.0, review=1.0)


def test_connected_components_label_each_node_by_its_smallest_member() -> None:
    labels = connected_components(6, _array(4, 1, 2), _array(5, 2, 3))

    assert labels.tolist() == [0, 1, 1, 1, 4, 4]


def test_match_pairs_become_persons_labelled_by_their_first_record() -> None:
    assert _assign(5, [(0, 1, 20.0), (1, 2, 15.0), (3, 4, 12.0)]) == [0, 0, 0, 3, 3]


def test_one_record_matching_two_conflicting_people_does_not_chain_them() -> None:
    # 0 and 2 conflict (father and son of one name); 1 has no date of birth and matches both.
    labels = _assign(3, [(0, 1, 20.0), (1, 2, 18.0)], conflicts=[(0, 2)])

    assert labels == [0, 0, 2]


def test_a_person_never_holds_two_nhs_numbers() -> None:
    labels = _assign(4, [(0, 1, 30.0), (1, 2, 10.0), (2, 3, 25.0)], nhs=[111, 0, 222, 0])

    assert labels == [0, 0, 2, 2]


def test_a_consistent_component_is_kept_whole() -> None:
    labels = _assign(4, [(0, 1, 30.0), (1, 2, 1.0), (2, 3, 25.0)], nhs=[111, 0, 111, 0])

    assert labels == [0, 0, 0, 0]


def test_cluster_labels_follow_record_order_not_position() -> None:
    labels = clusters_assign(
        size=3,
        match_first=_array(0, 1),
        match_second=_array(1, 2),
        match_weights=np.array([10.0, 10.0]),
        conflict_first=_array(),
        conflict_second=_array(),
        nhs=_array(0, 0, 0),
        rank=_array(2, 0, 1),
    )

    assert labels.tolist() == [1, 1, 1]
