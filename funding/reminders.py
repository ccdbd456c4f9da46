"""Money reminders: funding streams reaching an expiry horizon, and payments owed to members
that are overdue."""

import datetime

from django.conf import settings

from consortium.consequence import Consequence
from consortium.models import Role
from consortium.reminders import EXPIRING, LATE, Item, object_key, reminder_kind
from consortium.templatetags.concord import money as money_text
from funding.access import MONEY_ROLES, can_manage_money, can_see_payments
from funding.models import FundingStream, Payment


@reminder_kind(
    "funding.stream_expiring",
    "Funding streams reaching an expiry horizon",
    consequence=Consequence.ENDING,
    check=can_manage_money,
    more_url="funding:runway",
)
def streams_expiring(run):
    leads = run.users(*MONEY_ROLES)
    if not leads:
        return
    widest = max(settings.CONCORD_EXPIRY_HORIZONS)
    # The same streams as the dashboard's "Funding ending" panel.
    streams = (
        FundingStream.objects.filter(consortium_id=run.consortium_id)
        .exclude(status=FundingStream.Status.ENDED)
        .filter(end__gte=run.as_of, end__lte=run.as_of + datetime.timedelta(days=widest))
        .select_related("funder")
        .order_by("end", "pk")
    )
    for s in run.rows(streams):
        horizon = s.horizon(run.as_of)
        item = Item(
            object_key=object_key(s),
            stage="expiring",
            about=f"{horizon} days",
            text=f"{s.name} ({s.funder.name}) ends {s.end:%-d %b %Y}, within {horizon} days",
            url=s.get_absolute_url(),
            urgency=EXPIRING,
        )
        for user_id in leads:
            yield user_id, item


@reminder_kind(
    "funding.payment_overdue",
    "Payments to members overdue",
    consequence=Consequence.MONEY_LATE,
    check=can_see_payments,
    essential=True,
    more_url="funding:payment_list?overdue=true",
)
def payments_overdue(run):
    leads = run.users(*MONEY_ROLES)
    members = run.holders(Role.CVO_MANAGER)
    payments = Payment.objects.filter(
        consortium_id=run.consortium_id,
        status__in=[Payment.Status.SCHEDULED, Payment.Status.APPROVED],
        due_date__lt=run.as_of,
    ).select_related("recipient")
    if not leads:
        payments = payments.filter(recipient__in=list(members))
    for p in run.rows(payments.order_by("due_date", "pk")):
        item = Item(
            object_key=object_key(p),
            stage="overdue",
            about=p.due_date.isoformat(),
            text=f"Overdue: {money_text(p.amount)} to {p.recipient.name}, due {p.due_date:%-d %b %Y}",
            url=p.get_absolute_url(),
            urgency=LATE,
        )
        for user_id in leads | members.get(p.recipient_id, set()):
            yield user_id, item
