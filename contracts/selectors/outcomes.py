"""Reads over payment by results: the PbR statement, exposure (the share of income that
depends on outcomes), the "by verified outcomes" allocation figures and outcomes against
eligible and engaged participants.

Everything is read through `visible_to(user)`, so totals only ever cover rows the reader may
see, in a fixed number of queries whatever the number of claims and lines."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from consortium.models import Organisation
from contracts.models import ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
from funding import money
from funding.models import Allocation, AllocationLine
from funding.money import ZERO

S = PbRClaim.Status
LIVE = (S.APPROVED, S.PAID)
HUNDRED = Decimal(100)


def claims_in(user, first, last):
    """Visible claims whose period starts within [first, last]."""
    return PbRClaim.objects.visible_to(user).filter(period_start__gte=first, period_start__lte=last)


@dataclass
class StatementRow:
    measure: str
    member: str
    claims: int = 0
    claimed_lines: int = 0
    verified_lines: int = 0
    refused_lines: int = 0
    approved: Decimal = ZERO  # earned by approved and paid claims, before caps
    payable: Decimal = ZERO
    capped: Decimal = ZERO
    paid: Decimal = ZERO


def statement(user, first, last, contract=None):
    """A PbR statement: by measure and member, the lines claimed, verified and refused, and
    the amounts approved, capped, payable and paid. Three queries."""
    claims = claims_in(user, first, last)
    if contract is not None:
        claims = claims.filter(measure__contract=contract)
    rows = {}

    def row(code, member):
        return rows.setdefault((code, member), StatementRow(code, member))

    for r in claims.values("measure__code", "claimant__name", "status").annotate(
        n=Count("id"),
        earned=Sum("earned_amount"),
        payable=Sum("payable_amount"),
    ):
        s = row(r["measure__code"], r["claimant__name"])
        s.claims += r["n"]
        if r["status"] in LIVE:
            s.approved += r["earned"] or ZERO
            s.payable += r["payable"] or ZERO
            s.capped += (r["earned"] or ZERO) - (r["payable"] or ZERO)
        if r["status"] == S.PAID:
            s.paid += r["payable"] or ZERO
    lines = ClaimLine.objects.visible_to(user).filter(claim__in=claims.values("pk"))
    for r in lines.values("claim__measure__code", "claim__claimant__name", "status").annotate(
        n=Count("id")
    ):
        s = row(r["claim__measure__code"], r["claim__claimant__name"])
        s.claimed_lines += r["n"]
        if r["status"] == ClaimLine.Status.VERIFIED:
            s.verified_lines += r["n"]
        elif r["status"] == ClaimLine.Status.REFUSED:
            s.refused_lines += r["n"]
    out = sorted(rows.values(), key=lambda s: (s.measure, s.member))
    total = StatementRow("Total", "")
    for s in out:
        for name in (
            "claims",
            "claimed_lines",
            "verified_lines",
            "refused_lines",
            "approved",
            "payable",
            "capped",
            "paid",
        ):
            setattr(total, name, getattr(total, name) + getattr(s, name))
    return out, total


def outcome_figures(user, first, last):
    """{organisation id: verified lines in approved or paid claims} whose period starts in
    [first, last]: the figures for an allocation "by verified outcomes"."""
    figures = defaultdict(lambda: ZERO)
    rows = (
        ClaimLine.objects.visible_to(user)
        .filter(
            status=ClaimLine.Status.VERIFIED,
            claim__status__in=LIVE,
            claim__period_start__gte=first,
            claim__period_start__lte=last,
        )
        .values("claim__claimant_id")
        .annotate(n=Count("id"))
    )
    for r in rows:
        figures[r["claim__claimant_id"]] += Decimal(r["n"])
    return dict(figures)


def achieved_against_engaged(user, first, last):
    """By measure and member: eligible, engaged, claimed and verified participants, side by
    side, so that claiming only the easy cases shows."""
    claims = claims_in(user, first, last).exclude(status=S.REJECTED)
    out = {}
    for r in claims.values("measure__code", "claimant__name").annotate(
        eligible=Sum("eligible"), engaged=Sum("engaged")
    ):
        out[(r["measure__code"], r["claimant__name"])] = {
            "measure": r["measure__code"],
            "member": r["claimant__name"],
            "eligible": r["eligible"],
            "engaged": r["engaged"],
            "claimed": 0,
            "verified": 0,
        }
    lines = ClaimLine.objects.visible_to(user).filter(claim__in=claims.values("pk"))
    for r in lines.values("claim__measure__code", "claim__claimant__name").annotate(
        n=Count("participant", distinct=True),
        v=Count("participant", distinct=True, filter=Q(status=ClaimLine.Status.VERIFIED)),
    ):
        item = out.get((r["claim__measure__code"], r["claim__claimant__name"]))
        if item:
            item["claimed"], item["verified"] = r["n"], r["v"]
    for item in out.values():
        engaged = item["engaged"]
        item["rate"] = (
            (Decimal(item["verified"]) * HUNDRED / Decimal(engaged)).quantize(Decimal("0.1"))
            if engaged
            else None
        )
    return sorted(out.values(), key=lambda i: (i["measure"], i["member"]))


# --- exposure ------------------------------------------------------------------------------


@dataclass
class Exposure:
    name: str
    organisation_id: int | None = None
    block: Decimal = ZERO  # expected income from approved allocations in the window
    pbr_max: Decimal = ZERO  # the most outcomes can earn under the caps
    earned: Decimal = ZERO  # approved and paid claims so far
    uncapped: list = field(default_factory=list)  # measures without a cap (no maximum)

    @property
    def expected(self):
        return self.block + self.pbr_max

    @property
    def share_percent(self):
        if not self.expected:
            return None
        return (self.pbr_max * HUNDRED / self.expected).quantize(Decimal("0.1"))

    @property
    def earned_percent(self):
        if not self.pbr_max:
            return None
        return (self.earned * HUNDRED / self.pbr_max).quantize(Decimal("0.1"))


def _overlap_days(a_start, a_end, b_start, b_end):
    return max(0, (min(a_end, b_end) - max(a_start, b_start)).days + 1)


def _measure_max(measure, first, last):
    """The most a measure can pay in [first, last]: its period cap for each claim period that
    starts in the window, within its contract cap. None if it has neither cap."""
    from contracts.services.outcomes import claim_periods

    periods = [p for p in claim_periods(measure) if first <= p[0] <= last]
    candidates = []
    if measure.period_cap is not None:
        candidates.append(measure.period_cap * len(periods))
    if measure.contract_cap is not None:
        candidates.append(measure.contract_cap)
    return min(candidates) if candidates else None


def exposure(user, first, last):
    """(consortium row, [member rows]) of PbR exposure for the window [first, last]. A member
    row per organisation that may claim a visible measure; the consortium row adds them up
    (the lead's management fee included in its block income)."""
    measures = list(
        OutcomeMeasure.objects.visible_to(user).filter(
            status=OutcomeMeasure.Status.PUBLISHED, valid_from__lte=last, valid_to__gte=first
        )
    )
    if not measures:
        return Exposure("The consortium"), []
    claimants = defaultdict(list)
    for c in MeasureClaimant.objects.visible_to(user).filter(measure__in=measures):
        claimants[c.measure_id].append(c)
    rows = {}
    names = {}
    whole = Exposure("The consortium")
    for m in measures:
        cap = _measure_max(m, first, last)
        if cap is None:
            whole.uncapped.append(m.code)
        else:
            whole.pbr_max += cap
        members = claimants[m.pk]
        if not members:
            continue
        if m.attribution == OutcomeMeasure.Attribution.SHARES:
            weights = {c.organisation_id: c.share_percent or ZERO for c in members}
        else:
            weights = {c.organisation_id: Decimal(1) for c in members}
        parts = (
            money.split(cap, [money.Share(k, w, str(k), k) for k, w in weights.items()])
            if cap is not None and sum(weights.values())
            else {}
        )
        for c in members:
            r = rows.setdefault(c.organisation_id, Exposure("", c.organisation_id))
            if cap is None:
                r.uncapped.append(m.code)
            else:
                r.pbr_max += parts.get(c.organisation_id, ZERO)
    for r in (
        PbRClaim.objects.visible_to(user)
        .filter(status__in=LIVE, period_start__gte=first, period_start__lte=last)
        .values("claimant_id")
        .annotate(t=Sum("payable_amount"))
    ):
        rows.setdefault(r["claimant_id"], Exposure("", r["claimant_id"])).earned += r["t"] or ZERO
        whole.earned += r["t"] or ZERO
    # Block income: each member's lines in the latest approved version of each pot that
    # overlaps the window, in proportion to the days inside it.
    allocations = (
        Allocation.objects.visible_to(user)
        .filter(status=Allocation.Status.APPROVED, period_start__lte=last, period_end__gte=first)
        .order_by("stream_id", "period_start", "period_end", "-revision")
        .values("pk", "stream_id", "period_start", "period_end")
    )
    latest, seen = {}, set()
    for a in allocations:
        key = (a["stream_id"], a["period_start"], a["period_end"])
        if key not in seen:
            seen.add(key)
            latest[a["pk"]] = a
    for line in (
        AllocationLine.objects.visible_to(user)
        .filter(allocation__in=list(latest))
        .values("allocation_id", "organisation_id")
        .annotate(t=Sum("amount"))
    ):
        a = latest[line["allocation_id"]]
        days = (a["period_end"] - a["period_start"]).days + 1
        inside = _overlap_days(a["period_start"], a["period_end"], first, last)
        amount = money.to_money(line["t"] * inside / days)
        whole.block += amount
        if line["organisation_id"] in rows:
            rows[line["organisation_id"]].block += amount
    names = dict(Organisation.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
    for k, r in rows.items():
        r.name = names.get(k, f"#{k}")
    return whole, sorted(rows.values(), key=lambda r: r.name)


def period_label(first: datetime.date, last: datetime.date) -> str:
    return f"{first:%-d %b %Y} to {last:%-d %b %Y}"
