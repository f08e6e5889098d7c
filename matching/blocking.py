"""Blocking: which pairs of records are worth comparing at all.

A blocking rule gives each record zero or more keys; two records are a candidate pair when they
share a key of any rule and that key's block is no larger than `max_block_size` (a larger block,
such as a placeholder date of birth shared by thousands, says little and would swamp the
comparison). Rules, each aimed at errors the others miss:

- `nhs_number`: a valid NHS number;
- `birth_given`: date of birth with day and month in order (so a swapped date shares the key)
  and a form of the first given name (itself or a formal name it is a nickname of);
- `birth_family`: the same date and the phonetic code (NYSIIS) of a family-name part (so a
  nickname, a typo in the given name or a double-barrelled name recorded in part still meets);
- `family_given_year`: family-name part code, given-name form and year of birth (for a partial
  or mistyped date);
- `postcode_initials`: full postcode and the initials of given name and a family-name part (for
  a missing date);
- `address_family`: house numbers and first word of the address line and family-name part code
  (for a missing or mistyped postcode);
- `given_family_district`: given-name form, family-name part code and postcode district (for a
  missing date and a move within the district).

Keys are 64-bit hashes of the rule and the values, computed from stable hashes of strings, so the
same record gets the same keys in any run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import jellyfish
import numpy as np

from matching.comparison import PartLookup, RecordTable, mix_hash, stable_hash
from matching.normalise import given_name_forms

RULES: tuple[str, ...] = (
    "nhs_number",
    "birth_given",
    "birth_family",
    "family_given_year",
    "postcode_initials",
    "address_family",
    "given_family_district",
)
DEFAULT_MAX_BLOCK_SIZE = 200

U64 = np.ndarray[Any, np.dtype[np.uint64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]


def _phonetic(value: str) -> tuple[str, ...]:
    return (jellyfish.nysiis(value),) if value else ()


def _first_letter(value: str) -> tuple[str, ...]:
    return (value[:1],) if value else ()


def _first_word(value: str) -> tuple[str, ...]:
    return (value.split(" ", 1)[0],) if value else ()


def _whole(value: str) -> tuple[str, ...]:
    return (value,) if value else ()


class BlockingLookups:
    """Key parts per vocabulary entry of one RecordTable, kept up to date as it grows."""

    def __init__(self) -> None:
        self.given_forms = PartLookup(given_name_forms)
        self.given_initial = PartLookup(_first_letter)
        self.family_phonetic = PartLookup(_phonetic)
        self.family_initial = PartLookup(_first_letter)
        self.address_word = PartLookup(_first_word)
        self.address_value = PartLookup(_whole)
        self.postcode_value = PartLookup(_whole)

    def update(self, table: RecordTable) -> None:
        self.given_forms.update(table.names)
        self.given_initial.update(table.names)
        self.family_phonetic.update(table.families)
        self.family_initial.update(table.families)
        self.address_word.update(table.addresses)
        self.address_value.update(table.addresses)
        self.postcode_value.update(table.postcodes)


# ---------------------------------------------------------------------------------------------
# Keys


class _Rows:
    """(position, partial key) rows while a rule's key is built up value by value."""

    def __init__(self, positions: I64, rule: int) -> None:
        self.positions = positions
        self.state = np.full(len(positions), stable_hash(RULES[rule]), np.uint64)

    def scalar(self, values: np.ndarray, valid: np.ndarray) -> _Rows:
        """Add one value per record (`values` and `valid` indexed by position)."""
        keep = valid[self.positions]
        self.positions = self.positions[keep]
        self.state = mix_hash(self.state[keep], values[self.positions])
        return self

    def each(self, codes: np.ndarray, lookup: PartLookup) -> _Rows:
        """Add each key part of the record's code (one row per part)."""
        row_codes = codes[self.positions].astype(np.int64)
        keep = row_codes >= 0
        positions, state, row_codes = self.positions[keep], self.state[keep], row_codes[keep]
        counts = lookup.start[row_codes + 1] - lookup.start[row_codes]
        total = int(counts.sum())
        offsets = np.repeat(lookup.start[row_codes] - np.cumsum(counts) + counts, counts)
        parts = lookup.values[offsets + np.arange(total, dtype=np.int64)]
        self.positions = np.repeat(positions, counts)
        self.state = mix_hash(np.repeat(state, counts), parts)
        return self

    def each_column(self, matrix: np.ndarray, lookup: PartLookup) -> _Rows:
        """Add the key parts of every code in the record's row of `matrix` (-1 is blank)."""
        positions, state = self.positions, self.state
        all_positions: list[I64] = []
        all_states: list[U64] = []
        for column in range(matrix.shape[1]):
            self.positions, self.state = positions, state
            self.each(matrix[:, column], lookup)
            all_positions.append(self.positions)
            all_states.append(self.state)
        self.positions = np.concatenate(all_positions)
        self.state = np.concatenate(all_states)
        return self


def blocking_keys(
    table: RecordTable,
    lookups: BlockingLookups,
    positions: np.ndarray | None = None,
) -> tuple[I64, I64, np.ndarray]:
    """Every blocking key of the records at `positions` (all records by default).

    Returns (positions, keys, rule index) arrays, one row per key of a record (a record may
    hold one key twice; `BlockIndex` removes repeats).
    """
    lookups.update(table)
    if positions is None:
        positions = np.arange(len(table), dtype=np.int64)
    positions = np.asarray(positions, np.int64)
    year = table.year.astype(np.int64)
    month = table.month.astype(np.int64)
    day = table.day.astype(np.int64)
    sorted_birth = year * 10_000 + np.minimum(month, day) * 100 + np.maximum(month, day)
    full_birth = day > 0
    rules: list[_Rows] = [
        _Rows(positions, 0).scalar(table.nhs, table.nhs > 0),
        _Rows(positions, 1).scalar(sorted_birth, full_birth).each(table.given, lookups.given_forms),
        _Rows(positions, 2)
        .scalar(sorted_birth, full_birth)
        .each_column(table.family_parts, lookups.family_phonetic),
        _Rows(positions, 3)
        .scalar(year, year > 0)
        .each_column(table.family_parts, lookups.family_phonetic)
        .each(table.given, lookups.given_forms),
        _Rows(positions, 4)
        .each(table.postcode, lookups.postcode_value)
        .each(table.given, lookups.given_initial)
        .each_column(table.family_parts, lookups.family_initial),
        _Rows(positions, 5)
        .each(table.address_numbers, lookups.address_value)
        .each(table.address_words, lookups.address_word)
        .each_column(table.family_parts, lookups.family_phonetic),
        _Rows(positions, 6)
        .each(table.district, lookups.postcode_value)
        .each(table.given, lookups.given_forms)
        .each_column(table.family_parts, lookups.family_phonetic),
    ]
    all_positions = np.concatenate([rows.positions for rows in rules])
    all_keys = np.concatenate([rows.state for rows in rules]).view(np.int64)
    all_rules = np.concatenate(
        [np.full(len(rows.positions), index, np.int8) for index, rows in enumerate(rules)]
    )
    return all_positions, all_keys, all_rules


# ---------------------------------------------------------------------------------------------
# Blocks and candidate pairs


class BlockIndex:
    """Blocking keys and the records holding them, sorted by key, for lookups and updates."""

    def __init__(self, positions: I64, keys: I64) -> None:
        by_position = np.argsort(positions, kind="stable")
        order = by_position[np.argsort(keys[by_position], kind="stable")]
        keys, positions = keys[order], positions[order]
        distinct = np.ones(len(keys), np.bool_)
        distinct[1:] = (keys[1:] != keys[:-1]) | (positions[1:] != positions[:-1])
        self.keys = keys[distinct]
        self.positions = positions[distinct]

    def sizes(self, keys: I64) -> I64:
        """How many records hold each key."""
        left = np.searchsorted(self.keys, keys, side="left")
        right = np.searchsorted(self.keys, keys, side="right")
        return (right - left).astype(np.int64)

    def bounds(self, keys: I64) -> tuple[I64, I64]:
        left = np.searchsorted(self.keys, keys, side="left")
        right = np.searchsorted(self.keys, keys, side="right")
        return left.astype(np.int64), right.astype(np.int64)

    def without(self, positions: np.ndarray) -> tuple[BlockIndex, I64]:
        """A copy without the entries of `positions`, and the distinct keys they held."""
        dropped = _members(self.positions, positions)
        index = BlockIndex.__new__(BlockIndex)
        index.keys = self.keys[~dropped]
        index.positions = self.positions[~dropped]
        return index, np.unique(self.keys[dropped])

    def with_entries(self, positions: I64, keys: I64) -> BlockIndex:
        """A copy with these entries added (for records not already in the index): the new
        entries are sorted and inserted, the existing ones are not sorted again."""
        added = BlockIndex(positions, keys)
        index = BlockIndex.__new__(BlockIndex)
        where = np.searchsorted(self.keys, added.keys, side="right")
        index.keys = np.insert(self.keys, where, added.keys)
        index.positions = np.insert(self.positions, where, added.positions)
        return index

    def keys_of(self, positions: np.ndarray) -> dict[int, set[int]]:
        """The keys held by each of a few records (a scan: for small sets of positions)."""
        held = np.isin(self.positions, positions)
        result: dict[int, set[int]] = {int(position): set() for position in positions}
        for position, key in zip(
            self.positions[held].tolist(), self.keys[held].tolist(), strict=True
        ):
            result[position].add(key)
        return result


def _members(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Whether each value (a record position) is one of `members`, by a mask: no sorting."""
    if len(values) == 0 or len(members) == 0:
        return np.zeros(len(values), np.bool_)
    mask = np.zeros(int(max(values.max(), members.max())) + 1, np.bool_)
    mask[members] = True
    return mask[values]


def _block_pairs(members: I64, starts: I64, sizes: I64) -> tuple[I64, I64]:
    """Every pair within each block (blocks are runs of `members`), grouped by block size."""
    firsts: list[I64] = []
    seconds: list[I64] = []
    for size in np.unique(sizes).tolist():
        block_starts = starts[sizes == size]
        upper_first, upper_second = np.triu_indices(size, 1)
        firsts.append(members[(block_starts[:, None] + upper_first[None, :]).reshape(-1)])
        seconds.append(members[(block_starts[:, None] + upper_second[None, :]).reshape(-1)])
    if not firsts:
        empty = np.empty(0, np.int64)
        return empty, empty
    return np.concatenate(firsts), np.concatenate(seconds)


def sorted_unique(values: I64) -> I64:
    """The distinct values, sorted (a sort and a comparison: faster than np.unique's hashing
    for tens of millions of integers)."""
    values = np.sort(values)
    if len(values) == 0:
        return values
    keep = np.empty(len(values), np.bool_)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def unique_pairs(first: I64, second: I64) -> tuple[I64, I64]:
    """Pairs with the lower position first, each once, sorted."""
    low = np.minimum(first, second).astype(np.int64)
    high = np.maximum(first, second).astype(np.int64)
    keep = low != high
    codes = sorted_unique((low[keep] << np.int64(32)) | high[keep])
    return codes >> np.int64(32), codes & np.int64(0xFFFFFFFF)


def candidate_pairs(index: BlockIndex, *, max_block_size: int) -> tuple[I64, I64]:
    """Every pair of records sharing a key whose block has 2..max_block_size records."""
    keys = index.keys
    if len(keys) == 0:
        empty = np.empty(0, np.int64)
        return empty, empty
    boundary = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[boundary, len(keys)])
    usable = (sizes >= 2) & (sizes <= max_block_size)
    first, second = _block_pairs(
        index.positions.astype(np.int64), boundary[usable].astype(np.int64), sizes[usable]
    )
    return unique_pairs(first, second)


def pairs_with(
    index: BlockIndex, keys: I64, positions: np.ndarray, *, max_block_size: int
) -> tuple[I64, I64]:
    """Pairs between `positions` and every record sharing one of `keys` (blocks of 2 to
    max_block_size records only) -- the candidate pairs of new or changed records."""
    keys = np.unique(keys)
    left, right = index.bounds(keys)
    sizes = right - left
    usable = (sizes >= 2) & (sizes <= max_block_size)
    first, second = _block_pairs(index.positions.astype(np.int64), left[usable], sizes[usable])
    involved = _members(first, positions) | _members(second, positions)
    return unique_pairs(first[involved], second[involved])


def block_members(index: BlockIndex, key: int) -> I64:
    left, right = index.bounds(np.array([key], np.int64))
    return index.positions[int(left[0]) : int(right[0])].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Blocking recall


@dataclass(frozen=True, slots=True)
class BlockingRecall:
    """How many of the truly matching pairs blocking lets through."""

    true_pairs: int
    found_pairs: int
    candidate_pairs: int

    @property
    def recall(self) -> float:
        return self.found_pairs / self.true_pairs if self.true_pairs else 1.0


def blocking_recall(
    *,
    first: Sequence[int] | np.ndarray,
    second: Sequence[int] | np.ndarray,
    truth: Sequence[Hashable],
) -> BlockingRecall:
    """Blocking recall against ground truth.

    `first` and `second` are the candidate pairs as record positions (each pair once); `truth`
    gives each position's true person. Records sharing a true person are the true pairs.
    """
    codes: dict[Hashable, int] = {}
    labels = np.fromiter(
        (codes.setdefault(label, len(codes)) for label in truth), np.int64, count=len(truth)
    )
    per_person = Counter(labels.tolist())
    true_pairs = sum(count * (count - 1) // 2 for count in per_person.values())
    first_array = np.asarray(first, np.int64)
    second_array = np.asarray(second, np.int64)
    found = int(np.count_nonzero(labels[first_array] == labels[second_array]))
    return BlockingRecall(
        true_pairs=true_pairs, found_pairs=found, candidate_pairs=len(first_array)
    )
