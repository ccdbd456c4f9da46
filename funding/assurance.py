"""Funding's sections of the assurance pack: the runway of the streams behind the contract,
and subcontractor monitoring — what the consortium owed each member in the period, and whether
it paid on time ("sub-contracting organisations are monitored and payment is protected")."""

from collections import defaultdict

from consortium.assurance import pack_section, table
from consortium.numbers import plural
from funding import runway
from funding.models import FundingStream, Payment
from funding.money import ZERO


def _streams(ctx):
    return (
        FundingStream.objects.visible_to(ctx.user)
        .filter(contracts__in=ctx.contract_ids)
        .select_related("funder")
        .distinct()
        .order_by("end", "name")
    )


@pack_section("runway", "Funding runway behind the contract", order=70)
def funding_runway(ctx):
    streams = list(_streams(ctx))
    if not streams:
        return {"empty": "No funding stream is linked to this contract."}
    # The same runway as the funding pages, over these streams only, as at the pack's end.
    secured = [s for s in streams if s.status == FundingStream.Status.SECURED]
    run = runway._build(
        [(s.funder.name, s.amount, s.start, s.end) for s in secured],
        ctx.end,
        "Secured funding behind the contract",
    )
    rows = [
        [
            s.name,
            s.funder.name,
            s.get_status_display(),
            s.amount,
            s.start,
            s.end,
            max(0, (s.end - ctx.end).days),
        ]
        for s in streams
    ]
    summary = [
        f"Secured for {plural(run.months_secured, 'whole month')} after {ctx.end:%-d %b %Y}"
        + (f", until {run.runs_out:%-d %b %Y}." if run.runs_out else ".")
    ]
    if run.short:
        summary.append(f"Less than {runway.SHORT_MONTHS} months secured.")
    monthly = [[m.strftime("%b %Y"), total] for m, _f, total in run.rows()[:12]]
    # Red with under 3 months secured, amber under the short-runway line (12 months).
    if run.months_secured < 3:
        rating = "red"
    elif run.short:
        rating = "amber"
    else:
        rating = "green"
    return {
        "summary": summary,
        "rag": rating,
        "tables": [
            table(
                ["Stream", "Funder", "Status", "Amount (£)", "Starts", "Ends", "Days left"],
                rows,
                "Streams behind the contract",
            ),
            table(["Month", "Secured (£)"], monthly, "Secured money, the next 12 months"),
        ],
    }


@pack_section("payments", "Subcontractor monitoring: payments to members", order=80)
def subcontractor_payments(ctx):
    members = set()
    for c in ctx.contracts:
        members |= {s.cvo_id for s in c.subcontracts.all()}
    if not members:
        return {"empty": "No member holds a subcontract under this contract."}
    payments = (
        Payment.objects.visible_to(ctx.user)
        .filter(recipient__in=members, due_date__gte=ctx.start, due_date__lte=ctx.end)
        .select_related("recipient")
        .order_by("recipient__name", "due_date")
    )
    by = defaultdict(
        lambda: {
            "owed": ZERO,
            "n": 0,
            "on_time": 0,
            "late": 0,
            "days_late": [],
            "open": 0,
            "overdue": 0,
            "withheld": 0,
        }
    )
    for p in payments:
        m = by[p.recipient.name]
        m["owed"] += p.amount
        m["n"] += 1
        if p.status == Payment.Status.PAID:
            late = (p.paid_on - p.due_date).days
            if late > 0:
                m["late"] += 1
                m["days_late"].append(late)
            else:
                m["on_time"] += 1
        elif p.status == Payment.Status.WITHHELD:
            m["withheld"] += 1
        else:
            m["open"] += 1
            if p.is_overdue(ctx.today):
                m["overdue"] += 1
                m["days_late"].append((ctx.today - p.due_date).days)
    if not by:
        return {"empty": "No payments to members fell due in this period."}
    rows = []
    for name in sorted(by):
        m = by[name]
        rows.append(
            [
                name,
                m["n"],
                m["owed"],
                m["on_time"],
                m["late"],
                m["open"],
                m["overdue"],
                m["withheld"],
                max(m["days_late"]) if m["days_late"] else 0,
                sum(m["days_late"]),
            ]
        )
    late = sum(m["late"] + m["overdue"] for m in by.values())
    total = sum((m["n"] for m in by.values()), 0)
    # Red while a payment owed to a member is overdue, amber if any was paid late.
    if any(m["overdue"] for m in by.values()):
        rating = "red"
    elif late:
        rating = "amber"
    else:
        rating = "green"
    return {
        "summary": [
            f"{plural(total, 'payment')} to members fell due; {late:,} paid late or still overdue."
        ],
        "rag": rating,
        "tables": [
            table(
                [
                    "Member",
                    "Payments due",
                    "Owed (£)",
                    "Paid on time",
                    "Paid late",
                    "Not yet paid",
                    "Overdue",
                    "Withheld",
                    "Most days late",
                    "Days late in all",
                ],
                rows,
                member_column=0,
            )
        ],
    }
