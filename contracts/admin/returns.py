"""Admin for returns: scoped like every admin page, and read-only for approved or locked
returns and their values (ScopedAdmin reads the models' frozen declaration)."""

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


@admin.register(ReturnValue)
class ReturnValueAdmin(ScopedAdmin):
    list_display = ["ret", "indicator", "value"]


@admin.register(CommissionerTemplate)
class CommissionerTemplateAdmin(ScopedAdmin):
    list_display = ["name", "commissioner"]
