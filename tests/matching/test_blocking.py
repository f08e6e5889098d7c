"""Blocking keys, candidate pairs, block-size caps and the blocking recall measure."""

from __future__ import annotations

import numpy as np

from matching.blocking import (
    RULES,
    BlockIndex,
    BlockingLookups,
    blocking_keys,
    blocking_recall,
    candidate_pairs,
)
from matching.comparison import RecordTable
from matching.normalise import RecordIn, record_normalise


def _table(*rows: dict[str, str]) -> RecordTable:
    return RecordTable.from_records(
        [
            record_normalise(RecordIn.from_mapping(source="t", record_id=str(i), values=row))
            for i, row in enumerate(rows)
        ]
    )


def _pairs(table: RecordTable, *, max_block_size: int = 200) -> set[tuple[int, int]]:
    positions, keys, _ = blocking_keys(table, BlockingLookups())
    first, second = candidate_pairs(BlockIndex(positions, keys), max_block_size=max_block_size)
    return set(zip(first.tolist(), second.tolist(), strict=True))


def _shared_rules(table: RecordTable) -> set[str]:
    positions, keys, rules = blocking_keys(table, BlockingLookups())
    rows = list(zip(positions.tolist(), keys.tolist(), rules.tolist(), strict=True))
    first = {(key, rule) for position, key, rule in rows if position == 0}
    second = {(key, rule) for position, key, rule in rows if position == 1}
    return {RULES[rule] for _, rule in first & second}


def test_a_swapped_date_and_a_nickname_still_share_a_block() -> None:
    table = _table(
        {"given_name": "Peggy", "family_name": "Ward", "date_of_birth": "1950-04-07"},
        {"given_name": "Margaret", "family_name": "Warde", "date_of_birth": "1950-07-04"},
    )

    assert "birth_given" in _shared_rules(table)


def test_half_of_a_double_barrelled_name_shares_a_block() -> None:
    table = _table(
        {"given_name": "Ann", "family_name": "Hughes-Morgan", "date_of_birth": "1950-04-07"},
        {"given_name": "Anne", "family_name": "Morgan", "date_of_birth": "1950-04-07"},
    )

    assert "birth_family" in _shared_rules(table)


def test_a_missing_date_of_birth_is_found_by_postcode_and_initials() -> None:
    table = _table(
        {"given_name": "Ann", "family_name": "Ward", "postcode": "SN1 4AB"},
        {
            "given_name": "Anne",
            "family_name": "Ward",
            "postcode": "sn14ab",
            "date_of_birth": "1950",
        },
    )

    assert {"postcode_initials", "family_given_year"} & _shared_rules(table)


def test_the_same_nhs_number_shares_a_block_whatever_else_differs() -> None:
    table = _table(
        {"given_name": "Ann", "nhs_number": "9990812489"},
        {"given_name": "Zed", "nhs_number": "999 081 2489"},
    )

    assert _pairs(table) == {(0, 1)}


def test_blocks_larger_than_the_cap_give_no_pairs() -> None:
    # Five people at one postcode with the same initials: one block of five.
    table = _table(
        *({"given_name": f"A{name}", "family_name": "Ward", "postcode": "SN1 4AB"}
          for name in ("nn", "my", "lan", "dam", "bel"))
    )  # fmt: skip

    assert len(_pairs(table, max_block_size=5)) == 10
    assert _pairs(table, max_block_size=4) == set()


def test_blocking_recall_counts_the_true_pairs_found() -> None:
    truth = ["p1", "p1", "p1", "p2", "p2", "p3"]  # true pairs: (0,1), (0,2), (1,2), (3,4)

    recall = blocking_recall(first=[0, 0, 3, 2], second=[1, 5, 4, 5], truth=truth)

    assert (recall.true_pairs, recall.found_pairs, recall.candidate_pairs) == (4, 2, 4)
    assert recall.recall == 0.5


def test_blocking_recall_with_no_true_pairs_is_complete() -> None:
    recall = blocking_recall(first=np.array([0]), second=np.array([1]), truth=["a", "b"])

    assert recall.recall == 1.0
