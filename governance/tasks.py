"""Daily governance jobs (Celery beat): thin tasks that call one service each."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from governance.reminders import grant_reminders_send
from governance.services import grants_expire

# Retry what a later attempt can fix: the database or the mail server being unreachable
# (smtplib's errors are OSErrors). Backoff doubles from one second, capped at an hour, jittered.
RETRY_POLICY = {
    "retry_backoff": True,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY_POLICY)
def grants_expire_task() -> int:
    """Expire every grant version in force whose valid-until date has passed."""
    return grants_expire(today=timezone.localdate())


@shared_task(autoretry_for=(OperationalError, InterfaceError, OSError), **RETRY_POLICY)
def grant_reminders_task() -> int:
    """Email custodians about grants ending within 30 days or due for review."""
    return len(grant_reminders_send(today=timezone.localdate()))
