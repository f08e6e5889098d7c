"""Linking records into persons: the full run and the incremental update.

`link(records)` normalises, blocks, compares, fits the model (unless one is given), scores and
clusters, and returns a `LinkResult`. `MatchIndex` is the same run kept in memory: build it once
(`MatchIndex.build`), then `update` it with new, changed or removed records; the persons it then
holds are exactly those a full run over the same records with the same model would give. A
service keeps the index between runs (`dumps` / `loads`) and refits the model (a full run without
`model`) now and then, for instance weekly, so that weights follow the data.

Everything here is plain Python and numpy: no database. Record identity is a `RecordKey`
(source, record_id); a person (cluster) is identified by its member with the smallest key, so
cluster ids are stable while membership is and sort like record keys.
"""

from __future__ import annotations

import gc
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from matching.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    BlockIndex,
    BlockingLookups,
    block_members,
    blocking_keys,
    candidate_pairs,
    pairs_with,
    unique_pairs,
)
from matching.clustering import MATCH, Thresholds, clusters_assign, pair_decisions
from matching.comparison import RecordTable, compare_pairs, pair_conflicts
from matching.explain import PairExplanation, explain_positions
from matching.fellegi_sunter import (
    MatchModel,
    level_patterns,
    model_fit,
    pair_weights,
    weight_probability,
)
from matching.normalise import (
    NormalisedRecord,
    RecordIn,
    RecordKey,
    record_normalise,
)

I64 = np.ndarray[Any, np.dtype[np.int64]]
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """How a run blocks, fits and decides. `workers` is the number of threads rapidfuzz uses."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    u_sample_pairs: int = 2_000_000
    em_max_iterations: int = 500
    seed: int = 20250331
    workers: int = 1
    chunk_pairs: int = 1_000_000


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """A pair at or above the review threshold. `decision` is "match" when the two records are
    in one person, otherwise "review" (a possible match for clerical review)."""

    first: RecordKey
    second: RecordKey
    weight: float
    decision: Literal["match", "review"]
    conflict: bool

    @property
    def probability(self) -> float:
        return weight_probability(self.weight)


@dataclass(frozen=True, slots=True)
class Cluster:
    cluster_id: RecordKey
    members: tuple[RecordKey, ...]


@dataclass(frozen=True)
class LinkResult:
    """Every record's person (`assignments`: record key -> cluster id), the pairs at or above
    the review threshold, and the model used."""

    assignments: Mapping[RecordKey, RecordKey]
    pairs: tuple[ScoredPair, ...]
    model: MatchModel
    stats: Mapping[str, float] = field(default_factory=dict)

    def clusters(self) -> tuple[Cluster, ...]:
        """Persons sorted by cluster id, members sorted."""
        members: dict[RecordKey, list[RecordKey]] = {}
        for key, cluster_id in self.assignments.items():
            members.setdefault(cluster_id, []).append(key)
        return tuple(
            Cluster(cluster_id=cluster_id, members=tuple(sorted(keys)))
            for cluster_id, keys in sorted(members.items())
        )


@dataclass(frozen=True)
class LinkDelta:
    """What an update changed: the new person of every record whose person changed (or that is
    new), the records removed, and the scored pairs of the persons that were re-examined."""

    assignments: Mapping[RecordKey, RecordKey]
    removed: tuple[RecordKey, ...]
    pairs: tuple[ScoredPair, ...]
    stats: Mapping[str, float] = field(default_factory=dict)


def _key_rank(keys: Sequence[RecordKey], positions: I64) -> I64:
    """The order of these records' keys (0 = smallest)."""
    order = sorted(range(len(positions)), key=lambda i: keys[int(positions[i])])
    rank = np.empty(len(positions), np.int64)
    rank[np.array(order, np.int64)] = np.arange(len(positions), dtype=np.int64)
    return rank


class MatchIndex:
    """Records, blocks, scored pairs and persons of a matched store, kept for incremental runs.

    Scored pairs kept: those at or above the review threshold, and conflicting pairs (needed to
    keep people apart when clustering).
    """

    def __init__(self, *, settings: LinkSettings, model: MatchModel) -> None:
        self.settings = settings
        self.model = model
        self.table = RecordTable()
        self.lookups = BlockingLookups()
        self.blocks = BlockIndex(np.empty(0, np.int64), np.empty(0, np.int64))
        self.position_of: dict[RecordKey, int] = {}
        self.alive = np.empty(0, np.bool_)
        self.first = np.empty(0, np.int64)
        self.second = np.empty(0, np.int64)
        self.weights = np.empty(0, np.float64)
        self.conflicts = np.empty(0, np.bool_)
        self.labels = np.empty(0, np.int64)
        self.stats: dict[str, float] = {}

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def _prepare(
        cls,
        raw: list[RecordIn],
        normalised: Sequence[NormalisedRecord] | None,
        *,
        model: MatchModel | None,
        settings: LinkSettings,
    ) -> MatchIndex:
        """An index holding the records and their blocks, without pairs or persons yet."""
        keys = [record.key for record in raw]
        if len(set(keys)) != len(keys):
            raise ValueError("Record keys (source, record_id) must be unique.")
        index = cls(settings=settings, model=model or _placeholder_model())
        if normalised is None:
            normalised = [record_normalise(record) for record in raw]
        index.table.append(normalised)
        index.position_of = {key: position for position, key in enumerate(keys)}
        index.alive = np.ones(len(raw), np.bool_)
        index.labels = np.full(len(raw), -1, np.int64)
        positions, block_keys, _ = blocking_keys(index.table, index.lookups)
        index.blocks = BlockIndex(positions, block_keys)
        return index

    @classmethod
    def build(
        cls,
        records: Iterable[RecordIn],
        *,
        model: MatchModel | None = None,
        settings: LinkSettings | None = None,
        progress: Progress | None = None,
    ) -> MatchIndex:
        """A full run over `records`: fits a model unless one is given."""
        settings = settings or LinkSettings()
        report = progress or (lambda message: None)
        clock = _Clock()
        with _collector_paused():
            index = cls._prepare(list(records), None, model=model, settings=settings)
            clock.lap("normalise_and_block")
            first, second = candidate_pairs(index.blocks, max_block_size=settings.max_block_size)
            report(f"Blocked {len(index.table):,} records: {len(first):,} candidate pairs.")
            clock.lap("pairs")
            levels = index._compare(first, second)
            clock.lap("compare")
            if model is None:
                patterns, counts = level_patterns(levels)
                index.model = model_fit(
                    table=index.table,
                    patterns=patterns,
                    counts=counts,
                    u_sample_pairs=settings.u_sample_pairs,
                    seed=settings.seed,
                    workers=settings.workers,
                    max_iterations=settings.em_max_iterations,
                )
                report(
                    f"Fitted the model: prior {index.model.prior_bits:.1f} bits, "
                    f"{index.model.em_iterations} EM iterations."
                )
                clock.lap("fit")
            index._store(first, second, levels)
            del levels
            clock.lap("score")
            index._cluster(np.arange(len(index.table), dtype=np.int64))
            report(f"Clustered {len(index.table):,} records.")
            clock.lap("cluster")
        index.stats = {**clock.laps, "candidate_pairs": float(len(first))}
        return index

    @classmethod
    def assemble(
        cls,
        records: Sequence[RecordIn],
        normalised: Sequence[NormalisedRecord],
        *,
        model: MatchModel,
        settings: LinkSettings,
        scored: Iterable[tuple[RecordKey, RecordKey, float, bool]],
    ) -> MatchIndex:
        """An index from pairs scored elsewhere (work units run by other processes): the
        records' blocks are built here, the pairs are taken as given, persons are clustered."""
        with _collector_paused():
            index = cls._prepare(list(records), normalised, model=model, settings=settings)
            where = index.position_of
            rows = [(where[a], where[b], weight, conflict) for a, b, weight, conflict in scored]
            first = np.array([min(row[0], row[1]) for row in rows], np.int64)
            second = np.array([max(row[0], row[1]) for row in rows], np.int64)
            index.first, index.second = first, second
            index.weights = np.array([row[2] for row in rows], np.float64)
            index.conflicts = np.array([row[3] for row in rows], np.bool_)
            index._cluster(np.arange(len(index.table), dtype=np.int64))
        return index

    def _compare(self, first: I64, second: I64) -> np.ndarray:
        chunk = max(self.settings.chunk_pairs, 1)
        parts = [
            compare_pairs(
                self.table,
                first[start : start + chunk],
                second[start : start + chunk],
                workers=self.settings.workers,
            )
            for start in range(0, len(first), chunk)
        ]
        if not parts:
            return np.empty((0, 6), np.int8)
        return np.concatenate(parts)

    def _score(self, first: I64, second: I64, levels: np.ndarray) -> tuple[I64, I64, Any, Any]:
        """Weights and conflicts; only the pairs worth keeping are returned."""
        weights = pair_weights(
            model=self.model, table=self.table, first=first, second=second, levels=levels
        )
        conflicts = pair_conflicts(self.table, first, second, levels)
        keep = (weights >= self.settings.thresholds.review) | conflicts
        return first[keep], second[keep], weights[keep], conflicts[keep]

    def _store(self, first: I64, second: I64, levels: np.ndarray) -> None:
        chunk = max(self.settings.chunk_pairs, 1)
        parts = [
            self._score(
                first[start : start + chunk],
                second[start : start + chunk],
                levels[start : start + chunk],
            )
            for start in range(0, len(first), chunk)
        ]
        self.first = np.concatenate([self.first, *(part[0] for part in parts)])
        self.second = np.concatenate([self.second, *(part[1] for part in parts)])
        self.weights = np.concatenate([self.weights, *(part[2] for part in parts)])
        self.conflicts = np.concatenate([self.conflicts, *(part[3] for part in parts)])

    def _match_mask(self) -> np.ndarray:
        decisions = pair_decisions(
            weights=self.weights, conflicts=self.conflicts, thresholds=self.settings.thresholds
        )
        return decisions == MATCH

    def _cluster(self, nodes: I64) -> None:
        """Cluster `nodes` (a union of whole components of the match graph) afresh."""
        nodes = np.unique(nodes)
        if len(nodes) == 0:
            return
        local = np.full(len(self.table), -1, np.int64)
        local[nodes] = np.arange(len(nodes), dtype=np.int64)
        match = self._match_mask()
        in_nodes = (local[self.first] >= 0) & (local[self.second] >= 0)
        chosen = match & in_nodes
        conflicting = self.conflicts & in_nodes
        labels = clusters_assign(
            size=len(nodes),
            match_first=local[self.first[chosen]],
            match_second=local[self.second[chosen]],
            match_weights=self.weights[chosen],
            conflict_first=local[self.first[conflicting]],
            conflict_second=local[self.second[conflicting]],
            nhs=self.table.nhs[nodes],
            rank=_key_rank(self.table.keys, nodes),
        )
        self.labels[nodes] = nodes[labels]

    # -- results -------------------------------------------------------------------------------

    def _pairs(self, mask: np.ndarray) -> tuple[ScoredPair, ...]:
        keys = self.table.keys
        review = self.settings.thresholds.review
        chosen = np.flatnonzero(mask & (self.weights >= review))
        first = self.first[chosen].tolist()
        second = self.second[chosen].tolist()
        same = (self.labels[self.first[chosen]] == self.labels[self.second[chosen]]).tolist()
        return tuple(
            ScoredPair(
                first=keys[a],
                second=keys[b],
                weight=weight,
                decision="match" if together else "review",
                conflict=conflict,
            )
            for a, b, weight, conflict, together in zip(
                first,
                second,
                self.weights[chosen].tolist(),
                self.conflicts[chosen].tolist(),
                same,
                strict=True,
            )
        )

    def result(self) -> LinkResult:
        keys = self.table.keys
        living = np.flatnonzero(self.alive).tolist()
        labels = self.labels.tolist()
        return LinkResult(
            assignments={keys[position]: keys[labels[position]] for position in living},
            pairs=self._pairs(np.ones(len(self.weights), np.bool_)),
            model=self.model,
            stats=dict(self.stats),
        )

    def explain(self, first: RecordKey, second: RecordKey) -> PairExplanation:
        """Field-by-field contributions to the score of two stored records."""
        return explain_positions(
            model=self.model,
            table=self.table,
            first=self.position_of[first],
            second=self.position_of[second],
        )

    def cluster_labels(self) -> I64:
        """Each position's cluster (the position of its cluster id record; -1 if removed)."""
        return self.labels.copy()

    # -- incremental ---------------------------------------------------------------------------

    def update(
        self,
        *,
        upserts: Iterable[RecordIn] = (),
        removals: Iterable[RecordKey] = (),
        progress: Progress | None = None,
    ) -> LinkDelta:
        """Match new and changed records (and drop removed ones) against the store.

        The persons afterwards are those a full run with this model over the resulting records
        would give: the changed records' pairs are rescored, blocks that grew past or shrank
        below the size cap gain or lose their pairs, and every person the changes touch is
        clustered again from its match pairs.
        """
        with _collector_paused():
            return self._update(list(upserts), removals, progress)

    def _update(
        self,
        upserts: list[RecordIn],
        removals: Iterable[RecordKey],
        progress: Progress | None,
    ) -> LinkDelta:
        report = progress or (lambda message: None)
        clock = _Clock()
        cap = self.settings.max_block_size
        removed_keys = [key for key in dict.fromkeys(removals) if key in self.position_of]
        if len({record.key for record in upserts}) != len(upserts):
            raise ValueError("Record keys (source, record_id) must be unique.")
        if set(removed_keys) & {record.key for record in upserts}:
            raise ValueError("A record cannot be both upserted and removed.")
        added: list[RecordIn] = []
        existing: list[NormalisedRecord] = []
        existing_positions: list[int] = []
        for record in upserts:
            position = self.position_of.get(record.key)
            if position is None:
                added.append(record)
            else:
                existing.append(record_normalise(record))
                existing_positions.append(position)
        removed = np.array([self.position_of[key] for key in removed_keys], np.int64)
        removed = removed[self.alive[removed]] if len(removed) else removed
        # An existing record is rewritten if it was removed or its normalised fields changed (a
        # change that normalises away, such as capitals, changes nothing).
        rewritten_positions = np.array(existing_positions, np.int64)
        if existing:
            differs = self.table.replace(existing_positions, existing)
            rewritten_positions = rewritten_positions[differs | ~self.alive[rewritten_positions]]
        new_positions = np.array(
            list(self.table.append([record_normalise(record) for record in added])), np.int64
        )
        for record, position in zip(added, new_positions.tolist(), strict=True):
            self.position_of[record.key] = position
        self.alive = np.concatenate([self.alive, np.ones(len(added), np.bool_)])
        self.alive[removed] = False
        self.alive[rewritten_positions] = True
        self.labels = np.concatenate([self.labels, np.full(len(added), -1, np.int64)])
        fresh = np.concatenate([rewritten_positions, new_positions])
        gone = np.concatenate([rewritten_positions, removed])
        clock.lap("normalise")

        # Blocks: old entries of rewritten and removed records out, new entries in.
        old_blocks = self.blocks
        blocks, old_keys = old_blocks.without(gone)
        positions, keys, _ = blocking_keys(self.table, self.lookups, fresh)
        blocks = blocks.with_entries(positions, keys)
        self.blocks = blocks
        affected_keys = np.unique(np.concatenate([old_keys, keys]))
        size_before = old_blocks.sizes(affected_keys)
        size_after = blocks.sizes(affected_keys)
        grew_past = affected_keys[(size_before <= cap) & (size_after > cap)]
        shrank_below = affected_keys[(size_before > cap) & (size_after <= cap) & (size_after > 1)]

        # Pairs out: every pair of a rewritten or removed record, and pairs that only a block
        # now grown past the cap held together.
        touched = [fresh, removed]
        gone_mask = np.zeros(len(self.table), np.bool_)
        gone_mask[gone] = True
        drop = gone_mask[self.first] | gone_mask[self.second]
        if len(grew_past):
            drop |= self._uncovered(grew_past, exclude=fresh)
        touched += [self.first[drop], self.second[drop]]
        keep = ~drop
        self.first, self.second = self.first[keep], self.second[keep]
        self.weights, self.conflicts = self.weights[keep], self.conflicts[keep]

        # Pairs in: those of new and rewritten records, and those of blocks shrunk below the cap.
        first, second = pairs_with(blocks, keys, fresh, max_block_size=cap)
        for key in shrank_below.tolist():
            members = block_members(blocks, key)
            upper_first, upper_second = np.triu_indices(len(members), 1)
            first = np.concatenate([first, members[upper_first]])
            second = np.concatenate([second, members[upper_second]])
        first, second = unique_pairs(first, second)
        stored = np.sort((self.first << np.int64(32)) | self.second)
        new_codes = (first << np.int64(32)) | second
        slot = np.minimum(np.searchsorted(stored, new_codes), max(len(stored) - 1, 0))
        unseen = stored[slot] != new_codes if len(stored) else np.ones(len(new_codes), np.bool_)
        first, second = first[unseen], second[unseen]
        clock.lap("block")
        levels = self._compare(first, second)
        before = len(self.first)
        self._store(first, second, levels)
        touched += [self.first[before:], self.second[before:]]
        clock.lap("score")
        report(f"Scored {len(first):,} new candidate pairs.")

        # Persons: re-cluster every component the changes touch (and the old persons of the
        # touched records, which may fall apart).
        seeds = np.unique(np.concatenate(touched))
        old_labels = self.labels.copy()
        seed_labels = old_labels[seeds]
        seed_labels = seed_labels[seed_labels >= 0]
        touched_person = np.zeros(len(self.table) + 1, np.bool_)
        touched_person[seed_labels] = True
        seeds = np.unique(np.concatenate([seeds, np.flatnonzero(touched_person[old_labels])]))
        seeds = seeds[self.alive[seeds]]
        nodes = self._component_closure(seeds)
        self.labels[removed] = -1
        self._cluster(nodes)
        clock.lap("cluster")
        keys_list = self.table.keys
        moved = nodes[self.labels[nodes] != old_labels[nodes]]
        involved = np.zeros(len(self.table), np.bool_)
        involved[nodes] = True
        self.stats = {**clock.laps, "candidate_pairs": float(len(first))}
        return LinkDelta(
            assignments={
                keys_list[position]: keys_list[int(self.labels[position])]
                for position in moved.tolist()
            },
            removed=tuple(keys_list[position] for position in removed.tolist()),
            pairs=self._pairs(involved[self.first] | involved[self.second]),
            stats=dict(self.stats),
        )

    def _uncovered(self, grown: I64, *, exclude: I64) -> np.ndarray:
        """Stored pairs inside the `grown` blocks that no other usable block holds together."""
        cap = self.settings.max_block_size
        members = np.unique(
            np.concatenate([block_members(self.blocks, key) for key in grown.tolist()])
        )
        members = members[~np.isin(members, exclude)]
        inside = np.flatnonzero(np.isin(self.first, members) & np.isin(self.second, members))
        uncovered = np.zeros(len(self.first), np.bool_)
        if len(inside) == 0:
            return uncovered
        held = self.blocks.keys_of(members)
        all_keys = np.array(sorted({key for keys in held.values() for key in keys}), np.int64)
        sizes = dict(zip(all_keys.tolist(), self.blocks.sizes(all_keys).tolist(), strict=True))
        for pair in inside.tolist():
            shared = held[int(self.first[pair])] & held[int(self.second[pair])]
            if not any(2 <= sizes[key] <= cap for key in shared):
                uncovered[pair] = True
        return uncovered

    def _component_closure(self, seeds: I64) -> I64:
        """Every record connected to `seeds` through match pairs."""
        match = self._match_mask()
        first, second = self.first[match], self.second[match]
        source = np.concatenate([first, second])
        target = np.concatenate([second, first])
        order = np.argsort(source, kind="stable")
        source, target = source[order], target[order]
        start = np.searchsorted(source, np.arange(len(self.table) + 1))
        visited = np.zeros(len(self.table), np.bool_)
        visited[seeds] = True
        frontier = seeds
        while len(frontier):
            counts = start[frontier + 1] - start[frontier]
            offsets = np.repeat(start[frontier] - np.cumsum(counts) + counts, counts)
            neighbours = target[offsets + np.arange(int(counts.sum()), dtype=np.int64)]
            neighbours = np.unique(neighbours[~visited[neighbours]])
            visited[neighbours] = True
            frontier = neighbours
        return np.flatnonzero(visited & self.alive)

    # -- keeping between runs ------------------------------------------------------------------

    def dumps(self) -> bytes:
        """The whole index as bytes, for the service to keep between runs."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def loads(cls, data: bytes) -> MatchIndex:
        """An index from `dumps`. Only ever load bytes this service wrote itself."""
        index = pickle.loads(data)  # noqa: S301 - our own index, never data from outside
        if not isinstance(index, cls):
            raise TypeError("Not a match index.")
        return index


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are made: it would
    otherwise walk them all again and again (nothing made here forms cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[f"seconds_{name}"] = self.laps.get(f"seconds_{name}", 0.0) + now - self._last
        self._last = now


def _placeholder_model() -> MatchModel:
    return MatchModel(
        comparisons=(),
        prior=0.5,
        term_frequencies={},
        unseen_frequency={},
        records=0,
        candidate_pairs=0,
        em_iterations=0,
    )


def link(
    records: Iterable[RecordIn],
    *,
    model: MatchModel | None = None,
    settings: LinkSettings | None = None,
    progress: Progress | None = None,
) -> LinkResult:
    """Link records into persons. Fits the model to the records unless one is given."""
    return MatchIndex.build(records, model=model, settings=settings, progress=progress).result()


def link_incremental(
    *,
    index: MatchIndex,
    upserts: Iterable[RecordIn] = (),
    removals: Iterable[RecordKey] = (),
    progress: Progress | None = None,
) -> LinkDelta:
    """Match new or changed records (and drop removed ones) against a kept index."""
    return index.update(upserts=upserts, removals=removals, progress=progress)
