"""Django admin for partnership admins, scoped to their own partnership (superusers see all)."""

from __future__ import annotations

from typing import Any

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse

from agencies.models import (
    Agency,
    Dataset,
    DatasetField,
    DatasetPublication,
    Extract,
    ExtractProblem,
    ExtractRun,
    Partnership,
    User,
)
from singleview.access import staff


class PartnershipScopedAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Lists and edits only the signed-in admin's partnership's objects.

    `partnership_path` is the lookup from the model to its Partnership; foreign-key choices are
    limited the same way, so an admin cannot point an object at another partnership's rows.
    """

    partnership_path = "partnership"
    show_auditlog_history_link = True

    def auditlog_history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Change history, for objects in the admin's own partnership only (else 404)."""
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().auditlog_history_view(request, object_id, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.partnership_path: staff(request).partnership})

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and field.queryset is not None and not request.user.is_superuser:
            field.queryset = scope_to_partnership(field.queryset, staff(request).partnership)
        return field


def scope_to_partnership(queryset: QuerySet[Any], partnership: Partnership) -> QuerySet[Any]:
    """Limit a queryset of tenant models to one partnership; shared models pass through."""
    model: type[Model] = queryset.model
    paths = {
        Partnership: "pk",
        Agency: "partnership",
        User: "agency__partnership",
        Dataset: "agency__partnership",
    }
    for klass, path in paths.items():
        if issubclass(model, klass):
            return queryset.filter(**{path: partnership.pk if path == "pk" else partnership})
    if any(field.name == "partnership" for field in model._meta.get_fields()):
        return queryset.filter(partnership=partnership)
    return queryset


@admin.register(Partnership)
class PartnershipAdmin(PartnershipScopedAdmin):
    partnership_path = "pk"
    list_display = ["name", "slug", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk=staff(request).partnership.pk)


@admin.register(Agency)
class AgencyAdmin(PartnershipScopedAdmin):
    list_display = ["name", "code", "organisation_type"]
    list_filter = ["organisation_type"]
    search_fields = ["name", "code"]


class DatasetFieldInline(admin.TabularInline):
    model = DatasetField
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(PartnershipScopedAdmin):
    partnership_path = "agency__partnership"
    list_display = ["name", "code", "agency", "refresh_cadence"]
    list_filter = ["agency"]
    inlines = [DatasetFieldInline]


@admin.register(User)
class StaffAdmin(PartnershipScopedAdmin, UserAdmin):
    partnership_path = "agency__partnership"
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_active"]
    list_filter = ["agency", "groups", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Partnership", {"fields": ("agency", "role", "job_title")}),
    )
    add_fieldsets = (
        *(UserAdmin.add_fieldsets or ()),
        ("Partnership", {"fields": ("email", "agency", "role", "job_title")}),
    )
    # Only superusers may change these; a partnership admin cannot raise anyone's privileges.
    privileged_fields = ("is_superuser", "is_staff", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, *self.privileged_fields)


# ---------------------------------------------------------------------------------------------
# Nightly extracts: shown, never edited here (they change only through the pipeline). The
# uploaded file itself is not offered: it is personal data, and partner IT have their own pages.


class ExtractReadOnlyAdmin(PartnershipScopedAdmin):
    """Read-only: nothing can be added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Extract)
class ExtractAdmin(ExtractReadOnlyAdmin):
    partnership_path = "dataset__agency__partnership"
    list_display = ["dataset", "kind", "validate_only", "status", "received_at", "published_at"]
    list_filter = ["status", "kind", ("dataset", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["dataset__agency"]
    fields = readonly_fields = (
        "dataset",
        "uploaded_by",
        "original_name",
        "kind",
        "validate_only",
        "status",
        "received_at",
        "published_at",
        "size_bytes",
        "content_bytes",
        "compressed",
        "sha256",
    )


@admin.register(ExtractRun)
class ExtractRunAdmin(ExtractReadOnlyAdmin):
    partnership_path = "extract__dataset__agency__partnership"
    list_display = [
        "pk",
        "extract",
        "status",
        "step",
        "rows_total",
        "rows_rejected",
        "inserted",
        "updated",
        "retired",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "step"]
    list_select_related = ["extract__dataset__agency"]


@admin.register(ExtractProblem)
class ExtractProblemAdmin(ExtractReadOnlyAdmin):
    partnership_path = "run__extract__dataset__agency__partnership"
    list_display = ["run", "row", "column", "code", "message"]
    list_filter = ["code"]
    list_select_related = ["run__extract__dataset__agency"]


@admin.register(DatasetPublication)
class DatasetPublicationAdmin(ExtractReadOnlyAdmin):
    partnership_path = "dataset__agency__partnership"
    list_display = [
        "dataset",
        "version",
        "records_current",
        "last_published_at",
        "confirmed_at",
        "last_extract",
    ]
    list_select_related = ["dataset__agency", "last_extract__dataset__agency"]
