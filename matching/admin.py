from django.contrib import admin
from django.http import HttpRequest

from agencies.admin import PartnershipScopedAdmin
from matching.models import Link, Person


@admin.register(Person)
class PersonAdmin(PartnershipScopedAdmin):
    list_display = ["public_id", "created_at", "merged_into"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Link)
class LinkAdmin(PartnershipScopedAdmin):
    partnership_path = "person__partnership"
    list_display = ["source_record", "person", "method", "status", "score", "created_at"]
    list_filter = ["method", "status"]
