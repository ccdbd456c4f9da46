"""Demo payment by results: three measures on the prime health-and-justice and probation
contracts, and claims in every state across the members — one with refused lines, one
capped — each act dated when it would have happened."""

import datetime
from decimal import Decimal

from django.utils import timezone

from contracts.models import Contract, OutcomeMeasure
from contracts.services import outcomes as pbr
from sample.consortium import on
from sample.contracts import claim_line, make_measure

D = Decimal


def _lines(prefix, start, n, events=1):
    """`n` lines from `start` (a date inside the measure and period)."""
    return [
        claim_line(
            f"{prefix}-{i:03d}",
            start + datetime.timedelta(days=i % 40),
            start + datetime.timedelta(days=i % 40 + 6),
            events,
            f"Service letter {i:03d}",
        )
        for i in range(n)
    ]


def _claim(
    measure,
    org,
    period,
    lines,
    *,
    by,
    status,
    lead,
    commissioner=None,
    refuse=(),
    engaged=None,
    eligible=None,
    sample=None,
):
    start, end = period
    if lines and lines[0][1] < measure.valid_from:
        shift = measure.valid_from - lines[0][1]
        lines = [(r, e + shift, o + shift, n, ev) for r, e, o, n, ev in lines]
    with on(end + datetime.timedelta(days=5)):
        claim = pbr.claim_start(by=by, measure=measure, claimant=org, period_start=start)
        for ref, e, o, n, evidence in lines:
            pbr.line_add(
                by=by,
                claim=claim,
                reference=ref,
                engagement_date=e,
                outcome_date=o,
                events=n,
                evidence_ref=evidence,
            )
        if engaged is not None:
            claim = pbr.claim_save_counts(by=by, claim=claim, eligible=eligible, engaged=engaged)
        if status == "draft":
            return claim
        claim = pbr.claim_submit(by=by, claim=claim)
    if status == "submitted":
        return claim
    with on(end + datetime.timedelta(days=12)):
        if status == "rejected":
            return pbr.claim_reject(
                by=lead,
                claim=claim,
                reason="The evidence letters are not from the onward service; resubmit with them.",
            )
        if sample:
            claim = pbr.claim_draw_sample(by=lead, claim=claim, size=sample[0], seed=sample[1])
            chosen = claim.lines.filter(in_sample=True)
        else:
            claim = pbr.claim_verify_every_line(by=lead, claim=claim)
            chosen = claim.lines.all()
        refused = {pbr.participant_hash(claim.consortium_id, r) for r in refuse}
        for line in list(chosen):
            if line.participant in refused:
                pbr.line_decide(
                    by=lead,
                    line=line,
                    decision="refused",
                    note="No confirmation from the service that they attended.",
                )
            else:
                pbr.line_decide(by=lead, line=line, decision="verified")
        claim = pbr.claim_verify(by=lead, claim=claim)
    if status == "verified":
        return claim
    with on(end + datetime.timedelta(days=20)):
        claim = pbr.claim_approve(by=commissioner, claim=claim)
    if status == "approved":
        return claim
    paid_on = end + datetime.timedelta(days=30)
    with on(paid_on):
        pbr.claim_pay(by=lead, claim=claim, paid_on=paid_on, reference=f"BACS-PBR-{claim.pk}")
    return claim


def seed(ctx):
    nhs = Contract.objects.filter(consortium=ctx.consortium, reference="NHS-HJ-001").first()
    probation = Contract.objects.filter(consortium=ctx.consortium, reference="PRB-MH-014").first()
    if nhs is None or probation is None:
        return
    if OutcomeMeasure.objects.filter(consortium=ctx.consortium, code="MH28").exists():
        return
    o, u = ctx.orgs, ctx.users
    lead, comm = u["lead"], u["commissioner"]
    cvo_people = {"women": u["cvo1"], "recovery": u["cvo2"]}
    with on(nhs.start - datetime.timedelta(days=10)):
        mh28 = make_measure(
            nhs,
            [o["women"], o["recovery"], o["housing"], o["advocacy"]],
            by=lead,
            code="MH28",
            name="Engaged with community mental health within 28 days",
            definition="A person referred by the liaison and diversion service who attends a "
            "community mental-health appointment within 28 days of referral. Counts once per "
            "person in the contract year.",
            evidence_required="The community team's confirmation of attendance (letter or "
            "record reference).",
            tariff=D("250.00"),
            window_days=28,
            period_cap=D("5000.00"),
            contract_cap=D("20000.00"),
        )
        appt = make_measure(
            nhs,
            [o["women"], o["recovery"]],
            by=lead,
            code="APPT1",
            name="First appointment with an onward service",
            definition="Attended a first appointment with an onward service (housing, "
            "substance misuse, women's centre) within 14 days of engagement.",
            evidence_required="The onward service's appointment record.",
            rule=OutcomeMeasure.Rule.PER_EVENT,
            tariff=D("75.00"),
            cap_per_participant=1,
            window_days=14,
            contract_cap=D("6000.00"),
        )
    with on(probation.start - datetime.timedelta(days=10)):
        cohort = make_measure(
            probation,
            [(o["lead"], D("70")), (o["recovery"], D("30"))],
            by=lead,
            code="COH-Q",
            name="Quarterly cohort engaged in treatment",
            definition="Of a quarter's engaged people on probation, those still engaged in "
            "mental-health or substance-misuse treatment 12 weeks later, against a baseline "
            "of 30% from the areas not yet served.",
            evidence_required="Treatment provider's 12-week engagement confirmation.",
            validation_method=OutcomeMeasure.Validation.COMPARISON_GROUP,
            rule=OutcomeMeasure.Rule.COHORT,
            tariff=D("400.00"),
            baseline_percent=D("30"),
            hurdle_percent=D("35"),
            window_days=None,
            period_cap=D("8000.00"),
            attribution=OutcomeMeasure.Attribution.SHARES,
        )
    today = timezone.localdate()
    done = [p for p in pbr.claim_periods(mh28) if p[1] + datetime.timedelta(days=30) < today]
    if len(done) < 2:
        return
    p0, p1 = done[0], done[1]
    common = {"lead": lead, "commissioner": comm}
    _claim(
        mh28,
        o["women"],
        p0,
        _lines("LWC", p0[0], 8),
        by=cvo_people["women"],
        status="paid",
        refuse=["LWC-003"],
        engaged=20,
        eligible=31,
        **common,
    )
    _claim(
        mh28,
        o["recovery"],
        p0,
        _lines("CRS", p0[0], 16),
        by=cvo_people["recovery"],
        status="approved",
        engaged=24,
        eligible=30,
        **common,
    )
    _claim(
        appt,
        o["women"],
        p1,
        _lines("LWC-A", p1[0], 24),
        by=cvo_people["women"],
        status="verified",
        sample=(6, 20260701),
        **common,
    )
    _claim(
        appt,
        o["recovery"],
        p1,
        _lines("CRS-A", p1[0], 12),
        by=cvo_people["recovery"],
        status="submitted",
        **common,
    )
    _claim(
        mh28,
        o["recovery"],
        p1,
        _lines("CRS-B", p1[0], 5),
        by=cvo_people["recovery"],
        status="rejected",
        **common,
    )
    _claim(
        mh28,
        o["women"],
        p1,
        _lines("LWC-B", p1[0], 4),
        by=cvo_people["women"],
        status="draft",
        **common,
    )
    cohort_periods = [
        p for p in pbr.claim_periods(cohort) if p[1] + datetime.timedelta(days=30) < today
    ]
    if cohort_periods:
        _claim(
            cohort,
            o["recovery"],
            cohort_periods[0],
            _lines("CRS-C", cohort_periods[0][0], 14),
            by=cvo_people["recovery"],
            status="verified",
            engaged=36,
            eligible=40,
            **common,
        )
