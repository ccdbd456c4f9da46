"""Admin for assurance packs: scoped, and read-only (packs are prepared, signed off and
acknowledged through their pages; a signed-off pack is frozen on every path)."""

from django.contrib import admin

from consortium.admin import ScopedAdmin
from contracts.models import AssurancePack


@admin.register(AssurancePack)
class AssurancePackAdmin(ScopedAdmin):
    list_display = ["contract", "period_start", "period_end", "revision", "state"]
    list_filter = ["state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
