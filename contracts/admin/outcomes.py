"""Admin for payment by results: scoped like every admin page, and read-only for published
measures and for approved or paid claims and their lines (ScopedAdmin reads the models' frozen
declaration)."""

from django.contrib import admin

from consortium.admin import ScopedAdmin
from contracts.models import ClaimLine, OutcomeMeasure, PbRClaim


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(ScopedAdmin):
    list_display = ["code", "name", "contract", "rule", "tariff", "revision", "status"]
    list_filter = ["status", "rule"]
    readonly_fields = ["status", "series", "revision"]


@admin.register(PbRClaim)
class PbRClaimAdmin(ScopedAdmin):
    list_display = ["measure", "claimant", "period_start", "status", "payable_amount"]
    list_filter = ["status"]
    readonly_fields = [
        "status",
        "submitted_by",
        "submitted_at",
        "verified_by",
        "verified_at",
        "approved_by",
        "approved_at",
        "earned_amount",
        "payable_amount",
        "caps_applied",
        "payment",
    ]


@admin.register(ClaimLine)
class ClaimLineAdmin(ScopedAdmin):
    list_display = ["claim", "participant", "outcome_date", "status"]
    list_filter = ["status"]
    readonly_fields = ["participant", "series", "window", "status", "decided_by", "decided_at"]
