"""Retention of uploaded extract files: deleted after EXTRACT_FILE_RETENTION once processed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from agencies import services, tasks
from agencies.extracts import pipeline
from agencies.models import Extract, ExtractProblem, ExtractRunStatus, ExtractStatus
from tests.agencies.test_extract_support import (
    corpus_dataset,
    csv_bytes,
    partner_it,
    row,
    send,
    upload,
)

pytestmark = pytest.mark.django_db

FILE = csv_bytes(row("A1"), row("A2"), row("A3", postcode="bad"))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    settings.EXTRACT_FILE_RETENTION = timedelta(days=30)


@pytest.fixture
def it_user(agency):
    return partner_it(agency)


@pytest.fixture
def dataset(agency):
    return corpus_dataset(agency=agency)


def _days_ago(days):
    return time_machine.travel(timezone.now() - timedelta(days=days), tick=False)


def test_the_file_of_a_processed_extract_is_deleted_after_the_retention_period(it_user, dataset):
    # Given an extract published 31 days ago (with a problem in its report), and one 29 days ago
    with _days_ago(31):
        old = send(user=it_user, dataset=dataset, data=FILE)
    with _days_ago(29):
        recent = send(user=it_user, dataset=dataset, data=csv_bytes(row("A1"), row("A2")))
    old_extract = Extract.objects.get(pk=old.extract_id)
    old_name = old_extract.file.name

    # When the retention task runs
    deleted = tasks.extract_files_expire_task()

    # Then only the older file is gone; its extract, digest, run and report are kept
    old_extract.refresh_from_db()
    assert deleted == 1
    assert not default_storage.exists(old_name)
    assert old_extract.file.name == ""
    assert old_extract.file_removed_at is not None
    assert old_extract.sha256
    assert old_extract.status == ExtractStatus.PUBLISHED
    assert ExtractProblem.objects.filter(run_id=old.pk, code="postcode").exists()
    assert default_storage.exists(Extract.objects.get(pk=recent.extract_id).file.name)


def test_the_same_content_is_still_recognised_after_its_file_was_deleted(it_user, dataset):
    # Given a published extract whose file was deleted by the retention task
    with _days_ago(31):
        first = send(user=it_user, dataset=dataset, data=FILE)
    services.extract_files_expire()

    # When the same content is sent again
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FILE))

    # Then it is the earlier extract, not loaded again
    assert receipt.duplicate
    assert receipt.extract.pk == first.extract_id
    assert Extract.objects.filter(dataset=dataset).count() == 1


def _fail(**kwargs):
    raise RuntimeError("database unavailable")


def test_files_of_extracts_still_waiting_or_failed_are_kept(it_user, dataset, monkeypatch):
    # Given, 31 days ago, an extract never processed and one whose run failed
    monkeypatch.setattr(pipeline, "publish", _fail)
    with _days_ago(31):
        waiting = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FILE))
        failing = services.extract_receive(
            user=it_user, dataset=dataset, upload=upload(csv_bytes(row("B1")))
        )
        failed = services.extract_process(extract_id=failing.extract.pk)

    # When the retention task runs
    deleted = services.extract_files_expire()

    # Then both files are kept, so that they can still be processed
    assert failed.status == ExtractRunStatus.FAILED
    assert deleted == 0
    assert default_storage.exists(waiting.extract.file.name)
    assert default_storage.exists(failing.extract.file.name)


def test_running_the_retention_task_again_deletes_nothing_more(it_user, dataset):
    with _days_ago(31):
        send(user=it_user, dataset=dataset, data=FILE)

    assert services.extract_files_expire() == 1
    assert services.extract_files_expire() == 0


def test_the_retention_task_is_scheduled_daily_after_the_nightly_run():
    entry = settings.CELERY_BEAT_SCHEDULE["agencies-extract-files-expire"]

    assert entry["task"] == "agencies.tasks.extract_files_expire_task"
    assert entry["schedule"].hour == {settings.EXTRACTS_NIGHTLY_HOUR}
    assert entry["schedule"].minute == {30}
