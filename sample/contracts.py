"""Contracts: agreements (contracts, subcontracts, variations) and performance returns
(indicators, reporting periods, returns and their values, targets, report templates). A
return moves through its workflow by contracts.services.returns whenever its people exist."""

import datetime
from decimal import Decimal

import factory

from consortium.dates import month_end
from consortium.models import Organisation, Role, RoleAssignment
from contracts.models import (
    CommissionerTemplate,
    Contract,
    Indicator,
    OutcomeMeasure,
    PerformanceReturn,
    ReportingPeriod,
    ReturnValue,
    Subcontract,
    Target,
    TemplateField,
    Variation,
)
from contracts.services import assurance as pack_svc
from contracts.services import outcomes as pbr
from contracts.services import returns as return_services
from sample.consortium import ConsortiumFactory, OrganisationFactory, on, person
from sample.funding import make_allocation, make_payment, make_stream

PRIVATE_B = "SENTINEL-B-PRIVATE"

# --- agreements ------------------------------------------------------------------------------


class ContractFactory(factory.django.DjangoModelFactory):
    """A commissioner's contract with the lead, for a year from 1 April."""

    class Meta:
        model = Contract

    consortium = factory.SubFactory(ConsortiumFactory)
    reference = factory.Sequence(lambda n: f"C-{n}")
    title = factory.LazyAttribute(lambda c: f"Contract {c.reference}")
    commissioner = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.COMMISSIONER)
    lead = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.LEAD_AGENCY)
    value = Decimal("500000.00")
    start = datetime.date(2026, 4, 1)
    end = datetime.date(2027, 3, 31)


class SubcontractFactory(factory.django.DjangoModelFactory):
    """The lead's subcontract with a CVO under a contract, for the contract's term."""

    class Meta:
        model = Subcontract

    contract = factory.SubFactory(ContractFactory)
    consortium = factory.SelfAttribute("contract.consortium")
    reference = factory.Sequence(lambda n: f"S-{n}")
    title = factory.LazyAttribute(lambda s: f"Subcontract {s.reference}")
    lead = factory.SelfAttribute("contract.lead")
    cvo = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.CVO)
    value = Decimal("100000.00")
    start = factory.SelfAttribute("contract.start")
    end = factory.SelfAttribute("contract.end")


class VariationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variation

    consortium = factory.SubFactory(ConsortiumFactory)
    effective_date = datetime.date(2026, 6, 1)
    reason = "Hours changed."


def make_agreements(consortium, commissioner, lead, cvo, ref, special=""):
    contract = ContractFactory(
        consortium=consortium,
        reference=f"C-{ref}",
        title=f"Contract {ref}",
        commissioner=commissioner,
        lead=lead,
    )
    sub = SubcontractFactory(
        contract=contract,
        reference=f"S-{ref}",
        title=f"Subcontract {ref}",
        cvo=cvo,
        special_terms=special,
    )
    return contract, sub


# --- returns ---------------------------------------------------------------------------------


class IndicatorFactory(factory.django.DjangoModelFactory):
    """A count, summed, higher is better; a days measure is averaged, lower is better."""

    class Meta:
        model = Indicator

    consortium = factory.SubFactory(ConsortiumFactory)
    code = factory.Sequence(lambda n: f"IND_{n:02d}")
    name = factory.LazyAttribute(lambda i: f"Indicator {i.code}")
    definition = factory.LazyAttribute(
        lambda i: f"Definition of {i.name.lower()}: what counts and what does not."
    )
    unit = "count"
    aggregation = factory.LazyAttribute(lambda i: "mean" if i.unit == "days" else "sum")
    direction = factory.LazyAttribute(lambda i: "lower" if i.unit == "days" else "higher")
    logic_stage = "output"


class ReportingPeriodFactory(factory.django.DjangoModelFactory):
    """A calendar month, due ten working days after it ends."""

    class Meta:
        model = ReportingPeriod

    subcontract = factory.SubFactory(SubcontractFactory)
    consortium = factory.SelfAttribute("subcontract.consortium")
    start = datetime.date(2026, 4, 1)
    end = factory.LazyAttribute(lambda p: month_end(p.start))
    due_working_days = 10


class PerformanceReturnFactory(factory.django.DjangoModelFactory):
    """A draft return for a period. Other states come through the services: see make_return."""

    class Meta:
        model = PerformanceReturn

    period = factory.SubFactory(ReportingPeriodFactory)
    subcontract = factory.SelfAttribute("period.subcontract")
    consortium = factory.SelfAttribute("period.consortium")
    status = PerformanceReturn.Status.DRAFT


class ReturnValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnValue

    ret = factory.SubFactory(PerformanceReturnFactory)
    consortium = factory.SelfAttribute("ret.consortium")
    indicator = factory.SubFactory(
        IndicatorFactory, consortium=factory.SelfAttribute("..consortium")
    )
    value = Decimal("0")


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    period = factory.SubFactory(ReportingPeriodFactory)
    consortium = factory.SelfAttribute("period.consortium")
    indicator = factory.SubFactory(
        IndicatorFactory, consortium=factory.SelfAttribute("..consortium")
    )
    value = Decimal("0")


class CommissionerTemplateFactory(factory.django.DjangoModelFactory):
    """A commissioner's report layout, filled from the indicator library."""

    class Meta:
        model = CommissionerTemplate

    consortium = factory.SubFactory(ConsortiumFactory)
    commissioner = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.COMMISSIONER)
    name = factory.Sequence(lambda n: f"Monthly report {n}")


class TemplateFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateField

    template = factory.SubFactory(CommissionerTemplateFactory)
    consortium = factory.SelfAttribute("template.consortium")
    group = "Activity"
    label = factory.Sequence(lambda n: f"Field {n}")
    indicator = factory.SubFactory(
        IndicatorFactory, consortium=factory.SelfAttribute("..consortium")
    )


STARTER_INDICATORS = [
    # code, name, unit, required, not_more_than, breakdown_of, group, pathway stage
    ("REF", "Referrals received", "count", True, None, None, "", "identified"),
    ("REF_POLICE", "Referrals from police custody", "count", False, None, "REF", "setting", ""),
    ("REF_COURT", "Referrals from courts", "count", False, None, "REF", "setting", ""),
    ("SCR", "Screened", "count", True, "REF", None, "", "screened"),
    ("ASS", "Assessed", "count", False, "SCR", None, "", "assessed"),
    ("DIV", "Diverted", "count", False, "ASS", None, "", "diverted"),
    ("WOMEN", "Women referred", "count", False, None, "REF", "", ""),
    ("WAIT", "Waiting days from referral to assessment", "days", False, None, None, "", ""),
]


# The fields of each STARTER_INDICATORS row, in order.
STARTER_FIELDS = (
    "code",
    "name",
    "unit",
    "required",
    "not_more_than",
    "breakdown_of",
    "breakdown_group",
    "pathway_stage",
)


def make_indicators(consortium, spec=STARTER_INDICATORS, fields=STARTER_FIELDS):
    """{code: Indicator} from `spec`, rows of the Indicator `fields` named in order (the demo's
    library has more of them): `not_more_than` and `breakdown_of` name the code of a row
    before."""
    made = {}
    for pos, row in enumerate(spec):
        values = dict(zip(fields, row, strict=True))
        values["not_more_than"] = made.get(values.get("not_more_than"))
        values["breakdown_of"] = made.get(values.get("breakdown_of"))
        made[values["code"]] = IndicatorFactory(consortium=consortium, position=pos, **values)
    return made


def make_period(sub, start, end=None, working_days=10):
    return ReportingPeriodFactory(
        subcontract=sub, start=start, end=end or month_end(start), due_working_days=working_days
    )


def _holder(sub, org, role):
    assignment = (
        RoleAssignment.objects.filter(consortium=sub.consortium, organisation=org, role=role)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return assignment.user if assignment else None


def return_through_workflow(
    period,
    values,
    *,
    by,
    approver=None,
    status="submitted",
    narrative="",
    notes=None,
    submitted_on=None,
    approved_on=None,
):
    """A return for `period` filled in and submitted by `by` (warnings confirmed), then
    approved by `approver` (status "approved") and locked by them (status "locked"), each act
    through the service and, when a date is given, on that date."""
    from contextlib import nullcontext

    def when(day):
        return on(day) if day else nullcontext()

    with when(submitted_on):
        ret = return_services.return_start(period=period, by=by)
        return_services.return_save_draft(
            ret=ret,
            by=by,
            values={c: None if v is None else Decimal(str(v)) for c, v in values.items()},
            notes=notes,
            narrative=narrative,
        )
        if status != "draft":
            return_services.return_submit(ret=ret, by=by, confirm_warnings=True)
    if status in ("approved", "locked"):
        with when(approved_on):
            return_services.return_approve(ret=ret, by=approver)
            if status == "locked":
                return_services.return_lock(ret=ret, by=approver)
    ret.refresh_from_db()
    return ret


def make_return(sub, period, values=None, status="draft", narrative="", notes=None, **kw):
    """A return in `status`. A submitted, approved or locked return whose subcontractor has a
    CVO manager (and, once reviewed, whose lead has a lead) is filled in, submitted and
    approved through the services, by them; a draft, or another consortium's bare world, is
    written as it stands."""
    submitter = kw.pop("by", None) or _holder(sub, sub.cvo, Role.CVO_MANAGER)
    approver = kw.pop("approver", None) or _holder(sub, sub.lead, Role.LEAD)
    reviewed = status in ("approved", "locked")
    moved = status in ("submitted", "approved", "locked")
    if moved and not kw and submitter and (approver or not reviewed):
        return return_through_workflow(
            period,
            values or {},
            by=submitter,
            approver=approver,
            status=status,
            narrative=narrative,
            notes=notes,
        )
    ret = PerformanceReturnFactory(
        subcontract=sub, period=period, status=status, narrative=narrative, **kw
    )
    inds = {i.code: i for i in Indicator.objects.filter(consortium=sub.consortium)}
    ReturnValue.objects.bulk_create(
        ReturnValueFactory.build(
            ret=ret,
            indicator=inds[code],
            value=None if v is None else Decimal(str(v)),
            note=(notes or {}).get(code, ""),
        )
        for code, v in (values or {}).items()
    )
    if status in PerformanceReturn.FROZEN:
        return_services.latest_returns_refresh(subcontract_ids=[sub.pk])
    return ret


GOOD_VALUES = {
    "REF": 40,
    "REF_POLICE": 25,
    "REF_COURT": 15,
    "SCR": 38,
    "ASS": 30,
    "DIV": 12,
    "WOMEN": 10,
    "WAIT": "3.5",
}


# --- the standard world's money and returns ----------------------------------------------------


def build_money(w):
    """Money for the standard world: streams, allocations (approved, a draft v2, one with only
    CVO B), payments, contracts and subcontracts at home and away. CVO B's private data
    carries PRIVATE_B; the home consortium keeps allocations closed-book so CVO A must not
    see B's line."""
    o = w.orgs
    w.home.open_book_allocations = False
    w.home.save()
    m = {}
    m["stream"] = make_stream(w.home, o["commissioner"], "Home NHS stream")
    m["stream_other"] = make_stream(w.home, o["lead"], "Lead's own trust grant", amount="5000.00")
    m["alloc"] = make_allocation(
        m["stream"],
        [
            (o["lead"], "12000.00", "Management fee"),
            (o["cvo_a"], "60000.00", "A's share"),
            (o["cvo_b"], "48000.00", f"B's share {PRIVATE_B}"),
        ],
        by=w.users["lead"],
    )
    m["draft"] = make_allocation(
        m["stream"],
        [(o["cvo_a"], "70000.00", "A"), (o["cvo_b"], "50000.00", f"B {PRIVATE_B}")],
        approved=False,
        revision=2,
    )
    m["alloc_b_only"] = make_allocation(
        m["stream_other"], [(o["cvo_b"], "5000.00", f"B only {PRIVATE_B}")], by=w.users["lead"]
    )
    m["pay_a"] = make_payment(
        m["alloc"], o["cvo_a"], "5000.00", datetime.date(2026, 5, 1), by=w.users["lead"]
    )
    m["pay_b"] = make_payment(
        m["alloc"],
        o["cvo_b"],
        "4000.00",
        datetime.date(2026, 5, 1),
        status="paid",
        paid_on=datetime.date(2026, 5, 2),
        reference=PRIVATE_B,
        by=w.users["lead"],
    )
    m["contract"], m["sub_a"] = make_agreements(
        w.home, o["commissioner"], o["lead"], o["cvo_a"], "A"
    )
    m["contract_b"], m["sub_b"] = make_agreements(
        w.home, o["lead"], o["lead"], o["cvo_b"], "B", special=PRIVATE_B
    )
    m["contract"].funding_streams.set([m["stream"]])
    m["sub_b"].funding_streams.set([m["stream"]])
    m["variation_b"] = VariationFactory(
        consortium=w.home,
        subcontract=m["sub_b"],
        effective_date=datetime.date(2026, 6, 1),
        reason=f"More hours {PRIVATE_B}",
    )
    # Away: everything again, in the other consortium.
    m["away_stream"] = make_stream(w.away, o["away_lead"], f"Away stream {w.SENTINEL}")
    m["away_alloc"] = make_allocation(
        m["away_stream"], [(o["away_cvo"], "1000.00", w.SENTINEL)], by=w.users["outsider"]
    )
    m["away_draft"] = make_allocation(
        m["away_stream"], [(o["away_cvo"], "1000.00", w.SENTINEL)], approved=False, revision=2
    )
    m["away_pay"] = make_payment(
        m["away_alloc"],
        o["away_cvo"],
        "100.00",
        datetime.date(2026, 5, 1),
        reference=w.SENTINEL,
        by=w.users["outsider"],
    )
    m["away_contract"], m["away_sub"] = make_agreements(
        w.away, o["away_lead"], o["away_lead"], o["away_cvo"], "X", special=w.SENTINEL
    )
    w.money = m
    return m


def build_returns(w):
    """Returns for the standard world (needs build_money): indicators at home and away; for
    CVO A an approved, a submitted and a draft return; for CVO B a submitted and an approved
    return whose narrative and notes carry PRIVATE_B; a commissioner template at home and
    away."""
    m = w.money
    r = {}
    r["ind"] = make_indicators(w.home)
    r["away_ind"] = make_indicators(w.away)
    months = [datetime.date(2026, 4, 1), datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)]
    r["periods_a"] = [make_period(m["sub_a"], d) for d in months]
    r["periods_b"] = [make_period(m["sub_b"], d) for d in months]
    r["approved_a"] = make_return(m["sub_a"], r["periods_a"][0], GOOD_VALUES, status="approved")
    r["submitted_a"] = make_return(m["sub_a"], r["periods_a"][1], GOOD_VALUES, status="submitted")
    r["draft_a"] = make_return(m["sub_a"], r["periods_a"][2], {"REF": 5})
    r["submitted_b"] = make_return(
        m["sub_b"], r["periods_b"][0], GOOD_VALUES, status="submitted", narrative=PRIVATE_B
    )
    r["approved_b"] = make_return(
        m["sub_b"],
        r["periods_b"][1],
        GOOD_VALUES,
        status="approved",
        narrative=PRIVATE_B,
        notes={"REF": PRIVATE_B},
    )
    away_period = make_period(m["away_sub"], months[0])
    r["away_return"] = make_return(
        m["away_sub"], away_period, {"REF": 1}, status="approved", narrative=w.SENTINEL
    )
    r["template"] = CommissionerTemplateFactory(
        consortium=w.home, commissioner=w.orgs["commissioner"], name="Home NHS monthly report"
    )
    TemplateFieldFactory(
        template=r["template"],
        group="Activity",
        label="Total referrals",
        indicator=r["ind"]["REF"],
        position=1,
    )
    TemplateFieldFactory(
        template=r["template"],
        group="Outcomes",
        label="Diversions",
        indicator=r["ind"]["DIV"],
        position=2,
    )
    r["away_template"] = CommissionerTemplateFactory(
        consortium=w.away, commissioner=w.orgs["away_lead"], name=f"Away report {w.SENTINEL}"
    )
    w.returns = r
    return r


# --- payment by results ------------------------------------------------------------------------


class OutcomeMeasureFactory(factory.django.DjangoModelFactory):
    """A draft binary measure on a contract, for the contract's term. Published measures come
    through the services: see make_measure."""

    class Meta:
        model = OutcomeMeasure

    contract = factory.SubFactory(ContractFactory)
    consortium = factory.SelfAttribute("contract.consortium")
    code = factory.Sequence(lambda n: f"PBR{n}")
    name = factory.LazyAttribute(lambda m: f"Outcome {m.code}")
    definition = "Engaged with a community mental-health service within 28 days of referral."
    evidence_required = "The service's confirmation of the first appointment attended."
    rule = OutcomeMeasure.Rule.BINARY
    tariff = Decimal("250.00")
    window_days = 28
    valid_from = factory.SelfAttribute("contract.start")
    valid_to = factory.SelfAttribute("contract.end")
    claim_frequency = OutcomeMeasure.Frequency.QUARTERLY


def make_measure(contract, claimants, *, by, publish=True, **kw):
    """A measure on `contract` that `claimants` ([org] or [(org, share %)]) may claim, saved
    (and published) through the services by `by` (a lead)."""

    measure = OutcomeMeasureFactory.build(contract=contract, **kw)
    pairs = [c if isinstance(c, tuple) else (c, None) for c in claimants]
    measure = pbr.measure_save(by=by, measure=measure, claimants=pairs)
    if publish:
        measure = pbr.measure_publish(by=by, measure=measure)
    return measure


def claim_line(ref, engaged, outcome=None, events=1, evidence=None):
    """(reference, engagement date, outcome date, events, evidence reference)."""
    return (ref, engaged, outcome or engaged, events, evidence or "Case file note")


def make_claim(
    measure,
    claimant,
    period_start,
    lines,
    *,
    by,
    status="draft",
    verifier=None,
    approver=None,
    payer=None,
    refuse=(),
    engaged=None,
    eligible=None,
    sample=None,
    reason="",
):
    """A claim moved through the services to `status`: `by` fills it in and submits it,
    `verifier` verifies every line (refusing the references in `refuse`) or a `sample`
    (size, seed), `approver` approves, `payer` records the payment; "rejected" is rejected by
    the verifier with `reason`."""

    claim = pbr.claim_start(by=by, measure=measure, claimant=claimant, period_start=period_start)
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
    if engaged is not None or eligible is not None:
        claim = pbr.claim_save_counts(by=by, claim=claim, eligible=eligible, engaged=engaged)
    if status == "draft":
        return claim
    claim = pbr.claim_submit(by=by, claim=claim)
    if status == "submitted":
        return claim
    if status == "rejected":
        return pbr.claim_reject(by=verifier, claim=claim, reason=reason or "Evidence missing.")
    refused = {pbr.participant_hash(claim.consortium_id, r) for r in refuse}
    if sample:
        claim = pbr.claim_draw_sample(by=verifier, claim=claim, size=sample[0], seed=sample[1])
        decide = claim.lines.filter(in_sample=True)
    else:
        claim = pbr.claim_verify_every_line(by=verifier, claim=claim)
        decide = claim.lines.all()
    for line in list(decide):
        if line.participant in refused:
            pbr.line_decide(by=verifier, line=line, decision="refused", note="No evidence held.")
        else:
            pbr.line_decide(by=verifier, line=line, decision="verified")
    claim = pbr.claim_verify(by=verifier, claim=claim)
    if status == "verified":
        return claim
    claim = pbr.claim_approve(by=approver, claim=claim)
    if status == "approved":
        return claim
    pbr.claim_pay(by=payer, claim=claim, paid_on=claim.approved_at.date(), reference="BACS-PBR")
    claim.refresh_from_db()
    return claim


def build_pbr(w):
    """Payment by results for the standard world (needs build_money): a published measure on
    the commissioner's contract that CVO A and CVO B may claim; for CVO A a draft and an
    approved claim; for CVO B a submitted claim whose evidence carries PRIVATE_B and a
    verified one; a measure and an approved claim away."""
    m, o, u = w.money, w.orgs, w.users
    p = {}
    start = m["contract"].start
    p["measure"] = make_measure(m["contract"], [o["cvo_a"], o["cvo_b"]], by=u["lead"], code="MH28")
    q1, q2 = start, datetime.date(start.year, start.month + 3, 1)
    day = datetime.date(start.year, start.month, 10)
    p["approved_a"] = make_claim(
        p["measure"],
        o["cvo_a"],
        q1,
        [claim_line("A-1", day), claim_line("A-2", day)],
        by=u["cvo_a"],
        status="approved",
        verifier=u["lead"],
        approver=u["commissioner"],
    )
    p["draft_a"] = make_claim(p["measure"], o["cvo_a"], q2, [claim_line("A-3", q2)], by=u["cvo_a"])
    p["submitted_b"] = make_claim(
        p["measure"],
        o["cvo_b"],
        q1,
        [claim_line("B-1", day, evidence=PRIVATE_B)],
        by=u["cvo_b"],
        status="submitted",
    )
    p["verified_b"] = make_claim(
        p["measure"],
        o["cvo_b"],
        q2,
        [claim_line("B-2", q2)],
        by=u["cvo_b"],
        status="verified",
        verifier=u["lead"],
    )
    away_contract = ContractFactory(
        consortium=w.away,
        commissioner=o["away_lead"],
        lead=o["away_lead"],
        title=f"Away contract {w.SENTINEL}",
    )
    away_lead = person("away_lead_pbr", w.away, o["away_lead"], Role.LEAD)
    away_cvo = person("away_cvo_pbr", w.away, o["away_cvo"], Role.CVO_MANAGER)
    p["away_measure"] = make_measure(
        away_contract, [o["away_cvo"]], by=away_lead, code="AWAY", name=f"Away {w.SENTINEL}"
    )
    p["away_claim"] = make_claim(
        p["away_measure"],
        o["away_cvo"],
        away_contract.start,
        [claim_line("Z-1", away_contract.start, evidence=w.SENTINEL)],
        by=away_cvo,
        status="submitted",
    )
    w.pbr = p
    return p


# --- assurance packs ---------------------------------------------------------------------------


def make_pack(contract, start, end, *, by, sign_off=False, on_day=None, narrative=""):
    """A pack prepared by `by` (the lead) on `on_day` (default: the day after the period), and
    signed off (confirming whatever is missing) if asked."""

    day = on_day or (end + datetime.timedelta(days=20))
    with on(day):
        pack = pack_svc.pack_prepare(contract=contract, start=start, end=end, by=by)
        if narrative:
            pack = pack_svc.pack_save_narrative(
                pack=pack, by=by, narrative=narrative, expected_version=pack.version
            )
        if sign_off:
            gaps = pack_svc.signoff_gaps(pack, by)
            pack = pack_svc.pack_sign_off(pack=pack, by=by, confirmed=gaps)
    return pack


def build_packs(w):
    """Assurance packs for the standard world (needs build_money and build_returns): the
    commissioner's contract A, April–June 2026, signed off with one open query, and a draft for
    July–September; the lead's own contract B, signed off (CVO B's, not the commissioner's);
    a signed-off pack away."""
    m, u = w.money, w.users
    q2 = (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    q3 = (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    packs = {}
    packs["signed_a"] = make_pack(
        m["contract"], *q2, by=u["lead"], sign_off=True, narrative="Referrals held up."
    )
    packs["draft_a"] = make_pack(
        m["contract"], *q3, by=u["lead"], on_day=datetime.date(2026, 10, 5)
    )
    packs["signed_b"] = make_pack(
        m["contract_b"], *q2, by=u["lead"], sign_off=True, narrative=f"B {PRIVATE_B}"
    )

    with on(datetime.date(2026, 10, 5)):
        packs["action"] = pack_svc.action_save(
            pack=packs["draft_a"], by=u["lead"], text="Recruit a second court practitioner"
        )
    packs["draft_a"].refresh_from_db()
    with on(datetime.date(2026, 7, 25)):
        packs["query"] = pack_svc.query_raise(
            pack=packs["signed_a"], by=u["commissioner"], question="Why were returns late?"
        )
    away_lead = person("away_lead_pack", w.away, w.orgs["away_lead"], Role.LEAD)
    packs["away"] = make_pack(
        m["away_contract"], *q2, by=away_lead, sign_off=True, narrative=w.SENTINEL
    )
    w.packs = packs
    return packs
