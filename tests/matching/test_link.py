"""Linking records into persons: scenarios, the full run, incremental runs and work units.

A small synthetic population (agencies.population) gives the model its data; scenario records
are then linked with that model. Plain pytest: no database.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from agencies.population import DATASETS, GROUND_TRUTH_FILE, generate
from matching.blocking import candidate_pairs
from matching.engine import LinkResult, LinkSettings, MatchIndex, link, link_incremental
from matching.explain import pair_explain
from matching.normalise import RecordIn, RecordKey, record_normalise
from matching.partition import WorkUnit, link_in_units, work_unit_patterns, work_units

PEOPLE = 1500
SEED = 424242
SETTINGS = LinkSettings(u_sample_pairs=200_000)


@dataclass(frozen=True)
class Population:
    records: list[RecordIn]
    truth: dict[RecordKey, str]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    out = tmp_path_factory.mktemp("population")
    generate(people=PEOPLE, seed=SEED, out_dir=out)
    records: list[RecordIn] = []
    for dataset in DATASETS:
        with (out / f"{dataset.code}.csv").open(encoding="utf-8", newline="") as handle:
            records += [
                RecordIn.from_mapping(source=dataset.code, record_id=row["source_key"], values=row)
                for row in csv.DictReader(handle)
            ]
    with (out / GROUND_TRUTH_FILE).open(encoding="utf-8", newline="") as handle:
        truth = {
            (row["dataset"], row["source_key"]): row["person_key"] for row in csv.DictReader(handle)
        }
    return Population(records=records, truth=truth)


@pytest.fixture(scope="module")
def fitted(population: Population) -> MatchIndex:
    return MatchIndex.build(population.records, settings=SETTINGS)


def _record(record_id: str, source: str = "scenario", **values: str) -> RecordIn:
    return RecordIn.from_mapping(source=source, record_id=record_id, values=values)


def _persons(result: LinkResult) -> set[frozenset[str]]:
    return {
        frozenset(record_id for _, record_id in cluster.members) for cluster in result.clusters()
    }


PERSON = {
    "given_name": "Margaret",
    "family_name": "Pennyfeather",
    "date_of_birth": "1950-04-07",
    "sex": "F",
    "postcode": "SN1 4AB",
    "address": "12 Church Road, Northgate",
}


def _pairwise_f1(result: LinkResult, truth: dict[RecordKey, str]) -> float:
    def pairs(labels: list[object]) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(labels).values())

    keys = list(result.assignments)
    both = pairs([(truth[key], result.assignments[key]) for key in keys])
    precision = both / pairs([result.assignments[key] for key in keys])
    recall = both / pairs([truth[key] for key in keys])
    return 2 * precision * recall / (precision + recall)


def test_a_synthetic_population_is_linked_into_its_people(
    fitted: MatchIndex, population: Population
) -> None:
    assert _pairwise_f1(fitted.result(), population.truth) > 0.98


def test_the_model_learns_that_agreement_is_evidence(fitted: MatchIndex) -> None:
    model = fitted.model

    assert model.comparison("date_of_birth").bits[0] > 8
    assert model.comparison("nhs_number").bits[1] < -8
    assert model.prior_bits < 0


def test_a_nickname_links(fitted: MatchIndex) -> None:
    records = [_record("a", **PERSON), _record("b", **{**PERSON, "given_name": "Peggy"})]

    result = link(records, model=fitted.model, settings=SETTINGS)

    assert _persons(result) == {frozenset({"a", "b"})}


def test_a_day_month_swap_links(fitted: MatchIndex) -> None:
    records = [_record("a", **PERSON), _record("b", **{**PERSON, "date_of_birth": "1950-07-04"})]

    result = link(records, model=fitted.model, settings=SETTINGS)

    assert _persons(result) == {frozenset({"a", "b"})}


def test_missing_nhs_numbers_still_link(fitted: MatchIndex) -> None:
    records = [
        _record("a", **PERSON, nhs_number="9990812489"),
        _record("b", **PERSON),
        _record("c", **{**PERSON, "given_name": "Peggy"}),
    ]

    result = link(records, model=fitted.model, settings=SETTINGS)

    assert _persons(result) == {frozenset({"a", "b", "c"})}


def test_a_common_name_and_a_year_of_birth_alone_do_not_link(fitted: MatchIndex) -> None:
    first = _record(
        "a", given_name="John", family_name="Smith", date_of_birth="1980-05-12", sex="M",
        postcode="SN1 4AB", address="3 Mill Lane, Northgate",
    )  # fmt: skip
    second = _record(
        "b", given_name="John", family_name="Smith", date_of_birth="1980-11-20", sex="M",
        postcode="SP2 7XY", address="9 Park Road, Eastbury",
    )  # fmt: skip

    result = link([first, second], model=fitted.model, settings=SETTINGS)

    assert _persons(result) == {frozenset({"a"}), frozenset({"b"})}
    assert pair_explain(model=fitted.model, first=first, second=second).score < 0


def test_twins_are_not_linked(fitted: MatchIndex) -> None:
    twin = {**PERSON, "given_name": "Oliver", "sex": "M", "date_of_birth": "2015-06-02"}
    records = [
        _record("oliver-gp", **twin, nhs_number="9990812489"),
        _record("oliver-school", **twin),
        _record("harry-gp", **{**twin, "given_name": "Harry"}, nhs_number="9993162442"),
        _record("harry-school", **{**twin, "given_name": "Harry"}),
    ]

    result = link(records, model=fitted.model, settings=SETTINGS)

    assert _persons(result) == {
        frozenset({"oliver-gp", "oliver-school"}),
        frozenset({"harry-gp", "harry-school"}),
    }


def test_a_parent_and_child_of_one_name_are_not_chained_by_an_undated_record(
    fitted: MatchIndex,
) -> None:
    father = {**PERSON, "given_name": "David", "sex": "M", "date_of_birth": "1961-03-14"}
    records = [
        _record("father", **father),
        _record("son", **{**father, "date_of_birth": "1990-10-02"}),
        _record("undated", **{**father, "date_of_birth": ""}),
    ]

    result = link(records, model=fitted.model, settings=SETTINGS)

    assert frozenset({"father", "son"}) not in {
        frozenset(person & {"father", "son"}) for person in _persons(result)
    }


def test_the_explanation_adds_up_to_the_score(fitted: MatchIndex) -> None:
    pair = next(pair for pair in fitted.result().pairs if pair.decision == "match")

    explanation = fitted.explain(pair.first, pair.second)

    assert math.isclose(explanation.score, pair.weight, abs_tol=1e-9)
    assert math.isclose(
        explanation.prior_bits + sum(field.bits for field in explanation.fields), pair.weight
    )
    assert {field.outcome for field in explanation.fields} <= {
        "agreed", "partly agreed", "disagreed", "missing",
    }  # fmt: skip


def test_an_explanation_says_which_fields_agreed(fitted: MatchIndex) -> None:
    explanation = pair_explain(
        model=fitted.model,
        first=_record("a", **PERSON),
        second=_record("b", **{**PERSON, "given_name": "Peggy", "address": ""}),
    )

    outcomes = {field.comparison: (field.level, field.outcome) for field in explanation.fields}
    assert outcomes["given_name"] == ("nickname", "partly agreed")
    assert outcomes["family_name"] == ("exact", "agreed")
    assert outcomes["nhs_number"] == ("missing", "missing")
    assert next(f.bits for f in explanation.fields if f.comparison == "nhs_number") == 0.0


# ---------------------------------------------------------------------------------------------
# Incremental runs


def _same(first: LinkResult, second: LinkResult) -> None:
    assert first.assignments == second.assignments
    assert {(min(p.first, p.second), max(p.first, p.second), p.weight, p.decision)
            for p in first.pairs} == {
        (min(p.first, p.second), max(p.first, p.second), p.weight, p.decision)
        for p in second.pairs
    }  # fmt: skip


def _changed(record: RecordIn) -> RecordIn:
    return record._replace(address="1 New Street, Northgate", postcode="SN1 1AA")


@pytest.mark.parametrize("max_block_size", [200, 3])
def test_an_incremental_run_equals_a_full_run(
    fitted: MatchIndex, population: Population, max_block_size: int
) -> None:
    settings = LinkSettings(u_sample_pairs=200_000, max_block_size=max_block_size)
    records = population.records
    base, delta = records[: len(records) * 9 // 10], records[len(records) * 9 // 10 :]
    changed = [_changed(record) for record in base[:40]]
    removed = [record.key for record in base[40:60]]
    final = [*changed, *base[60:], *delta]
    index = MatchIndex.build(base, model=fitted.model, settings=settings)

    link_incremental(index=index, upserts=[*delta, *changed], removals=removed)

    _same(index.result(), link(final, model=fitted.model, settings=settings))


def test_an_update_with_nothing_new_changes_nothing(
    fitted: MatchIndex, population: Population
) -> None:
    index = MatchIndex.loads(fitted.dumps())

    delta = index.update(upserts=population.records[:100])

    assert delta.assignments == {}
    _same(index.result(), fitted.result())


def test_a_kept_index_can_be_updated_after_loading(fitted: MatchIndex) -> None:
    index = MatchIndex.loads(fitted.dumps())
    record = _record("new", **PERSON)

    delta = index.update(upserts=[record])

    assert delta.assignments[record.key] == record.key


# ---------------------------------------------------------------------------------------------
# Work units


def test_work_units_compare_every_candidate_pair_exactly_once(
    fitted: MatchIndex, population: Population
) -> None:
    units = work_units([record_normalise(r) for r in population.records], max_unit_pairs=5_000)
    first, _ = candidate_pairs(fitted.blocks, max_block_size=fitted.settings.max_block_size)

    compared = sum(count for unit in units for _, count in work_unit_patterns(unit))

    assert len(units) > 1
    assert compared == len(first)


def test_a_work_unit_survives_a_round_trip_through_plain_data(population: Population) -> None:
    unit = work_units([record_normalise(r) for r in population.records[:500]])[0]

    assert WorkUnit.from_dict(unit.as_dict()) == unit


def test_linking_in_work_units_equals_linking_in_one_go(population: Population) -> None:
    records = population.records[:1500]

    in_units = link_in_units(records, settings=SETTINGS, max_unit_pairs=2_000)

    _same(in_units, link(records, settings=SETTINGS))
    assert np.isclose(in_units.model.prior, link(records, settings=SETTINGS).model.prior)
