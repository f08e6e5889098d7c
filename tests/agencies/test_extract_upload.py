"""Receiving extract files: the service and the browser upload page."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from agencies import services
from agencies.extracts.upload import ExtractRefused
from agencies.models import Extract, ExtractRun, ExtractRunStatus, ExtractStatus, SourceRecord
from tests.agencies.test_extract_support import (
    CORPUS,
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


# The service -------------------------------------------------------------------------------------


def test_a_received_file_is_stored_with_the_digest_of_its_content(it_user, dataset):
    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA))

    extract = receipt.extract
    assert not receipt.duplicate
    assert extract.sha256 == hashlib.sha256(DATA).hexdigest()
    assert extract.status == ExtractStatus.RECEIVED
    assert extract.file.read() == DATA
    assert extract.file.name.startswith(f"extracts/{dataset.agency_id}/{dataset.pk}/")
    assert receipt.run.status == ExtractRunStatus.QUEUED


def test_gzip_is_recognised_by_content_and_stored_compressed(it_user, dataset):
    receipt = services.extract_receive(
        user=it_user, dataset=dataset, upload=upload(gzipped(DATA), "extract.bin")
    )

    extract = receipt.extract
    assert extract.compressed
    assert extract.sha256 == hashlib.sha256(DATA).hexdigest()
    assert extract.content_bytes == len(DATA)
    assert extract.file.name.endswith(".csv.gz")


def test_a_file_over_the_size_limit_is_refused(it_user, dataset, settings):
    settings.EXTRACT_MAX_BYTES = 10

    with pytest.raises(ExtractRefused, match="larger than the 10") as refused:
        services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA))

    assert refused.value.status == 413
    assert not Extract.objects.exists()


def test_content_over_the_limit_once_uncompressed_is_refused(it_user, dataset, settings):
    settings.EXTRACT_MAX_CONTENT_BYTES = 100
    big = gzip.compress(csv_bytes(*(row(f"A{number}") for number in range(100))))

    with pytest.raises(ExtractRefused, match="once uncompressed"):
        services.extract_receive(user=it_user, dataset=dataset, upload=upload(big))


def test_a_damaged_gzip_file_is_refused(it_user, dataset):
    damaged = (CORPUS / "unreadable--truncated-gzip.csv.gz").read_bytes()

    with pytest.raises(ExtractRefused, match="cannot be uncompressed"):
        services.extract_receive(user=it_user, dataset=dataset, upload=upload(damaged))


def test_only_partner_it_of_the_datasets_agency_can_send_it(dataset, partnership):
    practitioner = UserFactory(agency=dataset.agency, user_types=["practitioner"])
    other_it = partner_it(AgencyFactory(partnership=partnership))

    with pytest.raises(PermissionDenied):
        services.extract_receive(user=practitioner, dataset=dataset, upload=upload(DATA))
    with pytest.raises(PermissionDenied):
        services.extract_receive(user=other_it, dataset=dataset, upload=upload(DATA))


def test_the_same_content_for_another_dataset_is_not_a_duplicate(it_user, dataset, agency):
    other = corpus_dataset(agency=agency)
    services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA))

    receipt = services.extract_receive(user=it_user, dataset=other, upload=upload(DATA))

    assert not receipt.duplicate


def test_a_check_only_copy_does_not_count_as_received(it_user, dataset):
    services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA), validate_only=True)

    receipt = services.extract_receive(user=it_user, dataset=dataset, upload=upload(DATA))

    assert not receipt.duplicate
    assert Extract.objects.filter(dataset=dataset).count() == 2


# The upload page ---------------------------------------------------------------------------------


def _upload_url(dataset):
    return reverse("extract-upload", args=[dataset.pk])


def test_partner_it_sends_a_file_for_tonights_run(signed_in, it_user, dataset):
    # Given partner IT on the upload page
    client = signed_in(it_user)

    # When they send a file for tonight's run
    response = client.post(
        _upload_url(dataset),
        {"file": upload(DATA), "kind": "full", "when": "nightly"},
        follow=True,
    )

    # Then it is received and waits; nothing is loaded yet
    run = ExtractRun.objects.get(extract__dataset=dataset)
    assert response.redirect_chain[-1][0] == reverse("extract-run-detail", args=[run.pk])
    assert "It will be loaded in tonight&#x27;s run" in response.content.decode()
    assert run.status == ExtractRunStatus.QUEUED
    assert not SourceRecord.objects.filter(dataset=dataset).exists()


def test_a_gzip_file_sent_now_is_loaded(
    signed_in, it_user, dataset, django_capture_on_commit_callbacks
):
    client = signed_in(it_user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _upload_url(dataset),
            {"file": upload(gzipped(DATA), "people.csv.gz"), "kind": "full", "when": "now"},
        )

    assert Extract.objects.get(dataset=dataset).status == ExtractStatus.PUBLISHED
    assert SourceRecord.objects.filter(dataset=dataset).count() == 2


def test_a_file_sent_to_check_only_is_reported_and_loads_nothing(
    signed_in, it_user, dataset, django_capture_on_commit_callbacks
):
    client = signed_in(it_user)
    bad = csv_bytes(*(row(f"A{number}") for number in range(60)), row("B1", postcode="bad"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _upload_url(dataset), {"file": upload(bad), "kind": "full", "when": "check"}
        )
    page = client.get(response["Location"]).content.decode()

    assert Extract.objects.get(dataset=dataset).status == ExtractStatus.VALIDATED
    assert not SourceRecord.objects.filter(dataset=dataset).exists()
    assert "This file was only checked: nothing was loaded" in page
    assert "Postcode (postcode) is not a UK postcode" in page


def test_the_upload_page_says_when_a_file_is_too_large(signed_in, it_user, dataset, settings):
    settings.EXTRACT_MAX_BYTES = 10
    client = signed_in(it_user)

    response = client.post(
        _upload_url(dataset), {"file": upload(DATA), "kind": "full", "when": "nightly"}
    )

    assert response.status_code == 413
    assert "The file is larger than the 10" in response.content.decode()
    assert not Extract.objects.exists()


def test_a_request_larger_than_the_limit_is_refused_before_it_is_read(
    signed_in, it_user, dataset, settings
):
    settings.EXTRACT_MAX_BYTES = 10
    client = signed_in(it_user)

    response = client.generic(
        "POST",
        _upload_url(dataset),
        b"x" * 200_000,
        content_type="multipart/form-data; boundary=xyz",
    )

    assert response.status_code == 413
    assert "There is a problem" in response.content.decode()


def test_the_upload_page_refuses_a_post_without_a_csrf_token(signed_in, it_user, dataset):
    strict = signed_in(it_user)
    strict.handler.enforce_csrf_checks = True

    response = strict.post(
        _upload_url(dataset), {"file": upload(DATA), "kind": "full", "when": "nightly"}
    )

    assert response.status_code == 403
    assert not Extract.objects.exists()


def test_the_upload_form_asks_for_a_file(signed_in, it_user, dataset):
    client = signed_in(it_user)

    response = client.post(_upload_url(dataset), {"kind": "full", "when": "nightly"})

    assert response.status_code == 200
    assert "Choose the extract file to send." in response.content.decode()


def test_practitioners_cannot_open_the_upload_page(signed_in, dataset):
    practitioner = UserFactory(agency=dataset.agency, user_types=["practitioner"])
    client = signed_in(practitioner)

    assert client.get(_upload_url(dataset)).status_code == 403
    assert client.post(_upload_url(dataset), {"file": upload(DATA)}).status_code == 403
    assert not Extract.objects.exists()


def test_partner_it_of_another_agency_cannot_upload_here(signed_in, dataset, partnership):
    other_it = partner_it(AgencyFactory(partnership=partnership))
    client = signed_in(other_it)

    response = client.post(
        _upload_url(dataset), {"file": upload(DATA), "kind": "full", "when": "now"}
    )

    assert response.status_code == 404
    assert client.get(_upload_url(dataset)).status_code == 404
    assert not Extract.objects.exists()


def test_partner_it_of_another_partnership_cannot_upload_here(
    signed_in, dataset, other_partnership
):
    foreign_it = partner_it(AgencyFactory(partnership=other_partnership))
    client = signed_in(foreign_it)

    response = client.post(
        _upload_url(dataset), {"file": upload(DATA), "kind": "full", "when": "now"}
    )

    assert response.status_code == 404
    assert not Extract.objects.exists()
