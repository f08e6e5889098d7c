"""Partner IT's extract pages: permissions, tenancy, schema, progress, history, tokens."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from agencies import services
from agencies.extracts.validation import validate_file
from agencies.models import ExtractRun, ExtractRunStatus
from tests.agencies.test_extract_support import (
    corpus_dataset,
    corpus_schema,
    csv_bytes,
    partner_it,
    row,
    send,
    upload,
)
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = csv_bytes(row("A1"), row("A2", postcode="bad"), row("A3"))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EXTRACT_ERROR_THRESHOLD = 0.5


@pytest.fixture
def it_user(agency):
    return partner_it(agency)


@pytest.fixture
def dataset(agency):
    return corpus_dataset(agency=agency, name="Adult social care")


@pytest.fixture
def run(it_user, dataset):
    return send(user=it_user, dataset=dataset, data=DATA)


DATASET_PAGES = [
    "extract-dataset-detail",
    "extract-schema",
    "extract-schema-json",
    "extract-sample-csv",
    "extract-upload",
]
RUN_PAGES = [
    "extract-run-detail",
    "extract-run-progress",
    "extract-run-report-json",
    "extract-run-report-csv",
]


# Permissions and tenancy --------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", DATASET_PAGES)
def test_partner_it_open_their_datasets_pages(signed_in, it_user, dataset, url_name):
    response = signed_in(it_user).get(reverse(url_name, args=[dataset.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("url_name", DATASET_PAGES)
def test_practitioners_cannot_open_dataset_extract_pages(signed_in, dataset, url_name):
    practitioner = UserFactory(agency=dataset.agency, user_types=["practitioner"])

    response = signed_in(practitioner).get(reverse(url_name, args=[dataset.pk]))

    assert response.status_code == 403


@pytest.mark.parametrize("url_name", DATASET_PAGES)
def test_another_agencys_dataset_pages_are_404(signed_in, dataset, partnership, url_name):
    other_it = partner_it(AgencyFactory(partnership=partnership))

    response = signed_in(other_it).get(reverse(url_name, args=[dataset.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("url_name", DATASET_PAGES)
def test_another_partnerships_dataset_pages_are_404(
    signed_in, dataset, other_partnership, url_name
):
    foreign_it = partner_it(AgencyFactory(partnership=other_partnership))

    response = signed_in(foreign_it).get(reverse(url_name, args=[dataset.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("url_name", RUN_PAGES)
def test_partner_it_open_their_runs(signed_in, it_user, run, url_name):
    response = signed_in(it_user).get(reverse(url_name, args=[run.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("url_name", RUN_PAGES)
def test_practitioners_cannot_open_runs(signed_in, dataset, run, url_name):
    practitioner = UserFactory(agency=dataset.agency, user_types=["practitioner"])

    response = signed_in(practitioner).get(reverse(url_name, args=[run.pk]))

    assert response.status_code == 403


@pytest.mark.parametrize("url_name", RUN_PAGES)
def test_another_agencys_runs_are_404(signed_in, run, partnership, url_name):
    other_it = partner_it(AgencyFactory(partnership=partnership))

    response = signed_in(other_it).get(reverse(url_name, args=[run.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("url_name", RUN_PAGES)
def test_another_partnerships_runs_are_404(signed_in, run, other_partnership, url_name):
    foreign_it = partner_it(AgencyFactory(partnership=other_partnership))

    response = signed_in(foreign_it).get(reverse(url_name, args=[run.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", [reverse("extract-dataset-list"), reverse("api-token-list")], ids=["list", "tokens"]
)
def test_agency_wide_pages_need_partner_it(signed_in, agency, client, url):
    practitioner = UserFactory(agency=agency, user_types=["practitioner"])

    anonymous = client.get(url)
    refused = signed_in(practitioner).get(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("signin"))
    assert refused.status_code == 403


def test_process_now_is_partner_it_of_the_agency_only(signed_in, dataset, partnership):
    practitioner = UserFactory(agency=dataset.agency, user_types=["practitioner"])
    other_it = partner_it(AgencyFactory(partnership=partnership))
    url = reverse("extract-process-now", args=[dataset.pk])

    assert signed_in(practitioner).post(url).status_code == 403
    assert signed_in(other_it).post(url).status_code == 404


# The extracts list, history and freshness ---------------------------------------------------------


def test_the_extracts_page_lists_only_the_agencys_datasets(
    signed_in, it_user, dataset, partnership
):
    other = corpus_dataset(agency=AgencyFactory(partnership=partnership), name="Police index")

    html = signed_in(it_user).get(reverse("extract-dataset-list")).content.decode()

    assert dataset.name in html
    assert other.name not in html
    assert "Never published" in html


def test_a_dataset_past_its_cadence_is_flagged_stale(signed_in, it_user, dataset):
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        send(user=it_user, dataset=dataset, data=DATA)
    client = signed_in(it_user)

    listing = client.get(reverse("extract-dataset-list")).content.decode()
    landing = client.get(reverse("landing-partner-it")).content.decode()

    assert 'govuk-tag--red">Stale' in listing
    assert "A new extract was due by" in listing
    assert 'govuk-tag--red">Stale' in landing


def test_a_freshly_published_dataset_is_up_to_date(signed_in, it_user, dataset, run):
    landing = signed_in(it_user).get(reverse("landing-partner-it")).content.decode()

    assert "Up to date" in landing
    assert reverse("extract-dataset-detail", args=[dataset.pk]) in landing


def test_the_history_shows_each_extract_with_its_outcome(signed_in, it_user, dataset, run):
    html = (
        signed_in(it_user)
        .get(reverse("extract-dataset-detail", args=[dataset.pk]))
        .content.decode()
    )

    assert reverse("extract-run-detail", args=[run.pk]) in html
    assert "Published" in html


def test_process_now_runs_the_waiting_extracts(
    signed_in, it_user, dataset, django_capture_on_commit_callbacks
):
    services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA))
    client = signed_in(it_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("extract-process-now", args=[dataset.pk]), follow=True)

    assert "Processing 1 waiting extract of Adult social care now." in response.content.decode()
    assert ExtractRun.objects.get(extract__dataset=dataset).status == ExtractRunStatus.PUBLISHED


# The schema --------------------------------------------------------------------------------------


def test_the_schema_page_documents_columns_formats_and_deltas(signed_in, it_user, dataset):
    html = signed_in(it_user).get(reverse("extract-schema", args=[dataset.pk])).content.decode()

    assert "<code>nhs_number</code>" in html
    assert "Modulus 11" in html
    assert "<code>_action</code>" in html
    assert "spreadsheet formula" in html
    assert "curl --fail-with-body" in html
    assert f"/api/v1/datasets/{dataset.pk}/extracts" in html


def test_the_sample_file_download_passes_validation(signed_in, it_user, dataset):
    response = signed_in(it_user).get(reverse("extract-sample-csv", args=[dataset.pk]))

    reader, rows = validate_file(io.BytesIO(response.content), schema=corpus_schema(), kind="full")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert reader.problems.total == 0
    assert len(rows) == 3


def test_the_json_schema_download(signed_in, it_user, dataset):
    response = signed_in(it_user).get(
        reverse("extract-schema-json", args=[dataset.pk]), {"kind": "delta"}
    )

    assert response.json()["x-singleview-kind"] == "delta"
    assert "_action" in response.json()["properties"]


def test_a_dataset_that_cannot_make_a_schema_says_why(signed_in, it_user, dataset):
    dataset.fields.filter(name="status").update(choices=[])

    html = signed_in(it_user).get(reverse("extract-schema", args=[dataset.pk])).content.decode()

    assert "cannot be used for extracts" in html


# Runs: progress and reports -----------------------------------------------------------------------


def test_a_running_run_polls_its_progress_with_htmx(signed_in, it_user, dataset):
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA))
    ExtractRun.objects.filter(pk=receipt.run.pk).update(
        status=ExtractRunStatus.RUNNING, step="stage", progress=60
    )

    html = (
        signed_in(it_user)
        .get(reverse("extract-run-detail", args=[receipt.run.pk]))
        .content.decode()
    )

    assert f'hx-get="{reverse("extract-run-progress", args=[receipt.run.pk])}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert '<progress id="run-progress-bar"' in html
    assert 'value="60"' in html
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "<script>" not in html


def test_a_finished_run_does_not_poll(signed_in, it_user, run):
    html = signed_in(it_user).get(reverse("extract-run-detail", args=[run.pk])).content.decode()

    assert "hx-get" not in html
    assert "htmx-2.min.js" not in html


def test_polling_a_finished_run_reloads_the_page(signed_in, it_user, run):
    response = signed_in(it_user).get(
        reverse("extract-run-progress", args=[run.pk]), HTTP_HX_REQUEST="true"
    )

    assert response["HX-Refresh"] == "true"


def test_the_run_page_shows_counts_and_problems(signed_in, it_user, run):
    html = signed_in(it_user).get(reverse("extract-run-detail", args=[run.pk])).content.decode()

    assert "2 new, 0 changed, 0 retired" in html
    assert "Postcode (postcode) is not a UK postcode" in html
    assert reverse("extract-run-report-csv", args=[run.pk]) in html


def test_the_csv_report_lists_each_problem(signed_in, it_user, run):
    response = signed_in(it_user).get(reverse("extract-run-report-csv", args=[run.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["row", "column", "code", "message"]
    assert rows[1][:3] == ["3", "postcode", "postcode"]


def test_the_json_report_has_the_summary_and_problems(signed_in, it_user, run):
    report = signed_in(it_user).get(reverse("extract-run-report-json", args=[run.pk])).json()

    assert report["status"] == "published"
    assert report["problem_counts"] == {"postcode": 1}
    assert report["problems"][0]["row"] == 3


# API tokens ---------------------------------------------------------------------------------------


def test_a_new_token_is_shown_once(signed_in, it_user):
    client = signed_in(it_user)

    created = client.post(reverse("api-token-list")).content.decode()
    listed = client.get(reverse("api-token-list")).content.decode()

    token = AuthToken.objects.get(user=it_user)
    shown = created.split('<code id="new-token">')[1].split("</code>")[0]
    assert shown.startswith(token.token_key)
    assert shown not in listed
    assert token.token_key in listed


def test_tokens_list_only_the_users_own(signed_in, it_user, agency):
    colleague_token, _ = services.api_token_create(user=partner_it(agency))

    html = signed_in(it_user).get(reverse("api-token-list")).content.decode()

    assert colleague_token.token_key not in html
    assert "You have no tokens." in html


def test_a_token_is_revoked_from_the_page(signed_in, it_user):
    token, _ = services.api_token_create(user=it_user)
    client = signed_in(it_user)

    response = client.post(reverse("api-token-revoke", args=[token.token_key]), follow=True)

    assert "It no longer works." in response.content.decode()
    assert not AuthToken.objects.filter(user=it_user).exists()


def test_someone_elses_token_cannot_be_revoked_from_the_page(signed_in, it_user, agency):
    colleague_token, _ = services.api_token_create(user=partner_it(agency))

    response = signed_in(it_user).post(
        reverse("api-token-revoke", args=[colleague_token.token_key])
    )

    assert response.status_code == 404
    assert AuthToken.objects.filter(pk=colleague_token.pk).exists()


def test_practitioners_cannot_create_tokens(signed_in, agency):
    practitioner = UserFactory(agency=agency, user_types=["practitioner"])

    response = signed_in(practitioner).post(reverse("api-token-list"))

    assert response.status_code == 403
    assert not AuthToken.objects.exists()
