"""Why two records were (or were not) matched: field by field, in bits.

For each comparison the explanation gives the level reached, whether that is agreement, partial
agreement, disagreement or a missing value, the two values compared (normalised) and the bits
the level added to the match weight. The prior and the contributions add up to the pair's score
exactly, the same score `engine` uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.comparison import (
    ADDRESS,
    BIRTH,
    COMPARISONS,
    FAMILY,
    GIVEN,
    NHS,
    SEX,
    Outcome,
    RecordTable,
    compare_pairs,
    pair_conflicts,
)
from matching.fellegi_sunter import MatchModel, pair_contributions, weight_probability
from matching.normalise import NormalisedRecord, RecordIn, RecordKey, record_normalise


@dataclass(frozen=True, slots=True)
class FieldExplanation:
    comparison: str
    level: str
    outcome: Outcome
    bits: float
    first_value: str
    second_value: str


@dataclass(frozen=True, slots=True)
class PairExplanation:
    first: RecordKey
    second: RecordKey
    prior_bits: float
    fields: tuple[FieldExplanation, ...]
    conflict: bool

    @property
    def score(self) -> float:
        """The match weight in bits: the prior plus every field's contribution."""
        return self.prior_bits + sum(field.bits for field in self.fields)

    @property
    def probability(self) -> float:
        return weight_probability(self.score)


def _shown(table: RecordTable, comparison: int, position: int) -> str:
    """The normalised value a comparison looked at, for display."""
    if comparison == NHS:
        number = int(table.nhs[position])
        return f"{number:010d}" if number else ""
    if comparison == GIVEN:
        codes = [int(code) for code in table.given_tokens[position] if code >= 0]
        return " ".join(table.names.values[code] for code in codes)
    if comparison == FAMILY:
        codes = [int(code) for code in table.family_parts[position] if code >= 0]
        return " ".join(table.families.values[code] for code in codes)
    if comparison == BIRTH:
        year, month, day = (int(table.year[position]), int(table.month[position]),
                            int(table.day[position]))  # fmt: skip
        if not year:
            return ""
        return "-".join(f"{part:02d}" for part in (year, month, day) if part)
    if comparison == SEX:
        return {1: "M", 2: "F"}.get(int(table.sex[position]), "")
    if comparison == ADDRESS:
        pieces = []
        for code, vocabulary in (
            (table.address_numbers[position], table.addresses),
            (table.address_words[position], table.addresses),
        ):
            if code >= 0:
                pieces.append(vocabulary.values[int(code)].lstrip("#"))
        postcode = table.postcode[position]
        district = table.district[position]
        if postcode >= 0:
            pieces.append(table.postcodes.values[int(postcode)].upper())
        elif district >= 0:
            pieces.append(table.postcodes.values[int(district)].upper())
        return ", ".join(pieces)
    raise ValueError(f"Unknown comparison {comparison}.")


def explain_positions(
    *, model: MatchModel, table: RecordTable, first: int, second: int
) -> PairExplanation:
    """Explain the pair of records at these positions of a table."""
    a = np.array([first], np.int64)
    b = np.array([second], np.int64)
    levels = compare_pairs(table, a, b)
    contributions = pair_contributions(model=model, table=table, first=a, second=b, levels=levels)[
        0
    ]
    conflict = bool(pair_conflicts(table, a, b, levels)[0])
    fields = tuple(
        FieldExplanation(
            comparison=comparison.name,
            level=comparison.levels[int(levels[0, index])],
            outcome=comparison.outcomes[int(levels[0, index])],
            bits=float(contributions[index]),
            first_value=_shown(table, index, first),
            second_value=_shown(table, index, second),
        )
        for index, comparison in enumerate(COMPARISONS)
    )
    return PairExplanation(
        first=table.keys[first],
        second=table.keys[second],
        prior_bits=model.prior_bits,
        fields=fields,
        conflict=conflict,
    )


def pair_explain(
    *,
    model: MatchModel,
    first: RecordIn | NormalisedRecord,
    second: RecordIn | NormalisedRecord,
) -> PairExplanation:
    """Explain any two records under a fitted model."""
    records = [
        record_normalise(record) if isinstance(record, RecordIn) else record
        for record in (first, second)
    ]
    table = RecordTable.from_records(records)
    return explain_positions(model=model, table=table, first=0, second=1)
