"""Datasets' display details (names, agency names, field labels), held in each worker process.

Practitioners' pages read them on every request, and they change only when an administrator
edits a dataset. They are display details only: what may be shown is decided by the policy
(grants and restrictions), which is never cached. A process keeps them for at most
`REFERENCE_DATA_SECONDS`; a change saved in the same process is seen at once (signals below).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from agencies.models import Agency, Dataset, DatasetField

# (position, label, field type) of a field.
FieldLabel = tuple[int, str, str]


@dataclass(frozen=True)
class DatasetDetails:
    dataset_id: int
    code: str
    name: str
    agency_name: str
    fields: Mapping[str, FieldLabel]


_held: dict[int, tuple[float, DatasetDetails]] = {}
_lock = threading.Lock()


def dataset_details(dataset_ids: Iterable[int]) -> dict[int, DatasetDetails]:
    """The details of these datasets, read in two queries for those not held (or held too
    long). Unknown ids are left out."""
    wanted = set(dataset_ids)
    now = time.monotonic()
    ttl = settings.REFERENCE_DATA_SECONDS
    with _lock:
        found = {
            pk: held for pk in wanted if (held := _held.get(pk)) is not None and now - held[0] < ttl
        }
    missing = wanted - found.keys()
    if missing:
        read = _read(missing)
        with _lock:
            for pk, details in read.items():
                _held[pk] = (now, details)
        found.update((pk, (now, details)) for pk, details in read.items())
    return {pk: details for pk, (_, details) in found.items()}


def field_labels(dataset_ids: Iterable[int]) -> dict[tuple[int, str], FieldLabel]:
    """(position, label, field type) of each field of the datasets, by (dataset id, name)."""
    return {
        (pk, name): label
        for pk, details in dataset_details(dataset_ids).items()
        for name, label in details.fields.items()
    }


def _read(dataset_ids: set[int]) -> dict[int, DatasetDetails]:
    fields: dict[int, dict[str, FieldLabel]] = {pk: {} for pk in dataset_ids}
    for pk, name, position, label, field_type in (
        DatasetField.objects.filter(dataset_id__in=dataset_ids)
        .order_by()
        .values_list("dataset_id", "name", "position", "label", "field_type")
    ):
        fields[pk][name] = (position, label, field_type)
    return {
        pk: DatasetDetails(
            dataset_id=pk, code=code, name=name, agency_name=agency_name, fields=fields[pk]
        )
        for pk, code, name, agency_name in Dataset.objects.filter(pk__in=dataset_ids)
        .order_by()
        .values_list("pk", "code", "name", "agency__name")
    }


def forget(**kwargs: Any) -> None:
    """Drop everything held (a dataset, one of its fields or an agency was saved or deleted)."""
    with _lock:
        _held.clear()


for _model in (Agency, Dataset, DatasetField):
    post_save.connect(
        forget, sender=_model, dispatch_uid=f"reference-forget-save-{_model.__name__}"
    )
    post_delete.connect(
        forget, sender=_model, dispatch_uid=f"reference-forget-delete-{_model.__name__}"
    )
