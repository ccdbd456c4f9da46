"""Risks the money shows coming: streams ending with no renewal decision (no stream from the
same funder continuing it), members with less
than a year's funding secured, payments owed to members that are overdue."""

import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.urls import reverse

from consortium import dates
from consortium.dates import day_text
from consortium.numbers import plural
from consortium.suggestions import Suggestion, suggestion_kind, suggestion_source
from consortium.templatetags.concord import money
from funding.models import FundingStream, Payment
from funding.runway import secured_until

suggestion_kind("funding.stream_ending", many="{n} funding streams end with no renewal decision")
suggestion_kind("funding.short_of_funding", many="{n} members are short of secured funding")
suggestion_kind("funding.payments_overdue", many="{n} members are owed payments that are overdue")


@suggestion_source
def streams_ending(*, user, organisation, today, limits):
    horizon = today + datetime.timedelta(days=limits.horizon_days)
    # Renewed: the same funder's money continues in a stream starting by a month after.
    renewal = FundingStream.objects.filter(
        consortium=OuterRef("consortium"),
        funder=OuterRef("funder"),
        start__gt=OuterRef("start"),
        start__lte=OuterRef("end") + datetime.timedelta(days=31),
    ).exclude(status=FundingStream.Status.ENDED)
    streams = (
        FundingStream.objects.visible_to(user)
        .filter(end__gte=today, end__lte=horizon)
        .exclude(status=FundingStream.Status.ENDED)
        .exclude(Exists(renewal))
    )
    if organisation is not None:
        streams = streams.filter(allocations__lines__organisation=organisation).distinct()
    return [
        Suggestion(
            key=f"funding.stream_ending:{s.pk}",
            title=f"{s.name} ends on {day_text(s.end)} with no renewal decision",
            # The evidence is fingerprinted: nothing in it changes from one day to the next.
            evidence=f"{s.name} ({s.funder.name}) ends on {day_text(s.end)}. It is "
            f"{s.get_status_display().lower()} and no stream from the same funder continues it"
            + (
                f"; the renewal decision is due on {day_text(s.renewal_decision_date)}."
                if s.renewal_decision_date
                else "."
            ),
            category="Financial",
            likelihood=4,
            consequence=4,
            link=reverse("funding:stream_detail", args=[s.pk]),
            concerns=(("funding.FundingStream", s.pk),),
        )
        for s in streams.select_related("funder").order_by("end")
    ]


@suggestion_source
def members_short_of_funding(*, user, organisation, today, limits):
    months = limits.secured_months
    year_ahead = dates.shift_months(today, months)
    found = []
    members = secured_until(user, today, organisation)
    for org_id, (name, secured_to) in sorted(members.items(), key=lambda m: m[1][0]):
        if secured_to >= year_ahead:
            continue
        found.append(
            Suggestion(
                key=f"funding.short_of_funding:{org_id}",
                title=f"{name} has less than {plural(months, 'month')}' funding secured",
                evidence=f"Secured funding for {name} runs to {day_text(secured_to)}.",
                category="Financial",
                likelihood=4,
                consequence=4,
                organisation_id=org_id,
                concerns=(("consortium.Organisation", org_id),),
            )
        )
    return found


@suggestion_source
def payments_overdue(*, user, organisation, today, limits):
    payments = Payment.objects.visible_to(user).filter(
        status__in=[Payment.Status.SCHEDULED, Payment.Status.APPROVED],
        due_date__lt=today - datetime.timedelta(days=limits.payment_overdue_days),
    )
    if organisation is not None:
        payments = payments.filter(recipient=organisation)
    rows = (
        payments.values("recipient", "recipient__name")
        .annotate(n=Count("pk"), oldest=Min("due_date"), total=Sum("amount"))
        .filter(~Q(n=0))
        .order_by("recipient__name")
    )
    return [
        Suggestion(
            key=f"funding.payments_overdue:{r['recipient']}",
            title=f"Payments owed to {r['recipient__name']} are overdue",
            evidence=f"{plural(r['n'], 'payment')} totalling {money(r['total'])} "
            f"{'is' if r['n'] == 1 else 'are'} overdue; the "
            f"{'payment' if r['n'] == 1 else 'oldest'} was due on {day_text(r['oldest'])}.",
            category="Partnership",
            likelihood=3,
            consequence=3,
            link=reverse("funding:payment_list") + f"?recipient={r['recipient']}",
            organisation_id=r["recipient"],
            concerns=(("consortium.Organisation", r["recipient"]),),
        )
        for r in rows
    ]
