"""Demo money: about £2 million a year from an NHS health-and-justice prime contract,
probation (about a third), two boroughs and two independent trusts; most streams run 12
months or less. One approved allocation with the lead's management fee, and a payment
schedule in which one payment to a CVO is overdue. Every act goes through the funding
services on the day it would have happened."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from consortium import dates
from funding import services
from funding.models import Allocation, FundingStream, Payment
from sample.consortium import on
from sample.funding import AllocationFactory, FundingStreamFactory

S, K = FundingStream.Status, FundingStream.Kind
PAID_LATE_SHARE = 0.125


def _months_ago(today, n):
    return dates.add_months(today, -n)


def streams_plan(today):
    def span(start, months):
        return start, dates.shift_months(start, months) - datetime.timedelta(days=1)

    return [
        # key, funder key, name, kind, amount, (start, end), status, services
        (
            "nhs",
            "nhs",
            "Health and Justice Liaison and Diversion (prime)",
            K.CONTRACT,
            "1050000.00",
            span(_months_ago(today, 9), 12),
            S.SECURED,
            "Practitioners in courts and custody suites across twenty boroughs.",
        ),
        (
            "probation",
            "probation",
            "Probation mental health practitioners",
            K.BLOCK,
            "660000.00",
            span(_months_ago(today, 4), 12),
            S.SECURED,
            "Forensic mental health practitioners co-located in probation offices.",
        ),
        (
            "la_east",
            "la_east",
            "Eastmere women's diversion grant",
            K.GRANT,
            "90000.00",
            span(_months_ago(today, 6), 12),
            S.SECURED,
            "Women's pathway at Eastmere Magistrates' Court.",
        ),
        (
            "la_north",
            "la_north",
            "Northgate housing link worker",
            K.GRANT,
            "60000.00",
            span(_months_ago(today, 5), 6),
            S.PENDING_RENEWAL,
            "Housing advice for people leaving custody.",
        ),
        (
            "trust_a",
            "trust_a",
            "Harwood Trust lived-experience advocacy",
            K.GRANT,
            "75000.00",
            span(_months_ago(today, 10), 24),
            S.SECURED,
            "User-led advocacy and peer support.",
        ),
        (
            "trust_b",
            "trust_b",
            "Lindenfield Foundation recovery pilot",
            K.GRANT,
            "45000.00",
            span(dates.month_start(today), 12),
            S.BID_SUBMITTED,
            "Substance-misuse recovery pilot (bid submitted).",
        ),
    ]


def _weekday_on_or_before(day):
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def seed(ctx):
    today = timezone.localdate()
    lead = ctx.users["lead"]
    streams = {}
    for key, funder, name, kind, amount, (start, end), status, what in streams_plan(today):
        stream = FundingStream.objects.filter(consortium=ctx.consortium, name=name).first()
        if stream is None:
            # Recorded when the award letter came, a month or so before the money starts.
            with on(min(start - datetime.timedelta(days=30), today)):
                stream = services.stream_save(
                    by=lead,
                    stream=FundingStreamFactory.build(
                        funder=ctx.orgs[funder],
                        name=name,
                        kind=kind,
                        amount=Decimal(amount),
                        start=start,
                        end=end,
                        status=status,
                        services_funded=what,
                        renewal_decision_date=end - datetime.timedelta(days=90),
                        notice_period_days=90,
                        restrictions="Liaison and diversion services only; no capital spending.",
                    ),
                )
        streams[key] = stream
    ctx.extra["streams"] = streams

    nhs = streams["nhs"]
    allocation = Allocation.objects.filter(stream=nhs).order_by("revision").first()
    if allocation is None:
        # Agreed at the partnership board a fortnight before the contract year began.
        with on(_weekday_on_or_before(nhs.start - datetime.timedelta(days=14))):
            allocation = services.allocation_save_draft(
                by=lead,
                allocation=AllocationFactory.build(
                    stream=nhs,
                    pot=Decimal("420000.00"),
                    formula=Allocation.Formula.FTE,
                    fee_percent=Decimal("8.00"),
                    fee_organisation=ctx.orgs["lead"],
                    inputs={
                        str(ctx.orgs["women"].pk): {"figure": "2.0"},
                        str(ctx.orgs["recovery"].pk): {"figure": "1.5"},
                        str(ctx.orgs["housing"].pk): {"figure": "1.0"},
                        str(ctx.orgs["advocacy"].pk): {"figure": "0.5"},
                    },
                    reason="Shares by funded practitioner FTE, agreed at the partnership board.",
                ),
            )
            allocation = services.allocation_approve(
                allocation=allocation, by=lead, reason="Agreed at the partnership board"
            )
    ctx.extra["allocation"] = allocation

    if not Payment.objects.filter(allocation_line__allocation=allocation).exists():
        _pay(ctx, allocation, today)


def _pay(ctx, allocation, today):
    """Each CVO's twelve instalments, scheduled the day after the allocation was approved;
    each one due so far approved three days before it falls due and paid on the day or the
    next (one in eight, PAID_LATE_SHARE, a week or three late). Clearwater's latest is still
    unpaid: the overdue payment the lead's dashboard shows."""
    lead = ctx.users["lead"]
    rng = random.Random(20260402)
    scheduled_on = timezone.localdate(allocation.approved_at) + datetime.timedelta(days=1)
    for key in ("women", "recovery", "housing", "advocacy"):
        org = ctx.orgs[key]
        with on(min(scheduled_on, today)):
            payments = services.payment_schedule_generate(
                by=lead,
                allocation=allocation,
                organisation=org,
                instalments=12,
                first_due=allocation.period_start + datetime.timedelta(days=27),
            )
        past = [p for p in payments if p.due_date < today]
        for i, p in enumerate(past):
            approve_on = max(
                _weekday_on_or_before(p.due_date - datetime.timedelta(3)), scheduled_on
            )
            with on(min(approve_on, today)):
                services.payment_approve(by=lead, payment=p)
            if key == "recovery" and i == len(past) - 1:
                continue  # overdue
            late = rng.random() < PAID_LATE_SHARE
            paid_on = p.due_date + datetime.timedelta(
                days=rng.randint(8, 20) if late else rng.randint(0, 1)
            )
            paid_on = min(paid_on, today)
            with on(paid_on):
                services.payment_mark_paid(
                    by=lead,
                    payment=p,
                    paid_on=paid_on,
                    reference=f"BACS-{org.pk:03d}-{p.due_date:%Y%m}",
                )
