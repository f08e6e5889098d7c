"""The extracts API: knox tokens (expiring, revocable, hashed), upload, runs, reports, tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from agencies import services
from agencies.models import Extract, ExtractRunStatus, ExtractStatus, SourceRecord
from tests.agencies.test_extract_support import (
    corpus_dataset,
    csv_bytes,
    gzipped,
    partner_it,
    row,
    upload,
)
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = csv_bytes(row("A1"), row("A2"))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def it_user(agency):
    return partner_it(agency)


@pytest.fixture
def dataset(agency):
    return corpus_dataset(agency=agency)


def _client(user) -> APIClient:
    _, token = services.api_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _extracts_url(dataset):
    return reverse("api-dataset-extracts", args=[dataset.pk])


def test_a_token_upload_answers_202_with_the_runs_url(it_user, dataset):
    # Given a partner IT token
    client = _client(it_user)

    # When a gzip file is posted as curl -F would
    response = client.post(
        _extracts_url(dataset), {"file": upload(gzipped(DATA), "people.csv.gz")}, format="multipart"
    )

    # Then the answer is 202 with JSON naming the run and its URL
    assert response.status_code == 202
    body = response.json()
    assert body["duplicate"] is False
    assert body["status"] == ExtractRunStatus.QUEUED
    assert body["url"] == f"http://testserver{reverse('api-extract-run', args=[body['run']])}"
    assert response["Location"] == body["url"]
    assert Extract.objects.get(dataset=dataset).compressed


def test_the_run_url_follows_the_run_to_its_end(
    it_user, dataset, django_capture_on_commit_callbacks
):
    client = _client(it_user)
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            _extracts_url(dataset),
            {"file": upload(DATA), "process": "now", "kind": "full"},
            format="multipart",
        ).json()

    run = client.get(posted["url"]).json()

    assert run["status"] == ExtractRunStatus.PUBLISHED
    assert run["finished"] is True
    assert (run["rows_total"], run["inserted"]) == (2, 2)
    assert SourceRecord.objects.filter(dataset=dataset).count() == 2


def test_validate_only_returns_the_report_and_loads_nothing(
    it_user, dataset, django_capture_on_commit_callbacks, settings
):
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    client = _client(it_user)
    bad = csv_bytes(row("A1"), row("A2", nhs_number="9990000019"))

    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            _extracts_url(dataset),
            {"file": upload(bad), "validate_only": "true"},
            format="multipart",
        ).json()
    report = client.get(posted["report_json"]).json()
    report_csv = client.get(posted["report_csv"])

    assert report["status"] == ExtractRunStatus.VALIDATED
    assert report["problems"] == [
        {
            "row": 3,
            "column": "nhs_number",
            "code": "nhs_number",
            "message": report["problems"][0]["message"],
        }
    ]
    assert "check digit" in report["problems"][0]["message"]
    assert report_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert report_csv.content.decode().splitlines()[1].startswith("3,nhs_number,nhs_number,")
    assert not SourceRecord.objects.filter(dataset=dataset).exists()


def test_the_same_file_again_answers_200_as_a_duplicate(it_user, dataset):
    client = _client(it_user)
    first = client.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    again = client.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["run"] == first.json()["run"]
    assert Extract.objects.filter(dataset=dataset).count() == 1


def test_a_delta_can_be_sent(it_user, dataset):
    client = _client(it_user)

    response = client.post(
        _extracts_url(dataset), {"file": upload(DATA), "kind": "delta"}, format="multipart"
    )

    assert response.status_code == 202
    assert response.json()["kind"] == "delta"


def test_a_file_over_the_limit_answers_413_with_a_clear_error(it_user, dataset, settings):
    settings.EXTRACT_MAX_BYTES = 10
    client = _client(it_user)

    response = client.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The file is larger than the 10")


def test_a_missing_file_answers_400(it_user, dataset):
    response = _client(it_user).post(_extracts_url(dataset), {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


def test_the_dataset_schema_is_served_as_json_schema(it_user, dataset):
    response = _client(it_user).get(reverse("api-dataset-schema", args=[dataset.pk]))

    assert response.status_code == 200
    assert response.json()["required"][0] == "source_key"


def test_process_now_queues_the_waiting_extracts(
    it_user, dataset, django_capture_on_commit_callbacks
):
    client = _client(it_user)
    client.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api-dataset-process", args=[dataset.pk]))

    assert response.status_code == 202
    assert response.json() == {"waiting": 1}
    assert Extract.objects.get(dataset=dataset).status == ExtractStatus.PUBLISHED


def test_the_history_lists_the_datasets_runs(it_user, dataset):
    client = _client(it_user)
    posted = client.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    listed = client.get(_extracts_url(dataset)).json()

    assert [run["run"] for run in listed] == [posted.json()["run"]]


# Tokens -------------------------------------------------------------------------------------------


def test_tokens_are_stored_only_as_digests(it_user):
    token_model, token = services.api_token_create(user=it_user)

    stored = AuthToken.objects.get(pk=token_model.pk)
    assert token not in (stored.digest, stored.token_key)
    assert stored.token_key == token[: len(stored.token_key)]


def test_an_expired_token_is_refused(it_user, dataset):
    client = _client(it_user)
    later = timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        response = client.get(_extracts_url(dataset))

    assert response.status_code == 401


def test_a_revoked_token_is_refused(it_user, dataset):
    token_model, token = services.api_token_create(user=it_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(_extracts_url(dataset)).status_code == 200

    services.api_token_revoke(user=it_user, token_key=token_model.token_key)

    assert client.get(_extracts_url(dataset)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(it_user, agency):
    colleague = partner_it(agency)
    token_model, _ = services.api_token_create(user=colleague)

    revoked = services.api_token_revoke(user=it_user, token_key=token_model.token_key)

    assert revoked is False
    assert AuthToken.objects.filter(pk=token_model.pk).exists()


def test_no_token_is_refused(dataset):
    response = APIClient().post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    assert response.status_code == 401
    assert not Extract.objects.exists()


def test_a_signed_in_session_is_not_enough_for_the_api(signed_in, it_user, dataset):
    client = signed_in(it_user)

    response = client.get(_extracts_url(dataset))

    assert response.status_code == 401


def test_a_practitioners_token_is_refused(dataset):
    practitioner = UserFactory(agency=dataset.agency, user_types=["practitioner"])
    _, token = AuthToken.objects.create(user=practitioner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")

    assert response.status_code == 403
    assert not Extract.objects.exists()


def test_a_token_is_refused_from_outside_the_agencys_networks(it_user, dataset):
    dataset.agency.allowed_networks = ["10.1.0.0/16"]
    dataset.agency.save()
    client = _client(it_user)

    response = client.get(_extracts_url(dataset), REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 403


# Other agencies and partnerships ------------------------------------------------------------------


def test_partner_it_of_another_agency_cannot_upload_or_see_runs(it_user, dataset, partnership):
    # Given a run of this agency's dataset, and partner IT at another agency
    posted = _client(it_user).post(
        _extracts_url(dataset), {"file": upload(DATA)}, format="multipart"
    )
    other = _client(partner_it(AgencyFactory(partnership=partnership)))

    # When they try to upload to it and read its run and report
    uploaded = other.post(_extracts_url(dataset), {"file": upload(b"x")}, format="multipart")
    run = other.get(posted.json()["url"])
    report = other.get(posted.json()["report_json"])

    # Then each is 404
    assert (uploaded.status_code, run.status_code, report.status_code) == (404, 404, 404)
    assert Extract.objects.count() == 1


def test_partner_it_of_another_partnership_cannot_upload_or_see_runs(
    it_user, dataset, other_partnership
):
    posted = _client(it_user).post(
        _extracts_url(dataset), {"file": upload(DATA)}, format="multipart"
    )
    foreign = _client(partner_it(AgencyFactory(partnership=other_partnership)))

    uploaded = foreign.post(_extracts_url(dataset), {"file": upload(DATA)}, format="multipart")
    run = foreign.get(posted.json()["url"])
    schema = foreign.get(reverse("api-dataset-schema", args=[dataset.pk]))

    assert (uploaded.status_code, run.status_code, schema.status_code) == (404, 404, 404)
