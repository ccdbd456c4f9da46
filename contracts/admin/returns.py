"""Admin for returns: scoped like every admin page, and read-only for approved or locked
returns (the model refuses such a save anyway)."""

from django.contrib import admin

from consortium.admin import ScopedAdmin
from contracts.models import CommissionerTemplate, Indicator, PerformanceReturn, ReturnValue


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin):
    list_display = ["code", "name", "unit", "aggregation", "logic_stage", "pathway_stage"]


@admin.register(PerformanceReturn)
class PerformanceReturnAdmin(ScopedAdmin):
    list_display = ["subcontract", "period", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "submitted_by", "submitted_at", "approved_by", "approved_at"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ReturnValue)
class ReturnValueAdmin(ScopedAdmin):
    list_display = ["ret", "indicator", "value"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.ret.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


@admin.register(CommissionerTemplate)
class CommissionerTemplateAdmin(ScopedAdmin):
    list_display = ["name", "commissioner"]
