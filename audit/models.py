"""The access log: who saw what about whom, why, and under which grant; sealed into a hash chain.

`AccessEvent` rows are written only by `audit.events` and are never changed or removed: the
database refuses UPDATE, DELETE and TRUNCATE (triggers, migration 0002) and the application's
database role holds only INSERT and SELECT on these tables (`manage.py audit_db_roles`).

Each event stands alone: who, their agency, organisation type and role, the purpose and the
grants are copied in at the time, not referenced, so the log still reads correctly after any of
them changes. On PostgreSQL the table is partitioned by month on `occurred_at`; its primary key
is (id, occurred_at), created by migration 0001, while Django sees `id` as the primary key (ADR
0010). Nothing may hold a foreign key to an event: refer to one by its `id`.
"""

from __future__ import annotations

from django.db import models

# Tables the application may only insert into and read (migration 0002, `audit_db_roles`).
APPEND_ONLY_TABLES = (
    "audit_accessevent",
    "audit_seal",
    "audit_checkpoint",
    "audit_alertreview",
)


class Action(models.TextChoices):
    SEARCH = "search", "Searched"
    RESULTS_SHOWN = "results_shown", "Search results shown"
    PERSON_VIEWED = "person_viewed", "Person viewed"
    CARD_SHOWN = "card_shown", "Dataset card shown"
    COHORT_SHOWN = "cohort_shown", "Cohort list shown"
    EXPORT = "export", "Exported"
    DENIED = "denied", "Access denied"
    BREAK_GLASS = "break_glass", "Break-glass access"
    REVIEW_DECISION = "review_decision", "Review decision"
    REPORT_VIEWED = "report_viewed", "Audit report viewed"
    RELATIONSHIP_RECORDED = "relationship", "Legitimate relationship recorded"
    ERROR = "error", "Error"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    ERROR = "error", "Error"


class AccessEvent(models.Model):
    """One use of Single View that read, or tried to read, information about people."""

    # The sequence number: from a database sequence at insert (PostgreSQL: audit_next_event_id()),
    # so concurrent requests never wait on each other. The chain is sealed in this order.
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)

    # Who: copied from the user at the time.
    partnership_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    user_full_name = models.CharField(max_length=300, blank=True)
    agency_id = models.BigIntegerField(null=True, blank=True)
    agency_code = models.CharField(max_length=20, blank=True)
    agency_name = models.CharField(max_length=200, blank=True)
    organisation_type = models.CharField(max_length=40, blank=True)
    role_code = models.CharField(max_length=60, blank=True)
    role_name = models.CharField(max_length=200, blank=True)

    # Why.
    purpose_id = models.BigIntegerField(null=True, blank=True)
    purpose_code = models.CharField(max_length=60, blank=True)
    purpose_name = models.CharField(max_length=200, blank=True)
    purpose_of_use = models.CharField(
        "HL7 PurposeOfUse", max_length=20, blank=True, help_text="HL7 v3 PurposeOfUse code."
    )
    justification = models.TextField(blank=True)
    case_reference = models.CharField(max_length=100, blank=True)

    # Whom and what: person public ids; per dataset, the level and fields disclosed and the
    # grant version that allowed it ({dataset_id, dataset_code, level, fields, grant_id,
    # grant_version}).
    person_ids = models.JSONField(default=list, blank=True)
    disclosures = models.JSONField(default=list, blank=True)
    # Searches: the terms exactly as the user gave them (personal data; see ADR 0010).
    search_terms = models.JSONField(default=dict, blank=True)
    result_count = models.IntegerField(null=True, blank=True)
    # Anything else particular to the action (denial reason, export format, review decision).
    detail = models.JSONField(default=dict, blank=True)

    # From where.
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # The reports' indexes (by time, user, agency; by person is a GIN index on person_ids,
        # PostgreSQL only, made by migration 0001 outside Django's state).
        indexes = [
            models.Index(fields=["partnership_id", "occurred_at"], name="accessevent_time_idx"),
            models.Index(
                fields=["partnership_id", "user_id", "occurred_at"], name="accessevent_user_idx"
            ),
            models.Index(
                fields=["partnership_id", "agency_id", "occurred_at"],
                name="accessevent_agency_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()} by {self.username} at {self.occurred_at:%Y-%m-%d %H:%M}"
        )


class AuditSeal(models.Model):
    """One sealing step: the events with ids in (after_event_id, upto_event_id], in id order,
    folded into the hash chain. Seals are numbered without gaps and each names the chain hash
    before it, so a seal cannot be removed or reordered unnoticed."""

    number = models.PositiveBigIntegerField(unique=True)
    after_event_id = models.BigIntegerField()
    upto_event_id = models.BigIntegerField()
    event_count = models.PositiveIntegerField()
    # Packed big-endian: 8 bytes per event id, 32 bytes (SHA-256) per event digest, in id order.
    # They let `audit_verify` name the first missing, inserted or altered event.
    event_ids = models.BinaryField()
    event_digests = models.BinaryField()
    previous_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        db_table = "audit_seal"
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="audit_seal_number_gte_1"
            ),
            models.CheckConstraint(
                condition=models.Q(upto_event_id__gte=models.F("after_event_id")),
                name="audit_seal_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Seal {self.number}: events {self.after_event_id + 1} to {self.upto_event_id}"


class AuditCheckpoint(models.Model):
    """The chain head at a moment, signed with a key kept outside the database (HMAC-SHA256).

    Exported copies (`audit_checkpoint_export`) kept elsewhere let `audit_verify --checkpoint`
    detect a rewritten or truncated log even after a database superuser has recomputed the chain.
    """

    seal_number = models.PositiveBigIntegerField()
    chain_hash = models.CharField(max_length=64)
    upto_event_id = models.BigIntegerField()
    event_total = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16, blank=True, help_text="Blank when unsigned.")
    signature = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "audit_checkpoint"
        ordering = ["-seal_number"]
        constraints = [
            models.UniqueConstraint(fields=["seal_number"], name="audit_checkpoint_seal_unique"),
        ]

    def __str__(self) -> str:
        return f"Checkpoint at seal {self.seal_number} ({self.created_at:%Y-%m-%d %H:%M})"


# Alerts and their review (ADR 0013) ---------------------------------------------------------------


class SensitivePerson(models.Model):
    """A person an IG officer has marked sensitive or VIP: every view of them raises an alert.
    Lifted, never deleted."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey("matching.Person", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    set_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(lifted_at__isnull=True),
                name="sensitive_person_one_active",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="sensitive_reason_given"),
        ]

    def __str__(self) -> str:
        return f"Sensitive: {self.person}"


class PartnershipIGLead(models.Model):
    """An IG officer who oversees the whole partnership's log and alerts, not only their own
    agency's (ADR 0013)."""

    user = models.OneToOneField("agencies.User", on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField()

    class Meta:
        verbose_name = "partnership IG lead"

    def __str__(self) -> str:
        return f"Partnership IG lead: {self.user}"


class AlertRule(models.TextChoices):
    SELF_LOOKUP = "self_lookup", "Looked up someone with their own name"
    SAME_SURNAME = "same_surname", "Looked up someone with their own surname"
    COLLEAGUE = "colleague", "Looked up someone with a colleague's name"
    SENSITIVE = "sensitive", "Looked up a sensitive or sealed record"
    VOLUME_SPIKE = "volume_spike", "Viewed far more people than usual"
    OUT_OF_HOURS = "out_of_hours", "Used Single View out of hours"
    FISHING = "fishing", "Searched repeatedly without viewing anyone"
    REPEATED_DENIALS = "repeated_denials", "Was refused access repeatedly"
    BREAK_GLASS = "break_glass", "Used break-glass access"


class AlertSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    FLAGGED = "flagged", "Flagged"
    AWAITING_REASON = "awaiting_reason", "Waiting for the user's reason"
    REASON_GIVEN = "reason_given", "Reason given"
    ESCALATED = "escalated", "Escalated"
    CLOSED = "closed", "Closed"


class Alert(models.Model):
    """A use of Single View that a rule says an IG officer should look at. Events and persons are
    referred to by id (nothing holds a foreign key to an event). `key` makes raising idempotent:
    the same rule, user and occasion never raise twice."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(max_length=30, choices=AlertRule.choices)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    # The user's agency and the agencies whose data was disclosed: their IG officers review.
    agencies = models.ManyToManyField("agencies.Agency", related_name="+")
    event_ids = models.JSONField(default=list)
    person_ids = models.JSONField(default=list, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partnership", "status", "created_at"], name="alert_queue_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} ({self.get_status_display()})"


class ReviewKind(models.TextChoices):
    FLAGGED = "flagged", "Flagged"
    REASON_REQUESTED = "reason_requested", "Asked the user for a reason"
    REASON_GIVEN = "reason_given", "The user gave a reason"
    ESCALATED = "escalated", "Escalated"
    CLOSED = "closed", "Closed"


class ReviewOutcome(models.TextChoices):
    NO_CONCERN = "no_concern", "Legitimate use: no concern"
    ADVICE_GIVEN = "advice_given", "Advice given to the user"
    TRAINING = "training", "Training required"
    DISCIPLINARY = "disciplinary", "Referred for disciplinary action"
    BREACH_REPORTED = "breach_reported", "Reported as a data breach"


class AlertReview(models.Model):
    """One step in an alert's review, append-only (migration 0004): nothing is changed or
    removed. The matching access event (record_review_decision) is named by `event_id`."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(max_length=20, choices=ReviewKind.choices)
    by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True)
    event_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "audit_alertreview"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="closed") | ~models.Q(outcome=""),
                name="alert_review_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.by} at {self.created_at:%Y-%m-%d %H:%M}"
