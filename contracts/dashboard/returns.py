"""Dashboard panels for returns (registered from ContractsConfig.ready)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from consortium import dates
from consortium.access import is_commissioner, is_cvo_manager, is_lead
from consortium.counting import first_and_total
from consortium.dashboard import Consequence, panel
from consortium.numbers import plural
from contracts.access.returns import chases_returns
from contracts.models import CommissionerTemplate, PerformanceReturn, ReportingPeriod, Subcontract
from contracts.selectors import returns as sel


@panel(check=chases_returns, order=20, consequence=Consequence.WAITING)
def late_returns(request):
    today = timezone.localdate()
    open_returns, missing = sel.late_returns(request.user, today)
    rets, late = first_and_total(
        open_returns.select_related("subcontract", "period").order_by("period__due_date"), 10
    )
    periods, never = first_and_total(missing.select_related("subcontract").order_by("due_date"), 10)
    count = late + never
    oldest = min([r.period.due_date for r in rets] + [p.due_date for p in periods], default=None)
    items = [
        (
            f"{r.subcontract.reference} {r.period}: {dates.relative(r.period.due_date, today)} "
            f"(due {r.period.due_date:%-d %b %Y}), {r.get_status_display().lower()}",
            r.get_absolute_url(),
        )
        for r in rets
    ] + [
        (
            f"{p.subcontract.reference} {p}: {dates.relative(p.due_date, today)} "
            f"(due {p.due_date:%-d %b %Y}), not started",
            reverse("returns:subcontract_performance", args=[p.subcontract_id]),
        )
        for p in periods
    ]
    return {
        "title": "Late returns",
        "late": (today - oldest).days if oldest else 0,
        "headline": f"{plural(count, 'return')} late, the oldest {dates.relative(oldest, today)}"
        if oldest
        else None,
        "items": items[:10],
        "count": count,
        "tone": "danger" if items else None,
        "empty": "No returns are late.",
        "link": (reverse("returns:return_list"), "All returns"),
    }


@panel(check=is_lead, order=21, consequence=Consequence.WAITING)
def returns_to_review(request):
    qs = PerformanceReturn.objects.visible_to(request.user).filter(status="submitted")
    rets, count = first_and_total(
        qs.select_related("subcontract", "period").order_by("submitted_at"), 10
    )
    waited = (timezone.now() - rets[0].submitted_at).days if rets and rets[0].submitted_at else 0
    return {
        "title": "Returns to review",
        "late": waited,
        "headline": f"{plural(count, 'return')} to review"
        + (f", the oldest sent {plural(waited, 'day')} ago" if waited else ""),
        "url": rets[0].get_absolute_url() if count == 1 else None,
        "items": [(f"{r.subcontract.reference} {r.period}", r.get_absolute_url()) for r in rets],
        "count": count,
        "tone": "warning" if rets else None,
        "empty": "No returns are waiting for review.",
        "link": (reverse("returns:return_list") + "?status=submitted", "All submitted returns"),
    }


@panel(check=is_cvo_manager, order=19, consequence=Consequence.WAITING)
def next_return_and_subcontract_end(request):
    """What a CVO manager plans around: their next return and, when it is near, the end of
    their subcontract."""
    today = timezone.localdate()
    user = request.user
    upcoming = (
        sel.periods_due_within(ReportingPeriod.objects.visible_to(user), today, 60)
        .select_related("subcontract")
        .order_by("due_date")
        .first()
    )
    items = []
    if upcoming:
        # The return itself once started; before that, the period's row, where it starts.
        started = PerformanceReturn.objects.visible_to(user).filter(period=upcoming).first()
        items.append(
            (
                f"Next return: {upcoming.subcontract.reference} {upcoming}, "
                f"{dates.relative(upcoming.due_date, today)} ({upcoming.due_date:%-d %b %Y})",
                started.get_absolute_url()
                if started
                else reverse("returns:subcontract_performance", args=[upcoming.subcontract_id])
                + f"#period-{upcoming.pk}",
            )
        )
    ending = (
        Subcontract.objects.visible_to(user)
        .filter(end__gte=today, end__lte=today + datetime.timedelta(days=180))
        .order_by("end")
    )
    for sub in ending[:3]:
        items.append(
            (
                f"{sub.reference} ends on {sub.end:%-d %b %Y}, in {plural((sub.end - today).days, 'day')}",
                sub.get_absolute_url(),
            )
        )
    return {
        "title": "Coming up",
        "consequence": Consequence.ENDING if ending[:1] else Consequence.WAITING,
        "needs_you": bool(items),
        "headline": items[0][0] if items else None,
        "url": items[0][1] if items else None,
        "items": items,
        "empty": "No return is due in the next 60 days.",
        "tone": "warning" if ending and ending[:1] else None,
    }


@panel(check=is_commissioner, order=15)
def commissioner_reports(request):
    """The commissioner's own report layouts, one click from the dashboard."""
    templates = list(
        CommissionerTemplate.objects.visible_to(request.user)
        .select_related("commissioner")
        .order_by("name")[:10]
    )
    return {
        "title": "Your reports",
        # Kept open: a commissioner's own report is one click from the dashboard.
        "open": bool(templates),
        "items": [
            (f"{t.name}: figures by month", reverse("returns:template_report", args=[t.pk]))
            for t in templates
        ],
        "empty": "No report layout has been set up for you yet. Ask the consortium lead.",
    }
