"""The matched store: persons with stable ids, and the history of links from source records."""

from __future__ import annotations

import uuid

from django.db import models


class Person(models.Model):
    """One real person as the partnership's records show them. The id is stable across runs: it
    changes only when the evidence changes (two persons found to be one are merged into the older,
    and the other points at it)."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="persons"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Person {self.public_id}"


class LinkMethod(models.TextChoices):
    EXACT = "exact", "Exact identifier (NHS number)"
    AUTOMATIC = "automatic", "Automatic (probabilistic match)"
    MANUAL = "manual", "Manual (clerical decision)"
    NEW = "new", "New person (no match found)"


class LinkStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"


class Link(models.Model):
    """Source record -> person. A change of person supersedes the link rather than editing it,
    so the history of every record's person is kept."""

    source_record = models.ForeignKey(
        "agencies.SourceRecord", on_delete=models.PROTECT, related_name="links"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links")
    score = models.FloatField(null=True, blank=True, help_text="Match weight, where scored.")
    method = models.CharField(max_length=20, choices=LinkMethod.choices)
    status = models.CharField(
        max_length=20, choices=LinkStatus.choices, default=LinkStatus.ACTIVE, db_index=True
    )
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "agencies.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_record"],
                condition=models.Q(status="active"),
                name="link_one_active_per_record",
            ),
        ]
        indexes = [models.Index(fields=["person", "status"], name="link_person_status_idx")]

    def __str__(self) -> str:
        return f"{self.source_record} -> {self.person} ({self.get_method_display()})"


class MatchState(models.Model):
    """The matcher's memory for one partnership between runs: the match index (records, blocks,
    scored pairs and persons, pickled by `MatchIndex.dumps`) and the model it scores with.

    Written only by `matching.services`, in the same transaction as the links it explains, so a
    run that rolls back leaves index and links agreeing. The bytes are only ever loaded by the
    service that wrote them."""

    partnership = models.OneToOneField(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="match_state"
    )
    index = models.BinaryField()
    model = models.JSONField(help_text="The fitted model (MatchModel.as_dict).")
    records = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField(help_text="When the model was last fitted (a full run).")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Match state of partnership {self.partnership_id}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    SAME = "same", "Same person"
    DIFFERENT = "different", "Not the same person"


class ReviewTask(models.Model):
    """A possible match (a pair in the review band) for a person to decide. Runs create one per
    pair at most; the decision itself is kept as a `MatchDecision`."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="review_tasks"
    )
    first_record = models.ForeignKey(
        "agencies.SourceRecord", on_delete=models.PROTECT, related_name="+"
    )
    second_record = models.ForeignKey(
        "agencies.SourceRecord", on_delete=models.PROTECT, related_name="+"
    )
    score = models.FloatField(help_text="Match weight in bits when the task was raised.")
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        "agencies.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["first_record", "second_record"], name="review_task_once_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(first_record__lt=models.F("second_record")),
                name="review_task_pair_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True)
                | (~models.Q(status="open") & models.Q(decided_at__isnull=False)),
                name="review_task_decided_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.first_record_id} / {self.second_record_id} ({self.status})"


class DecisionKind(models.TextChoices):
    SAME = "same", "Same person"
    DIFFERENT = "different", "Not the same person"


class DecisionSource(models.TextChoices):
    REVIEW = "review", "Clerical review"
    MANUAL_LINK = "manual_link", "Manual link"
    UNLINK = "unlink", "Manual unlink"


class MatchDecision(models.Model):
    """A person's decision about two records, honoured by every later run: "same" keeps them in
    one person, "different" keeps them apart. Never updated; the latest decision about a pair
    is the one in force."""

    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="match_decisions"
    )
    first_record = models.ForeignKey(
        "agencies.SourceRecord", on_delete=models.PROTECT, related_name="+"
    )
    second_record = models.ForeignKey(
        "agencies.SourceRecord", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=DecisionKind.choices)
    source = models.CharField(max_length=20, choices=DecisionSource.choices)
    review_task = models.ForeignKey(
        ReviewTask, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    decided_by = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_record__lt=models.F("second_record")),
                name="match_decision_pair_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["first_record"], name="match_decision_first_idx"),
            models.Index(fields=["second_record"], name="match_decision_second_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_record_id} / {self.second_record_id}: {self.decision}"


class SearchEntry(models.Model):
    """A current source record as practitioners' searches find it: its search keys
    (`matching.search.keys_for`), indexed, and what a search reads of a candidate (its active
    link's person and the record's demographic columns, as the record holds them), so that a
    search reads its candidates from this table alone. Written by `matching.services` together
    with the record's link, so a record is searchable exactly while it is in the matched store,
    as it is now."""

    source_record = models.OneToOneField(
        "agencies.SourceRecord",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_entry",
    )
    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The record's dataset, last in every index: a search reads only the entries of datasets
    # the user's grants cover, without visiting the rows of the others.
    dataset = models.ForeignKey(
        "agencies.Dataset", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    nhs_number = models.CharField(max_length=10, blank=True)
    birth = models.CharField(max_length=10, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    family_code = models.CharField(max_length=20, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    district = models.CharField(max_length=4, blank=True)
    # The candidate: the person of the record's active link, and the record's columns that
    # scoring, the policy and the results read, copied as the record holds them.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The person's public id (never changes), for the link to their page.
    person_public_id = models.UUIDField()
    source_key = models.CharField(max_length=100)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.CharField(max_length=10, blank=True)
    postcode_as_held = models.CharField(max_length=10, blank=True)
    nhs_number_as_held = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["partnership", "nhs_number", "dataset"],
                name="search_nhs_dataset_idx",
                condition=~models.Q(nhs_number=""),
            ),
            models.Index(
                fields=["partnership", "birth", "dataset"],
                name="search_birth_dataset_idx",
                condition=~models.Q(birth=""),
            ),
            models.Index(
                fields=["partnership", "family_code", "birth_year", "dataset"],
                name="search_family_year_ds_idx",
            ),
            models.Index(
                fields=["partnership", "postcode", "dataset"],
                name="search_postcode_dataset_idx",
                condition=~models.Q(postcode=""),
            ),
            models.Index(
                fields=["partnership", "family_code", "district", "dataset"],
                name="search_family_district_ds_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Search entry of record {self.source_record_id}"
