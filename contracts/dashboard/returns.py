"""Dashboard panels for returns (registered from ContractsConfig.ready)."""

from django.urls import reverse

from consortium.dashboard import panel
from consortium.models import Role
from contracts.models import PerformanceReturn
from contracts.selectors import returns as sel


@panel(roles=[Role.ADMIN, Role.LEAD, Role.CVO_MANAGER], order=20)
def late_returns(request):
    open_returns, missing = sel.late_returns(request.user)
    rets = list(
        open_returns.select_related("subcontract", "period").order_by("period__due_date")[:11]
    )
    periods = list(missing.select_related("subcontract").order_by("due_date")[:11])
    # Count only when a list was cut short: the dashboard stays a few queries.
    count = (open_returns.count() if len(rets) > 10 else len(rets)) + (
        missing.count() if len(periods) > 10 else len(periods)
    )
    rets, periods = rets[:10], periods[:10]
    items = [
        (
            f"{r.subcontract.reference} {r.period}: due {r.period.due_date:%d %b %Y}, {r.get_status_display().lower()}",
            r.get_absolute_url(),
        )
        for r in rets
    ] + [
        (
            f"{p.subcontract.reference} {p}: due {p.due_date:%d %b %Y}, not started",
            reverse("returns:subcontract_performance", args=[p.subcontract_id]),
        )
        for p in periods
    ]
    return {
        "title": "Late returns",
        "items": items[:10],
        "count": count,
        "tone": "danger" if items else None,
        "empty": "No returns are late.",
        "link": (reverse("returns:return_list"), "All returns"),
    }


@panel(roles=[Role.LEAD], order=21)
def returns_to_review(request):
    qs = PerformanceReturn.objects.visible_to(request.user).filter(status="submitted")
    rets = list(qs.select_related("subcontract", "period").order_by("submitted_at")[:11])
    count = qs.count() if len(rets) > 10 else len(rets)
    rets = rets[:10]
    return {
        "title": "Returns to review",
        "items": [(f"{r.subcontract.reference} {r.period}", r.get_absolute_url()) for r in rets],
        "count": count,
        "tone": "warning" if rets else None,
        "empty": "No returns are waiting for review.",
        "link": (reverse("returns:return_list") + "?status=submitted", "All submitted returns"),
    }
