"""Roles, purposes and sharing grants agreed by the partnership's IG board."""

from __future__ import annotations

from django.db import models


class Role(models.Model):
    """A job role that grants name (GP, social worker, MASH practitioner, ...)."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="roles"
    )
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "code"], name="role_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PurposeOfUse(models.TextChoices):
    """HL7 v3 PurposeOfUse codes a purpose may map to."""

    NONE = "", "No HL7 code fits"
    TREAT = "TREAT", "TREAT: treatment"
    ETREAT = "ETREAT", "ETREAT: emergency treatment"
    BTG = "BTG", "BTG: break the glass"
    COC = "COC", "COC: coordination of care"
    CAREMGT = "CAREMGT", "CAREMGT: care management"
    PUBHLTH = "PUBHLTH", "PUBHLTH: public health"
    THREAT = "THREAT", "THREAT: threat to life or safety"
    LAW = "LAW", "LAW: law enforcement"
    GOV = "GOV", "GOV: government (council functions)"
    FRAUD = "FRAUD", "FRAUD: fraud prevention"
    HOPERAT = "HOPERAT", "HOPERAT: health care operations"


class Purpose(models.Model):
    """Why a practitioner looks: agreed by the partnership, declared before every search."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="purposes"
    )
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField()
    requires_justification = models.BooleanField(
        default=False, help_text="The practitioner must write why, in their own words."
    )
    is_emergency = models.BooleanField(
        default=False, help_text="A break-glass purpose: time-limited, alerted and reviewed."
    )
    overrides_objection = models.BooleanField(
        default=False,
        help_text="Shared even where the person objected (safeguarding, risk to life).",
    )
    hl7_purpose_of_use = models.CharField(
        "HL7 PurposeOfUse", max_length=20, choices=PurposeOfUse.choices, blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "code"], name="purpose_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class DisclosureLevel(models.TextChoices):
    """How much a grant shares. Ordered from least to most."""

    KNOWN_TO = "known_to", "Known-to flag only"
    SUMMARY = "summary", "Summary: the chosen fields"
    FULL = "full", "Full: every field of the dataset"


class Article6(models.TextChoices):
    A = "6(1)(a)", "6(1)(a) consent"
    B = "6(1)(b)", "6(1)(b) contract"
    C = "6(1)(c)", "6(1)(c) legal obligation"
    D = "6(1)(d)", "6(1)(d) vital interests"
    E = "6(1)(e)", "6(1)(e) public task"
    F = "6(1)(f)", "6(1)(f) legitimate interests"


class Article9(models.TextChoices):
    NONE = "", "None (no special category data)"
    A = "9(2)(a)", "9(2)(a) explicit consent"
    B = "9(2)(b)", "9(2)(b) employment, social security and social protection"
    C = "9(2)(c)", "9(2)(c) vital interests"
    G = "9(2)(g)", "9(2)(g) substantial public interest"
    H = "9(2)(h)", "9(2)(h) health or social care"
    I = "9(2)(i)", "9(2)(i) public health"  # noqa: E741 - the article's own letter


class Grant(models.Model):
    """A grant line: DATASET may be shared with ROLE at ORGANISATION TYPE for PURPOSE.

    What is shared, on what basis and until when lives in its versions; at most one version is
    approved (in force) at a time.
    """

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="grants"
    )
    dataset = models.ForeignKey("agencies.Dataset", on_delete=models.PROTECT, related_name="grants")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    organisation_type = models.ForeignKey(
        "agencies.OrganisationType", on_delete=models.PROTECT, related_name="grants"
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="grants")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "role", "organisation_type", "purpose"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "role", "organisation_type", "purpose"],
                name="grant_line_unique",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.dataset.name} to {self.role.name} at {self.organisation_type.name} "
            f"for {self.purpose.name}"
        )


class GrantStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_SIGN_OFF = "awaiting_sign_off", "Awaiting sign-off"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Superseded by a newer version"


class GrantVersion(models.Model):
    """One version of a grant line. Once submitted its terms never change; a change is a new
    version that needs sign-off again, and the approved one stays in force until then."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=GrantStatus.choices, default=GrantStatus.DRAFT, db_index=True
    )
    disclosure_level = models.CharField(max_length=10, choices=DisclosureLevel.choices)
    field_names = models.JSONField(
        default=list, blank=True, help_text="The exact dataset fields shared."
    )
    article6_condition = models.CharField(
        "UK GDPR Article 6 condition", max_length=10, choices=Article6.choices
    )
    article9_condition = models.CharField(
        "UK GDPR Article 9 condition", max_length=10, choices=Article9.choices, blank=True
    )
    statute = models.CharField(
        max_length=500, help_text="The statute relied on, e.g. Care Act 2014 s.6."
    )
    necessity_statement = models.TextField(help_text="Why less data would not do.")
    conditions = models.TextField(blank=True, help_text="Preconditions for access.")
    requires_legitimate_relationship = models.BooleanField(
        default=False,
        help_text="The practitioner must record their relationship to the person first.",
    )
    valid_from = models.DateField()
    valid_until = models.DateField()
    review_date = models.DateField()
    drafted_by = models.ForeignKey(
        "agencies.User", on_delete=models.PROTECT, related_name="drafted_grant_versions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["grant", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "version"], name="grant_version_unique"),
            models.UniqueConstraint(
                fields=["grant"],
                condition=models.Q(status="approved"),
                name="grant_one_approved_version",
            ),
            models.UniqueConstraint(
                fields=["grant"],
                condition=models.Q(status__in=["draft", "awaiting_sign_off"]),
                name="grant_one_open_version",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")),
                name="grant_version_valid_until_after_from",
            ),
            models.CheckConstraint(
                condition=models.Q(review_date__gte=models.F("valid_from"))
                & models.Q(review_date__lte=models.F("valid_until")),
                name="grant_version_review_within_validity",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="grant_version_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.grant} (version {self.version}, {self.get_status_display().lower()})"


class SignOffDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"
    REINSTATED = "reinstated", "Reinstated"
    REVOKED = "revoked", "Revoked"


class SignOff(models.Model):
    """A custodian's decision on a grant version, with their reason. Immutable (database)."""

    grant_version = models.ForeignKey(
        GrantVersion, on_delete=models.PROTECT, related_name="sign_offs"
    )
    custodian = models.ForeignKey(
        "agencies.User", on_delete=models.PROTECT, related_name="sign_offs"
    )
    decision = models.CharField(max_length=20, choices=SignOffDecision.choices)
    reason = models.TextField()
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="sign_off_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.custodian} at {self.decided_at:%Y-%m-%d}"


class RestrictionKind(models.TextChoices):
    OBJECTION = "objection", "Objection: the person asked not to share"
    PROTECTED_ADDRESS = "protected_address", "Protected address: never disclose address fields"
    SEALED = "sealed", "Sealed record: known-to only, and only for overriding purposes"


class Restriction(models.Model):
    """A person-level restriction an agency places on its own record of a person."""

    dataset = models.ForeignKey(
        "agencies.Dataset", on_delete=models.PROTECT, related_name="restrictions"
    )
    source_key = models.CharField(max_length=100, help_text="The agency's own record key.")
    kind = models.CharField(max_length=20, choices=RestrictionKind.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(
        "agencies.User", on_delete=models.PROTECT, related_name="restrictions_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        "agencies.User",
        on_delete=models.PROTECT,
        related_name="restrictions_lifted",
        null=True,
        blank=True,
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["dataset", "source_key"], name="restriction_record_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "source_key", "kind"],
                condition=models.Q(lifted_at__isnull=True),
                name="restriction_one_active_per_kind",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="restriction_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.dataset.code}:{self.source_key}"


class GrantReminderKind(models.TextChoices):
    EXPIRY = "expiry", "Expiry: the version in force ends within 30 days"
    REVIEW = "review", "Review: the version in force is due for review"


class GrantReminder(models.Model):
    """A reminder sent to a dataset's custodians about a grant version; each kind is sent once."""

    grant_version = models.ForeignKey(
        GrantVersion, on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(max_length=10, choices=GrantReminderKind.choices)
    sent_on = models.DateField()

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant_version", "kind"], name="grant_reminder_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder for {self.grant_version} on {self.sent_on}"


class RelationshipKind(models.TextChoices):
    REGISTERED_PATIENT = "registered_patient", "Registered patient at my practice"
    ALLOCATED_CASE = "allocated_case", "Allocated case: I or my team am working with the person"
    CARE_TEAM = "care_team", "Member of the person's care team"
    OPEN_REFERRAL = "open_referral", "Open referral to my service"
    OTHER = "other", "Another direct care relationship (say what it is)"


class LegitimateRelationship(models.Model):
    """A practitioner's statement that they have a legitimate relationship with a person (the
    precondition of grants that require one). Recorded once, audited, never edited; it holds until
    `expires_at`."""

    user = models.ForeignKey(
        "agencies.User", on_delete=models.PROTECT, related_name="legitimate_relationships"
    )
    person = models.ForeignKey(
        "matching.Person", on_delete=models.PROTECT, related_name="legitimate_relationships"
    )
    kind = models.CharField(max_length=30, choices=RelationshipKind.choices)
    detail = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the relationship is, in the practitioner's words.",
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [
            models.Index(
                fields=["user", "person", "expires_at"], name="relationship_user_person_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("recorded_at")),
                name="relationship_expires_after_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="other") | ~models.Q(detail=""),
                name="relationship_other_has_detail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.person}: {self.get_kind_display()}"
