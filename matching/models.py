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
