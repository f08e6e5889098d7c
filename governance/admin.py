"""Admin for partnership admins: roles and purposes are edited here; grants, sign-offs and
restrictions are shown with their change history but written only through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from agencies.admin import PartnershipScopedAdmin
from governance.models import Grant, GrantVersion, Purpose, Restriction, Role, SignOff


@admin.register(Role)
class RoleAdmin(PartnershipScopedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Purpose)
class PurposeAdmin(PartnershipScopedAdmin):
    list_display = [
        "name",
        "code",
        "requires_justification",
        "is_emergency",
        "overrides_objection",
        "hl7_purpose_of_use",
    ]
    search_fields = ["name", "code"]


class ReadOnlyAdmin(PartnershipScopedAdmin):
    """Shown, never edited here: these change only through governance services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GrantVersionInline(admin.TabularInline):
    model = GrantVersion
    extra = 0
    fields = ("version", "status", "disclosure_level", "valid_from", "valid_until", "drafted_by")
    readonly_fields = (
        "version",
        "status",
        "disclosure_level",
        "valid_from",
        "valid_until",
        "drafted_by",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "role", "organisation_type", "purpose"]
    list_filter = ["purpose", "role", "organisation_type"]
    inlines = [GrantVersionInline]


@admin.register(GrantVersion)
class GrantVersionAdmin(ReadOnlyAdmin):
    partnership_path = "grant__partnership"
    list_display = ["grant", "version", "status", "disclosure_level", "valid_until"]
    list_filter = ["status", "disclosure_level"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    partnership_path = "grant_version__grant__partnership"
    list_display = ["grant_version", "decision", "custodian", "decided_at"]


@admin.register(Restriction)
class RestrictionAdmin(ReadOnlyAdmin):
    partnership_path = "dataset__agency__partnership"
    list_display = ["dataset", "source_key", "kind", "created_by", "created_at", "lifted_at"]
    list_filter = ["kind"]
