"""Splitting a run into independent work units, for Celery tasks or worker processes.

A `WorkUnit` is plain data: some blocks (each a blocking key and its records, normalised) and,
for each record, all its usable blocking keys. A pair of records can share several blocks; the
unit holding the pair's smallest shared key is the one that compares it, so every candidate pair
is compared by exactly one unit, whichever process runs it, with no coordination.

A run in units:
1. `work_units(records)`: normalise centrally and split (cheap).
2. `work_unit_patterns(unit)` per unit, summed: the comparison patterns EM needs; then
   `fellegi_sunter.model_fit` centrally (skipped when a fitted model is given).
3. `work_unit_score(unit, model=...)` per unit: the scored pairs worth keeping.
4. `engine.MatchIndex.assemble(...)`: cluster centrally.

`link_in_units` does all four in this process (or a local process pool), and gives the same
result as `engine.link`.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from matching.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    BlockIndex,
    BlockingLookups,
    blocking_keys,
)
from matching.clustering import Thresholds
from matching.comparison import COMPARISONS, RecordTable, compare_pairs, pair_conflicts
from matching.engine import LinkResult, LinkSettings, MatchIndex
from matching.fellegi_sunter import MatchModel, level_patterns, model_fit, pair_weights
from matching.normalise import (
    Address,
    BirthDate,
    NormalisedRecord,
    Postcode,
    RecordIn,
    RecordKey,
    record_normalise,
)

I64 = np.ndarray[Any, np.dtype[np.int64]]
Pattern = tuple[int, ...]
ScoredRow = tuple[RecordKey, RecordKey, float, bool]


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """Blocks to compare, with everything needed to do it anywhere.

    `blocks[i]` lists indexes into `records` that share `block_keys[i]`; `usable_keys[r]` are
    all usable blocking keys of record r (sorted), used to give each pair to one unit only.
    """

    unit_id: int
    records: tuple[NormalisedRecord, ...]
    block_keys: tuple[int, ...]
    blocks: tuple[tuple[int, ...], ...]
    usable_keys: tuple[tuple[int, ...], ...]

    @property
    def pair_count(self) -> int:
        """Pairs within its blocks (before pairs compared by another unit are left out)."""
        return sum(len(block) * (len(block) - 1) // 2 for block in self.blocks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a task queue."""
        return {
            "unit_id": self.unit_id,
            "records": [_record_as_list(record) for record in self.records],
            "block_keys": list(self.block_keys),
            "blocks": [list(block) for block in self.blocks],
            "usable_keys": [list(keys) for keys in self.usable_keys],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkUnit:
        return cls(
            unit_id=int(data["unit_id"]),
            records=tuple(_record_from_list(row) for row in data["records"]),
            block_keys=tuple(int(key) for key in data["block_keys"]),
            blocks=tuple(tuple(int(i) for i in block) for block in data["blocks"]),
            usable_keys=tuple(tuple(int(k) for k in keys) for keys in data["usable_keys"]),
        )


def _record_as_list(record: NormalisedRecord) -> list[Any]:
    return [
        record.source,
        record.record_id,
        list(record.given_names),
        record.family_name,
        list(record.family_parts),
        list(record.birth) if record.birth else None,
        record.sex,
        list(record.postcode) if record.postcode else None,
        list(record.address) if record.address else None,
        record.nhs_number,
    ]


def _record_from_list(row: Sequence[Any]) -> NormalisedRecord:
    birth, postcode, address = row[5], row[7], row[8]
    return NormalisedRecord(
        source=row[0],
        record_id=row[1],
        given_names=tuple(row[2]),
        family_name=row[3],
        family_parts=tuple(row[4]),
        birth=BirthDate(*birth) if birth else None,
        sex=row[6],
        postcode=Postcode(*postcode) if postcode else None,
        address=Address(*address) if address else None,
        nhs_number=row[9],
    )


# ---------------------------------------------------------------------------------------------
# Splitting


def _usable_blocks(index: BlockIndex, max_block_size: int) -> tuple[I64, I64, I64]:
    """Start, size and key of every block with 2..max_block_size records."""
    keys = index.keys
    if len(keys) == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    usable = (sizes >= 2) & (sizes <= max_block_size)
    return starts[usable], sizes[usable], keys[starts[usable]]


def work_units(
    records: Sequence[NormalisedRecord],
    *,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    max_unit_pairs: int = 250_000,
) -> tuple[WorkUnit, ...]:
    """Split the comparison of `records` into units of whole blocks, up to `max_unit_pairs`
    pairs each (a single larger block makes a unit of its own)."""
    table = RecordTable.from_records(records)
    positions, keys, _ = blocking_keys(table, BlockingLookups())
    index = BlockIndex(positions, keys)
    starts, sizes, block_keys = _usable_blocks(index, max_block_size)
    usable_entry = np.zeros(len(index.keys), np.bool_)
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        usable_entry[start : start + size] = True
    held: dict[int, list[int]] = {}
    for position, key in zip(
        index.positions[usable_entry].tolist(), index.keys[usable_entry].tolist(), strict=True
    ):
        held.setdefault(position, []).append(key)
    members = index.positions.tolist()
    units: list[WorkUnit] = []
    current: list[tuple[int, list[int]]] = []
    current_pairs = 0

    def close() -> None:
        nonlocal current, current_pairs
        if not current:
            return
        chosen = sorted({position for _, block in current for position in block})
        local = {position: i for i, position in enumerate(chosen)}
        units.append(
            WorkUnit(
                unit_id=len(units),
                records=tuple(records[position] for position in chosen),
                block_keys=tuple(key for key, _ in current),
                blocks=tuple(tuple(local[p] for p in block) for _, block in current),
                usable_keys=tuple(tuple(sorted(held[position])) for position in chosen),
            )
        )
        current, current_pairs = [], 0

    for start, size, key in zip(starts.tolist(), sizes.tolist(), block_keys.tolist(), strict=True):
        pairs = size * (size - 1) // 2
        if current and current_pairs + pairs > max_unit_pairs:
            close()
        current.append((key, members[start : start + size]))
        current_pairs += pairs
    close()
    return tuple(units)


# ---------------------------------------------------------------------------------------------
# Running one unit


def _unit_pairs(unit: WorkUnit) -> tuple[RecordTable, I64, I64]:
    """The unit's table and the pairs it is responsible for (local indexes, lower first)."""
    table = RecordTable.from_records(unit.records)
    firsts: list[I64] = []
    seconds: list[I64] = []
    owners: list[I64] = []
    for block_index, block in enumerate(unit.blocks):
        members = np.array(block, np.int64)
        upper_first, upper_second = np.triu_indices(len(members), 1)
        firsts.append(members[upper_first])
        seconds.append(members[upper_second])
        owners.append(np.full(len(upper_first), block_index, np.int64))
    if not firsts:
        empty = np.empty(0, np.int64)
        return table, empty, empty
    first = np.concatenate(firsts)
    second = np.concatenate(seconds)
    owner_key = np.array(unit.block_keys, np.int64)[np.concatenate(owners)]
    low, high = np.minimum(first, second), np.maximum(first, second)
    # Every key as a dense id in key order, each record's keys as (record, id) codes.
    all_keys = np.array(sorted({key for keys in unit.usable_keys for key in keys}), np.int64)
    key_id = {key: i for i, key in enumerate(all_keys.tolist())}
    held_codes = np.array(
        sorted(
            (record << 32) | key_id[key]
            for record, keys in enumerate(unit.usable_keys)
            for key in keys
        ),
        np.int64,
    )
    # For each pair, the smallest key both records hold: the pair belongs to that key's block.
    counts = np.array([len(keys) for keys in unit.usable_keys], np.int64)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    per_pair = counts[low]
    rows = np.repeat(np.arange(len(low), dtype=np.int64), per_pair)
    offsets = np.repeat(starts[low] - np.cumsum(per_pair) + per_pair, per_pair) + np.arange(
        int(per_pair.sum()), dtype=np.int64
    )
    low_key_ids = held_codes[offsets] & np.int64(0xFFFFFFFF)
    shared = np.isin((high[rows] << np.int64(32)) | low_key_ids, held_codes)
    smallest = np.full(len(low), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(smallest, rows[shared], low_key_ids[shared])
    owner_id = np.array([key_id[key] for key in owner_key.tolist()], np.int64)
    mine = smallest == owner_id
    codes = np.unique((low[mine] << np.int64(32)) | high[mine])
    return table, codes >> np.int64(32), codes & np.int64(0xFFFFFFFF)


def work_unit_patterns(unit: WorkUnit, *, workers: int = 1) -> tuple[tuple[Pattern, int], ...]:
    """The comparison patterns of the unit's pairs and how many pairs have each (for EM)."""
    table, first, second = _unit_pairs(unit)
    patterns, counts = level_patterns(compare_pairs(table, first, second, workers=workers))
    return tuple(
        (tuple(int(level) for level in pattern), int(count))
        for pattern, count in zip(patterns.tolist(), counts.tolist(), strict=True)
    )


def work_unit_score(
    unit: WorkUnit, *, model: MatchModel, thresholds: Thresholds, workers: int = 1
) -> tuple[ScoredRow, ...]:
    """The unit's pairs worth keeping (at or above the review threshold, or conflicting), as
    (first key, second key, weight in bits, conflict)."""
    table, first, second = _unit_pairs(unit)
    levels = compare_pairs(table, first, second, workers=workers)
    weights = pair_weights(model=model, table=table, first=first, second=second, levels=levels)
    conflicts = pair_conflicts(table, first, second, levels)
    keep = np.flatnonzero((weights >= thresholds.review) | conflicts)
    keys = table.keys
    return tuple(
        (keys[a], keys[b], weight, conflict)
        for a, b, weight, conflict in zip(
            first[keep].tolist(),
            second[keep].tolist(),
            weights[keep].tolist(),
            conflicts[keep].tolist(),
            strict=True,
        )
    )


# ---------------------------------------------------------------------------------------------
# The in-process runner

T = TypeVar("T")


def _runner(processes: int) -> Callable[[Callable[[WorkUnit], T], Sequence[WorkUnit]], list[T]]:
    def run(task: Callable[[WorkUnit], T], units: Sequence[WorkUnit]) -> list[T]:
        if processes <= 1 or len(units) <= 1:
            return [task(unit) for unit in units]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            return list(pool.map(task, units, chunksize=max(1, len(units) // (4 * processes))))

    return run


def link_in_units(
    records: Iterable[RecordIn],
    *,
    model: MatchModel | None = None,
    settings: LinkSettings | None = None,
    processes: int = 1,
    max_unit_pairs: int = 250_000,
) -> LinkResult:
    """A full run split into work units, run here (or in `processes` local processes): the
    same result as `engine.link` over the same records and model."""
    settings = settings or LinkSettings()
    raw = list(records)
    normalised = [record_normalise(record) for record in raw]
    units = work_units(
        normalised, max_block_size=settings.max_block_size, max_unit_pairs=max_unit_pairs
    )
    run = _runner(processes)
    if model is None:
        totals: Counter[Pattern] = Counter()
        for counted in run(partial(work_unit_patterns, workers=settings.workers), units):
            for pattern, count in counted:
                totals[pattern] += count
        ordered = sorted(totals)
        model = model_fit(
            table=RecordTable.from_records(normalised),
            patterns=np.array(ordered, np.int8).reshape(len(ordered), len(COMPARISONS)),
            counts=np.array([totals[pattern] for pattern in ordered], np.int64),
            u_sample_pairs=settings.u_sample_pairs,
            seed=settings.seed,
            workers=settings.workers,
            max_iterations=settings.em_max_iterations,
        )
    score = partial(
        work_unit_score, model=model, thresholds=settings.thresholds, workers=settings.workers
    )
    scored = [row for rows in run(score, units) for row in rows]
    index = MatchIndex.assemble(raw, normalised, model=model, settings=settings, scored=scored)
    return index.result()
