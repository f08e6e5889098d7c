"""Full matching runs in work units (Celery): thin tasks that call one service or core step.

`matching_run_full_task(partnership_id)` prepares the units (`services.matching_units_prepare`),
scores them in parallel (a chord of `matching_unit_score_task`) and assembles the result
(`matching_run_assemble_task`). With CELERY_TASK_ALWAYS_EAGER (development, tests) the run goes
in-process through `services.matching_run_full` instead, because a chord needs a result backend.
"""

from __future__ import annotations

from typing import Any

from celery import chord, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from matching import services
from matching.clustering import Thresholds
from matching.fellegi_sunter import MatchModel
from matching.partition import WorkUnit, work_unit_score

RETRY_POLICY = {
    "retry_backoff": True,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 6,
}

ScoredJson = list[list[Any]]


@shared_task
def matching_unit_score_task(unit_json: dict[str, Any], model_json: dict[str, Any]) -> ScoredJson:
    """Score one work unit: [[first key, second key, weight, conflict], ...] (no database)."""
    rows = work_unit_score(
        WorkUnit.from_dict(unit_json),
        model=MatchModel.from_dict(model_json),
        thresholds=Thresholds(),
    )
    return [
        [list(first), list(second), weight, conflict] for first, second, weight, conflict in rows
    ]


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def matching_run_assemble_task(
    scored: list[ScoredJson], partnership_id: int, model_json: dict[str, Any]
) -> int:
    """Cluster the units' pairs and bring persons up to date. Returns links created."""
    rows = [
        (tuple(first), tuple(second), float(weight), bool(conflict))
        for unit in scored
        for first, second, weight, conflict in unit
    ]
    summary = services.matching_run_assemble(
        partnership_id=partnership_id,
        model=MatchModel.from_dict(model_json),
        scored=rows,
    )
    return summary.links_created


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def matching_run_full_task(partnership_id: int) -> int | None:
    """A full run for one partnership: in-process when eager, else in parallel work units."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return services.matching_run_full(partnership_id=partnership_id).links_created
    units, model_json = services.matching_units_prepare(partnership_id=partnership_id)
    chord(matching_unit_score_task.s(unit, model_json) for unit in units)(
        matching_run_assemble_task.s(partnership_id, model_json)
    )
    return None
