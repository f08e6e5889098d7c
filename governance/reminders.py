"""Expiry and review reminders to the custodians of a grant's dataset.

Run daily (Celery beat, `governance.tasks.grant_reminders_task`). For each grant version in force:
- an expiry reminder once the version ends within EXPIRY_NOTICE_DAYS days;
- a review reminder once its review date has come.

Each is sent once: a `GrantReminder` row records it, under a unique constraint. A day the task
does not run is caught up the next day, because a reminder is due from its date until the
version ends, not only on the date itself. A version whose dataset has no custodian with an email
address is not marked as reminded, so the reminder goes out once a custodian is assigned.

The row is written in the same transaction as the sending: if sending fails, nothing is recorded
and the task retries; if the commit fails after the mail went, a custodian may be reminded twice,
which is better than never.

Emails describe the grant as the public register does, name its dataset, and link to it. They
hold no personal data of citizens: nothing from any record, restriction or person is read here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from guardian.shortcuts import get_users_with_perms

from agencies.models import Dataset, User, UserType
from governance.models import GrantReminder, GrantReminderKind, GrantStatus, GrantVersion
from governance.transparency import long_date, register_entry

logger = logging.getLogger(__name__)

EXPIRY_NOTICE_DAYS = 30
CUSTODIAN_CODENAME = "act_as_custodian"


@dataclass(frozen=True)
class DueReminder:
    version: GrantVersion
    kind: str


def _not_yet_sent(kind: str) -> Exists:
    return Exists(GrantReminder.objects.filter(grant_version=OuterRef("pk"), kind=kind))


def _in_force_versions() -> QuerySet[GrantVersion]:
    return GrantVersion.objects.filter(status=GrantStatus.APPROVED).select_related(
        "grant__dataset__agency",
        "grant__role",
        "grant__organisation_type",
        "grant__purpose",
    )


def reminders_due(*, today: date) -> list[DueReminder]:
    """Reminders due today and not yet sent (two queries)."""
    expiring = (
        _in_force_versions()
        .filter(
            valid_until__gte=today,
            valid_until__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS),
        )
        .exclude(_not_yet_sent(GrantReminderKind.EXPIRY))
        .order_by("valid_until", "pk")
    )
    for_review = (
        _in_force_versions()
        .filter(review_date__lte=today, valid_until__gte=today)
        .exclude(_not_yet_sent(GrantReminderKind.REVIEW))
        .order_by("review_date", "pk")
    )
    return [DueReminder(version, GrantReminderKind.EXPIRY) for version in expiring] + [
        DueReminder(version, GrantReminderKind.REVIEW) for version in for_review
    ]


def dataset_custodians(*, dataset: Dataset) -> list[User]:
    """Active custodians of the dataset who can be emailed: the guardian object permission, held
    by staff of the owning agency with the custodian user type (as `is_custodian` asks)."""
    # A queryset of users when attach_perms is False (the default).
    holders = cast(
        "QuerySet[User]",
        get_users_with_perms(dataset, only_with_perms_in=[CUSTODIAN_CODENAME]),
    )
    return list(
        holders.filter(
            is_active=True,
            agency_id=dataset.agency_id,
            groups__name=UserType.CUSTODIAN.label,
        )
        .exclude(email="")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def _site_url() -> str:
    configured: str = getattr(settings, "SINGLEVIEW_BASE_URL", "")
    if configured:
        return configured.rstrip("/")
    hosts = [host for host in settings.ALLOWED_HOSTS if host and "*" not in host]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    return f"https://{host}"


def grant_link(*, version: GrantVersion) -> str:
    """The grant's page, where custodians see its versions and draft the next one."""
    return f"{_site_url()}{reverse('governance:grant-detail', kwargs={'pk': version.grant_id})}"


def _subject(*, version: GrantVersion, kind: str) -> str:
    grant = version.grant
    line = (
        f"{grant.dataset.name} with {grant.role.name} at {grant.organisation_type.name} "
        f"for {grant.purpose.name}"
    )
    if kind == GrantReminderKind.EXPIRY:
        return f"Sharing grant ends on {long_date(version.valid_until)}: {line}"
    return f"Sharing grant due for review: {line}"


def _messages(
    *, version: GrantVersion, kind: str, custodians: list[User], today: date
) -> list[EmailMessage]:
    grant = version.grant
    context = {
        "kind": kind,
        "dataset": grant.dataset.name,
        "agency": grant.dataset.agency.name,
        "statement": register_entry(version=version, today=today).statement,
        "version": version.version,
        "valid_until": long_date(version.valid_until),
        "days_left": (version.valid_until - today).days,
        "review_date": long_date(version.review_date),
        "review_overdue": version.review_date < today,
        "link": grant_link(version=version),
    }
    subject = _subject(version=version, kind=kind)
    return [
        EmailMessage(
            subject=subject,
            body=render_to_string(
                "email/grant_reminder.txt",
                {**context, "custodian_name": custodian.get_full_name() or custodian.username},
            ),
            to=[custodian.email],
        )
        for custodian in custodians
    ]


@transaction.atomic
def grant_reminder_send(*, version: GrantVersion, kind: str, today: date) -> GrantReminder | None:
    """Send one reminder to the dataset's custodians and record it; None if it was already sent
    or there is nobody to send it to."""
    # Serialise concurrent runs on this version; the unique constraint is the final guard.
    locked = GrantVersion.objects.select_for_update().only("status").get(pk=version.pk)
    if locked.status != GrantStatus.APPROVED:
        return None
    if GrantReminder.objects.filter(grant_version=version, kind=kind).exists():
        return None
    custodians = dataset_custodians(dataset=version.grant.dataset)
    if not custodians:
        logger.warning(
            "No custodian with an email address for dataset %s: the %s reminder for grant "
            "version %s waits until one is assigned.",
            version.grant.dataset_id,
            kind,
            version.pk,
        )
        return None
    reminder = GrantReminder(grant_version=version, kind=kind, sent_on=today)
    reminder.full_clean()
    reminder.save()
    messages = _messages(version=version, kind=kind, custodians=custodians, today=today)
    get_connection(fail_silently=False).send_messages(messages)
    return reminder


def grant_reminders_send(*, today: date) -> list[GrantReminder]:
    """Send every expiry and review reminder due today, each once. Returns those sent."""
    sent = []
    for due in reminders_due(today=today):
        reminder = grant_reminder_send(version=due.version, kind=due.kind, today=today)
        if reminder is not None:
            sent.append(reminder)
    return sent
