"""Money panels: what is expiring, the runway, what awaits approval and what is owed."""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from consortium import dates
from consortium.access import is_commissioner, is_cvo_manager
from consortium.dashboard import Consequence, panel
from consortium.models import Role
from consortium.numbers import plural
from consortium.templatetags.concord import money as money_text
from funding import runway
from funding.access import can_manage_money, can_see_runway
from funding.models import Allocation, AllocationLine, FundingStream, Payment


@panel(check=can_manage_money, order=10, consequence=Consequence.ENDING)
def streams_expiring(request):
    today = timezone.localdate()
    widest = max(settings.CONCORD_EXPIRY_HORIZONS)
    streams = list(
        FundingStream.objects.visible_to(request.user)
        .exclude(status=FundingStream.Status.ENDED)
        .filter(end__gte=today, end__lte=today + datetime.timedelta(days=widest))
        .select_related("funder")
        .order_by("end")[:10]
    )
    items = [
        (
            f"{s.name} ({s.funder.name}): ends {s.end:%d %b %Y}, within {s.horizon(today)} days",
            s.get_absolute_url(),
        )
        for s in streams
    ]
    soonest = min((s.horizon(today) for s in streams), default=None)
    headline = None
    if streams:
        first = streams[0]
        headline = (
            f"{plural(len(streams), 'funding stream ends', 'funding streams end')} in the next "
            f"{widest} days: {first.name} ({first.funder.name}) ends {first.end:%-d %b %Y}"
        )
    return {
        "title": f"Funding ending in the next {widest} days",
        "headline": headline,
        "items": items,
        "count": len(items),
        "empty": f"No funding stream ends in the next {widest} days.",
        "link": (reverse("funding:stream_list"), "All funding streams"),
        "tone": "danger" if soonest and soonest <= 30 else "warning" if items else None,
    }


@panel(check=can_see_runway, order=12, consequence=Consequence.ENDING)
def runway_panel(request):
    data = runway.consortium_runway(request.user)
    if data.runs_out:
        text = (
            f"Secured funding runs out on {data.runs_out:%d %B %Y} ({data.months_secured} months)."
        )
    else:
        text = "No secured funding from today."
    items = [(text, reverse("funding:runway"))]
    if data.limited:
        items.append((data.limited, None))
    if data.short:
        items.insert(0, ("Less than 12 months secured.", None))
    cliff = data.first_cliff
    if cliff:
        # What matters first: the first big fall, which can come long before the end.
        items.insert(0, (cliff.sentence(), reverse("funding:runway")))
    soon = cliff is not None and dates.whole_months_between(timezone.localdate(), cliff.month) < 6
    return {
        "title": "Funding runway",
        "consequence": Consequence.ENDING if data.short or soon else Consequence.INFORMATION,
        "needs_you": data.short or soon,
        "headline": f"Funding runway: {items[0][0][:1].lower()}{items[0][0][1:]}",
        "url": reverse("funding:runway"),
        "items": items,
        "empty": "",
        "tone": "warning" if data.short or soon else None,
    }


@panel(check=can_manage_money, order=14, consequence=Consequence.WAITING)
def allocations_awaiting(request):
    drafts = list(
        Allocation.objects.visible_to(request.user)
        .filter(status=Allocation.Status.DRAFT)
        .select_related("stream")
        .order_by("period_start")[:10]
    )
    return {
        "title": "Allocations awaiting approval",
        "items": [(str(a), a.get_absolute_url()) for a in drafts],
        "count": len(drafts),
        "empty": "No draft allocations.",
        "link": (reverse("funding:allocation_list") + "?status=draft", "All draft allocations"),
    }


def _payments_panel(request, title, empty, *, to_you=False):
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=30)
    qs = (
        Payment.objects.visible_to(request.user)
        .filter(status__in=[Payment.Status.SCHEDULED, Payment.Status.APPROVED], due_date__lte=soon)
        .select_related("recipient")
        .order_by("due_date")
    )
    rows = list(qs[:10])
    overdue = qs.filter(due_date__lt=today).count()
    items = [
        (
            f"{'OVERDUE: ' if p.due_date < today else ''}{money_text(p.amount)} to "
            f"{p.recipient.name}, due {p.due_date:%d %b %Y} ({p.get_status_display().lower()})",
            p.get_absolute_url(),
        )
        for p in rows
    ]
    headline = None
    if overdue:
        items.insert(0, (f"{plural(overdue, 'overdue payment')} owed", None))
        oldest = rows[0]
        who = "" if to_you else f" to {oldest.recipient.name}"
        owed = "to you" if to_you else ("to a member" if overdue == 1 else "to members")
        headline = (
            f"{plural(overdue, 'payment')} {owed} {'is' if overdue == 1 else 'are'} overdue: "
            f"{money_text(oldest.amount)}{who}, "
            f"due {oldest.due_date:%-d %b %Y} ({dates.relative(oldest.due_date, today)})"
        )
    return {
        "title": title,
        "consequence": Consequence.MONEY_LATE if overdue else Consequence.WAITING,
        "late": (today - rows[0].due_date).days if overdue else 0,
        "headline": headline,
        "url": reverse("funding:payment_list") + "?overdue=true" if overdue else None,
        "items": items,
        "count": overdue or None,
        "empty": empty,
        "link": (reverse("funding:payment_list"), "All payments"),
        "tone": "danger" if overdue else None,
    }


@panel(check=can_manage_money, order=16, consequence=Consequence.MONEY_LATE)
def payments_due(request):
    return _payments_panel(
        request, "Payments to members due or overdue", "No payments due in the next 30 days."
    )


@panel(check=is_cvo_manager, order=12, consequence=Consequence.MONEY_LATE)
def my_payments(request):
    return _payments_panel(
        request,
        "Your payments due or overdue",
        "No payments to you are due in the next 30 days.",
        to_you=True,
    )


@panel(check=is_cvo_manager, order=11)
def my_statement(request):

    own = request.actor.orgs(Role.CVO_MANAGER)
    lines = list(
        AllocationLine.objects.visible_to(request.user)
        .filter(organisation__in=own)
        .select_related("allocation__stream")
        .order_by("-allocation__period_start", "-allocation__revision")[:10]
    )
    return {
        "title": "Your allocation",
        "items": [
            (
                f"{money_text(line.amount)} {line.get_kind_display().lower()} from "
                f"{line.allocation.stream.name} (version {line.allocation.revision})",
                line.allocation.get_absolute_url(),
            )
            for line in lines
        ],
        "empty": "No approved allocation gives you a share yet.",
        "link": (reverse("funding:statement"), "Your allocation statement"),
    }


@panel(check=is_commissioner, order=11)
def streams_funded(request):
    streams = list(
        FundingStream.objects.visible_to(request.user).select_related("funder").order_by("end")[:10]
    )
    return {
        "title": "Funding you provide",
        "items": [
            (f"{s.name}: {money_text(s.amount)}, ends {s.end:%d %b %Y}", s.get_absolute_url())
            for s in streams
        ],
        "empty": "No funding streams from your organisation.",
        "link": (reverse("funding:stream_list"), "All your funding streams"),
    }
