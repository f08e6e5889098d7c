"""Extract processing (Celery): thin tasks that take ids and call one service each."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from agencies import services

# Retry what a later attempt can fix: the database being unreachable. A run that fails for any
# other reason is recorded as failed and reported by the service; the nightly job retries it.
RETRY_POLICY = {
    "retry_backoff": True,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def extract_process_task(extract_id: int) -> int | None:
    """Run the pipeline over one extract (check-only extracts go straight here)."""
    run = services.extract_process(extract_id=extract_id)
    return run.pk if run is not None else None


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def dataset_extracts_process_task(dataset_id: int) -> int:
    """Process one dataset's waiting extracts, oldest first. Returns how many runs ran."""
    return len(services.dataset_extracts_process(dataset_id=dataset_id))


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def extracts_nightly_task() -> int:
    """Nightly (Celery beat): queue every dataset with extracts waiting, one task each."""
    return services.extracts_nightly()


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def extract_files_expire_task() -> int:
    """Daily (Celery beat): delete the uploaded files that EXTRACT_FILE_RETENTION has passed.
    Returns how many were deleted."""
    return services.extract_files_expire()
