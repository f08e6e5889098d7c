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
