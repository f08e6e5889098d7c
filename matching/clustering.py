"""From scored pairs to persons.

Two thresholds on the match weight (bits, prior included) split pairs three ways: at or above
`match` a pair is a match, at or above `review` a possible match for clerical review, below it a
non-match. A pair whose person-level identifiers conflict (different NHS numbers; or, without an
agreeing NHS number, a different given name or a different full date of birth: see
`comparison.pair_conflicts`) is never a match, however high its weight: at most it is reviewed.

Clustering: the persons are the connected components of the match pairs, checked for
consistency. A component is consistent when no two of its records conflict (a scored pair with
a conflict) and its records carry at most one NHS number. An inconsistent component, such as two
people chained through one record that matches both, is rebuilt by merging its match pairs from
the strongest down, skipping any merge that would put two conflicting records, or two NHS
numbers, in one person. Ties are broken by record order, so the result does not depend on the
order records arrived in.

Pure: positions, arrays and numbers in; a label per position out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

I64 = np.ndarray[Any, np.dtype[np.int64]]

MATCH = 2
REVIEW = 1
NON_MATCH = 0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Match weights (bits, prior included) at which a pair becomes a possible match for
    review, and a match.

    The defaults: a match at +2 bits (a match probability of 0.8: four times likelier to be the
    same person than not, a little above the even odds that would minimise errors, because a
    wrong link shows one person's record as another's); a possible match from -4 bits (0.06).
    Each bit up halves the odds of accepting a wrong link.
    """

    match: float = 2.0
    review: float = -4.0

    def __post_init__(self) -> None:
        if self.review > self.match:
            raise ValueError("The review threshold cannot be above the match threshold.")


def pair_decisions(
    *, weights: np.ndarray, conflicts: np.ndarray, thresholds: Thresholds
) -> np.ndarray:
    """MATCH, REVIEW or NON_MATCH for each pair (int8)."""
    decisions = np.full(len(weights), NON_MATCH, np.int8)
    decisions[weights >= thresholds.review] = REVIEW
    decisions[(weights >= thresholds.match) & ~conflicts] = MATCH
    return decisions


def connected_components(size: int, first: I64, second: I64) -> I64:
    """The smallest member of each node's component (label propagation with pointer jumping)."""
    labels = np.arange(size, dtype=np.int64)
    if len(first) == 0:
        return labels
    while True:
        lowest = np.minimum(labels[first], labels[second])
        updated = labels.copy()
        np.minimum.at(updated, first, lowest)
        np.minimum.at(updated, second, lowest)
        while True:
            jumped = updated[updated]
            if np.array_equal(jumped, updated):
                break
            updated = jumped
        if np.array_equal(updated, labels):
            return labels
        labels = updated


class _Merger:
    """Union-find for one inconsistent component, with the constraints kept per root."""

    def __init__(self, nodes: list[int], nhs: dict[int, int], cannot: dict[int, set[int]]):
        self.parent = {node: node for node in nodes}
        self.nhs = {node: nhs.get(node, 0) for node in nodes}
        self.cannot = {node: set(cannot.get(node, ())) for node in nodes}
        self.members = {node: [node] for node in nodes}

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def merge(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a == b:
            return
        if self.nhs[a] and self.nhs[b] and self.nhs[a] != self.nhs[b]:
            return
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        members_b = set(self.members[b])
        if not self.cannot[a].isdisjoint(members_b):
            return
        self.parent[b] = a
        self.members[a].extend(self.members[b])
        self.cannot[a] |= self.cannot[b]
        self.nhs[a] = self.nhs[a] or self.nhs[b]
        del self.members[b], self.cannot[b]


def clusters_assign(
    *,
    size: int,
    match_first: I64,
    match_second: I64,
    match_weights: np.ndarray,
    conflict_first: I64,
    conflict_second: I64,
    nhs: I64,
    rank: I64,
) -> I64:
    """A cluster label for each of `size` records: the position of its member of lowest rank.

    `match_*` are the match pairs (positions and weights), `conflict_*` the conflicting pairs,
    `nhs` each record's NHS number (0 if none) and `rank` its place in a fixed record order
    (used for ties and labels).
    """
    components = connected_components(size, match_first, match_second)
    inconsistent = np.zeros(size, np.bool_)
    inside = components[conflict_first] == components[conflict_second]
    inconsistent[components[conflict_first[inside]]] = True
    with_number = np.flatnonzero(nhs > 0)
    if len(with_number):
        pairs = np.unique(np.stack([components[with_number], nhs[with_number]], axis=1), axis=0)
        roots, per_root = np.unique(pairs[:, 0], return_counts=True)
        inconsistent[roots[per_root > 1]] = True
    labels = components.copy()
    troubled = np.flatnonzero(inconsistent)
    if len(troubled):
        labels = _split(
            labels=labels,
            troubled=troubled,
            match_first=match_first,
            match_second=match_second,
            match_weights=match_weights,
            conflict_first=conflict_first,
            conflict_second=conflict_second,
            nhs=nhs,
            rank=rank,
        )
    return _label_by_rank(labels, rank)


def _split(
    *,
    labels: I64,
    troubled: I64,
    match_first: I64,
    match_second: I64,
    match_weights: np.ndarray,
    conflict_first: I64,
    conflict_second: I64,
    nhs: I64,
    rank: I64,
) -> I64:
    """Rebuild each inconsistent component by constrained merging, strongest pair first."""
    in_troubled = np.isin(labels, troubled)
    nodes = np.flatnonzero(in_troubled)
    edge_mask = in_troubled[match_first]
    first, second = match_first[edge_mask], match_second[edge_mask]
    weights = match_weights[edge_mask]
    low_rank = np.minimum(rank[first], rank[second])
    high_rank = np.maximum(rank[first], rank[second])
    order = np.lexsort((high_rank, low_rank, -weights))
    conflict_mask = in_troubled[conflict_first]
    cannot: dict[int, set[int]] = {}
    for a, b in zip(
        conflict_first[conflict_mask].tolist(), conflict_second[conflict_mask].tolist(), strict=True
    ):
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)
    numbers = {int(node): int(nhs[node]) for node in nodes.tolist() if nhs[node]}
    merger = _Merger(nodes.tolist(), numbers, cannot)
    for a, b in zip(first[order].tolist(), second[order].tolist(), strict=True):
        merger.merge(a, b)
    result = labels.copy()
    for node in nodes.tolist():
        result[node] = merger.find(node)
    return result


def _label_by_rank(labels: I64, rank: I64) -> I64:
    """Relabel each cluster by its member of lowest rank."""
    if len(labels) == 0:
        return labels
    best_rank = np.full(len(labels), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(best_rank, labels, rank)
    by_rank = np.full(len(labels), -1, np.int64)
    is_best = rank == best_rank[labels]
    by_rank[labels[is_best]] = np.flatnonzero(is_best)
    return by_rank[labels]
