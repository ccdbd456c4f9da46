"""Reads over payment by results: the PbR statement, exposure (the share of income that
depends on outcomes), the "by verified outcomes" allocation figures and outcomes against
eligible and engaged participants.

Everything is read through `visible_to(user)`, so totals only ever cover rows the reader may
see, in a fixed number of queries whatever the number of claims and lines."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, Sum

from consortium import access, versions
from consortium.memo import once_per_request
from consortium.models import Organisation
from contracts.access.outcomes import claims_for
from contracts.models import ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
from contracts.models.outcomes import LINE_TALLIES
from contracts.services.outcomes import claim_periods
from funding import money
from funding.access import can_read_statements, can_see_allocations
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
    members: int = 0  # in a measure's summary row: how many members it sums


def statement_contracts(user):
    """[(contract id, reference)] of the contracts whose measures `user` may see, by
    reference: the statement's choice of contract."""
    return list(
        access.visible(OutcomeMeasure.objects.all(), user)
        .values_list("contract_id", "contract__reference")
        .distinct()
        .order_by("contract__reference")
    )


# Claims whose line tallies were fixed at approval (PbRClaim.lines_claimed and the rest): the
# statement sums those and counts lines only for the claims still open.
TALLIED = Q(status__in=LIVE, lines_claimed__isnull=False)


def open_claim_tallies(user, first, last):
    """For each visible claim whose period starts in [first, last] and whose lines are not yet
    tallied on it (`TALLIED`: approved claims keep theirs), its measure, member, contract and
    status, and its lines' tallies (`LINE_TALLIES`) over the lines `user` may see. One query,
    made once per request: the statement and its participants table both read it."""

    def count():
        open_claims = claims_in(user, first, last).exclude(TALLIED).values("pk")
        lines = ClaimLine.objects.visible_to(user).filter(claim__in=open_claims)
        return list(
            lines.values(
                "claim_id",
                "claim__status",
                "claim__measure__code",
                "claim__measure__contract_id",
                "claim__claimant__name",
            ).annotate(**LINE_TALLIES)
        )

    return once_per_request(("open_claim_tallies", user.pk, first, last), count)


def statement(user, first, last, contract=None):
    """A PbR statement: by measure and member, the lines claimed, verified and refused, and
    the amounts approved, capped, payable and paid. Two queries; the lines counted are only
    those of claims not yet approved (an approved claim's tallies are kept on it), and that
    count is shared with `achieved_against_engaged` (`open_claim_tallies`)."""
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
        claimed_lines=Sum("lines_claimed", filter=TALLIED),
        verified_lines=Sum("lines_verified", filter=TALLIED),
        refused_lines=Sum("lines_refused", filter=TALLIED),
    ):
        s = row(r["measure__code"], r["claimant__name"])
        s.claims += r["n"]
        s.claimed_lines += r["claimed_lines"] or 0
        s.verified_lines += r["verified_lines"] or 0
        s.refused_lines += r["refused_lines"] or 0
        if r["status"] in LIVE:
            s.approved += r["earned"] or ZERO
            s.payable += r["payable"] or ZERO
            s.capped += (r["earned"] or ZERO) - (r["payable"] or ZERO)
        if r["status"] == S.PAID:
            s.paid += r["payable"] or ZERO
    for r in open_claim_tallies(user, first, last):
        if contract is not None and r["claim__measure__contract_id"] != contract:
            continue
        s = row(r["claim__measure__code"], r["claim__claimant__name"])
        s.claimed_lines += r["lines_claimed"]
        s.verified_lines += r["lines_verified"]
        s.refused_lines += r["lines_refused"]
    out = sorted(rows.values(), key=lambda s: (s.measure, s.member))
    total = StatementRow("Total", "")
    for s in out:
        _add(total, s)
    return out, total


STATEMENT_FIGURES = (
    "claims",
    "claimed_lines",
    "verified_lines",
    "refused_lines",
    "approved",
    "payable",
    "capped",
    "paid",
)


def _add(into, row):
    for name in STATEMENT_FIGURES:
        setattr(into, name, getattr(into, name) + getattr(row, name))


def statement_by_measure(rows):
    """The statement's rows (`statement`) summed by measure, in measure order, each with the
    number of members it sums (`members`): the statement's summary, which agrees with its
    member rows and its total because it is made from them."""
    out = {}
    for r in rows:
        s = out.setdefault(r.measure, StatementRow(r.measure, ""))
        s.members += 1
        _add(s, r)
    return list(out.values())


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
    # Participants are counted claim by claim (as `engaged` is): an approved claim's counts
    # were fixed at approval; the open claims' lines are counted below.
    for r in claims.values("measure__code", "claimant__name").annotate(
        eligible=Sum("eligible"),
        engaged=Sum("engaged"),
        claimed=Sum("participants_claimed", filter=TALLIED),
        verified=Sum("participants_verified", filter=TALLIED),
    ):
        out[(r["measure__code"], r["claimant__name"])] = {
            "measure": r["measure__code"],
            "member": r["claimant__name"],
            "eligible": r["eligible"],
            "engaged": r["engaged"],
            "claimed": r["claimed"] or 0,
            "verified": r["verified"] or 0,
        }
    for r in open_claim_tallies(user, first, last):
        if r["claim__status"] == S.REJECTED:
            continue
        item = out.get((r["claim__measure__code"], r["claim__claimant__name"]))
        if item:
            item["claimed"] += r["participants_claimed"]
            item["verified"] += r["participants_verified"]
    for item in out.values():
        engaged = item["engaged"]
        item["rate"] = (
            (Decimal(item["verified"]) * HUNDRED / Decimal(engaged)).quantize(Decimal("0.1"))
            if engaged
            else None
        )
    return sorted(out.values(), key=lambda i: (i["measure"], i["member"]))


# --- exposure ------------------------------------------------------------------------------

# Why a reader's exposure figures can be partial, said beside the figures.
BLOCK_HIDDEN = (
    "Block income comes from approved allocations, which you do not see, so the share of "
    "income that depends on outcomes is not worked out here: ask the consortium lead."
)
MEASURES_LIMITED = (
    "Over the outcome measures of the contracts you may see: a member may also be paid by "
    "results under other contracts, which these figures leave out."
)


@dataclass
class Exposure:
    name: str
    organisation_id: int | None = None
    # Expected income from approved allocations in the window; None where the reader may not
    # see allocations (then no share is worked out, rather than a false 100%).
    block: Decimal | None = ZERO
    pbr_max: Decimal = ZERO  # the most outcomes can earn under the caps
    earned: Decimal = ZERO  # approved and paid claims so far
    uncapped: list = field(default_factory=list)  # measures without a cap (no maximum)
    limited: bool = False  # over only the measures the reader may see

    @property
    def expected(self):
        if self.block is None:
            return None
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


@dataclass
class ExposureFigures:
    """Exposure for one window as one reader sees it: the consortium row, a row per member
    the reader may see, and the sentences that say where the reader's view is limited."""

    whole: Exposure
    members: list
    notes: list = field(default_factory=list)

    def member(self, organisation_id):
        return next((r for r in self.members if r.organisation_id == organisation_id), None)


def _overlap_days(a_start, a_end, b_start, b_end):
    return max(0, (min(a_end, b_end) - max(a_start, b_start)).days + 1)


def _measure_max(measure, first, last):
    """The most a measure can pay in [first, last]: its period cap for each claim period that
    starts in the window, within its contract cap. None if it has neither cap."""

    periods = [p for p in claim_periods(measure) if first <= p[0] <= last]
    candidates = []
    if measure.period_cap is not None:
        candidates.append(measure.period_cap * len(periods))
    if measure.contract_cap is not None:
        candidates.append(measure.contract_cap)
    return min(candidates) if candidates else None


def _cap_parts(measures, caps):
    """{measure id: {organisation id: its part of the measure's maximum}}: equal parts for a
    measure claimed by engagement, the stated shares otherwise.

    Every member named on the measure counts, including those the reader may not see: how a
    measure's maximum is divided is a term of the measure, not something that changes with
    who looks (a member that sees only its own row would otherwise be given the whole
    maximum). Only the division is used; the rows shown are those `visible_to` the reader."""
    weights = defaultdict(dict)
    by_pk = {m.pk: m for m in measures}
    for measure_id, org_id, share in MeasureClaimant.objects.filter(
        measure__in=list(by_pk)
    ).values_list("measure_id", "organisation_id", "share_percent"):
        shares = by_pk[measure_id].attribution == OutcomeMeasure.Attribution.SHARES
        weights[measure_id][org_id] = (share or ZERO) if shares else Decimal(1)
    parts = {}
    for measure_id, w in weights.items():
        cap = caps[measure_id]
        if cap is None or not sum(w.values()):
            parts[measure_id] = {}
            continue
        parts[measure_id] = money.split(cap, [money.Share(k, v, str(k), k) for k, v in w.items()])
    return parts


EXPOSURE = "contracts.exposure"
# Every model whose rows exposure reads (or whose change moves what a reader may see of them):
# a write to any of them gives exposure a new version, in the writing transaction.
EXPOSURE_INPUTS = (
    "consortium.Organisation",
    "consortium.Membership",
    "contracts.Contract",
    "contracts.OutcomeMeasure",
    "contracts.MeasureClaimant",
    "contracts.PbRClaim",
    "contracts.ClaimLine",
    "funding.Allocation",
    "funding.AllocationLine",
)


def exposure(user, first, last) -> ExposureFigures:
    """PbR exposure for the window [first, last] as `user` may see it: the one place the
    figure is worked out, for the exposure page, the PbR and allocation statements, the
    runway, the dashboards and the assurance pack. Kept in the cache for each set of roles
    and window until one of its inputs (EXPOSURE_INPUTS) is written."""
    a = access.actor(user)
    if a.consortium_id is None:
        return _exposure(user, first, last)
    scope = sorted((role, sorted(orgs)) for role, orgs in a.roles.items())
    return versions.cached(
        EXPOSURE, a.consortium_id, [scope, first, last], lambda: _exposure(user, first, last)
    )


def _exposure_inputs_changed(sender, instance, **kwargs):
    # An organisation may belong to more than one consortium: its name is in each one's. A row
    # deleted with the row its consortium is read through: every consortium's, to be safe.
    consortium_id = None
    if sender._meta.label != "consortium.Organisation":
        try:
            consortium_id = instance.consortium_pk()
        except ObjectDoesNotExist:
            pass
    versions.bump(EXPOSURE, consortium_id)


def connect():
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for label in EXPOSURE_INPUTS:
        model = apps.get_model(label)
        post_save.connect(_exposure_inputs_changed, sender=model, dispatch_uid=f"exposure:{label}")
        post_delete.connect(
            _exposure_inputs_changed, sender=model, dispatch_uid=f"exposure:{label}:gone"
        )


def _exposure(user, first, last) -> ExposureFigures:
    """Exposure worked out from the rows: see exposure().

    Exposure = the most outcomes can earn under the caps ÷ (block income from approved
    allocations in the window + that maximum). A member row per organisation that may claim a
    visible measure; the consortium row counts each measure's maximum once (the lead's
    management fee included in its block income). A reader who may not see allocations gets
    no block income and no share, and a reader who sees only some contracts' measures gets
    the figures over those, each said in `notes`."""
    a = access.actor(user)
    sees_block = can_read_statements(user)
    whole = Exposure("The consortium", block=ZERO if can_see_allocations(user) else None)
    whole.limited = not a.oversees_consortium
    measures = list(
        OutcomeMeasure.objects.visible_to(user).filter(
            status=OutcomeMeasure.Status.PUBLISHED, valid_from__lte=last, valid_to__gte=first
        )
    )
    if not measures:
        return ExposureFigures(whole, [])
    caps = {m.pk: _measure_max(m, first, last) for m in measures}
    codes = {m.pk: m.code for m in measures}
    parts = _cap_parts(measures, caps)
    rows = {}

    def row(org_id):
        if org_id not in rows:
            rows[org_id] = Exposure(
                "",
                org_id,
                block=ZERO if sees_block else None,
                limited=not (a.oversees_consortium or claims_for(user, org_id)),
            )
        return rows[org_id]

    for m in measures:
        if caps[m.pk] is None:
            whole.uncapped.append(m.code)
        else:
            whole.pbr_max += caps[m.pk]
    for c in MeasureClaimant.objects.visible_to(user).filter(measure__in=measures):
        r = row(c.organisation_id)
        if caps[c.measure_id] is None:
            r.uncapped.append(codes[c.measure_id])
        else:
            r.pbr_max += parts[c.measure_id].get(c.organisation_id, ZERO)
    for r in (
        PbRClaim.objects.visible_to(user)
        .filter(status__in=LIVE, period_start__gte=first, period_start__lte=last)
        .values("claimant_id")
        .annotate(t=Sum("payable_amount"))
    ):
        row(r["claimant_id"]).earned += r["t"] or ZERO
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
    for al in allocations:
        key = (al["stream_id"], al["period_start"], al["period_end"])
        if key not in seen:
            seen.add(key)
            latest[al["pk"]] = al
    for line in (
        AllocationLine.objects.visible_to(user)
        .filter(allocation__in=list(latest))
        .values("allocation_id", "organisation_id")
        .annotate(t=Sum("amount"))
    ):
        al = latest[line["allocation_id"]]
        days = (al["period_end"] - al["period_start"]).days + 1
        inside = _overlap_days(al["period_start"], al["period_end"], first, last)
        amount = money.to_money(line["t"] * inside / days)
        if whole.block is not None:
            whole.block += amount
        r = rows.get(line["organisation_id"])
        if r is not None and r.block is not None:
            r.block += amount
    names = dict(
        Organisation.objects.visible_to(user).filter(pk__in=list(rows)).values_list("pk", "name")
    )
    for k, r in rows.items():
        r.name = names.get(k, f"#{k}")
    members = sorted(rows.values(), key=lambda r: r.name)
    notes = []
    if not sees_block:
        notes.append(BLOCK_HIDDEN)
    if any(r.limited for r in members):
        notes.append(MEASURES_LIMITED)
    return ExposureFigures(whole, members, notes)


def period_label(first: datetime.date, last: datetime.date) -> str:
    return f"{first:%-d %b %Y} to {last:%-d %b %Y}"
