"""Reads over performance returns: commissioner reports, performance against target, the
pathway funnel, completeness, charts, and approved activity for the allocation formula.

Every function takes querysets already scoped by the access policy (or scopes them itself
with `visible_to`), so totals and charts only ever cover rows the reader may see."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from consortium import charts, dates
from contracts.models import (
    Indicator,
    PerformanceReturn,
    ReportingPeriod,
    ReturnValue,
    Target,
)
from contracts.services.returns import indicators_for

TWO = Decimal("0.01")


def aggregate(aggregation, figures):
    """Combine figures [(period_start, subcontract_id, value)] by an indicator's rule: sum;
    mean of all figures; latest = each subcontract's latest figure, summed across them."""
    figures = [f for f in figures if f[2] is not None]
    if not figures:
        return None
    if aggregation == Indicator.Aggregation.MEAN:
        total = sum((f[2] for f in figures), Decimal(0))
        return (total / len(figures)).quantize(TWO, ROUND_HALF_UP)
    if aggregation == Indicator.Aggregation.LATEST:
        latest = {}
        for _start, sub, value in sorted(figures):
            latest[sub] = value
        return sum(latest.values(), Decimal(0))
    return sum((f[2] for f in figures), Decimal(0))


# --- commissioner reports ------------------------------------------------------------------


@dataclass
class ReportLine:
    group: str
    label: str
    indicator: Indicator
    value: Decimal | None
    returns: list = field(default_factory=list)  # (pk, label) of the returns behind it
    by_month: list = field(default_factory=list)  # [(month, figure)] in the report's months


@dataclass
class Report:
    """A commissioner's report: its lines, the months it covers, which months each member's
    approved figures cover, and the returns behind each month."""

    lines: list
    months: list
    coverage: list  # [(subcontract, [months with an approved return])]
    returns_by_month: dict  # month -> [(pk, label)]


def commissioner_report(template, user, first, last):
    """Each template field's figure for periods starting first..last, from approved or
    locked returns of subcontracts under contracts the template's commissioner commissions,
    with the returns behind each figure."""
    fields = list(template.fields.select_related("indicator").order_by("position", "id"))
    returns = (
        PerformanceReturn.objects.visible_to(user)
        .filter(
            status__in=PerformanceReturn.FROZEN,
            subcontract__contract__commissioner_id=template.commissioner_id,
            period__start__gte=first,
            period__start__lte=last,
        )
        .select_related("subcontract__cvo", "period")
    )
    rets = {r.pk: r for r in returns}
    indicator_ids = {f.indicator_id for f in fields}
    by_indicator = defaultdict(list)
    for ret_id, ind_id, value in ReturnValue.objects.filter(
        ret_id__in=list(rets), indicator_id__in=indicator_ids
    ).values_list("ret_id", "indicator_id", "value"):
        r = rets[ret_id]
        by_indicator[ind_id].append((r.period.start, r.subcontract_id, value, r))
    months = sorted({r.period.start for r in rets.values()})
    lines = []
    for f in fields:
        figs = by_indicator.get(f.indicator_id, [])
        value = aggregate(f.indicator.aggregation, [(s, sub, v) for s, sub, v, _ in figs])
        behind = sorted(
            {(r.pk, f"{r.subcontract.reference} {r.period}") for *_, v, r in figs if v is not None}
        )
        by_month = [
            (
                m,
                aggregate(
                    f.indicator.aggregation, [(s, sub, v) for s, sub, v, _ in figs if s == m]
                ),
            )
            for m in months
        ]
        lines.append(ReportLine(f.group, f.label, f.indicator, value, behind, by_month))
    return lines, list(rets.values())


def commissioner_report_by_month(template, user, first, last):
    """The report with a column per month, the months each member's figures cover, and the
    returns behind each month (so each figure links once, to its month's returns)."""
    lines, rets = commissioner_report(template, user, first, last)
    months = sorted({r.period.start for r in rets})
    covered = defaultdict(set)
    subs = {}
    behind = defaultdict(list)
    for r in sorted(rets, key=lambda r: (r.period.start, r.subcontract.reference)):
        covered[r.subcontract_id].add(r.period.start)
        subs[r.subcontract_id] = r.subcontract
        behind[r.period.start].append((r.pk, f"{r.subcontract.reference} {r.period}"))
    coverage = [
        (subs[sid], sorted(covered[sid]))
        for sid in sorted(subs, key=lambda sid: subs[sid].reference)
    ]
    return Report(lines, months, coverage, dict(behind)), rets


# --- performance ---------------------------------------------------------------------------


def rag(actual, target, direction):
    """Green at or better than target; amber within 10%; red beyond; grey with no target;
    "none" with a target but no approved figure yet (never "no target" beside a target)."""
    if target is None or target == 0:
        return "grey"
    if actual is None:
        return "none"
    ratio = actual / target
    if direction == Indicator.Direction.LOWER:
        ratio = target / actual if actual else Decimal(2)
    if ratio >= 1:
        return "green"
    if ratio >= Decimal("0.9"):
        return "amber"
    return "red"


def performance(user, indicator, subcontract=None, first=None, last=None, contract=None):
    """[(period_start, actual, target, rag)] for the indicator across the visible approved
    returns (one subcontract, one contract's subcontracts, or the consortium), by month."""
    values = ReturnValue.objects.visible_to(user).filter(
        indicator=indicator, ret__status__in=PerformanceReturn.FROZEN
    )
    targets = Target.objects.visible_to(user).filter(indicator=indicator)
    if contract is not None:
        values = values.filter(ret__subcontract__contract=contract)
        targets = targets.filter(period__subcontract__contract=contract)
    if subcontract is not None:
        values = values.filter(ret__subcontract=subcontract)
        targets = targets.filter(period__subcontract=subcontract)
    if first:
        values = values.filter(ret__period__start__gte=first)
        targets = targets.filter(period__start__gte=first)
    if last:
        values = values.filter(ret__period__start__lte=last)
        targets = targets.filter(period__start__lte=last)
    actual = defaultdict(list)
    for start, sub, value in values.values_list(
        "ret__period__start", "ret__subcontract_id", "value"
    ):
        actual[start].append((start, sub, value))
    target = defaultdict(list)
    for start, sub, value in targets.values_list(
        "period__start", "period__subcontract_id", "value"
    ):
        target[start].append((start, sub, value))
    rows = []
    for start in sorted(set(actual) | set(target)):
        a = aggregate(indicator.aggregation, actual.get(start, []))
        t = aggregate(indicator.aggregation, target.get(start, []))
        rows.append((start, a, t, rag(a, t, indicator.direction)))
    return rows


def funnel(user, first, last, subcontract=None):
    """[(indicator, total)] for the pathway stages, in pathway order, over approved returns."""
    order = [s for s, _ in Indicator.PathwayStage.choices if s]
    stages = list(
        Indicator.objects.visible_to(user).filter(pathway_stage__in=order, breakdown_of=None)
    )
    stages.sort(key=lambda i: (order.index(i.pathway_stage), i.position))
    values = ReturnValue.objects.visible_to(user).filter(
        ret__status__in=PerformanceReturn.FROZEN,
        ret__period__start__gte=first,
        ret__period__start__lte=last,
        indicator__in=stages,
    )
    if subcontract is not None:
        values = values.filter(ret__subcontract=subcontract)
    figs = defaultdict(list)
    for ind, start, sub, v in values.values_list(
        "indicator_id", "ret__period__start", "ret__subcontract_id", "value"
    ):
        figs[ind].append((start, sub, v))
    return [(i, aggregate(i.aggregation, figs.get(i.pk, []))) for i in stages]


def outstanding_returns(user, first, last, subcontract=None):
    """What needs chasing in first..last: (the periods whose return is not approved, in
    order; [(state, count)] for every state, approved ones included)."""
    complete = completeness(user, first, last)
    if subcontract is not None:
        complete = [c for c in complete if c[0].subcontract_id == subcontract.pk]
    states = Counter(state for _, _, state in complete)
    return [c for c in complete if c[2] != "approved"], sorted(states.items())


def completeness(user, first, last, today=None):
    """Periods ended in first..last with their return's state: approved, awaiting, late or
    missing. [(period, return_or_None, state)]."""
    today = today or timezone.localdate()
    periods = (
        ReportingPeriod.objects.visible_to(user)
        .filter(start__gte=first, start__lte=last, end__lt=today)
        .select_related("subcontract", "subcontract__cvo")
        .order_by("subcontract__reference", "start")
    )
    returns = {
        r.period_id: r
        for r in PerformanceReturn.objects.visible_to(user).filter(period__in=periods)
    }
    out = []
    for p in periods:
        r = returns.get(p.pk)
        if r is None:
            state = "missing (late)" if today > p.due_date else "not started"
        elif r.status in PerformanceReturn.FROZEN:
            state = "approved"
        elif r.status == "submitted":
            state = "awaiting approval"
        else:
            state = "late" if today > p.due_date else "in progress"
        out.append((p, r, state))
    return out


def late_returns(user, today=None):
    """Visible returns (or periods without one) past their due date and not yet submitted."""
    return late_returns_in(
        PerformanceReturn.objects.visible_to(user), ReportingPeriod.objects.visible_to(user), today
    )


def late_returns_in(returns_qs, periods_qs, today=None):
    """The returns of `returns_qs` (and periods of `periods_qs` without one) past their due
    date and not yet submitted."""
    today = today or timezone.localdate()
    open_returns = returns_qs.filter(status__in=OPEN_STATUSES, period__due_date__lt=today)
    missing = periods_qs.filter(due_date__lt=today).filter(
        ~Q(pk__in=PerformanceReturn.objects.values("period_id"))
    )
    return open_returns, missing


OPEN_STATUSES = ("draft", "returned")


def periods_due_within(periods_qs, today, working_days):
    """Periods of `periods_qs` due between today and `working_days` working days from today
    whose return is not yet sent (not started, draft or returned)."""
    sent = PerformanceReturn.objects.exclude(status__in=OPEN_STATUSES).values("period_id")
    return periods_qs.filter(
        due_date__gte=today, due_date__lte=dates.add_working_days(today, working_days)
    ).exclude(pk__in=sent)


# --- charts --------------------------------------------------------------------------------


def trend_svg(title, rows):
    """An SVG line chart of actual against target by period, for inlining in the page (which
    gives the same rows as a table)."""
    svg = charts.render("returns-trend", (title, tuple(rows)), _draw_trend, figsize=(7, 3), dpi=100)
    return svg.image[svg.image.find("<svg") :]


def _draw_trend(fig, figures):
    title, rows = figures
    ax = fig.add_subplot()
    xs = [f"{r[0]:%b %y}" for r in rows]
    ax.plot(
        xs,
        [float(r[1]) if r[1] is not None else None for r in rows],
        marker="o",
        label="Actual",
        color="#1d70b8",
    )
    if any(r[2] is not None for r in rows):
        ax.plot(
            xs,
            [float(r[2]) if r[2] is not None else None for r in rows],
            linestyle="--",
            label="Target",
            color="#505a5f",
        )
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    ax.legend(fontsize=8)
    fig.tight_layout()


# --- the money engine's "by activity" formula ---------------------------------------------


def activity_by_member(consortium, first, last, indicator_code):
    """Approved activity per delivering organisation: {organisation_id: Decimal} — the sum of
    `indicator_code` over approved or locked returns for periods starting first..last. The
    figure a lead types as each member's "activity" in an allocation by activity."""
    totals = defaultdict(lambda: Decimal(0))
    rows = ReturnValue.objects.filter(
        consortium=consortium,
        indicator__code=indicator_code,
        ret__status__in=PerformanceReturn.FROZEN,
        ret__period__start__gte=first,
        ret__period__start__lte=last,
        value__isnull=False,
    ).values_list("ret__subcontract__cvo_id", "value")
    for org, value in rows:
        totals[org] += value
    return dict(totals)


@dataclass
class ReviewRow:
    """One figure of a return beside what a reviewer weighs it against."""

    indicator: object
    value: object  # the ReturnValue, or None
    last_month: Decimal | None
    last_year: Decimal | None
    target: Decimal | None
    unusual: list = field(default_factory=list)  # the rules' warnings about this figure


def review_context(user, ret, warnings=()):
    """Each figure of `ret` beside the subcontract's approved figure for the month before and
    the same month a year before, and this period's target; `warnings` (the validation rules'
    messages about unusual figures) beside the figure each is about. Three queries."""
    start = ret.period.start
    before, year_ago = dates.add_months(start, -1), dates.shift_years(start, -1)
    earlier = {}
    for code, period_start, value in (
        ReturnValue.objects.visible_to(user)
        .filter(
            ret__subcontract_id=ret.subcontract_id,
            ret__status__in=PerformanceReturn.FROZEN,
            ret__period__start__in=[before, year_ago],
        )
        .values_list("indicator__code", "ret__period__start", "value")
    ):
        earlier[(code, period_start)] = value
    targets = dict(
        Target.objects.visible_to(user)
        .filter(period_id=ret.period_id)
        .values_list("indicator__code", "value")
    )
    values = {
        v.indicator_id: v
        for v in ReturnValue.objects.visible_to(user).filter(ret=ret).select_related("indicator")
    }
    by_code = defaultdict(list)
    for w in warnings:
        by_code[w.code].append(w.text)
    return [
        ReviewRow(
            indicator=i,
            value=values.get(i.pk),
            last_month=earlier.get((i.code, before)),
            last_year=earlier.get((i.code, year_ago)),
            target=targets.get(i.code),
            unusual=by_code.get(i.code, []),
        )
        for i in indicators_for(ret.consortium_id)
    ]
