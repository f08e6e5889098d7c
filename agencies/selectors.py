"""Reads of tenant data. Every selector takes the requesting user and stays in their partnership."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from knox.models import AuthToken

from agencies.extracts.freshness import Freshness, freshness_of
from agencies.extracts.schema import ExtractSchema, FieldDefinition, schema_build
from agencies.extracts.validation import Problem
from agencies.models import (
    Agency,
    Dataset,
    DatasetField,
    DatasetPublication,
    Extract,
    ExtractProblem,
    ExtractRun,
    ExtractStatus,
    User,
)


def agency_list(*, user: User) -> QuerySet[Agency]:
    return (
        Agency.objects.for_partnership(user.partnership)
        .select_related("organisation_type")
        .annotate(dataset_count=Count("datasets"))
    )


def agency_get(*, user: User, pk: int) -> Agency:
    """The user's partnership's agency, or 404 (never 403) for anyone else's."""
    return get_object_or_404(
        Agency.objects.for_partnership(user.partnership).select_related("organisation_type"),
        pk=pk,
    )


def dataset_list(*, user: User, agency: Agency | None = None) -> QuerySet[Dataset]:
    datasets = Dataset.objects.filter(agency__partnership=user.partnership).select_related("agency")
    if agency is not None:
        datasets = datasets.filter(agency=agency)
    return datasets.prefetch_related("fields")


def staff_list(*, user: User) -> QuerySet[User]:
    return User.objects.for_partnership(user.partnership).select_related("agency", "role")


# ---------------------------------------------------------------------------------------------
# Nightly extracts (agencies/extracts, ADR 0008). Partner IT see only their own agency's.


def dataset_extract_schema(*, dataset: Dataset) -> ExtractSchema:
    """The published extract schema of a dataset, from its field definitions. Raises
    `SchemaError` when the definition cannot be used."""
    fields = [
        FieldDefinition(
            name=field.name,
            label=field.label,
            field_type=field.field_type,
            required=field.required,
            max_length=field.max_length,
            choices=tuple(str(choice) for choice in field.choices or ()),
            identifying=field.identifying,
            sensitivity=field.sensitivity,
        )
        for field in DatasetField.objects.filter(dataset=dataset).order_by("position", "pk")
    ]
    return schema_build(dataset_code=dataset.code, dataset_name=dataset.name, fields=fields)


def extract_dataset_list(*, user: User) -> QuerySet[Dataset]:
    """The datasets the user's agency sends, with their publication."""
    return (
        Dataset.objects.filter(agency=user.agency, agency__partnership=user.partnership)
        .select_related("agency", "publication")
        .order_by("name")
    )


def extract_dataset_get(*, user: User, pk: int) -> Dataset:
    """A dataset the user's agency sends, or 404 for any other agency's or partnership's."""
    return get_object_or_404(extract_dataset_list(user=user), pk=pk)


def dataset_freshness(*, user: User, dataset: Dataset) -> Freshness:
    """When the dataset was last published and whether it is past its refresh cadence. Any
    member of the dataset's partnership may ask; anyone else gets 404."""
    if dataset.agency.partnership_id != user.agency.partnership_id:
        raise Http404("No such dataset.")
    publication = DatasetPublication.objects.filter(dataset=dataset).first()
    if publication is not None:
        freshness: Freshness = publication.freshness
        return freshness
    return freshness_of(
        last_published_at=None,
        confirmed_at=None,
        cadence=dataset.refresh_cadence,
        now=timezone.now(),
    )


@dataclass(frozen=True)
class DatasetExtractsOverview:
    """One dataset on partner IT's extracts page."""

    dataset: Dataset
    freshness: Freshness
    latest_extract: Extract | None
    latest_run: ExtractRun | None
    waiting: int


def extract_dataset_overview(*, user: User) -> list[DatasetExtractsOverview]:
    """Each dataset the user's agency sends: freshness, latest extract and run, extracts
    waiting to be processed."""
    overview = []
    for dataset in extract_dataset_list(user=user):
        latest = (
            Extract.objects.filter(dataset=dataset, validate_only=False)
            .order_by("-received_at", "-pk")
            .first()
        )
        overview.append(
            DatasetExtractsOverview(
                dataset=dataset,
                freshness=dataset_freshness(user=user, dataset=dataset),
                latest_extract=latest,
                latest_run=latest.runs.order_by("-pk").first() if latest else None,
                waiting=extract_waiting_count(dataset=dataset),
            )
        )
    return overview


def extract_waiting_count(*, dataset: Dataset) -> int:
    """Extracts of the dataset not yet processed to the end (received, processing, failed)."""
    return Extract.objects.filter(
        dataset=dataset,
        status__in=[ExtractStatus.RECEIVED, ExtractStatus.PROCESSING, ExtractStatus.FAILED],
    ).count()


def extract_list(*, user: User, dataset: Dataset) -> QuerySet[Extract]:
    """The dataset's extracts, newest first, with their runs (newest first)."""
    return (
        Extract.objects.filter(dataset=dataset, dataset__agency=user.agency)
        .select_related("uploaded_by")
        .prefetch_related(Prefetch("runs", queryset=ExtractRun.objects.order_by("-pk")))
    )


def extract_run_get(*, user: User, pk: int) -> ExtractRun:
    """A run of one of the user's agency's extracts, or 404."""
    return get_object_or_404(
        ExtractRun.objects.filter(extract__dataset__agency=user.agency).select_related(
            "extract__dataset__agency", "extract__uploaded_by"
        ),
        pk=pk,
    )


def extract_run_problems(*, user: User, run: ExtractRun) -> QuerySet[ExtractProblem]:
    return ExtractProblem.objects.filter(run=run, run__extract__dataset__agency=user.agency)


def extract_run_summary(*, run: ExtractRun) -> dict[str, Any]:
    """A run as plain data (the report's summary and the API's answer)."""
    extract = run.extract
    return {
        "run": run.pk,
        "extract": extract.pk,
        "dataset": {"id": extract.dataset_id, "code": extract.dataset.code},
        "kind": extract.kind,
        "validate_only": extract.validate_only,
        "received_at": extract.received_at.isoformat(),
        "sha256": extract.sha256,
        "status": run.status,
        "step": run.step,
        "progress": run.progress,
        "finished": run.is_finished,
        "rows_total": run.rows_total,
        "rows_rejected": run.rows_rejected,
        "error_count": run.error_count,
        "problems_not_stored": run.problems_not_stored,
        "problem_counts": run.problem_counts,
        "inserted": run.inserted,
        "updated": run.updated,
        "retired": run.retired,
        "linked": run.linked,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "step_timings": run.step_timings,
        "failure_message": run.failure_message,
    }


def extract_run_report(*, user: User, run: ExtractRun) -> tuple[dict[str, Any], list[Problem]]:
    """The run's summary and its stored problems, for the JSON and CSV reports."""
    problems = [
        Problem(problem.row, problem.column, problem.code, problem.message)
        for problem in extract_run_problems(user=user, run=run).iterator()
    ]
    return extract_run_summary(run=run), problems


def api_token_list(*, user: User) -> QuerySet[AuthToken]:
    """The user's own API tokens (digests only), newest first."""
    return AuthToken.objects.filter(user=user).order_by("-created")
