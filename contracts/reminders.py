"""Contracts' reminders: returns due within a few working days, late, or waiting for the
lead's review; and payment-by-results claims waiting for somebody's step."""

from django.db.models import F, Q
from django.urls import reverse

from consortium.access import is_commissioner, is_lead
from consortium.models import Role
from consortium.reminders import DUE, LATE, Item, object_key, reminder_kind
from contracts.access.outcomes import takes_claim_steps
from contracts.access.returns import chases_returns, files_returns
from contracts.models import (
    AssurancePack,
    PackQuery,
    PbRClaim,
    PerformanceReturn,
    ReportingPeriod,
)
from contracts.selectors import returns as sel

RETURN_DUE_WORKING_DAYS = 5


def _return_people(run, subcontract):
    """Who fills in a subcontract's returns: the CVO's managers (the lead agency's own people
    when it delivers the work itself)."""
    people = set(run.holders(Role.CVO_MANAGER).get(subcontract.cvo_id, set()))
    if subcontract.cvo_id == subcontract.lead_id:
        people |= run.holders(Role.LEAD).get(subcontract.cvo_id, set())
    return people


def _period_item(period, text, urgency, stage):
    return Item(
        object_key=object_key(period),
        stage=stage,
        about=period.due_date.isoformat(),
        text=text,
        url=reverse("returns:subcontract_performance", args=[period.subcontract_id]),
        urgency=urgency,
    )


def _narrowed(run, qs, path):
    """Without an overseer among the people, only the subcontracts of their organisations."""
    if run.users(Role.ADMIN, Role.LEAD):
        return qs
    return qs.filter(**{f"{path}__cvo__in": list(run.holders(Role.CVO_MANAGER))})


def _filed_by(run, qs, path):
    """Only the subcontracts whose returns the run's people fill in (_return_people)."""
    own_delivery = {
        f"{path}__cvo__in": list(run.holders(Role.LEAD)),
        f"{path}__cvo": F(f"{path}__lead"),
    }
    return qs.filter(
        Q(**{f"{path}__cvo__in": list(run.holders(Role.CVO_MANAGER))}) | Q(**own_delivery)
    )


@reminder_kind(
    "returns.due",
    f"Returns due within {RETURN_DUE_WORKING_DAYS} working days",
    check=files_returns,
    essential=True,
)
def returns_due(run):
    periods = sel.periods_due_within(
        ReportingPeriod.objects.filter(consortium_id=run.consortium_id),
        run.as_of,
        RETURN_DUE_WORKING_DAYS,
    )
    periods = (
        _filed_by(run, periods, "subcontract")
        .select_related("subcontract")
        .order_by("due_date", "subcontract__reference", "pk")
    )
    for p in run.rows(periods):
        item = _period_item(
            p, f"Return {p.subcontract.reference} {p} is due {p.due_date:%-d %b %Y}", DUE, "due"
        )
        for user_id in _return_people(run, p.subcontract):
            yield user_id, item


@reminder_kind(
    "returns.late",
    "Returns late",
    check=chases_returns,
    essential=True,
)
def returns_late(run):
    leads = run.users(Role.ADMIN, Role.LEAD)
    # The same rule as the dashboard's "Late returns" panel.
    open_returns, missing = sel.late_returns_in(
        PerformanceReturn.objects.filter(consortium_id=run.consortium_id),
        ReportingPeriod.objects.filter(consortium_id=run.consortium_id),
        run.as_of,
    )
    open_returns = (
        _narrowed(run, open_returns, "subcontract")
        .select_related("subcontract", "period")
        .order_by("period__due_date", "subcontract__reference", "pk")
    )
    missing = (
        _narrowed(run, missing, "subcontract")
        .select_related("subcontract")
        .order_by("due_date", "subcontract__reference", "pk")
    )
    for r in run.rows(open_returns):
        item = Item(
            object_key=object_key(r.period),
            stage="late",
            about=r.period.due_date.isoformat(),
            text=f"Late: return {r.subcontract.reference} {r.period} was due "
            f"{r.period.due_date:%-d %b %Y} ({r.get_status_display().lower()})",
            url=r.get_absolute_url(),
            urgency=LATE,
        )
        for user_id in leads | _return_people(run, r.subcontract):
            yield user_id, item
    for p in run.rows(missing):
        item = _period_item(
            p,
            f"Late: return {p.subcontract.reference} {p} was due {p.due_date:%-d %b %Y} "
            "(not started)",
            LATE,
            "late",
        )
        for user_id in leads | _return_people(run, p.subcontract):
            yield user_id, item


@reminder_kind(
    "returns.review",
    "Returns waiting for your review",
    check=is_lead,
    more_url="returns:return_list?status=submitted",
)
def returns_to_review(run):
    leads = run.users(Role.LEAD)
    if not leads:
        return
    returns = (
        PerformanceReturn.objects.filter(consortium_id=run.consortium_id, status="submitted")
        .select_related("subcontract", "period")
        .order_by("submitted_at", "pk")
    )
    if run.only is not None:
        returns = returns.exclude(submitted_by=run.only)  # nobody reviews their own return
    for r in run.rows(returns):
        item = Item(
            object_key=object_key(r),
            stage="waiting",
            about=f"submitted {r.submitted_at:%Y-%m-%d %H:%M}" if r.submitted_at else "submitted",
            text=f"Return {r.subcontract.reference} {r.period} waits for review",
            url=r.get_absolute_url(),
            urgency=DUE,
        )
        for user_id in leads:
            if user_id != r.submitted_by_id:
                yield user_id, item


@reminder_kind(
    "outcomes.claim_waiting",
    "Payment-by-results claims waiting for your step",
    check=takes_claim_steps,
)
def claims_waiting(run):
    leads = run.users(Role.LEAD)
    commissioners = run.holders(Role.COMMISSIONER)
    S = PbRClaim.Status
    claims = PbRClaim.objects.filter(
        consortium_id=run.consortium_id, status__in=[S.SUBMITTED, S.VERIFIED]
    )
    if run.only is not None:
        # One person's dashboard: only the claims waiting for their step, so that run.rows
        # reads the first few rather than every claim in the consortium.
        theirs = Q(pk__in=[])
        if leads:
            theirs |= Q(status=S.SUBMITTED)
        if commissioners:
            theirs |= Q(status=S.VERIFIED, measure__contract__commissioner__in=list(commissioners))
        claims = claims.filter(theirs).exclude(submitted_by=run.only)
    # The order the items are shown in: by state ("about"), then as their text reads.
    claims = claims.select_related("measure__contract", "claimant").order_by(
        "status", "claimant__name", "measure__code", "period_start", "pk"
    )
    for c in run.rows(claims):
        if c.status == S.SUBMITTED:
            people, step = leads, "verification"
        else:
            people, step = commissioners.get(c.measure.contract.commissioner_id, set()), "approval"
        item = Item(
            object_key=object_key(c),
            stage=step,
            about=c.status,
            text=f"Claim by {c.claimant.name} on {c.measure.code} ({c}) waits for {step}",
            url=c.get_absolute_url(),
            urgency=DUE,
        )
        for user_id in people:
            if user_id != c.submitted_by_id:
                yield user_id, item


@reminder_kind(
    "assurance.acknowledge",
    "Assurance packs waiting for your acknowledgement",
    check=is_commissioner,
)
def packs_to_acknowledge(run):
    """Signed-off packs, to the commissioners of their contract (the dashboard's rule:
    contracts.selectors.assurance.packs_awaiting_acknowledgement)."""
    commissioners = run.holders(Role.COMMISSIONER)
    packs = AssurancePack.objects.filter(
        consortium_id=run.consortium_id, state=AssurancePack.State.SIGNED_OFF
    ).select_related("contract")
    for pack in packs:
        item = Item(
            object_key=object_key(pack),
            stage="waiting",
            about=f"signed off {pack.signed_off_at:%Y-%m-%d %H:%M}" if pack.signed_off_at else "",
            text=f"Assurance pack {pack} waits for your acknowledgement",
            url=pack.get_absolute_url(),
            urgency=DUE,
        )
        for user_id in commissioners.get(pack.contract.commissioner_id, set()):
            yield user_id, item


@reminder_kind(
    "assurance.query", "Questions on assurance packs waiting for an answer", check=is_lead
)
def pack_queries_to_answer(run):
    leads = run.users(Role.LEAD)
    if not leads:
        return
    queries = (
        PackQuery.objects.filter(consortium_id=run.consortium_id, answered_at__isnull=True)
        .select_related("pack__contract")
        .order_by("raised_at", "pk")
    )
    for query in run.rows(queries):
        item = Item(
            object_key=object_key(query),
            stage="waiting",
            about=f"raised {query.raised_at:%Y-%m-%d %H:%M}",
            text=f"A question on assurance pack {query.pack} waits for your answer",
            url=query.get_absolute_url(),
            urgency=DUE,
        )
        for user_id in leads:
            yield user_id, item
