"""Full runs through Celery: the eager path, and the work-unit path giving the same persons."""

from __future__ import annotations

import pytest

from agencies.models import SourceRecord
from matching import tasks
from matching.models import Link, LinkStatus
from matching.services import matching_run_full, matching_units_prepare
from tests.matching.test_services_persons import _crowd, _dataset, _record

pytestmark = pytest.mark.django_db


def _persons(partnership) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for record_id, person_id in Link.objects.filter(
        status=LinkStatus.ACTIVE, person__partnership=partnership
    ).values_list("source_record_id", "person_id"):
        groups.setdefault(person_id, set()).add(record_id)
    return {frozenset(group) for group in groups.values()}


def test_the_eager_task_runs_in_process(partnership, settings):
    # Given records and eager Celery
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _crowd(partnership)

    # When the full-run task runs
    created = tasks.matching_run_full_task.delay(partnership.pk).get()

    # Then every record is linked
    assert created == SourceRecord.objects.filter(dataset__agency__partnership=partnership).count()


def test_scoring_in_work_units_gives_the_persons_of_a_full_run(partnership):
    # Given a matched store
    _crowd(partnership)
    dataset = _dataset(partnership)
    _record(dataset, "A", 0)
    _record(dataset, "B", 0, given_name="Maggie")
    matching_run_full(partnership_id=partnership.pk)
    before = _persons(partnership)

    # When the same run is made of unit tasks and an assemble step
    units, model_json = matching_units_prepare(partnership_id=partnership.pk, max_unit_pairs=20)
    scored = [tasks.matching_unit_score_task(unit, model_json) for unit in units]
    created = tasks.matching_run_assemble_task(scored, partnership.pk, model_json)

    # Then the persons are unchanged and no link was made
    assert len(units) > 1
    assert created == 0
    assert _persons(partnership) == before
