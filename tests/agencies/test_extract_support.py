"""Builders shared by the extract tests (no tests here): the corpus dataset, files, uploads."""

from __future__ import annotations

import gzip
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, cast

from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.extracts.schema import ExtractSchema, FieldDefinition, schema_build
from agencies.models import Dataset, DatasetField, ExtractRun, User
from agencies.services import extract_process, extract_receive
from tests.factories import DatasetFactory, UserFactory

CORPUS = Path(__file__).parent / "extract_corpus"

# The corpus dataset: every column type, as DatasetField definitions.
CORPUS_FIELDS: list[dict[str, Any]] = [
    {"name": "source_key", "field_type": "string", "required": True, "max_length": 20},
    {"name": "given_name", "field_type": "string", "max_length": 50, "identifying": True},
    {"name": "family_name", "field_type": "string", "max_length": 50, "identifying": True},
    {"name": "date_of_birth", "field_type": "date", "identifying": True},
    {"name": "sex", "field_type": "choice", "choices": ["M", "F", "U"], "max_length": 1},
    {"name": "postcode", "field_type": "postcode", "identifying": True},
    {"name": "nhs_number", "field_type": "nhs_number", "identifying": True},
    {"name": "uprn", "field_type": "string"},
    {"name": "care_package", "field_type": "choice", "choices": ["Home care", "Day services"]},
    {"name": "mobility_need", "field_type": "boolean"},
    {"name": "last_review_date", "field_type": "date"},
    {"name": "visits", "field_type": "integer"},
    {"name": "notes", "field_type": "string", "max_length": 20},
    {"name": "status", "field_type": "choice", "choices": ["Open", "Closed"], "required": True},
]
HEADER = ",".join(field["name"] for field in CORPUS_FIELDS)


def row(key: str, **values: str) -> str:
    """A valid corpus row with the given source key, with some values replaced."""
    base = {
        "given_name": "Dee",
        "family_name": "Khan",
        "date_of_birth": "1990-06-15",
        "sex": "F",
        "postcode": "SN5 6JU",
        "nhs_number": "9990000042",
        "uprn": "",
        "care_package": "Home care",
        "mobility_need": "N",
        "last_review_date": "2024-01-02",
        "visits": "1",
        "notes": "",
        "status": "Open",
    }
    base.update(values)
    return ",".join([key, *(base[field["name"]] for field in CORPUS_FIELDS[1:])])


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def corpus_schema() -> ExtractSchema:
    return schema_build(
        dataset_code="corpus",
        dataset_name="Corpus dataset",
        fields=[
            FieldDefinition(label=field["name"].replace("_", " ").capitalize(), **field)
            for field in CORPUS_FIELDS
        ],
    )


def corpus_dataset(*, agency: Any, **kwargs: Any) -> Dataset:
    dataset = cast(Dataset, DatasetFactory(agency=agency, **kwargs))
    DatasetField.objects.bulk_create(
        DatasetField(
            dataset=dataset,
            label=field["name"].replace("_", " ").capitalize(),
            position=position,
            **field,
        )
        for position, field in enumerate(CORPUS_FIELDS)
    )
    return dataset


def partner_it(agency: Any) -> User:
    return cast(User, UserFactory(agency=agency, user_types=["partner_it"]))


def upload(data: bytes, name: str = "extract.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def send(
    *, user: User, dataset: Dataset, data: bytes, kind: str = "full", validate_only: bool = False
) -> ExtractRun:
    """Receive a file and run the pipeline over it at once; the run, refreshed."""
    receipt = extract_receive(
        user=user, dataset=dataset, upload=upload(data), kind=kind, validate_only=validate_only
    )
    assert receipt.run is not None
    extract_process(extract_id=receipt.extract.pk)
    run = ExtractRun.objects.get(pk=receipt.run.pk)
    return run


def stream(data: bytes) -> BytesIO:
    return BytesIO(data)


ONE_DAY = timedelta(days=1)
