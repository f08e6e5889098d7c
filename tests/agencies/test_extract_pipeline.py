"""The extract pipeline over the database: full and delta, rejection, re-runs, atomic publish."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies import selectors, services
from agencies.extracts import pipeline
from agencies.models import (
    DatasetPublication,
    Extract,
    ExtractRun,
    ExtractRunStatus,
    ExtractStatus,
    SourceRecord,
)
from matching.models import Link, Person, SearchEntry
from matching.search import keys_for
from tests.agencies.test_extract_support import (
    CORPUS,
    HEADER,
    corpus_dataset,
    csv_bytes,
    partner_it,
    row,
    send,
    upload,
)
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """A worker stopped dead: not an Exception, so nothing handles it on the way out."""


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def it_user(agency):
    return partner_it(agency)


@pytest.fixture
def dataset(agency):
    return corpus_dataset(agency=agency, name="Adult social care")


def _store(dataset):
    """Every record of the dataset: key -> (given name, postcode, retired?)."""
    return {
        record.source_key: (record.given_name, record.postcode, record.retired_at is not None)
        for record in SourceRecord.objects.filter(dataset=dataset)
    }


FIRST = csv_bytes(row("A1", given_name="Ann"), row("A2", given_name="Bob"), row("A3"))


# Full and delta --------------------------------------------------------------------------------


def test_a_full_extract_publishes_its_records(it_user, dataset):
    # When a full extract of three records is sent and processed
    run = send(user=it_user, dataset=dataset, data=FIRST)

    # Then the run is published and the store holds the three records
    assert run.status == ExtractRunStatus.PUBLISHED
    assert (run.inserted, run.updated, run.retired) == (3, 0, 0)
    assert _store(dataset) == {
        "A1": ("Ann", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", False),
        "A3": ("Dee", "SN5 6JU", False),
    }
    record = SourceRecord.objects.get(dataset=dataset, source_key="A1")
    assert record.payload["status"] == "Open"
    assert Extract.objects.get(pk=run.extract_id).status == ExtractStatus.PUBLISHED
    assert set(run.step_timings) == {"validate", "stage", "normalise", "match", "publish"}


def test_a_full_extract_retires_missing_records_and_restores_returning_ones(it_user, dataset):
    # Given A1, A2 and A3 published, then a full extract without A2
    send(user=it_user, dataset=dataset, data=FIRST)
    second = send(
        user=it_user,
        dataset=dataset,
        data=csv_bytes(row("A1", given_name="Anne"), row("A3")),
    )

    # When A2 comes back in the next full extract
    third = send(
        user=it_user,
        dataset=dataset,
        data=csv_bytes(
            row("A1", given_name="Ann"), row("A2", given_name="Bob"), row("A3"), row("A4")
        ),
    )

    # Then A2 was retired (kept, not deleted) and is now restored; A1 changed twice
    assert (second.inserted, second.updated, second.retired) == (0, 1, 1)
    assert (third.inserted, third.updated, third.retired) == (1, 2, 0)
    assert _store(dataset) == {
        "A1": ("Ann", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", False),
        "A3": ("Dee", "SN5 6JU", False),
        "A4": ("Dee", "SN5 6JU", False),
    }
    assert SourceRecord.objects.filter(dataset=dataset).count() == 4


def test_a_delta_upserts_and_retires_only_the_records_it_names(it_user, dataset):
    # Given three records published
    send(user=it_user, dataset=dataset, data=FIRST)
    delta = csv_bytes(
        row("A1", given_name="Anne") + ",U",
        row("A2") + ",D",
        row("A4", given_name="Eve") + ",",
        header=HEADER + ",_action",
    )

    # When a delta changes A1, retires A2 and adds A4
    run = send(user=it_user, dataset=dataset, data=delta, kind="delta")

    # Then A3, which the delta does not name, is untouched
    assert (run.inserted, run.updated, run.retired) == (1, 1, 1)
    assert _store(dataset) == {
        "A1": ("Anne", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", True),
        "A3": ("Dee", "SN5 6JU", False),
        "A4": ("Eve", "SN5 6JU", False),
    }


def test_a_rejected_row_keeps_its_published_record(it_user, dataset, settings):
    # Given A1..A3 published and a full extract where A2's row is bad
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    send(user=it_user, dataset=dataset, data=FIRST)
    bad = csv_bytes(row("A1", given_name="Anne"), row("A2", given_name="Bo", postcode="bad"))

    # When it is processed
    run = send(user=it_user, dataset=dataset, data=bad)

    # Then A2 is neither changed nor retired; A3, absent, is retired
    assert run.status == ExtractRunStatus.PUBLISHED
    assert run.rows_rejected == 1
    assert _store(dataset) == {
        "A1": ("Anne", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", False),
        "A3": ("Dee", "SN5 6JU", True),
    }


def test_duplicate_source_keys_are_reported_and_their_records_held(it_user, dataset, settings):
    # Given A1 published and a corpus file with REF001 twice
    settings.EXTRACT_ERROR_THRESHOLD = 0.9
    path = CORPUS / "duplicate_source_key--same-key-twice.csv"
    send(user=it_user, dataset=dataset, data=csv_bytes(row("REF001", given_name="Kept")))

    # When it is processed
    run = send(user=it_user, dataset=dataset, data=path.read_bytes())

    # Then both rows of REF001 are problems and the published REF001 stays as it was
    problems = run.problems.filter(code="duplicate_source_key")
    assert sorted(problem.row for problem in problems) == [2, 5]
    assert "also on row 5" in problems.get(row=2).message
    assert _store(dataset)["REF001"] == ("Kept", "SN5 6JU", False)
    assert set(_store(dataset)) == {"REF001", "REF002", "REF003"}


# Rejection, check-only, duplicates of files -------------------------------------------------------


def test_above_the_error_threshold_nothing_is_loaded(it_user, dataset, settings):
    # Given a published version and a file with 2 bad rows in 3, over a 50% threshold
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    send(user=it_user, dataset=dataset, data=FIRST)
    before = _store(dataset)
    bad = csv_bytes(row("A1", postcode="bad"), row("A2", nhs_number="1"), row("A9"))

    # When it is processed
    run = send(user=it_user, dataset=dataset, data=bad)

    # Then the whole file is rejected and the store is as it was
    assert run.status == ExtractRunStatus.REJECTED
    assert "error_threshold" in run.problem_counts
    assert run.problems.get(code="error_threshold").row == 0
    assert _store(dataset) == before
    assert Extract.objects.get(pk=run.extract_id).status == ExtractStatus.REJECTED


def test_a_header_problem_rejects_the_file(it_user, dataset):
    run = send(
        user=it_user,
        dataset=dataset,
        data=(CORPUS / "header_missing_column--no-nhs-number.csv").read_bytes(),
    )

    assert run.status == ExtractRunStatus.REJECTED
    assert run.problem_counts == {"header_missing_column": 1}
    assert _store(dataset) == {}


def test_check_only_reports_and_loads_nothing(it_user, dataset, settings):
    # When a file with one bad row in two is sent to be checked only (50% allowed)
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    run = send(
        user=it_user,
        dataset=dataset,
        data=csv_bytes(row("A1"), row("A2", postcode="bad")),
        validate_only=True,
    )

    # Then the report is made and nothing is loaded or published
    assert run.status == ExtractRunStatus.VALIDATED
    assert run.problem_counts == {"postcode": 1}
    assert _store(dataset) == {}
    assert not DatasetPublication.objects.filter(dataset=dataset).exists()


def test_the_same_file_is_recognised_and_not_loaded_twice(it_user, dataset):
    # Given a file already published
    first = send(user=it_user, dataset=dataset, data=FIRST)

    # When the same content arrives again, compressed this time
    import gzip

    receipt = services.extract_receive(
        user=it_user, dataset=dataset, upload=upload(gzip.compress(FIRST), "again.csv.gz")
    )

    # Then it is the earlier extract, and no new extract or run was made
    assert receipt.duplicate
    assert receipt.extract.pk == first.extract_id
    assert Extract.objects.filter(dataset=dataset).count() == 1
    assert ExtractRun.objects.filter(extract__dataset=dataset).count() == 1


# Killed runs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["validate", "stage", "normalise", "_link"])
def test_a_run_that_fails_at_any_step_can_be_run_again(it_user, dataset, monkeypatch, step):
    # Given a published version, and a second file whose run fails at one step
    # (_link runs inside the publish transaction, after the records were written)
    send(user=it_user, dataset=dataset, data=FIRST)
    before = _store(dataset)
    second = csv_bytes(row("A1", given_name="Anne"), row("A4"))
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(second))

    def fail(**kwargs):
        raise RuntimeError("the worker was stopped")

    monkeypatch.setattr(pipeline, step, fail)
    failed = services.extract_process(extract_id=receipt.extract.pk)

    # When the failure is fixed and the extract is run again
    monkeypatch.undo()
    rerun = services.extract_process(extract_id=receipt.extract.pk)

    # Then the failed run left the store as it was, and the re-run published it once
    assert failed.status == ExtractRunStatus.FAILED
    assert "the worker was stopped" in failed.failure_message
    assert before == {
        "A1": ("Ann", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", False),
        "A3": ("Dee", "SN5 6JU", False),
    }
    assert rerun.status == ExtractRunStatus.PUBLISHED
    assert rerun.pk != failed.pk
    assert _store(dataset) == {
        "A1": ("Anne", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", True),
        "A3": ("Dee", "SN5 6JU", True),
        "A4": ("Dee", "SN5 6JU", False),
    }
    # Retired records (A2, A3) lose their person link; current ones keep theirs.
    assert (
        Link.objects.filter(
            source_record__dataset=dataset,
            source_record__retired_at__isnull=True,
            status="active",
        ).count()
        == 2
    )
    assert not Link.objects.filter(
        source_record__dataset=dataset, source_record__retired_at__isnull=False, status="active"
    ).exists()


def test_the_store_after_a_killed_and_rerun_extract_equals_a_clean_run(
    it_user, agency, monkeypatch, settings
):
    # Given two datasets, each with the same first version (and 50% of rows allowed to be bad)
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    clean = corpus_dataset(agency=agency)
    killed = corpus_dataset(agency=agency)
    second = csv_bytes(row("A1", given_name="Anne"), row("A4"), row("A5", postcode="bad"))
    for dataset in (clean, killed):
        send(user=it_user, dataset=dataset, data=FIRST)

    # When the second version runs cleanly for one, and is killed mid-publish then re-run for
    # the other
    send(user=it_user, dataset=clean, data=second)
    receipt = services.extract_receive(user=it_user, dataset=killed, upload=upload(second))
    real_link = pipeline._link

    def die(**kwargs):
        real_link(**kwargs)
        raise RuntimeError("killed after linking, before the commit")

    monkeypatch.setattr(pipeline, "_link", die)
    services.extract_process(extract_id=receipt.extract.pk)
    monkeypatch.undo()
    services.extract_process(extract_id=receipt.extract.pk)

    # Then both stores are the same, with no duplicate records or links
    assert _store(killed) == _store(clean)
    assert _store(killed)["A4"] == ("Dee", "SN5 6JU", False)
    assert SourceRecord.objects.filter(dataset=killed).count() == 4
    assert Link.objects.filter(source_record__dataset=killed).count() == 4


def test_a_run_that_died_silently_is_run_again_once_stale(it_user, dataset, monkeypatch):
    # Given a run that died while validating without recording anything (no exception handler
    # ran)
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FIRST))

    def die(**kwargs):
        raise Killed

    monkeypatch.setattr(pipeline, "validate", die)
    with pytest.raises(Killed):
        services.extract_process(extract_id=receipt.extract.pk)
    monkeypatch.undo()

    # When it is run again at once, and again after the stale time has passed
    too_soon = services.extract_process(extract_id=receipt.extract.pk)
    later = timezone.now() + timedelta(minutes=settings.EXTRACT_RUN_STALE_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        rerun = services.extract_process(extract_id=receipt.extract.pk)

    # Then the live-looking run is left alone, and the stale one is failed and replaced
    assert too_soon is None
    assert rerun.status == ExtractRunStatus.PUBLISHED
    runs = ExtractRun.objects.filter(extract=receipt.extract).order_by("pk")
    assert [run.status for run in runs] == [ExtractRunStatus.FAILED, ExtractRunStatus.PUBLISHED]
    assert SourceRecord.objects.filter(dataset=dataset).count() == 3


# Matching, ordering, other agencies ---------------------------------------------------------------


def test_the_match_step_links_new_and_changed_records_to_people(it_user, dataset):
    # Given two records with the same NHS number, and a different person without one
    data = csv_bytes(
        row("A1", nhs_number="9990000018"),
        row("A2", nhs_number="999 000 0018"),
        row(
            "A3",
            nhs_number="",
            given_name="Zelda",
            family_name="Quarrington",
            date_of_birth="1951-07-30",
            postcode="BA12 9XY",
        ),
    )

    # When they are published
    run = send(user=it_user, dataset=dataset, data=data)

    # Then A1 and A2 are one person and A3 another
    assert run.linked == 3
    people = dict(
        Link.objects.filter(source_record__dataset=dataset).values_list(
            "source_record__source_key", "person_id"
        )
    )
    assert people["A1"] == people["A2"] != people["A3"]
    assert Person.objects.filter(partnership=dataset.agency.partnership).count() == 2


def test_the_match_step_can_be_switched_off(it_user, dataset):
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FIRST))

    run = services.extract_process(extract_id=receipt.extract.pk, match_records=False)

    assert run.status == ExtractRunStatus.PUBLISHED
    assert "match" not in run.step_timings
    assert not Link.objects.filter(source_record__dataset=dataset).exists()


def test_without_matching_searches_find_records_as_published(it_user, dataset):
    # Given three records published and matched
    send(user=it_user, dataset=dataset, data=FIRST)
    searchable = SearchEntry.objects.filter(source_record__dataset=dataset)
    assert searchable.count() == 3

    # When the next full extract renames A1 and drops A2, published without matching
    data = csv_bytes(row("A1", given_name="Anne", family_name="Quarrington"), row("A3"))
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(data))
    run = services.extract_process(extract_id=receipt.extract.pk, match_records=False)

    # Then searches find A1 under its new name, still as its person, and A2 not at all
    assert (run.updated, run.retired) == (1, 1)
    entries = {entry.source_key: entry for entry in searchable}
    assert set(entries) == {"A1", "A3"}
    renamed = entries["A1"]
    assert (renamed.given_name, renamed.family_name) == ("Anne", "Quarrington")
    assert (
        renamed.family_code
        == keys_for(
            family_name="Quarrington", date_of_birth="", postcode="", nhs_number=""
        ).family_code
    )
    assert Link.objects.get(source_record__source_key="A1", status="active").person_id == (
        renamed.person_id
    )


def test_an_older_extract_never_overwrites_a_newer_published_one(it_user, dataset):
    # Given an older extract still waiting when a newer one is published
    older = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FIRST))
    newer = send(user=it_user, dataset=dataset, data=csv_bytes(row("A1", given_name="New")))

    # When the older one is processed
    run = services.extract_process(extract_id=older.extract.pk)

    # Then it is superseded and the newer data stays
    assert newer.status == ExtractRunStatus.PUBLISHED
    assert run.status == ExtractRunStatus.SUPERSEDED
    assert _store(dataset) == {"A1": ("New", "SN5 6JU", False)}


def test_the_nightly_run_processes_every_agency_and_one_failure_blocks_no_other(
    partnership, django_capture_on_commit_callbacks, monkeypatch
):
    # Given two agencies with an extract waiting each, the first of which will fail
    first_agency, second_agency = (
        AgencyFactory(partnership=partnership),
        AgencyFactory(partnership=partnership),
    )
    broken = corpus_dataset(agency=first_agency)
    working = corpus_dataset(agency=second_agency)
    for dataset in (broken, working):
        services.extract_receive(
            user=partner_it(dataset.agency), dataset=dataset, upload=upload(FIRST)
        )
    real_publish = pipeline.publish

    def publish(*, run, match, **kwargs):
        if run.extract.dataset_id == broken.pk:
            raise RuntimeError("disk full")
        return real_publish(run=run, match=match, **kwargs)

    monkeypatch.setattr(pipeline, "publish", publish)

    # When the nightly task runs
    from agencies.tasks import extracts_nightly_task

    with django_capture_on_commit_callbacks(execute=True):
        queued = extracts_nightly_task.delay().get()

    # Then the working dataset is published and the broken one failed
    assert queued == 2
    assert Extract.objects.get(dataset=working).status == ExtractStatus.PUBLISHED
    assert Extract.objects.get(dataset=broken).status == ExtractStatus.FAILED
    assert SourceRecord.objects.filter(dataset=working).count() == 3


def test_the_nightly_job_is_scheduled_at_the_configured_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["agencies-extracts-nightly"]

    assert entry["task"] == "agencies.tasks.extracts_nightly_task"
    assert entry["schedule"].hour == {settings.EXTRACTS_NIGHTLY_HOUR}


# Emails and freshness ---------------------------------------------------------------------------


def test_a_rejected_file_emails_the_uploader_and_partner_it(agency, dataset, mailoutbox):
    # Given two partner IT staff at the agency, and one at another agency
    sender, colleague = partner_it(agency), partner_it(agency)
    partner_it(AgencyFactory(partnership=agency.partnership))

    # When one of them sends a file that is rejected
    send(user=sender, dataset=dataset, data=b"wrong,header\n1,2\n")

    # Then both are emailed, with a link and without data from the file
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == sorted([sender.email, colleague.email])
    assert "was rejected" in message.subject
    assert "/partner-it/runs/" in message.body
    assert "header_missing_column" in message.body


def test_a_failed_run_emails_and_a_check_only_run_does_not(
    it_user, dataset, mailoutbox, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(pipeline, "publish", fail)

    send(user=it_user, dataset=dataset, data=FIRST)
    send(user=it_user, dataset=dataset, data=b"wrong,header\n", validate_only=True)

    assert [message.subject for message in mailoutbox] == [
        f"Single View: the {dataset.name} extract failed"
    ]


def test_a_dataset_turns_stale_after_its_refresh_cadence(it_user, dataset):
    # Given a dataset published now, expected daily
    send(user=it_user, dataset=dataset, data=FIRST)

    # When a day and a minute pass
    fresh = selectors.dataset_freshness(user=it_user, dataset=dataset)
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1), tick=False):
        stale = selectors.dataset_freshness(user=it_user, dataset=dataset)

    # Then it is stale
    assert fresh.state == "fresh"
    assert stale.state == "stale"


def test_the_same_file_again_confirms_a_published_dataset_is_current(it_user, dataset):
    # Given a dataset published 30 hours ago
    with time_machine.travel(timezone.now() - timedelta(hours=30), tick=False):
        send(user=it_user, dataset=dataset, data=FIRST)

    # When the identical file arrives now
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FIRST))

    # Then nothing is loaded, but the data counts as current
    assert receipt.duplicate
    assert selectors.dataset_freshness(user=it_user, dataset=dataset).state == "fresh"


def test_freshness_is_404_outside_the_partnership(it_user, dataset, other_partnership):
    outsider = partner_it(AgencyFactory(partnership=other_partnership))

    from django.http import Http404

    with pytest.raises(Http404):
        selectors.dataset_freshness(user=outsider, dataset=dataset)


def _other_connection():
    """A connection of another reader of the test database, outside the test's connection."""
    settings_dict = connection.settings_dict
    return psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
    )


# Atomic publish (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readers_see_the_previous_version_until_publish_commits(agency, monkeypatch):
    # Given a published first version
    user = partner_it(agency)
    dataset = corpus_dataset(agency=agency)
    send(user=user, dataset=dataset, data=FIRST)
    seen = {}
    real_link = pipeline._link

    def read_from_another_connection(**kwargs):
        # Inside the publish transaction, after the records were written
        with _other_connection() as other:
            seen["during"] = other.execute(
                "SELECT source_key, given_name FROM agencies_sourcerecord "
                "WHERE dataset_id = %s AND retired_at IS NULL ORDER BY source_key",
                [dataset.pk],
            ).fetchall()
        return real_link(**kwargs)

    monkeypatch.setattr(pipeline, "_link", read_from_another_connection)

    # When a second version (A1 changed, A2 and A3 gone, A4 new) is published
    send(user=user, dataset=dataset, data=csv_bytes(row("A1", given_name="Anne"), row("A4")))

    # Then a reader during the publish saw exactly the first version, and afterwards the second
    assert seen["during"] == [("A1", "Ann"), ("A2", "Bob"), ("A3", "Dee")]
    assert sorted(
        SourceRecord.objects.filter(dataset=dataset, retired_at__isnull=True).values_list(
            "source_key", "given_name"
        )
    ) == [("A1", "Anne"), ("A4", "Dee")]


def test_values_with_backslashes_tabs_and_line_breaks_are_stored_exactly(it_user, dataset):
    # Given values that COPY's text format must escape
    data = csv_bytes(
        row("A1", given_name="Back\\slash", notes='"tab\there"'),
        row("A2", family_name='"two\nlines"'),
    )

    # When they are published
    send(user=it_user, dataset=dataset, data=data)

    # Then they are stored as sent
    first = SourceRecord.objects.get(dataset=dataset, source_key="A1")
    second = SourceRecord.objects.get(dataset=dataset, source_key="A2")
    assert first.given_name == "Back\\slash"
    assert first.payload["notes"] == "tab\there"
    assert second.family_name == "two\nlines"


def test_the_nightly_job_drops_staging_tables_left_by_killed_workers(it_user, dataset):
    # Given a staging table whose run is no longer running (its worker was killed outright)
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FIRST))
    ExtractRun.objects.filter(pk=receipt.run.pk).update(status=ExtractRunStatus.FAILED)
    pipeline.stage_table_create(receipt.run.pk)

    # When the nightly job runs
    services.extracts_nightly()

    # Then the table is gone
    assert pipeline.stage_table(receipt.run.pk) not in connection.introspection.table_names()


def _publish_statements(captured):
    """The pipeline's own statements on the store, and its ANALYZE statements, in order."""
    return [
        query["sql"].split(" ")[:3]
        for query in captured.captured_queries
        if query["sql"].startswith(
            ("INSERT INTO agencies_sourcerecord", "UPDATE agencies_sourcerecord AS r", "ANALYZE")
        )
    ]


@pytest.mark.postgres
def test_a_first_load_is_copied_into_the_store_and_a_large_reload_refreshes_its_statistics(
    it_user, dataset, monkeypatch
):
    # Given every extract counts as large
    monkeypatch.setattr(pipeline, "ANALYZE_STORE_FROM_ROWS", 0)

    # When the dataset's first extract is published, then a second
    with CaptureQueriesContext(connection) as first_load:
        first = send(user=it_user, dataset=dataset, data=FIRST)
    with CaptureQueriesContext(connection) as reload:
        send(user=it_user, dataset=dataset, data=csv_bytes(row("A1", given_name="Anne")))

    # Then the first is COPYed straight into the store (no INSERT), with nothing analysed; the
    # second analyses the staging table and the store before it retires, updates and inserts
    assert first.status == ExtractRunStatus.PUBLISHED
    assert first.inserted == 3
    assert _publish_statements(first_load) == []
    assert [q["sql"] for q in first_load.captured_queries if "_extract_stage_" in q["sql"]] == [
        f"DROP TABLE IF EXISTS {pipeline.stage_table(first.pk)}"
    ]
    stage = pipeline.stage_table(ExtractRun.objects.latest("pk").pk)
    assert _publish_statements(reload) == [
        ["ANALYZE", stage, "(action,"],
        ["ANALYZE", "agencies_sourcerecord", "(dataset_id,"],
        ["UPDATE", "agencies_sourcerecord", "AS"],
        ["UPDATE", "agencies_sourcerecord", "AS"],
        ["INSERT", "INTO", "agencies_sourcerecord"],
    ]
    assert _store(dataset)["A1"] == ("Anne", "SN5 6JU", False)


def test_a_first_load_counts_its_records_as_current(it_user, dataset):
    run = send(user=it_user, dataset=dataset, data=FIRST)

    publication = DatasetPublication.objects.get(dataset=dataset)
    assert (run.inserted, publication.records_current) == (3, 3)


def test_a_dataset_whose_records_are_all_retired_is_not_loaded_as_new(it_user, dataset):
    # Given three records published, then all retired by a delta
    send(user=it_user, dataset=dataset, data=FIRST)
    send(
        user=it_user,
        dataset=dataset,
        data=csv_bytes(
            *(row(key) + ",D" for key in ("A1", "A2", "A3")), header=HEADER + ",_action"
        ),
        kind="delta",
    )

    # When a full extract brings two of them back
    run = send(
        user=it_user, dataset=dataset, data=csv_bytes(row("A1"), row("A2", given_name="Bob"))
    )

    # Then they are restored (updated, not inserted again), and the third stays retired
    assert (run.inserted, run.updated, run.retired) == (0, 2, 0)
    assert _store(dataset) == {
        "A1": ("Dee", "SN5 6JU", False),
        "A2": ("Bob", "SN5 6JU", False),
        "A3": ("Dee", "SN5 6JU", True),
    }
    assert DatasetPublication.objects.get(dataset=dataset).records_current == 2


# A dataset's first load (PostgreSQL: straight into the store, in one transaction) -----------------


def test_a_first_load_with_a_reference_on_two_rows_reports_both_and_loads_the_rest(
    it_user, dataset, settings
):
    # Given a dataset with no records, and a corpus file with REF001 twice
    settings.EXTRACT_ERROR_THRESHOLD = 0.9
    path = CORPUS / "duplicate_source_key--same-key-twice.csv"

    # When it is processed
    run = send(user=it_user, dataset=dataset, data=path.read_bytes())

    # Then both rows of REF001 are problems, REF001 is not loaded and the others are, once
    assert run.status == ExtractRunStatus.PUBLISHED
    problems = run.problems.filter(code="duplicate_source_key")
    assert sorted(problem.row for problem in problems) == [2, 5]
    assert set(_store(dataset)) == {"REF002", "REF003"}
    assert SourceRecord.objects.filter(dataset=dataset).count() == 2


def test_a_first_load_above_the_error_threshold_loads_nothing(it_user, dataset, settings):
    # Given a dataset with no records and a file with 2 bad rows in 3, over a 50% threshold
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    bad = csv_bytes(row("A1", postcode="bad"), row("A2", nhs_number="1"), row("A9"))

    # When it is processed
    run = send(user=it_user, dataset=dataset, data=bad)

    # Then it is rejected whole, with its counts and problems, and the store has nothing of it
    assert run.status == ExtractRunStatus.REJECTED
    assert (run.rows_total, run.rows_rejected) == (3, 2)
    assert set(run.problems.values_list("code", flat=True)) == {
        "postcode",
        "nhs_number",
        "error_threshold",
    }
    assert not SourceRecord.objects.filter(dataset=dataset).exists()
    assert not DatasetPublication.objects.filter(dataset=dataset, last_extract__isnull=False)


def test_a_first_load_killed_after_its_rows_were_written_is_rerun_once(
    it_user, dataset, monkeypatch
):
    # Given a first load killed inside its transaction, after its rows went into the store
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(FIRST))
    real_link = pipeline._link

    def die(**kwargs):
        real_link(**kwargs)
        raise RuntimeError("killed after linking, before the commit")

    monkeypatch.setattr(pipeline, "_link", die)
    failed = services.extract_process(extract_id=receipt.extract.pk)
    monkeypatch.undo()

    # When it is run again
    stored_after_kill = SourceRecord.objects.filter(dataset=dataset).count()
    rerun = services.extract_process(extract_id=receipt.extract.pk)

    # Then the killed run left nothing, and the re-run loaded each record and link once
    assert failed.status == ExtractRunStatus.FAILED
    assert stored_after_kill == 0
    assert rerun.status == ExtractRunStatus.PUBLISHED
    assert rerun.inserted == 3
    assert SourceRecord.objects.filter(dataset=dataset).count() == 3
    assert Link.objects.filter(source_record__dataset=dataset).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_during_a_first_load_others_see_its_progress_and_none_of_its_records(agency, monkeypatch):
    # Given a dataset with no records
    user = partner_it(agency)
    dataset = corpus_dataset(agency=agency)
    seen = {}
    real_link = pipeline._link

    def look_from_another_connection(**kwargs):
        # Inside the first load's transaction, after its records were written
        with _other_connection() as other:
            seen["records"] = other.execute(
                "SELECT count(*) FROM agencies_sourcerecord WHERE dataset_id = %s", [dataset.pk]
            ).fetchone()[0]
            seen["run"] = other.execute(
                "SELECT status, rows_total, rows_done, step FROM agencies_extractrun "
                "WHERE extract_id IN (SELECT id FROM agencies_extract WHERE dataset_id = %s)",
                [dataset.pk],
            ).fetchone()
        return real_link(**kwargs)

    monkeypatch.setattr(pipeline, "_link", look_from_another_connection)

    # When its first extract is published
    run = send(user=user, dataset=dataset, data=FIRST)

    # Then a reader during the load saw the run's progress but no record; afterwards all three
    assert seen["records"] == 0
    assert seen["run"] == (ExtractRunStatus.RUNNING, 3, 3, "normalise")
    assert run.status == ExtractRunStatus.PUBLISHED
    assert SourceRecord.objects.filter(dataset=dataset).count() == 3
