from django.contrib import admin
from django.http import HttpRequest

from agencies.admin import PartnershipScopedAdmin
from matching.models import Link, MatchDecision, Person, ReviewTask


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


@admin.register(ReviewTask)
class ReviewTaskAdmin(PartnershipScopedAdmin):
    list_display = ["first_record", "second_record", "score", "status", "decided_at"]
    list_filter = ["status"]
    readonly_fields = [
        "partnership", "first_record", "second_record", "score", "status", "decided_by",
        "decided_at", "reason",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(MatchDecision)
class MatchDecisionAdmin(PartnershipScopedAdmin):
    """Read only: decisions are made on the review and record pages, never edited."""

    list_display = ["first_record", "second_record", "decision", "source", "created_at"]
    list_filter = ["decision", "source"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
