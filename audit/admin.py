"""The access log in the Django admin: read-only, and scoped to the admin's own partnership.

Seals and checkpoints are installation-wide (one chain for all partnerships): superusers only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from agencies.admin import PartnershipScopedAdmin
from audit.models import AccessEvent, AuditCheckpoint, AuditSeal
from singleview.access import staff


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nothing here can be added, changed or deleted (the database refuses it too)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin, PartnershipScopedAdmin):
    show_auditlog_history_link = False
    list_display = ["occurred_at", "action", "outcome", "username", "agency_name", "purpose_code"]
    # No date hierarchy: listing the years and months would scan the whole log.
    list_filter = [("occurred_at", admin.DateFieldListFilter), "action", "outcome"]
    search_fields = ["username", "=request_id", "=case_reference"]
    ordering = ["-occurred_at", "-id"]
    # Counting every event in a large log is slow; the list pages without a full count.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(partnership_id=staff(request).agency.partnership_id)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in AccessEvent._meta.fields]


class InstallationWideAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(AuditSeal)
class AuditSealAdmin(InstallationWideAdmin):
    list_display = ["number", "after_event_id", "upto_event_id", "event_count", "sealed_at"]
    exclude = ["event_ids", "event_digests"]
    readonly_fields = [
        "number",
        "after_event_id",
        "upto_event_id",
        "event_count",
        "previous_hash",
        "chain_hash",
        "sealed_at",
    ]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(InstallationWideAdmin):
    list_display = ["seal_number", "upto_event_id", "event_total", "created_at", "key_id"]
    readonly_fields = [
        "seal_number",
        "chain_hash",
        "upto_event_id",
        "event_total",
        "created_at",
        "key_id",
        "signature",
    ]
