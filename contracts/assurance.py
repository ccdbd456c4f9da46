"""The contracts app's sections of the assurance pack: delivery against targets, returns'
completeness and timeliness, restatements since the last pack, and payment by results.
Each reads through the selectors the performance and PbR pages use."""

import datetime
from collections import defaultdict

from consortium import dates
from consortium.assurance import pack_section, table
from consortium.numbers import count, plural
from contracts.models import (
    Indicator,
    PerformanceReturn,
    Restatement,
    ReturnValue,
    Target,
)
from contracts.selectors import outcomes as pbr
from contracts.selectors import returns as perf

RAG_TEXT = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "grey": "No target",
    "none": "No figures",
}


def trend_periods(start, end, n=4):
    """The pack's period and the n-1 before it, of the same length in months, oldest first."""
    months = dates.months_apart(start, end) + 1
    out = []
    for k in range(n - 1, -1, -1):
        first = dates.add_months(dates.month_start(start), -k * months)
        last = dates.month_end(dates.add_months(first, months - 1))
        out.append((first, last))
    return out


def _label(first, last):
    if first.month == last.month and first.year == last.year:
        return f"{first:%b %Y}"
    return f"{first:%b}–{last:%b %Y}"


@pack_section("delivery", "Delivery against targets", order=10)
def delivery(ctx):
    periods = trend_periods(ctx.start, ctx.end)
    window_start = periods[0][0]
    contracts = ctx.contracts
    used = set(
        Target.objects.visible_to(ctx.user)
        .filter(
            period__subcontract__contract__in=contracts,
            period__start__gte=window_start,
            period__start__lte=ctx.end,
        )
        .values_list("indicator_id", flat=True)
    ) | set(
        ReturnValue.objects.visible_to(ctx.user)
        .filter(
            ret__subcontract__contract__in=contracts,
            ret__status__in=PerformanceReturn.FROZEN,
            ret__period__start__gte=window_start,
            ret__period__start__lte=ctx.end,
            value__isnull=False,
        )
        .values_list("indicator_id", flat=True)
    )
    indicators = list(Indicator.objects.visible_to(ctx.user).filter(pk__in=used, breakdown_of=None))
    if not indicators:
        return {"empty": "No targets were set and no approved figures were returned."}
    current, trend, definitions = [], [], []
    counts = defaultdict(int)
    for ind in indicators:
        monthly = []
        for contract in contracts:
            monthly += perf.performance(
                ctx.user, ind, contract=contract, first=window_start, last=ctx.end
            )
        by_period = []
        for first, last in periods:
            rows = [r for r in monthly if first <= r[0] <= last]
            actual = perf.aggregate(ind.aggregation, [(r[0], 0, r[1]) for r in rows])
            target = perf.aggregate(ind.aggregation, [(r[0], 0, r[2]) for r in rows])
            by_period.append((actual, target, perf.rag(actual, target, ind.direction)))
        actual, target, rag = by_period[-1]
        counts[rag] += 1
        current.append(
            [
                ind.code,
                ind.name,
                ind.get_unit_display(),
                ind.get_direction_display(),
                target,
                actual,
                RAG_TEXT[rag],
            ]
        )
        trend.append(
            [ind.code]
            + [
                "—" if a is None else f"{count(a)} ({RAG_TEXT[r].lower()})"
                for a, _t, r in by_period
            ]
        )
        definitions.append([ind.code, ind.name, ind.definition])
    summary = [
        f"{len(indicators)} indicators: {counts['green']} green, {counts['amber']} amber, "
        f"{counts['red']} red, {counts['grey']} without a target"
        + (f", {counts['none']} with a target but no approved figures." if counts["none"] else ".")
    ]
    # The section's rating: its worst indicator against target (none without targets).
    worst = next((r for r in ("red", "amber", "green") if counts[r]), None)
    return {
        "summary": summary,
        **({"rag": worst} if worst else {}),
        "tables": [
            table(
                ["Code", "Indicator", "Unit", "Direction", "Target", "Actual", "RAG"],
                current,
                "This period, from approved returns",
            ),
            table(
                ["Code"] + [_label(f, t) for f, t in periods],
                trend,
                "Trend over the last four periods (actual, RAG)",
            ),
            table(["Code", "Indicator", "Definition"], definitions, "Definitions"),
        ],
    }


def returns_status(ctx):
    """[(period, return or None, state)] for the contract's periods in the pack's period
    that have ended, as the completeness page counts them."""
    ids = set(ctx.contract_ids)
    return [
        row
        for row in perf.completeness(ctx.user, ctx.start, ctx.end, ctx.today)
        if row[0].subcontract.contract_id in ids
    ]


UNSUBMITTED = ("missing (late)", "not started", "late", "in progress")


def unsubmitted(ctx):
    """What is still missing: ["CVO name, period: state"] for returns not yet submitted."""
    return [
        f"{p.subcontract.cvo.name}, {p}: {state}"
        for p, _r, state in returns_status(ctx)
        if state in UNSUBMITTED
    ]


@pack_section("returns", "Returns: completeness and timeliness", order=20)
def returns(ctx):
    rows = returns_status(ctx)
    if not rows:
        return {"empty": "No reporting periods ended within this period."}
    members = {}
    for p, r, state in rows:
        m = members.setdefault(
            p.subcontract.cvo.name,
            {"due": 0, "approved": 0, "awaiting": 0, "on_time": 0, "late": 0, "missing": 0},
        )
        m["due"] += 1
        if state == "approved":
            m["approved"] += 1
        elif state == "awaiting approval":
            m["awaiting"] += 1
        else:
            m["missing"] += 1
        if r is not None and r.submitted_at is not None:
            if r.is_late(ctx.today):
                m["late"] += 1
            else:
                m["on_time"] += 1
    out = []
    for name in sorted(members):
        m = members[name]
        complete = f"{round(100 * m['approved'] / m['due'])}%" if m["due"] else "—"
        out.append(
            [
                name,
                m["due"],
                m["approved"],
                m["awaiting"],
                m["missing"],
                complete,
                m["on_time"],
                m["late"],
            ]
        )
    total_due = sum(m["due"] for m in members.values())
    total_approved = sum(m["approved"] for m in members.values())
    # Red while any return due is not submitted, amber while any awaits approval.
    if any(m["missing"] for m in members.values()):
        rating = "red"
    elif total_approved < total_due:
        rating = "amber"
    else:
        rating = "green"
    return {
        "summary": [f"{total_approved} of {total_due} returns due are approved."],
        "rag": rating,
        "tables": [
            table(
                [
                    "Member",
                    "Returns due",
                    "Approved",
                    "Awaiting approval",
                    "Not submitted",
                    "Complete",
                    "Submitted on time",
                    "Submitted late",
                ],
                out,
                member_column=0,
            )
        ],
    }


@pack_section("restatements", "Restated since the last pack", order=30)
def restatements(ctx):
    since = None
    if ctx.previous:
        since = ctx.previous.get("meta", {}).get("figures_at")
    qs = (
        Restatement.objects.visible_to(ctx.user)
        .filter(ret__subcontract__contract__in=ctx.contracts)
        .select_related("ret__subcontract__cvo", "ret__period")
        .order_by("reopened_at", "id")
    )
    if since:
        qs = qs.filter(reopened_at__gt=datetime.datetime.fromisoformat(since))
    else:
        qs = qs.filter(ret__period__start__lte=ctx.end)
    rows = []
    for r in qs:
        changes = "; ".join(f"{c}: {b} → {a}" for c, b, a in r.changes())
        rows.append(
            [
                r.ret.subcontract.cvo.name,
                str(r.ret.period),
                r.reopened_at.date(),
                r.reason,
                changes or ("No figures changed" if r.after is not None else "Not re-approved"),
            ]
        )
    where = "since the last pack was signed off" if since else "for periods up to this one"
    if not rows:
        return {"empty": f"No approved return was reopened {where}."}
    return {
        "summary": [f"{plural(len(rows), 'return')} reopened {where}."],
        "tables": [
            table(["Member", "Period", "Reopened", "Reason", "Changes"], rows, member_column=0)
        ],
    }


@pack_section("pbr", "Payment by results: claims and exposure", order=60)
def payment_by_results(ctx):
    claims = []
    total = None
    for contract in ctx.contracts:
        rows, total = pbr.statement(ctx.user, ctx.start, ctx.end, contract=contract)
        claims += rows
    # Exposure is shown whenever a measure applies in the period, claims or not: it is the
    # same figure as the exposure page's for this period.
    figures = pbr.exposure(ctx.user, ctx.start, ctx.end)
    measures_apply = figures.members or figures.whole.pbr_max or figures.whole.uncapped
    if not claims and not measures_apply:
        return {"empty": "No outcome claims or measures for this period."}
    claim_rows = [
        [
            s.measure,
            s.member,
            s.claims,
            s.claimed_lines,
            s.verified_lines,
            s.refused_lines,
            s.approved,
            s.capped,
            s.payable,
            s.paid,
        ]
        for s in claims
    ]
    exposure_rows = [
        [
            r.name,
            "Not shown" if r.block is None else r.block,
            r.pbr_max,
            r.earned,
            "—" if r.share_percent is None else f"{r.share_percent}%",
        ]
        for r in [figures.whole, *figures.members]
    ]
    summary = list(figures.notes)
    if not claims:
        summary.append("No outcome claims for this period.")
    elif total is not None and len(ctx.contracts) == 1:
        summary.append(f"Approved £{total.approved}, payable £{total.payable}, paid £{total.paid}.")
    tables = []
    if claims:
        tables.append(
            table(
                [
                    "Measure",
                    "Member",
                    "Claims",
                    "Lines claimed",
                    "Verified",
                    "Refused",
                    "Approved (£)",
                    "Capped (£)",
                    "Payable (£)",
                    "Paid (£)",
                ],
                claim_rows,
                "Claims in the period",
                member_column=1,
            )
        )
    if measures_apply:
        tables.append(
            table(
                [
                    "Who",
                    "Block income (£)",
                    "Most outcomes can earn (£)",
                    "Earned (£)",
                    "Share at risk",
                ],
                exposure_rows,
                "Exposure across the consortium",
                member_column=0,
            )
        )
    return {"summary": summary, "tables": tables}
