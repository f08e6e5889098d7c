"""Writes about partnerships, agencies, staff and their sign-in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.mail import EmailMessage
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from agencies import selectors
from agencies.extracts import pipeline
from agencies.extracts.upload import ExtractRefused, content_digest, too_large_message
from agencies.models import (
    Agency,
    Dataset,
    DatasetPublication,
    Extract,
    ExtractKind,
    ExtractRun,
    ExtractRunStatus,
    ExtractRunStep,
    ExtractStatus,
    OrganisationType,
    User,
    UserType,
)
from singleview.middleware import LAST_SEEN_AT, SIGNED_IN_AT

logger = logging.getLogger(__name__)

TOTP_DEVICE_NAME = "Authenticator app"


@transaction.atomic
def user_create(
    *,
    agency: Agency,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    user_types: list[str],
    password: str | None = None,
    job_title: str = "",
    role_id: int | None = None,
) -> User:
    """Create a member of staff at one agency with the given user types."""
    user = User(
        agency=agency,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        job_title=job_title,
        role_id=role_id,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.is_staff = UserType.PARTNERSHIP_ADMIN in user_types
    user.full_clean(exclude=["password"])
    user.save()
    labels = dict(UserType.choices)
    user.groups.set([Group.objects.get(name=labels[user_type]) for user_type in user_types])
    return user


def session_start(*, request: HttpRequest, user: User) -> None:
    """First factor passed: sign the user in, pending their second factor."""
    auth_login(request, user)
    now = timezone.now().isoformat()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def two_factor_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a TOTP code against the user's confirmed device; mark the session verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token(token):
        return False
    otp_login(request, device)
    return True


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device an enrolling user scans; reused until confirmed."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": TOTP_DEVICE_NAME}
    )
    return device


@transaction.atomic
def totp_device_confirm(*, request: HttpRequest, user: User, token: str) -> bool:
    """Confirm the enrolling device with a first correct code; it replaces any older one."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True


@transaction.atomic
def totp_device_set(*, user: User, key_hex: str) -> TOTPDevice:
    """Give a user a confirmed device with a known key (the demo and tests use this)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key_hex, confirmed=True)


# Model permissions each user type's group carries (object permissions come from guardian).
USER_TYPE_MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    UserType.PARTNERSHIP_ADMIN: (
        "agencies.view_partnership",
        "agencies.view_agency",
        "agencies.add_agency",
        "agencies.change_agency",
        "agencies.view_user",
        "agencies.add_user",
        "agencies.change_user",
        "agencies.view_dataset",
        "agencies.add_dataset",
        "agencies.change_dataset",
        "agencies.view_datasetfield",
        "agencies.add_datasetfield",
        "agencies.change_datasetfield",
        "agencies.delete_datasetfield",
        "agencies.view_extract",
        "agencies.view_extractrun",
        "agencies.view_extractproblem",
        "agencies.view_datasetpublication",
        "governance.view_role",
        "governance.add_role",
        "governance.change_role",
        "governance.view_purpose",
        "governance.add_purpose",
        "governance.change_purpose",
        "governance.view_grant",
        "governance.view_grantversion",
        "governance.view_signoff",
        "governance.view_restriction",
    ),
}


def user_type_permissions_sync() -> None:
    """Reference data after every migrate (and every test flush): the national organisation
    types, and each user type's group with exactly its model permissions."""
    from django.contrib.auth.models import Permission

    for code, name in OrganisationType.Code.choices:
        OrganisationType.objects.get_or_create(code=code, defaults={"name": name})
    labels = dict(UserType.choices)
    for user_type, label in labels.items():
        group, _ = Group.objects.get_or_create(name=label)
        wanted = USER_TYPE_MODEL_PERMISSIONS.get(user_type, ())
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type")
            if f"{permission.content_type.app_label}.{permission.codename}" in wanted
        ]
        group.permissions.set(permissions)


# ---------------------------------------------------------------------------------------------
# Nightly extracts (agencies/extracts, ADR 0008)


def _partner_it_of(user: User, dataset: Dataset) -> bool:
    return user.has_user_type(UserType.PARTNER_IT) and user.agency_id == dataset.agency_id


@dataclass(frozen=True)
class ExtractReceipt:
    """What an upload produced: the extract (an earlier one when `duplicate`) and its run."""

    extract: Extract
    run: ExtractRun | None
    duplicate: bool


def extract_receive(
    *,
    user: User,
    dataset: Dataset,
    upload: File,
    kind: str = ExtractKind.FULL,
    validate_only: bool = False,
    process_now: bool = False,
) -> ExtractReceipt:
    """Store an uploaded file as an extract of `dataset`, with a queued run.

    A file whose content (SHA-256 after gunzip) was already received for the dataset is not
    stored again: the earlier extract is returned as a duplicate (and, when it is the published
    one, the dataset counts as confirmed current). A check-only extract is processed at once;
    others wait for the nightly run unless `process_now`. Raises `ExtractRefused` (too large,
    damaged gzip, empty, unusable dataset definition) and PermissionDenied (not partner IT of
    the dataset's agency)."""
    if not _partner_it_of(user, dataset):
        raise PermissionDenied("Only partner IT of the dataset's agency can send its extracts.")
    if kind not in ExtractKind.values:
        raise ExtractRefused("Choose whether the extract is full or a delta.")
    selectors.dataset_extract_schema(dataset=dataset)  # raises SchemaError if unusable
    if (upload.size or 0) > settings.EXTRACT_MAX_BYTES:
        raise ExtractRefused(too_large_message(settings.EXTRACT_MAX_BYTES), status=413)
    upload.seek(0)
    sha256, content_bytes, compressed = content_digest(
        upload,  # type: ignore[arg-type]
        content_limit=settings.EXTRACT_MAX_CONTENT_BYTES,
    )
    if not validate_only:
        existing = _extract_already_received(dataset=dataset, sha256=sha256)
        if existing is not None:
            if process_now and existing.extract.status in PENDING_EXTRACT_STATUSES:
                transaction.on_commit(partial(_enqueue_dataset, dataset.pk))
            return existing
    upload.seek(0)
    extract = Extract(
        dataset=dataset,
        uploaded_by=user,
        original_name=(upload.name or "")[-255:],
        size_bytes=upload.size or 0,
        content_bytes=content_bytes,
        compressed=compressed,
        sha256=sha256,
        kind=kind,
        validate_only=validate_only,
    )
    extract.file.save("extract.csv.gz" if compressed else "extract.csv", upload, save=False)
    try:
        with transaction.atomic():
            extract.full_clean(exclude=["file"], validate_constraints=False)
            extract.save()
            run = ExtractRun.objects.create(extract=extract)
            if validate_only:
                transaction.on_commit(partial(_enqueue_extract, extract.pk))
            elif process_now:
                transaction.on_commit(partial(_enqueue_dataset, dataset.pk))
    except IntegrityError:
        extract.file.delete(save=False)
        existing = _extract_already_received(dataset=dataset, sha256=sha256)
        if existing is None:
            raise
        return existing
    except BaseException:
        extract.file.delete(save=False)
        raise
    run.refresh_from_db()
    return ExtractReceipt(extract=extract, run=run, duplicate=False)


def _extract_already_received(*, dataset: Dataset, sha256: str) -> ExtractReceipt | None:
    existing = Extract.objects.filter(dataset=dataset, sha256=sha256, validate_only=False).first()
    if existing is None:
        return None
    DatasetPublication.objects.filter(dataset=dataset, last_extract=existing).update(
        confirmed_at=timezone.now()
    )
    return ExtractReceipt(extract=existing, run=existing.runs.first(), duplicate=True)


def _enqueue_extract(extract_id: int) -> None:
    from agencies.tasks import extract_process_task

    extract_process_task.delay(extract_id)


def _enqueue_dataset(dataset_id: int) -> None:
    from agencies.tasks import dataset_extracts_process_task

    dataset_extracts_process_task.delay(dataset_id)


PENDING_EXTRACT_STATUSES = (
    ExtractStatus.RECEIVED,
    ExtractStatus.PROCESSING,
    ExtractStatus.FAILED,
)


def _run_claim(*, extract_id: int, match_records: bool) -> ExtractRun | None:
    """Mark the extract's run as running (a new run when the last one failed), or None when
    the extract is finished or another worker is running it now. A running run silent for
    EXTRACT_RUN_STALE_MINUTES is taken to have died and is failed first."""
    now = timezone.now()
    stale_before = now - timedelta(minutes=settings.EXTRACT_RUN_STALE_MINUTES)
    with transaction.atomic():
        extract = Extract.objects.select_for_update().get(pk=extract_id)
        if extract.status not in PENDING_EXTRACT_STATUSES:
            return None
        run: ExtractRun | None = None
        for open_run in extract.runs.filter(
            status__in=[ExtractRunStatus.QUEUED, ExtractRunStatus.RUNNING]
        ):
            if open_run.status == ExtractRunStatus.QUEUED:
                run = open_run
                continue
            heartbeat = open_run.heartbeat_at or open_run.started_at or open_run.created_at
            if heartbeat > stale_before:
                return None
            ExtractRun.objects.filter(pk=open_run.pk).update(
                status=ExtractRunStatus.FAILED,
                finished_at=now,
                failure_message=(
                    "The run stopped without finishing (its worker was stopped or lost). The "
                    "extract was run again."
                ),
            )
            pipeline.stage_table_drop(open_run.pk)
        if run is None:
            run = ExtractRun(extract=extract)
        run.status = ExtractRunStatus.RUNNING
        run.step = ExtractRunStep.VALIDATE
        run.match_records = match_records
        run.started_at = run.heartbeat_at = now
        run.save()
        extract.status = ExtractStatus.PROCESSING
        extract.save(update_fields=["status"])
    return ExtractRun.objects.select_related("extract__dataset__agency").get(pk=run.pk)


def extract_process(*, extract_id: int, match_records: bool = True) -> ExtractRun | None:
    """Run the pipeline over one extract (validate, stage, normalise, match, publish). Returns
    the run, or None when there was nothing to do. A run that fails is recorded and reported
    to partner IT; running the extract again is safe at any point."""
    run = _run_claim(extract_id=extract_id, match_records=match_records)
    if run is None:
        return None
    extract = run.extract
    try:
        schema = selectors.dataset_extract_schema(dataset=extract.dataset)
        pipeline.run_execute(run=run, schema=schema, limits=pipeline.PipelineLimits.from_settings())
    except Exception as error:
        logger.exception("Extract run %s failed.", run.pk)
        step = ExtractRunStep(run.step).label.lower()
        message = f"The run stopped while {step}: {error}"[:2000]
        with transaction.atomic():
            ExtractRun.objects.filter(pk=run.pk).update(
                status=ExtractRunStatus.FAILED,
                finished_at=timezone.now(),
                failure_message=message,
            )
            Extract.objects.filter(pk=extract.pk).update(status=ExtractStatus.FAILED)
        run.refresh_from_db()
        extract_run_failure_notify(run=run)
        if isinstance(error, OperationalError | InterfaceError):
            raise
        return run
    run.refresh_from_db()
    if run.status == ExtractRunStatus.REJECTED:
        extract_run_failure_notify(run=run)
    return run


@contextmanager
def _dataset_lock(dataset_id: int) -> Iterator[bool]:
    """Whether this worker may process the dataset's extracts now (one worker at a time, so they
    publish in the order received). PostgreSQL session advisory lock; always granted elsewhere."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = (pipeline.DATASET_LOCK_NAMESPACE, int(dataset_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        (acquired,) = cursor.fetchone()
    try:
        yield bool(acquired)
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def dataset_extracts_process(*, dataset_id: int, match_records: bool = True) -> list[ExtractRun]:
    """Process every pending extract of one dataset, oldest first. One extract failing does not
    stop the others (an older extract that fails is overtaken by the next one published)."""
    runs: list[ExtractRun] = []
    with _dataset_lock(dataset_id) as acquired:
        if not acquired:
            return runs
        tried: set[int] = set()
        while True:
            extract_id = (
                Extract.objects.filter(dataset_id=dataset_id, status__in=PENDING_EXTRACT_STATUSES)
                .exclude(pk__in=tried)
                .order_by("received_at", "pk")
                .values_list("pk", flat=True)
                .first()
            )
            if extract_id is None:
                return runs
            tried.add(extract_id)
            run = extract_process(extract_id=extract_id, match_records=match_records)
            if run is not None:
                runs.append(run)


def extracts_nightly() -> int:
    """Queue one task per dataset with extracts waiting, so each agency's files are processed
    apart from the others'. Returns the number of datasets queued. Staging tables left by
    workers killed outright are dropped first."""
    pipeline.stage_tables_sweep()
    dataset_ids = sorted(
        set(
            Extract.objects.filter(status__in=PENDING_EXTRACT_STATUSES).values_list(
                "dataset_id", flat=True
            )
        )
    )
    for dataset_id in dataset_ids:
        transaction.on_commit(partial(_enqueue_dataset, dataset_id))
    return len(dataset_ids)


def _expired_extracts(*, received_before: datetime) -> QuerySet[Extract]:
    """Extracts received before the cutoff whose file is still stored and whose processing has
    finished: not waiting, processing or failed (the nightly run tries a failed extract again),
    and with no run queued or running."""
    return (
        Extract.objects.filter(received_at__lt=received_before, file_removed_at__isnull=True)
        .exclude(status__in=PENDING_EXTRACT_STATUSES)
        .exclude(runs__status__in=[ExtractRunStatus.QUEUED, ExtractRunStatus.RUNNING])
    )


def extract_files_expire() -> int:
    """Delete the stored file of every extract received more than EXTRACT_FILE_RETENTION ago
    whose processing has finished. The extract stays, with its SHA-256 (so the same content sent
    again is still recognised and not loaded twice), its runs and their problem reports; its
    `file` is emptied and `file_removed_at` set. Returns how many files were deleted.

    Each extract is locked and checked again before its file goes, and the file is deleted before
    the row is marked, in one transaction: if the deletion fails nothing is marked, and the next
    day tries again (deleting a file already gone is not an error)."""
    now = timezone.now()
    cutoff = now - settings.EXTRACT_FILE_RETENTION
    expired_ids = list(_expired_extracts(received_before=cutoff).values_list("pk", flat=True))
    deleted = 0
    for extract_id in expired_ids:
        with transaction.atomic():
            extract = (
                _expired_extracts(received_before=cutoff)
                .select_for_update()
                .filter(pk=extract_id)
                .first()
            )
            if extract is None:  # claimed by a run, or expired by another worker, meanwhile
                continue
            if extract.file:
                extract.file.delete(save=False)
            extract.file_removed_at = now
            extract.full_clean(validate_constraints=False)
            extract.save(update_fields=["file", "file_removed_at"])
        deleted += 1
    logger.info("Deleted %s extract files past their retention.", deleted)
    return deleted


def dataset_process_request(*, user: User, dataset: Dataset) -> int:
    """Partner IT asks for the dataset's waiting extracts to be processed now. Returns how many
    extracts are waiting."""
    if not _partner_it_of(user, dataset):
        raise PermissionDenied("Only partner IT of the dataset's agency can process its extracts.")
    waiting = Extract.objects.filter(dataset=dataset, status__in=PENDING_EXTRACT_STATUSES).count()
    if waiting:
        transaction.on_commit(partial(_enqueue_dataset, dataset.pk))
    return waiting


def extract_run_failure_notify(*, run: ExtractRun) -> int:
    """Email the uploader and the agency's partner IT that a run failed or its file was
    rejected (not for check-only runs). The email links to the run; it quotes no data."""
    extract = run.extract
    if extract.validate_only:
        return 0
    dataset = extract.dataset
    recipients = {
        email
        for email in User.objects.filter(
            agency=dataset.agency,
            is_active=True,
            groups__name=UserType.PARTNER_IT.label,
        ).values_list("email", flat=True)
        if email
    }
    if extract.uploaded_by.email:
        recipients.add(extract.uploaded_by.email)
    if not recipients:
        return 0
    base = getattr(settings, "SINGLEVIEW_BASE_URL", "").rstrip("/")
    context = {
        "run": run,
        "extract": extract,
        "dataset": dataset,
        "rejected": run.status == ExtractRunStatus.REJECTED,
        "link": f"{base}{reverse('extract-run-detail', args=[run.pk])}",
        "problem_counts": sorted(run.problem_counts.items()),
    }
    outcome = "was rejected" if context["rejected"] else "failed"
    message = EmailMessage(
        subject=f"Single View: the {dataset.name} extract {outcome}",
        body=render_to_string("agencies/extracts/run_failed_email.txt", context),
        to=sorted(recipients),
    )
    return message.send()


def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new API token for partner IT, expiring after REST_KNOX TOKEN_TTL. Only its digest is
    stored: the token itself is returned once, here."""
    if not user.has_user_type(UserType.PARTNER_IT):
        raise PermissionDenied("Only partner IT can create API tokens.")
    token: tuple[AuthToken, str] = AuthToken.objects.create(user=user)
    return token


def api_token_revoke(*, user: User, token_key: str) -> bool:
    """Revoke one of the user's own tokens at once. Returns whether there was one to revoke."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return bool(deleted)
