"""Writing a synthetic population's extracts, its true people and the ground truth to disk.

The population is produced in chunks of `CHUNK_SIZE` people. Each chunk draws from its own random
stream, so its output depends only on (people, seed, error_scale, chunk number): chunks can be
made in worker processes and the files are byte-identical whatever `workers` is. Records are
shuffled within a chunk, so neighbouring rows of an extract are not members of one household.
"""

from __future__ import annotations

import csv
import gzip
import io
import multiprocessing
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from agencies.population.noise import ERROR_TYPES, ErrorRates, noisy_identity
from agencies.population.people import (
    CHUNK_SIZE,
    PEOPLE_COLUMNS,
    Population,
    TruePerson,
)
from agencies.population.records import (
    PayloadBuilder,
    SourceKeys,
    inclusion_probabilities,
    inclusion_probability,
    payload_builder,
    payload_context,
)
from agencies.population.specs import DATASETS, DatasetSpec

GROUND_TRUTH_COLUMNS: tuple[str, ...] = ("dataset", "source_key", "person_key", "errors")
GROUND_TRUTH_FILE = "ground_truth.csv"
PEOPLE_FILE = "people.csv"


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """What `generate` wrote: record counts and paths per dataset code, and error statistics."""

    people: int
    seed: int
    error_scale: float
    out_dir: Path
    records: dict[str, int]
    paths: dict[str, Path]
    ground_truth_path: Path
    people_path: Path
    records_with_errors: int
    error_counts: dict[str, int]
    people_without_nhs_number: int

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def extract_filename(*, dataset: DatasetSpec, compress: bool) -> str:
    return f"{dataset.code}.csv.gz" if compress else f"{dataset.code}.csv"


# ---------------------------------------------------------------------------------------------
# One chunk


@dataclass(frozen=True, slots=True)
class _ChunkOutput:
    people_csv: str
    dataset_csv: tuple[str, ...]
    ground_truth_csv: str
    record_counts: tuple[int, ...]
    error_counts: dict[str, int]
    records_with_errors: int
    people_without_nhs_number: int


class _Generator:
    """Everything one population's chunks share; built once per process."""

    def __init__(self, *, people: int, seed: int, error_scale: float) -> None:
        self.population = Population(people=people, seed=seed)
        self.rates = tuple(
            ErrorRates.for_dataset(dataset=dataset, error_scale=error_scale) for dataset in DATASETS
        )
        self.keys = tuple(SourceKeys(dataset=dataset, seed=seed) for dataset in DATASETS)
        self.payloads: tuple[PayloadBuilder, ...] = tuple(
            payload_builder(dataset) for dataset in DATASETS
        )
        self.context = payload_context(people=people, seed=seed)

    def chunk(self, chunk: int) -> _ChunkOutput:
        population = self.population
        rng = population.chunk_rng(chunk)
        people = population.chunk_people(chunk=chunk, rng=rng)
        rows: list[list[list[str]]] = [[] for _ in DATASETS]
        truths: list[list[tuple[str, str, str, str]]] = [[] for _ in DATASETS]
        error_counts: Counter[str] = Counter()
        records_with_errors = 0
        first_ordinal = chunk * CHUNK_SIZE
        for person in people:
            for index, probability in enumerate(inclusion_probabilities(person)):
                if probability <= 0.0 or rng.random() >= probability:
                    continue
                dataset = DATASETS[index]
                identity, errors = noisy_identity(person=person, rng=rng, rates=self.rates[index])
                moved = "moved_address" in errors
                payload = self.payloads[index](person, rng, self.context, moved)
                key = self.keys[index].key(
                    ordinal=first_ordinal + len(rows[index]), payload=payload
                )
                rows[index].append([key, *identity, *payload])
                truths[index].append((dataset.code, key, person.person_key, ";".join(errors)))
                if errors:
                    records_with_errors += 1
                    error_counts.update(errors)

        dataset_csv: list[str] = []
        ground_truth = io.StringIO()
        truth_writer = csv.writer(ground_truth)
        for index in range(len(DATASETS)):
            order = list(range(len(rows[index])))
            rng.shuffle(order)
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerows(rows[index][position] for position in order)
            truth_writer.writerows(truths[index][position] for position in order)
            dataset_csv.append(buffer.getvalue())
        people_buffer = io.StringIO()
        csv.writer(people_buffer).writerows(person.as_values() for person in people)
        return _ChunkOutput(
            people_csv=people_buffer.getvalue(),
            dataset_csv=tuple(dataset_csv),
            ground_truth_csv=ground_truth.getvalue(),
            record_counts=tuple(len(dataset_rows) for dataset_rows in rows),
            error_counts=dict(error_counts),
            records_with_errors=records_with_errors,
            people_without_nhs_number=sum(1 for person in people if not person.nhs_number),
        )


@lru_cache(maxsize=2)
def _generator(people: int, seed: int, error_scale: float) -> _Generator:
    return _Generator(people=people, seed=seed, error_scale=error_scale)


def _make_chunk(people: int, seed: int, error_scale: float, chunk: int) -> _ChunkOutput:
    return _generator(people, seed, error_scale).chunk(chunk)


def _chunk_outputs(
    *, people: int, seed: int, error_scale: float, chunks: int, workers: int
) -> Iterator[_ChunkOutput]:
    """Chunk outputs in order, made here or in worker processes (a few chunks ahead at most)."""
    if workers <= 1 or chunks <= 1:
        for chunk in range(chunks):
            yield _make_chunk(people, seed, error_scale, chunk)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: list[Future[_ChunkOutput]] = []
        next_chunk = 0
        while next_chunk < chunks or pending:
            while next_chunk < chunks and len(pending) < 2 * workers:
                pending.append(pool.submit(_make_chunk, people, seed, error_scale, next_chunk))
                next_chunk += 1
            yield pending.pop(0).result()


# ---------------------------------------------------------------------------------------------
# Files


def _open_text(stack: ExitStack, path: Path, *, compress: bool) -> IO[str]:
    if not compress:
        return stack.enter_context(path.open("w", encoding="utf-8", newline=""))
    raw = stack.enter_context(path.open("wb"))
    # mtime=0 and no file name in the header: the same content gives the same bytes.
    compressed = stack.enter_context(
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
    )
    return stack.enter_context(io.TextIOWrapper(compressed, encoding="utf-8", newline=""))


def _write_header(handle: IO[str], columns: tuple[str, ...]) -> None:
    csv.writer(handle).writerow(columns)


def generate(
    *,
    people: int,
    seed: int,
    out_dir: Path,
    error_scale: float = 1.0,
    compress: bool = False,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> GenerationSummary:
    """Write `<dataset>.csv` (or `.csv.gz`) for every dataset, plus people.csv and
    ground_truth.csv (always uncompressed), into `out_dir`.

    Same people, seed and error_scale: byte-identical files, whatever `workers` is. `progress`
    is called with (people done, people in all) after each chunk of 10,000 people.
    """
    if error_scale < 0:
        raise ValueError("error_scale cannot be negative.")
    if workers < 1:
        raise ValueError("workers must be at least 1.")
    population = Population(people=people, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        dataset.code: out_dir / extract_filename(dataset=dataset, compress=compress)
        for dataset in DATASETS
    }
    ground_truth_path = out_dir / GROUND_TRUTH_FILE
    people_path = out_dir / PEOPLE_FILE
    record_counts = [0] * len(DATASETS)
    error_counts: Counter[str] = Counter(dict.fromkeys(ERROR_TYPES, 0))
    records_with_errors = 0
    without_nhs_number = 0
    with ExitStack() as stack:
        extracts = [
            _open_text(stack, paths[dataset.code], compress=compress) for dataset in DATASETS
        ]
        ground_truth = _open_text(stack, ground_truth_path, compress=False)
        people_file = _open_text(stack, people_path, compress=False)
        for dataset, handle in zip(DATASETS, extracts, strict=True):
            _write_header(handle, dataset.field_names)
        _write_header(ground_truth, GROUND_TRUTH_COLUMNS)
        _write_header(people_file, PEOPLE_COLUMNS)
        done = 0
        outputs = _chunk_outputs(
            people=people,
            seed=seed,
            error_scale=error_scale,
            chunks=population.chunk_count,
            workers=workers,
        )
        for output in outputs:
            for index, handle in enumerate(extracts):
                handle.write(output.dataset_csv[index])
                record_counts[index] += output.record_counts[index]
            ground_truth.write(output.ground_truth_csv)
            people_file.write(output.people_csv)
            error_counts.update(output.error_counts)
            records_with_errors += output.records_with_errors
            without_nhs_number += output.people_without_nhs_number
            done = min(people, done + CHUNK_SIZE)
            if progress is not None:
                progress(done, people)
    return GenerationSummary(
        people=people,
        seed=seed,
        error_scale=error_scale,
        out_dir=out_dir,
        records={
            dataset.code: count for dataset, count in zip(DATASETS, record_counts, strict=True)
        },
        paths=paths,
        ground_truth_path=ground_truth_path,
        people_path=people_path,
        records_with_errors=records_with_errors,
        error_counts=dict(error_counts),
        people_without_nhs_number=without_nhs_number,
    )


# ---------------------------------------------------------------------------------------------
# Single examples, for previews


def _example_people(seed: int) -> list[TruePerson]:
    population = Population(people=300, seed=seed)
    return population.chunk_people(chunk=0, rng=population.chunk_rng(0))


def synthetic_person(*, seed: int) -> dict[str, str]:
    """One plausible true person, as a row of people.csv."""
    people = _example_people(seed)
    return people[seed % len(people)].as_row()


def sample_record(*, dataset: DatasetSpec, seed: int, error_scale: float = 0.0) -> dict[str, str]:
    """One plausible record of `dataset` for a person who could appear in it, keyed by field
    name (clean by default; pass an error_scale for a noisy one)."""
    people = [
        person
        for person in _example_people(seed)
        if inclusion_probability(dataset=dataset, person=person) > 0
    ]
    person = people[seed % len(people)]
    rng = random.Random(f"sample:{seed}:{dataset.code}")  # noqa: S311 - synthetic data
    identity, _ = noisy_identity(
        person=person,
        rng=rng,
        rates=ErrorRates.for_dataset(dataset=dataset, error_scale=error_scale),
    )
    context = payload_context(people=300, seed=seed)
    payload = payload_builder(dataset)(person, rng, context, False)
    key = SourceKeys(dataset=dataset, seed=seed).key(ordinal=seed % 1000, payload=payload)
    return dict(zip(dataset.field_names, [key, *identity, *payload], strict=True))
