"""Admin for assurance packs: scoped, and read-only (packs are prepared, signed off and
acknowledged through their pages; a signed-off pack is frozen on every path)."""

from django.contrib import admin

from consortium.admin import ReadOnlyAdminMixin, ScopedAdmin
from contracts.models import AssurancePack


@admin.register(AssurancePack)
class AssurancePackAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["contract", "period_start", "period_end", "revision", "state"]
    list_filter = ["state"]
