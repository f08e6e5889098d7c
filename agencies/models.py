"""The tenant (Partnership), its partner agencies, their staff and their datasets."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from collections.abc import Iterable


class Partnership(models.Model):
    """A data-sharing partnership: the tenant. Nothing crosses from one partnership to another."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationType(models.Model):
    """A kind of partner organisation (national categories, shared by all partnerships)."""

    class Code(models.TextChoices):
        GP_PRACTICE = "gp_practice", "GP practice"
        ACUTE_TRUST = "acute_trust", "Acute hospital trust"
        MENTAL_HEALTH_TRUST = "mental_health_trust", "Mental health trust"
        AMBULANCE_TRUST = "ambulance_trust", "Ambulance trust"
        POLICE_FORCE = "police_force", "Police force"
        FIRE_RESCUE = "fire_rescue", "Fire and rescue service"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        ICB = "icb", "Integrated care board"
        VOLUNTARY_SECTOR = "voluntary_sector", "Voluntary sector organisation"

    code = models.CharField(max_length=40, unique=True, choices=Code.choices)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnershipQuerySet(models.QuerySet[Any]):
    """Querysets of tenant data: `for_partnership` is the only way selectors reach them."""

    partnership_path = "partnership"

    def for_partnership(self, partnership: Partnership) -> PartnershipQuerySet:
        return self.filter(**{self.partnership_path: partnership})


class AgencyQuerySet(PartnershipQuerySet):
    partnership_path = "partnership"


def validate_networks(value: Iterable[str]) -> None:
    """Each allowed network must be an IPv4 or IPv6 network in CIDR notation."""
    if not isinstance(value, list):
        raise ValidationError("Allowed networks must be a list of networks such as 10.1.0.0/16.")
    for network in value:
        try:
            ipaddress.ip_network(str(network), strict=False)
        except ValueError as error:
            raise ValidationError(
                f"“{network}” is not a network. Use CIDR notation, for example 10.1.0.0/16."
            ) from error


class Agency(models.Model):
    """A partner organisation: it owns datasets and employs users."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    organisation_type = models.ForeignKey(
        OrganisationType, on_delete=models.PROTECT, related_name="agencies"
    )
    name = models.CharField(max_length=200)
    code = models.CharField(
        max_length=20, help_text="Organisation code (ODS code where the agency has one)."
    )
    allowed_networks = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_networks],
        help_text="Networks (CIDR) the agency's staff may sign in from; empty allows any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "code"], name="agency_code_unique"),
            models.UniqueConstraint(fields=["partnership", "name"], name="agency_name_unique"),
        ]
        permissions = [
            ("upload_extract", "Can upload extracts for this agency's datasets"),
        ]

    def __str__(self) -> str:
        return self.name

    def allows_address(self, address: str) -> bool:
        """Whether a client address is inside the agency's allowed networks (empty: any)."""
        if not self.allowed_networks:
            return True
        try:
            client = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(
            client in ipaddress.ip_network(str(network), strict=False)
            for network in self.allowed_networks
        )


class UserType(models.TextChoices):
    """What a user does in Single View; each is a Django group of the same label."""

    PRACTITIONER = "practitioner", "Practitioner"
    CUSTODIAN = "custodian", "Custodian"
    IG_OFFICER = "ig_officer", "IG officer"
    PARTNER_IT = "partner_it", "Partner IT"
    PARTNERSHIP_ADMIN = "partnership_admin", "Partnership admin"


class UserQuerySet(PartnershipQuerySet):
    partnership_path = "agency__partnership"


class SingleViewUserManager(UserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def for_partnership(self, partnership: Partnership) -> PartnershipQuerySet:
        return self.get_queryset().for_partnership(partnership)

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        """`createsuperuser` passes the agency as its primary key."""
        agency = extra.pop("agency", None)
        if agency is not None and not isinstance(agency, Agency):
            extra["agency_id"] = int(agency)
        elif agency is not None:
            extra["agency"] = agency
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A member of staff at exactly one partner agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff")
    role = models.ForeignKey(
        "governance.Role",
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text="Job role, as the partnership's grants name it (practitioners need one).",
    )
    job_title = models.CharField(max_length=200, blank=True)

    objects = SingleViewUserManager()  # type: ignore[misc]

    REQUIRED_FIELDS = ["email", "agency"]

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def clean(self) -> None:
        super().clean()
        role = self.role
        if (
            role is not None
            and self.agency_id
            and role.partnership_id != self.agency.partnership_id
        ):
            raise ValidationError({"role": "The role must belong to the user's own partnership."})

    def is_verified(self) -> bool:
        """Whether this request passed the second factor. django-otp's middleware replaces this
        per request; anywhere it has not run, no second factor was checked."""
        return False

    @property
    def partnership(self) -> Partnership:
        return self.agency.partnership

    @property
    def user_types(self) -> frozenset[str]:
        """The user types (UserType values) this user has, from their groups."""
        cached: frozenset[str] | None = getattr(self, "_user_types", None)
        if cached is None:
            cached = self.user_types_hold(self.groups.values_list("name", flat=True))
        return cached

    def user_types_hold(self, group_names: Iterable[str]) -> frozenset[str]:
        """Hold the user types of these group names (the user's groups, read by whoever loaded
        the user) so that `user_types` reads nothing more."""
        labels = {label: value for value, label in UserType.choices}
        self._user_types = frozenset(labels[name] for name in group_names if name in labels)
        return self._user_types

    def has_user_type(self, user_type: str) -> bool:
        return user_type in self.user_types


class Dataset(models.Model):
    """A set of records an agency shares through Single View, described field by field."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="datasets")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    refresh_cadence = models.DurationField(
        default=timedelta(days=1), help_text="How often a new extract is expected."
    )
    known_to_contact = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown with a known-to flag, e.g. 'Contact the duty team on 01632 960000'.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="dataset_code_unique"),
        ]
        permissions = [
            ("act_as_custodian", "Can sign off sharing grants for this dataset"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.code})"


class Sensitivity(models.TextChoices):
    NONE = "none", "None"
    HEALTH = "health", "Health"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SEXUAL_HEALTH = "sexual_health", "Sexual health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    CRIMINAL_JUSTICE = "criminal_justice", "Criminal justice"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    FINANCIAL = "financial", "Financial"
    LOCATION = "location", "Location"


class FieldType(models.TextChoices):
    STRING = "string", "Text"
    DATE = "date", "Date"
    NHS_NUMBER = "nhs_number", "NHS number"
    POSTCODE = "postcode", "UK postcode"
    BOOLEAN = "boolean", "Yes or no"
    INTEGER = "integer", "Whole number"
    CHOICE = "choice", "One of a list"


class DatasetField(models.Model):
    """One column of a dataset: its type, whether it identifies a person, its sensitivity."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="fields")
    name = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    field_type = models.CharField(max_length=20, choices=FieldType.choices)
    identifying = models.BooleanField(default=False)
    sensitivity = models.CharField(
        max_length=30, choices=Sensitivity.choices, default=Sensitivity.NONE
    )
    required = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="dataset_field_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code}.{self.name}"


class TransactionStart(models.Func):
    """When the current transaction began (PostgreSQL's now(), the same for every statement of
    the transaction; Django's Now() is each statement's own time there)."""

    template = "CURRENT_TIMESTAMP"
    output_field = models.DateTimeField()


class SourceRecord(models.Model):
    """An agency's record of a person, as its latest extract says. Retired, never deleted, when
    a full extract no longer holds it."""

    # No index but the unique (dataset, source_key) one, which serves dataset look-ups: every
    # extra index slows the nightly publish of millions of rows. Searches by NHS number, name,
    # date of birth or postcode go through `matching.SearchEntry`, which is indexed for them.
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    source_key = models.CharField(max_length=100)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.CharField(
        max_length=10, blank=True, help_text="ISO date, or partial: YYYY-MM or YYYY."
    )
    sex = models.CharField(max_length=1, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    address = models.CharField(max_length=500, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # The database's own defaults (the transaction's start time) let a first load's COPY leave
    # both out: parsing two timestamps per row is about a quarter of that COPY's time.
    first_seen_at = models.DateTimeField(auto_now_add=True, db_default=TransactionStart())
    updated_at = models.DateTimeField(auto_now=True, db_default=TransactionStart())
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset", "source_key"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "source_key"], name="source_record_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code}:{self.source_key}"


# ---------------------------------------------------------------------------------------------
# Nightly extracts: an uploaded file, the pipeline runs over it, their problems, and each
# dataset's publication (what readers see and when it was last refreshed). ADR 0008.


class ExtractKind(models.TextChoices):
    FULL = "full", "Full: replaces every record of the dataset"
    DELTA = "delta", "Delta: changes only"


class ExtractStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PUBLISHED = "published", "Published"
    VALIDATED = "validated", "Checked only"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded"


def extract_upload_to(instance: Extract, filename: str) -> str:
    """extracts/<agency id>/<dataset id>/<random name>: never the sender's file name."""
    import uuid

    suffix = ".csv.gz" if filename.endswith(".gz") else ".csv"
    return f"extracts/{instance.dataset.agency_id}/{instance.dataset_id}/{uuid.uuid4().hex}{suffix}"


class Extract(models.Model):
    """One file partner IT sent for a dataset, stored as received under MEDIA_ROOT.

    `sha256` is the digest of the CSV content (after gunzip): a file whose content was already
    received for the dataset is recognised and not loaded twice, also after the file itself was
    deleted (`extract_files_expire`)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="extracts")
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="uploaded_extracts"
    )
    file = models.FileField(
        upload_to=extract_upload_to,
        max_length=300,
        blank=True,
        help_text="The file as received; emptied once EXTRACT_FILE_RETENTION has passed and the "
        "extract's processing has finished.",
    )
    file_removed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stored file was deleted (retention)."
    )
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(help_text="Size as received.")
    content_bytes = models.PositiveBigIntegerField(help_text="Size after gunzip.")
    compressed = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=ExtractKind.choices, default=ExtractKind.FULL)
    validate_only = models.BooleanField(
        default=False, help_text="Check the file and report; load nothing."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=20, choices=ExtractStatus.choices, default=ExtractStatus.RECEIVED
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "sha256"],
                condition=models.Q(validate_only=False),
                name="extract_content_once_per_dataset",
            ),
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="extract_sha256_hex"
            ),
        ]
        indexes = [
            models.Index(fields=["dataset", "status", "received_at"], name="extract_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.code} {self.kind} extract of {self.received_at:%Y-%m-%d %H:%M}"


class ExtractRunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Running"
    PUBLISHED = "published", "Published"
    VALIDATED = "validated", "Checked only"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded"


class ExtractRunStep(models.TextChoices):
    WAITING = "waiting", "Waiting to start"
    VALIDATE = "validate", "Validating"
    STAGE = "stage", "Staging"
    NORMALISE = "normalise", "Normalising"
    MATCH = "match", "Matching"
    PUBLISH = "publish", "Publishing"
    DONE = "done", "Finished"


class ExtractRun(models.Model):
    """One pass of the pipeline over an extract. A run that failed is followed by a new run of
    the same extract; each step is idempotent, so the store ends the same either way."""

    extract = models.ForeignKey(Extract, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        max_length=20, choices=ExtractRunStatus.choices, default=ExtractRunStatus.QUEUED
    )
    step = models.CharField(
        max_length=20, choices=ExtractRunStep.choices, default=ExtractRunStep.WAITING
    )
    match_records = models.BooleanField(
        default=True, help_text="Whether the match step links new and changed records."
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0, help_text="Problems found, in all.")
    problems_not_stored = models.PositiveIntegerField(default=0)
    problem_counts = models.JSONField(default=dict, blank=True)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    retired = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    step_timings = models.JSONField(default=dict, blank=True, help_text="Seconds per step.")
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["extract"],
                condition=models.Q(status__in=["queued", "running"]),
                name="extract_run_one_open_per_extract",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.extract}"

    @property
    def is_finished(self) -> bool:
        return self.status not in (ExtractRunStatus.QUEUED, ExtractRunStatus.RUNNING)


class ExtractProblem(models.Model):
    """One problem a run found (the first EXTRACT_PROBLEMS_STORED; the run counts the rest).
    Messages never quote values from the file."""

    run = models.ForeignKey(ExtractRun, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField(help_text="Line of the file; 1 is the header, 0 the file.")
    column = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=40)
    message = models.TextField()

    class Meta:
        ordering = ["run", "row", "pk"]

    def __str__(self) -> str:
        return f"Row {self.row} {self.column}: {self.code}"


class DatasetPublication(models.Model):
    """What readers of a dataset see: written in the same transaction as each publish."""

    dataset = models.OneToOneField(
        Dataset, on_delete=models.CASCADE, related_name="publication", primary_key=True
    )
    last_extract = models.ForeignKey(Extract, on_delete=models.PROTECT, related_name="+")
    last_published_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(
        help_text="Last time the published data was confirmed current: a publish, or the same "
        "file received again."
    )
    version = models.PositiveIntegerField(default=1)
    records_current = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.dataset} version {self.version}"

    @property
    def freshness(self) -> Any:
        """How fresh the dataset is now (an `agencies.extracts.freshness.Freshness`)."""
        from django.utils import timezone

        from agencies.extracts.freshness import freshness_of

        return freshness_of(
            last_published_at=self.last_published_at,
            confirmed_at=self.confirmed_at,
            cadence=self.dataset.refresh_cadence,
            now=timezone.now(),
        )
