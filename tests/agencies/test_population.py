"""The synthetic population generator: deterministic, consistent with its ground truth, and hard
in the ways a matcher meets in real extracts. Plain pytest: no Django, no database."""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from agencies.population import (
    AGENCIES,
    DATASETS,
    ERROR_TYPES,
    FIELD_TYPES,
    GROUND_TRUTH_COLUMNS,
    IDENTIFYING_FIELDS,
    ORGANISATION_TYPES,
    PEOPLE_COLUMNS,
    REFERENCE_DATE,
    SENSITIVITIES,
    DatasetSpec,
    GenerationSummary,
    dataset_spec,
    generate,
    iter_people,
    nhs_number_is_valid,
    sample_record,
    synthetic_person,
)

PEOPLE = 2000
SEED = 20250331
POSTCODE = re.compile(r"^(SN(1[0-6]|[1-9])|SP[1-5]|BA1[2-5]) [0-9][ABD-HJLNP-UW-Z]{2}$")
AGE_LIMITED = [dataset for dataset in DATASETS if dataset.min_age or dataset.max_age]


def _rows(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _age(date_of_birth: str) -> int:
    birth = date.fromisoformat(date_of_birth)
    before_birthday = (REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day)
    return REFERENCE_DATE.year - birth.year - before_birthday


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def _error_counts(summary: GenerationSummary) -> Counter[str]:
    return Counter(
        code
        for row in _rows(summary.ground_truth_path)
        for code in row["errors"].split(";")
        if code
    )


@pytest.fixture(scope="module")
def normal(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(people=PEOPLE, seed=SEED, out_dir=tmp_path_factory.mktemp("normal"))


@pytest.fixture(scope="module")
def harsh(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(
        people=PEOPLE, seed=SEED, out_dir=tmp_path_factory.mktemp("harsh"), error_scale=3.0
    )


@pytest.fixture(scope="module")
def people(normal: GenerationSummary) -> dict[str, dict[str, str]]:
    return {row["person_key"]: row for row in _rows(normal.people_path)}


@pytest.fixture(scope="module")
def truth(normal: GenerationSummary) -> list[dict[str, str]]:
    return _rows(normal.ground_truth_path)


@pytest.fixture(scope="module")
def records(normal: GenerationSummary) -> dict[str, list[dict[str, str]]]:
    return {code: _rows(path) for code, path in normal.paths.items()}


# --- Determinism ------------------------------------------------------------------------------


def test_the_same_seed_writes_byte_identical_files(
    normal: GenerationSummary, tmp_path: Path
) -> None:
    # Given a population already generated
    # When the same size, seed and error scale are generated again elsewhere
    generate(people=PEOPLE, seed=SEED, out_dir=tmp_path)

    # Then every file is byte for byte the same
    assert _files(tmp_path) == _files(normal.out_dir)


def test_a_different_seed_writes_different_files(normal: GenerationSummary, tmp_path: Path) -> None:
    # When another seed is used
    generate(people=PEOPLE, seed=SEED + 1, out_dir=tmp_path)

    # Then no file is the same
    mine, theirs = _files(tmp_path), _files(normal.out_dir)
    assert mine.keys() == theirs.keys()
    assert all(mine[name] != theirs[name] for name in mine)


def test_worker_processes_write_the_same_files_as_one_process(tmp_path: Path) -> None:
    # Given two chunks of people
    people = 10_050

    # When they are generated, compressed, in one process and in two
    generate(people=people, seed=SEED, out_dir=tmp_path / "one", workers=1, compress=True)
    generate(people=people, seed=SEED, out_dir=tmp_path / "two", workers=2, compress=True)

    # Then the files (gzip headers included) are identical
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_iter_people_yields_the_people_of_people_csv(
    people: dict[str, dict[str, str]],
) -> None:
    # When the true people are iterated directly
    iterated = [person.as_row() for person in iter_people(people=PEOPLE, seed=SEED)]

    # Then they are the rows of people.csv, in order
    assert iterated == list(people.values())


# --- Files and ground truth -------------------------------------------------------------------


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.code)
def test_each_extract_header_is_its_spec_field_names(
    normal: GenerationSummary, dataset: DatasetSpec
) -> None:
    assert _header(normal.paths[dataset.code]) == list(dataset.field_names)


def test_people_and_ground_truth_headers(normal: GenerationSummary) -> None:
    assert _header(normal.people_path) == list(PEOPLE_COLUMNS)
    assert _header(normal.ground_truth_path) == list(GROUND_TRUTH_COLUMNS)


def test_every_record_has_exactly_one_ground_truth_row(
    records: dict[str, list[dict[str, str]]], truth: list[dict[str, str]]
) -> None:
    # Given every (dataset, source key) in the extracts and in the ground truth
    in_extracts = Counter(
        (code, row["source_key"]) for code, rows in records.items() for row in rows
    )
    in_truth = Counter((row["dataset"], row["source_key"]) for row in truth)

    # Then they are the same, each once
    assert in_truth == in_extracts
    assert set(in_truth.values()) == {1}


def test_ground_truth_names_only_true_people(
    truth: list[dict[str, str]], people: dict[str, dict[str, str]]
) -> None:
    assert {row["person_key"] for row in truth} <= people.keys()


def test_ground_truth_errors_are_known_error_types(truth: list[dict[str, str]]) -> None:
    codes = {code for row in truth for code in row["errors"].split(";") if code}
    assert codes <= set(ERROR_TYPES)


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.code)
def test_source_keys_are_unique_within_each_dataset(
    records: dict[str, list[dict[str, str]]], dataset: DatasetSpec
) -> None:
    keys = [row["source_key"] for row in records[dataset.code]]
    assert keys
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.code)
def test_a_person_appears_at_most_once_per_dataset(
    truth: list[dict[str, str]], dataset: DatasetSpec
) -> None:
    people = [row["person_key"] for row in truth if row["dataset"] == dataset.code]
    assert len(set(people)) == len(people)


def test_summary_counts_match_the_files(
    normal: GenerationSummary, records: dict[str, list[dict[str, str]]]
) -> None:
    assert normal.records == {code: len(rows) for code, rows in records.items()}
    assert normal.total_records == sum(normal.records.values())


def test_compressed_extracts_hold_the_same_text(normal: GenerationSummary, tmp_path: Path) -> None:
    # When the same population is written compressed
    compressed = generate(people=PEOPLE, seed=SEED, out_dir=tmp_path, compress=True)

    # Then every .csv.gz decompresses to the uncompressed extract
    assert all(path.name.endswith(".csv.gz") for path in compressed.paths.values())
    assert {
        code: gzip.decompress(path.read_bytes()) for code, path in compressed.paths.items()
    } == {code: path.read_bytes() for code, path in normal.paths.items()}
    assert compressed.ground_truth_path.read_bytes() == normal.ground_truth_path.read_bytes()


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.code)
def test_choice_and_boolean_fields_hold_only_allowed_values(
    records: dict[str, list[dict[str, str]]], dataset: DatasetSpec
) -> None:
    allowed = {
        field.name: {*field.choices, ""} if field.type == "choice" else {"Y", "N", ""}
        for field in dataset.fields
        if field.type in {"choice", "boolean"}
    }
    seen = {name: {row[name] for row in records[dataset.code]} for name in allowed}
    assert all(seen[name] <= allowed[name] for name in allowed), seen


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.code)
def test_values_fit_their_maximum_lengths(
    records: dict[str, list[dict[str, str]]], dataset: DatasetSpec
) -> None:
    too_long = [
        (field.name, row[field.name])
        for row in records[dataset.code]
        for field in dataset.fields
        if field.max_length is not None and len(row[field.name]) > field.max_length
    ]
    assert too_long == []


def test_required_fields_are_never_blank(records: dict[str, list[dict[str, str]]]) -> None:
    blanks = [
        (dataset.code, field.name)
        for dataset in DATASETS
        for field in dataset.fields
        if field.required
        for row in records[dataset.code]
        if not row[field.name]
    ]
    assert blanks == []


# --- Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("error_type", ERROR_TYPES)
def test_each_error_type_occurs_at_the_normal_scale(
    normal: GenerationSummary, error_type: str
) -> None:
    assert _error_counts(normal)[error_type] > 0


@pytest.mark.parametrize("error_type", ERROR_TYPES)
def test_each_error_type_occurs_more_often_at_a_harsh_scale(
    normal: GenerationSummary, harsh: GenerationSummary, error_type: str
) -> None:
    assert _error_counts(harsh)[error_type] > _error_counts(normal)[error_type]


def test_normal_data_is_realistically_dirty(normal: GenerationSummary) -> None:
    # Then between 15% and 30% of records carry at least one error
    share = normal.records_with_errors / normal.total_records
    assert 0.15 <= share <= 0.30, share


def test_summary_error_counts_match_the_ground_truth(normal: GenerationSummary) -> None:
    assert {code: count for code, count in normal.error_counts.items() if count} == dict(
        _error_counts(normal)
    )


def test_records_without_errors_copy_the_true_identity(
    records: dict[str, list[dict[str, str]]],
    truth: list[dict[str, str]],
    people: dict[str, dict[str, str]],
) -> None:
    # Given the records the ground truth lists without errors
    clean = {(row["dataset"], row["source_key"]): row for row in truth if not row["errors"]}
    compared = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "address")
    pairs = [
        (tuple(record[name] for name in compared), people[clean[key]["person_key"]])
        for code, rows in records.items()
        for record in rows
        if (key := (code, record["source_key"])) in clean
    ]

    # Then each holds exactly the true name, date of birth, sex and current address
    assert pairs
    assert all(held == tuple(person[name] for name in compared) for held, person in pairs)


def test_transcribed_nhs_numbers_fail_the_modulus_11_check(
    records: dict[str, list[dict[str, str]]], truth: list[dict[str, str]]
) -> None:
    transcribed = {
        (row["dataset"], row["source_key"]) for row in truth if "nhs_transcription" in row["errors"]
    }
    numbers = [
        record["nhs_number"]
        for code, rows in records.items()
        for record in rows
        if (code, record["source_key"]) in transcribed
    ]
    assert numbers
    assert not any(nhs_number_is_valid(number) for number in numbers)


def test_day_and_month_swaps_only_where_the_day_could_be_a_month(
    records: dict[str, list[dict[str, str]]],
    truth: list[dict[str, str]],
    people: dict[str, dict[str, str]],
) -> None:
    swapped = {
        (row["dataset"], row["source_key"]): row["person_key"]
        for row in truth
        if "dob_swap" in row["errors"]
    }
    pairs = [
        (record["date_of_birth"], people[swapped[(code, record["source_key"])]]["date_of_birth"])
        for code, rows in records.items()
        for record in rows
        if (code, record["source_key"]) in swapped
    ]
    assert pairs
    assert all(held[:4] == true[:4] and held[5:7] == true[8:] for held, true in pairs)
    assert all(held[8:] == true[5:7] and int(true[8:]) <= 12 for held, true in pairs)


# --- NHS numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("9434765919", True),
        ("9990000018", True),
        ("9434765918", False),
        ("943476591", False),
        ("94347659190", False),
        ("943476591X", False),
        ("943 476 5919", False),
        ("9990000000", False),  # the check digit would be 10: no such number
        ("", False),
    ],
)
def test_nhs_number_is_valid(value: str, valid: bool) -> None:
    assert nhs_number_is_valid(value) is valid


def test_true_nhs_numbers_are_valid_unique_and_in_the_test_range(
    people: dict[str, dict[str, str]],
) -> None:
    numbers = [person["nhs_number"] for person in people.values()]
    assert all(number.startswith("999") and nhs_number_is_valid(number) for number in numbers)
    assert len(set(numbers)) == len(numbers) == PEOPLE


# --- The population ---------------------------------------------------------------------------


def test_twins_share_surname_birthday_and_address_but_not_a_person_key(
    people: dict[str, dict[str, str]],
) -> None:
    # Given people grouped by surname, date of birth and address
    groups: defaultdict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for person in people.values():
        groups[(person["family_name"], person["date_of_birth"], person["address"])].append(person)

    # Then some groups are twins: different given names, different people
    twins = [group for group in groups.values() if len({p["given_name"] for p in group}) > 1]
    assert twins
    assert all(len({p["person_key"] for p in group}) == len(group) for group in twins)


def test_parents_and_children_share_given_and_family_names(
    people: dict[str, dict[str, str]],
) -> None:
    # Given people grouped by full name and address
    groups: defaultdict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for person in people.values():
        groups[(person["given_name"], person["family_name"], person["address"])].append(person)

    # Then some are a senior and a junior: a generation apart, different people
    namesakes = [
        sorted(person["date_of_birth"] for person in group)
        for group in groups.values()
        if len(group) > 1
    ]
    generations_apart = [dates for dates in namesakes if _age(dates[0]) - _age(dates[-1]) >= 17]
    assert generations_apart


def test_strangers_share_a_name_and_year_of_birth(people: dict[str, dict[str, str]]) -> None:
    groups: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
    for person in people.values():
        key = (person["given_name"], person["family_name"], person["date_of_birth"][:4])
        groups[key].add(person["household_key"])
    assert any(len(households) > 1 for households in groups.values())


def test_households_share_addresses_and_surnames(people: dict[str, dict[str, str]]) -> None:
    households = Counter(person["household_key"] for person in people.values())
    sizes = Counter(households.values())
    assert sizes[1] > 0
    assert sum(count for size, count in sizes.items() if size >= 3) > 0
    assert len(households) < PEOPLE * 0.6


def test_true_postcodes_are_valid_county_postcodes(people: dict[str, dict[str, str]]) -> None:
    postcodes = {person["postcode"] for person in people.values()} | {
        person["previous_postcode"] for person in people.values() if person["previous_postcode"]
    }
    assert all(POSTCODE.match(postcode) for postcode in postcodes)


def test_ages_span_childhood_to_old_age(people: dict[str, dict[str, str]]) -> None:
    ages = [_age(person["date_of_birth"]) for person in people.values()]
    assert min(ages) == 0
    assert max(ages) >= 90
    assert 0.15 < sum(age < 18 for age in ages) / len(ages) < 0.3


def test_surnames_include_double_barrelled_and_prefixed_names(
    people: dict[str, dict[str, str]],
) -> None:
    surnames = {person["family_name"] for person in people.values()}
    assert any("-" in surname for surname in surnames)
    assert any("'" in surname or surname.startswith("Mc") for surname in surnames)


@pytest.mark.parametrize("dataset", AGE_LIMITED, ids=lambda dataset: dataset.code)
def test_datasets_hold_only_people_of_their_ages(
    truth: list[dict[str, str]], people: dict[str, dict[str, str]], dataset: DatasetSpec
) -> None:
    ages = [
        _age(people[row["person_key"]]["date_of_birth"])
        for row in truth
        if row["dataset"] == dataset.code
    ]
    assert ages
    assert min(ages) >= (dataset.min_age or 0)
    assert max(ages) <= (dataset.max_age or 200)


def test_childrens_social_care_holds_only_children(
    truth: list[dict[str, str]], people: dict[str, dict[str, str]]
) -> None:
    ages = [
        _age(people[row["person_key"]]["date_of_birth"])
        for row in truth
        if row["dataset"] == "childrens_social_care"
    ]
    assert ages
    assert max(ages) < 18


def test_electoral_register_holds_only_adults(
    truth: list[dict[str, str]], people: dict[str, dict[str, str]]
) -> None:
    ages = [
        _age(people[row["person_key"]]["date_of_birth"])
        for row in truth
        if row["dataset"] == "electoral_register"
    ]
    assert ages
    assert min(ages) >= 18


def test_health_datasets_mostly_carry_nhs_numbers_and_others_mostly_do_not(
    records: dict[str, list[dict[str, str]]],
) -> None:
    share = {
        code: sum(bool(row["nhs_number"]) for row in rows) / len(rows)
        for code, rows in records.items()
    }
    assert all(share[d.code] > 0.85 for d in DATASETS if d.health)
    assert all(share[d.code] < 0.4 for d in DATASETS if not d.health)


def test_coverage_roughly_matches_the_specs(normal: GenerationSummary) -> None:
    coverage = {code: count / PEOPLE for code, count in normal.records.items()}
    assert all(abs(coverage[d.code] - d.coverage) <= 0.25 * d.coverage + 0.01 for d in DATASETS), (
        coverage
    )


# --- Specs and examples -----------------------------------------------------------------------


def test_agencies_and_datasets_are_well_formed() -> None:
    agency_codes = [agency.code for agency in AGENCIES]
    dataset_codes = [dataset.code for dataset in DATASETS]
    fields = [field for dataset in DATASETS for field in dataset.fields]
    assert len(agency_codes) == len(set(agency_codes)) == 9
    assert len(dataset_codes) == len(set(dataset_codes)) == 12
    assert {agency.organisation_type for agency in AGENCIES} <= set(ORGANISATION_TYPES)
    assert {dataset.agency_code for dataset in DATASETS} == set(agency_codes)
    assert {field.type for field in fields} <= set(FIELD_TYPES)
    assert {field.sensitivity for field in fields} <= set(SENSITIVITIES)
    assert all(
        dataset.fields[: len(IDENTIFYING_FIELDS)] == IDENTIFYING_FIELDS for dataset in DATASETS
    )
    assert all(len(set(dataset.field_names)) == len(dataset.field_names) for dataset in DATASETS)
    assert all(field.choices for field in fields if field.type == "choice")


def test_dataset_spec_finds_a_dataset_by_code() -> None:
    assert dataset_spec("council_tax").agency_code == "AVC"


def test_dataset_spec_names_the_known_codes_for_an_unknown_one() -> None:
    with pytest.raises(KeyError, match="gp_registrations"):
        dataset_spec("no_such_dataset")


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.code)
def test_sample_record_is_a_plausible_clean_record(dataset: DatasetSpec) -> None:
    # When a preview record is made
    record = sample_record(dataset=dataset, seed=7)

    # Then it has every field, a source key, a full date of birth of an eligible age
    age = _age(record["date_of_birth"])
    assert list(record) == list(dataset.field_names)
    assert record["source_key"]
    assert (dataset.min_age or 0) <= age <= (dataset.max_age or 200)
    assert POSTCODE.match(record["postcode"])
    assert sample_record(dataset=dataset, seed=7) == record


def test_synthetic_person_is_a_deterministic_true_person() -> None:
    person = synthetic_person(seed=3)
    assert list(person) == list(PEOPLE_COLUMNS)
    assert nhs_number_is_valid(person["nhs_number"])
    assert synthetic_person(seed=3) == person
    assert synthetic_person(seed=4) != person


def test_generate_rejects_impossible_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="people must be between"):
        generate(people=0, seed=1, out_dir=tmp_path)
