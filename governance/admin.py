from django.contrib import admin

from agencies.admin import PartnershipScopedAdmin
from governance.models import Role


@admin.register(Role)
class RoleAdmin(PartnershipScopedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
