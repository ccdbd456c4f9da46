"""The admin for risks, scoped like every page. Registers, risks and SWOT analyses are
created through Concord's own pages (which number risks, set review dates and record the
business events), so the admin reads and corrects them but does not add them."""

from django.contrib import admin

from consortium.admin import ScopedAdmin
from risks.models import Risk, RiskRegister, SwotAnalysis


class NoAddAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False


@admin.register(RiskRegister)
class RiskRegisterAdmin(NoAddAdmin):
    list_display = ["__str__", "owner", "prefix"]
    list_select_related = ["organisation", "owner"]
    readonly_fields = ["organisation", "matrix", "owner"]
    exclude = ["consortium"]


@admin.register(Risk)
class RiskAdmin(NoAddAdmin):
    list_display = ["reference", "title", "register", "residual_score", "status", "next_review"]
    list_filter = ["status", "residual_band"]
    list_select_related = ["register__organisation"]
    search_fields = ["reference", "title"]
    readonly_fields = [
        "register",
        "owner",
        "category",
        "escalated_to",
        "swot_item",
        "residual_score",
        "residual_band",
    ]


@admin.register(SwotAnalysis)
class SwotAnalysisAdmin(NoAddAdmin):
    list_display = ["title", "organisation", "status", "period_end"]
    list_select_related = ["organisation"]
    readonly_fields = ["organisation", "previous", "agreed_by", "status"]
    exclude = ["consortium"]
