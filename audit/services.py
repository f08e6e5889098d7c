"""Writes about the access log itself: sealing, checkpoints, partitions and database roles.

Events are never written here (only `audit.events` writes them). Sealing does not slow requests
down: an event takes its id from a sequence at insert and nothing else; the sealer, one at a time
(a PostgreSQL advisory lock), later folds every event below a safe horizon into the chain.

The horizon. Ids are handed out in one order and committed in another, so sealing "every id up
to the sequence's current value" could pass over an event that is still being written and would
commit later with a smaller id. An INSERT takes its RowExclusiveLock on the events table before
its default `nextval()` runs and keeps it until its transaction ends. So the sealer reads the
sequence's value first, then lists the transactions holding that lock, and waits (briefly) until
they have all ended: after that, every id up to the value it read is committed or never will be.
On SQLite writes are serialised, so the largest visible id is the horizon.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from psycopg import sql

from agencies.models import User, UserType
from audit import events
from audit.models import (
    APPEND_ONLY_TABLES,
    AccessEvent,
    Alert,
    AlertReview,
    AlertStatus,
    AuditCheckpoint,
    AuditSeal,
    ReviewKind,
    ReviewOutcome,
    SensitivePerson,
)
from audit.sealing import (
    GENESIS_HASH,
    chain_fold,
    checkpoint_payload,
    checkpoint_sign,
    event_digest,
    pack_ids,
    seal_hash,
    signing_key,
)
from audit.selectors import alert_for_answer, alert_get, event_rows
from matching.models import Person

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key held by the one sealer at a time ("SVAUDIT" in ASCII).
SEALER_LOCK_KEY = 0x53_56_41_55_44_49_54
_WRITERS_SQL = """
    SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}')
    FROM pg_locks
    WHERE locktype = 'relation' AND relation = 'audit_accessevent'::regclass
      AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()
"""


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# Sealing -----------------------------------------------------------------------------------------


def _horizon(*, wait_seconds: float) -> int | None:
    """The largest event id below which every event is committed or rolled back; None when
    writers that started earlier are still running after `wait_seconds`."""
    if not _postgres():
        return AccessEvent.objects.aggregate(top=Max("id"))["top"] or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM audit_accessevent_id_seq")
        last_value, is_called = cursor.fetchone()
        horizon = int(last_value) if is_called else int(last_value) - 1
        cursor.execute(_WRITERS_SQL)
        writers: list[str] = cursor.fetchone()[0]
        deadline = time.monotonic() + wait_seconds
        while writers:
            cursor.execute(
                _WRITERS_SQL + " AND virtualtransaction = ANY(%s)",
                [writers],
            )
            writers = cursor.fetchone()[0]
            if writers and time.monotonic() >= deadline:
                logger.warning(
                    "Sealing skipped: %d access log writer(s) still in their transactions.",
                    len(writers),
                )
                return None
            if writers:
                time.sleep(0.005)
    return horizon


@transaction.atomic
def _seal_next(*, batch_size: int, wait_seconds: float) -> AuditSeal | None:
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK_KEY])
    last = AuditSeal.objects.order_by("-number").only("number", "upto_event_id", "chain_hash")
    previous = last.first()
    after = previous.upto_event_id if previous else 0
    horizon = _horizon(wait_seconds=wait_seconds)
    if horizon is None or horizon <= after:
        return None
    rows = event_rows(after=after, upto=horizon, limit=batch_size)
    if not rows:
        return None
    upto = rows[-1][0] if len(rows) == batch_size else horizon
    digests = [event_digest(row) for row in rows]
    number = previous.number + 1 if previous else 1
    previous_hash = previous.chain_hash if previous else GENESIS_HASH
    seal = AuditSeal(
        number=number,
        after_event_id=after,
        upto_event_id=upto,
        event_count=len(rows),
        event_ids=pack_ids([row[0] for row in rows]),
        event_digests=b"".join(digests),
        previous_hash=previous_hash,
        chain_hash=seal_hash(
            number=number,
            after_event_id=after,
            upto_event_id=upto,
            event_count=len(rows),
            events_hash=chain_fold(previous_hash, digests),
        ),
        sealed_at=timezone.now(),
    )
    seal.full_clean()
    seal.save(force_insert=True)
    return seal


def events_seal(*, batch_size: int | None = None, wait_seconds: float = 2.0) -> list[AuditSeal]:
    """Seal every event below the horizon, in batches of at most `batch_size` events (one seal
    and one transaction each). Safe to run at any time and from several places at once."""
    size = batch_size or settings.AUDIT_SEAL_BATCH_SIZE
    seals: list[AuditSeal] = []
    while (seal := _seal_next(batch_size=size, wait_seconds=wait_seconds)) is not None:
        seals.append(seal)
        if seal.event_count < size:
            break
    return seals


# Checkpoints -------------------------------------------------------------------------------------


@transaction.atomic
def checkpoint_create(*, force: bool = False) -> AuditCheckpoint | None:
    """Record the chain head, signed when a key is configured. Unless forced, at most one per
    AUDIT_CHECKPOINT_INTERVAL; never two for the same seal."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK_KEY])
    head = AuditSeal.objects.order_by("-number").first()
    if head is None:
        return None
    last = AuditCheckpoint.objects.order_by("-seal_number").first()
    if last is not None and last.seal_number >= head.number:
        return None
    now = timezone.now()
    if (
        not force
        and last is not None
        and now - last.created_at < settings.AUDIT_CHECKPOINT_INTERVAL
    ):
        return None
    since = last.seal_number if last else 0
    added = AuditSeal.objects.filter(number__gt=since, number__lte=head.number).aggregate(
        total=Sum("event_count")
    )["total"]
    event_total = (last.event_total if last else 0) + (added or 0)
    payload = checkpoint_payload(
        seal_number=head.number,
        chain_hash=head.chain_hash,
        upto_event_id=head.upto_event_id,
        event_total=event_total,
        created_at=now,
    )
    key = signing_key()
    checkpoint = AuditCheckpoint(
        seal_number=head.number,
        chain_hash=head.chain_hash,
        upto_event_id=head.upto_event_id,
        event_total=event_total,
        created_at=now,
        key_id=key.key_id if key else "",
        signature=checkpoint_sign(payload, key) if key else "",
    )
    checkpoint.full_clean()
    checkpoint.save(force_insert=True)
    return checkpoint


def checkpoint_document(*, checkpoint: AuditCheckpoint) -> dict[str, object]:
    """A checkpoint as a file to keep outside the database (`audit_checkpoint_export`)."""
    return {
        "payload": checkpoint_payload(
            seal_number=checkpoint.seal_number,
            chain_hash=checkpoint.chain_hash,
            upto_event_id=checkpoint.upto_event_id,
            event_total=checkpoint.event_total,
            created_at=checkpoint.created_at,
        ),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


# Partitions (PostgreSQL) -------------------------------------------------------------------------


def partitions_ensure(
    *, months_ahead: int | None = None, from_month: datetime | None = None
) -> int:
    """Make the monthly partitions of the events table from this month (or `from_month`) to
    `months_ahead` months on; returns how many were made. Nothing to do on SQLite."""
    if not _postgres():
        return 0
    months = settings.AUDIT_PARTITION_MONTHS_AHEAD if months_ahead is None else months_ahead
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT audit_ensure_partitions(%s, %s)",
            [months, from_month.date() if from_month else None],
        )
        return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class Maintenance:
    partitions_made: int
    seals: list[AuditSeal] = field(default_factory=list)
    checkpoint: AuditCheckpoint | None = None


def audit_log_maintain() -> Maintenance:
    """The minutely job: make coming partitions, seal new events, checkpoint when due."""
    made = partitions_ensure()
    seals = events_seal()
    return Maintenance(partitions_made=made, seals=seals, checkpoint=checkpoint_create())


# Database roles (PostgreSQL) ---------------------------------------------------------------------

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


@transaction.atomic
def app_role_sync(*, role: str, password: str = "") -> list[str]:
    """Create or update the application's database role: it may read and write ordinary tables
    but only insert into and read the audit tables, and it owns nothing. Run as the owner of the
    tables (the role migrations run as), after every migrate. Returns the statements run."""
    if not _postgres():
        raise RuntimeError("Database roles are a PostgreSQL feature.")
    if not _ROLE_NAME.match(role):
        raise ValueError(f"“{role}” is not a plain PostgreSQL role name.")
    name = _quoted(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user")
        database, owner = cursor.fetchone()
        if role == owner:
            raise ValueError("The application role must not be the role that owns the tables.")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audit_accessevent'::regclass ORDER BY c.relname"
        )
        partitions = [row[0] for row in cursor.fetchall()]
        append_only = ", ".join(_quoted(table) for table in APPEND_ONLY_TABLES)
        statements = [
            f"CREATE ROLE {name} LOGIN" if not exists else None,
            f"ALTER ROLE {name} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
            f"GRANT CONNECT ON DATABASE {_quoted(database)} TO {name}",
            f"GRANT USAGE ON SCHEMA public TO {name}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
            f"REVOKE INSERT, UPDATE, DELETE ON {_quoted('django_migrations')} FROM {name}",
            f"REVOKE UPDATE, DELETE ON {append_only} FROM {name}",
            # Partitions are reached only through the parent table, whose rights apply.
            *(f"REVOKE ALL ON {_quoted(partition)} FROM {name}" for partition in partitions),
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
            f"GRANT EXECUTE ON FUNCTION audit_ensure_partitions(integer, date) TO {name}",
        ]
        run = [statement for statement in statements if statement is not None]
        for statement in run:
            cursor.execute(statement)
        if password:
            # ALTER ROLE takes no bind parameters: quote the literal on the client.
            literal = sql.Literal(password).as_string(connection.connection)
            cursor.execute(f"ALTER ROLE {name} PASSWORD {literal}")
            run.append(f"ALTER ROLE {name} PASSWORD '…'")
    return run


# Alert review (ADR 0013) -------------------------------------------------------------------------

# Which review steps each status allows; a closed alert takes no more.
_ALLOWED: dict[str, frozenset[str]] = {
    AlertStatus.OPEN: frozenset(
        {ReviewKind.FLAGGED, ReviewKind.REASON_REQUESTED, ReviewKind.ESCALATED, ReviewKind.CLOSED}
    ),
    AlertStatus.FLAGGED: frozenset(
        {ReviewKind.REASON_REQUESTED, ReviewKind.ESCALATED, ReviewKind.CLOSED}
    ),
    AlertStatus.AWAITING_REASON: frozenset(
        {ReviewKind.REASON_GIVEN, ReviewKind.ESCALATED, ReviewKind.CLOSED}
    ),
    AlertStatus.REASON_GIVEN: frozenset(
        {ReviewKind.REASON_REQUESTED, ReviewKind.ESCALATED, ReviewKind.CLOSED}
    ),
    AlertStatus.ESCALATED: frozenset(
        {ReviewKind.FLAGGED, ReviewKind.REASON_REQUESTED, ReviewKind.CLOSED}
    ),
    AlertStatus.CLOSED: frozenset(),
}
_STATUS_AFTER = {
    ReviewKind.FLAGGED: AlertStatus.FLAGGED,
    ReviewKind.REASON_REQUESTED: AlertStatus.AWAITING_REASON,
    ReviewKind.REASON_GIVEN: AlertStatus.REASON_GIVEN,
    ReviewKind.ESCALATED: AlertStatus.ESCALATED,
    ReviewKind.CLOSED: AlertStatus.CLOSED,
}


def _review(
    *,
    alert: Alert,
    by: User,
    kind: str,
    note: str,
    outcome: str = "",
    request: HttpRequest | None = None,
) -> AlertReview:
    """Append one review step, move the alert on and record the decision, atomically."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if kind not in _ALLOWED[locked.status]:
        raise ValidationError(
            f"This alert is {locked.get_status_display().lower()}: it cannot be "
            f"{ReviewKind(kind).label.lower()} now."
        )
    event = events.record_review_decision(
        reviewer=by,
        event_id=int(locked.event_ids[0]) if locked.event_ids else 0,
        decision=kind if not outcome else f"{kind}:{outcome}",
        reason=note,
        alert_id=locked.pk,
        request=request,
    )
    review = AlertReview(
        alert=locked,
        kind=kind,
        by=by,
        note=note,
        outcome=outcome,
        event_id=event.pk,
        created_at=timezone.now(),
    )
    review.full_clean()
    review.save()
    locked.status = _STATUS_AFTER[ReviewKind(kind)]
    locked.save(update_fields=["status"])
    alert.status = locked.status
    return review


@transaction.atomic
def alert_flag(
    *, reviewer: User, alert_id: int, note: str, request: HttpRequest | None = None
) -> AlertReview:
    """Mark an alert as needing a closer look."""
    alert = alert_get(requester=reviewer, alert_id=alert_id)
    return _review(alert=alert, by=reviewer, kind=ReviewKind.FLAGGED, note=note, request=request)


@transaction.atomic
def alert_escalate(
    *, reviewer: User, alert_id: int, note: str, request: HttpRequest | None = None
) -> AlertReview:
    """Pass an alert up (to the partnership IG lead, the SIRO or HR), saying why."""
    if not note.strip():
        raise ValidationError({"note": "Say why you are escalating this alert."})
    alert = alert_get(requester=reviewer, alert_id=alert_id)
    return _review(alert=alert, by=reviewer, kind=ReviewKind.ESCALATED, note=note, request=request)


@transaction.atomic
def alert_close(
    *,
    reviewer: User,
    alert_id: int,
    outcome: str,
    note: str,
    request: HttpRequest | None = None,
) -> AlertReview:
    """Close an alert with its outcome."""
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome of the review."})
    alert = alert_get(requester=reviewer, alert_id=alert_id)
    return _review(
        alert=alert,
        by=reviewer,
        kind=ReviewKind.CLOSED,
        note=note,
        outcome=outcome,
        request=request,
    )


@transaction.atomic
def alert_reason_request(
    *, reviewer: User, alert_id: int, question: str, request: HttpRequest | None = None
) -> AlertReview:
    """Ask the user to explain: emails them a link to the page where they answer."""
    if not question.strip():
        raise ValidationError({"note": "Write the question the user should answer."})
    alert = alert_get(requester=reviewer, alert_id=alert_id)
    review = _review(
        alert=alert,
        by=reviewer,
        kind=ReviewKind.REASON_REQUESTED,
        note=question,
        request=request,
    )
    user = alert.user
    message = EmailMessage(
        subject="Single View: please explain a use of Single View",
        body=render_to_string(
            "email/audit_reason_request.txt",
            {
                "name": user.get_full_name() or user.get_username(),
                "rule": alert.get_rule_display(),
                "question": question,
                "link": settings.SINGLEVIEW_BASE_URL.rstrip("/")
                + reverse("audit:alert-answer", kwargs={"pk": alert.pk}),
            },
        ),
        to=[user.email],
    )
    transaction.on_commit(lambda: message.send(fail_silently=False))
    return review


@transaction.atomic
def alert_reason_give(
    *, user: User, alert_id: int, reason: str, request: HttpRequest | None = None
) -> AlertReview:
    """The user's answer to the IG officer's question, stored with the alert."""
    if not reason.strip():
        raise ValidationError({"note": "Explain why you used Single View in this way."})
    alert = alert_for_answer(user=user, alert_id=alert_id)
    return _review(alert=alert, by=user, kind=ReviewKind.REASON_GIVEN, note=reason, request=request)


@transaction.atomic
def sensitive_person_flag(*, officer: User, person_id: UUID, reason: str) -> SensitivePerson:
    """Mark a person of the officer's partnership sensitive or VIP: every view of them raises an
    alert. Only IG officers."""
    if not officer.has_user_type(UserType.IG_OFFICER):
        raise PermissionDenied("Only IG officers can mark a person sensitive.")
    person = get_object_or_404(
        Person, public_id=person_id, partnership_id=officer.agency.partnership_id
    )
    flag = SensitivePerson(
        partnership_id=person.partnership_id,
        person=person,
        reason=reason,
        set_by=officer,
        set_at=timezone.now(),
    )
    flag.full_clean()
    flag.save()
    return flag
