"""The contracts app's part of the API: reporting periods and indicators (read), performance
returns (read, draft figures, submit) and payment-by-results claims (published measures, claims,
lines added in bulk, counts, submit). Every operation reads through the access policy and
writes through the same services as the screens (contracts.services), so a return or claim
filed here is the same in history, audit chain, validation and reminders as one filed on
screen."""

import datetime

from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from consortium import access
from consortium.api import (
    Cursor,
    Figure,
    Id,
    Incoming,
    Limit,
    Money,
    Page,
    Scope,
    answers,
    at_version,
    etag,
    if_match,
    listing,
    needs,
    one,
)
from consortium.models import Organisation
from contracts.models import (
    ClaimLine,
    Indicator,
    OutcomeMeasure,
    PbRClaim,
    PerformanceReturn,
    ReportingPeriod,
    ReturnValue,
)
from contracts.services import returns as return_services
from contracts.services.outcomes import claims as claim_services
from contracts.services.outcomes.measures import claim_periods
from contracts.validation import outcomes as rules
from contracts.xlsx.outcomes import EvidenceRow

router = Router()
READS_RETURNS = (Scope.READ, Scope.RETURNS)
READS_CLAIMS = (Scope.READ, Scope.CLAIMS)
MAX_LINES = 1000  # lines added in one request


def _created(response: HttpResponse, obj, name: str, created: bool) -> int:
    response["ETag"] = etag(obj)
    response["Location"] = reverse(f"api-v1:{name}", kwargs={"pk": obj.pk})
    return 201 if created else 200


# --- reporting periods and indicators ------------------------------------------------------


class PeriodOut(Schema):
    id: int
    version: int
    subcontract: int = Field(alias="subcontract_id")
    frequency: str
    start: datetime.date
    end: datetime.date
    due_date: datetime.date
    updated_at: datetime.datetime


class PeriodPage(Page):
    items: list[PeriodOut]


class IndicatorOut(Schema):
    id: int
    version: int
    code: str
    name: str
    definition: str
    unit: str
    required: bool
    active: bool
    updated_at: datetime.datetime


class IndicatorPage(Page):
    items: list[IndicatorOut]


@router.get("/periods", response=answers({200: PeriodPage}), tags=["Performance returns"])
@needs(*READS_RETURNS)
def periods(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    subcontract: Id = None,
):
    """Reporting periods of the subcontracts the person may see, each with its due date."""
    qs = ReportingPeriod.objects.all()
    if subcontract is not None:
        qs = qs.filter(subcontract_id=subcontract)
    return listing(request, qs, _same, cursor=cursor, limit=limit, updated_since=updated_since)


@router.get("/periods/{pk}", response=answers({200: PeriodOut}), tags=["Performance returns"])
@needs(*READS_RETURNS)
def period(request, pk: Id, response: HttpResponse):
    return one(request, response, ReportingPeriod.objects.all(), pk)


@router.get("/indicators", response=answers({200: IndicatorPage}), tags=["Performance returns"])
@needs(*READS_RETURNS)
def indicators(
    request, cursor: Cursor = None, limit: Limit = 100, updated_since: datetime.datetime = None
):
    """The consortium's indicator library: a return gives a figure per active indicator,
    by its code."""
    return listing(
        request,
        Indicator.objects.all(),
        _same,
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )


def _same(obj):
    return obj


# --- performance returns -------------------------------------------------------------------


class ReturnSummary(Schema):
    id: int
    version: int
    subcontract: int = Field(alias="subcontract_id")
    period: int = Field(alias="period_id")
    status: str
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime


class ReturnPage(Page):
    items: list[ReturnSummary]


class ValueOut(Schema):
    indicator: str
    value: Figure | None
    note: str


class RuleMessage(Schema):
    indicator: str
    message: str


class ReturnOut(ReturnSummary):
    narrative: str
    lead_comments: str
    values: list[ValueOut]
    errors: list[RuleMessage] = Field(
        description="What the submission rules refuse, as the return stands."
    )
    warnings: list[RuleMessage] = Field(
        description="Unusual figures: submit with confirm_warnings true once checked."
    )


class ReturnStart(Incoming):
    period: Id


class ReturnFigures(Incoming):
    values: dict[str, Figure | None] = Field(
        default_factory=dict,
        description="Indicator code → figure (null clears it). Codes left out keep theirs.",
    )
    notes: dict[str, str] = Field(default_factory=dict, description="Indicator code → note.")
    narrative: str | None = None


class ReturnSubmit(Incoming):
    confirm_warnings: bool = False


def _messages(found) -> list[dict]:
    return [{"indicator": m.code, "message": m.text} for m in found]


def _return_out(ret: PerformanceReturn) -> dict:
    values = ReturnValue.objects.filter(ret=ret).select_related("indicator")
    outcome = None
    if ret.status in (ret.Status.DRAFT, ret.Status.RETURNED, ret.Status.SUBMITTED):
        outcome = return_services.check(ret)
    return {
        "id": ret.pk,
        "version": ret.version,
        "subcontract_id": ret.subcontract_id,
        "period_id": ret.period_id,
        "status": ret.status,
        "submitted_at": ret.submitted_at,
        "updated_at": ret.updated_at,
        "narrative": ret.narrative,
        "lead_comments": ret.lead_comments,
        "values": [
            {"indicator": v.indicator.code, "value": v.value, "note": v.note}
            for v in sorted(values, key=lambda v: (v.indicator.position, v.indicator.code))
        ],
        "errors": _messages(outcome.errors) if outcome else [],
        "warnings": _messages(outcome.warnings) if outcome else [],
    }


def _return(request, pk) -> PerformanceReturn:
    return access.get_visible_or_404(
        PerformanceReturn.objects.select_related("period"), request.user, pk=pk
    )


@router.get("/returns", response=answers({200: ReturnPage}), tags=["Performance returns"])
@needs(*READS_RETURNS)
def returns(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    status: PerformanceReturn.Status = None,
    period: Id = None,
):
    """Performance returns the person may see: their own organisation's, for a member."""
    qs = PerformanceReturn.objects.all()
    if status is not None:
        qs = qs.filter(status=status)
    if period is not None:
        qs = qs.filter(period_id=period)
    return listing(request, qs, _same, cursor=cursor, limit=limit, updated_since=updated_since)


@router.post(
    "/returns", response=answers({200: ReturnOut, 201: ReturnOut}), tags=["Performance returns"]
)
@needs(Scope.RETURNS)
def return_start(request, body: ReturnStart, response: HttpResponse):
    """The return for a reporting period, started as a draft if there is none yet (201), or
    the one there is (200)."""
    period = access.get_visible_or_404(ReportingPeriod.objects.all(), request.user, pk=body.period)
    existed = PerformanceReturn.objects.filter(period=period).exists()
    ret = return_services.return_start(period=period, by=request.user)
    return Status(_created(response, ret, "return", not existed), _return_out(ret))


@router.get(
    "/returns/{pk}",
    response=answers({200: ReturnOut}),
    tags=["Performance returns"],
    url_name="return",
)
@needs(*READS_RETURNS)
def return_detail(request, pk: Id, response: HttpResponse):
    """A return with its figures and what the submission rules say of them now."""
    ret = _return(request, pk)
    response["ETag"] = etag(ret)
    return _return_out(ret)


@router.put(
    "/returns/{pk}/values", response=answers({200: ReturnOut}), tags=["Performance returns"]
)
@needs(Scope.RETURNS)
def return_figures(request, pk: Id, body: ReturnFigures, response: HttpResponse):
    """Save draft figures, notes and the narrative: all or nothing, with the limits of the
    form and the template. The answer carries the rules' errors and warnings as the return
    now stands (they refuse a submission, not a draft). Needs If-Match."""
    ret = _return(request, pk)
    saved = return_services.return_save_draft(
        ret=ret,
        by=request.user,
        values=body.values,
        notes=body.notes,
        narrative=body.narrative,
        expected_version=if_match(request, ret),
        reason="Draft saved",
    )
    response["ETag"] = etag(saved)
    return _return_out(saved)


@router.post(
    "/returns/{pk}/submit", response=answers({200: ReturnOut}), tags=["Performance returns"]
)
@needs(Scope.RETURNS)
def return_submit(request, pk: Id, body: ReturnSubmit, response: HttpResponse):
    """Submit the return to the consortium lead. Errors refuse it; warnings refuse it until
    confirmed (confirm_warnings). Needs If-Match."""
    ret = _return(request, pk)
    with transaction.atomic():
        current = at_version(request, ret)
        saved = return_services.return_submit(
            ret=current, by=request.user, confirm_warnings=body.confirm_warnings
        )
    response["ETag"] = etag(saved)
    return _return_out(saved)


# --- payment by results --------------------------------------------------------------------


class ClaimPeriod(Schema):
    start: datetime.date
    end: datetime.date


class MeasureOut(Schema):
    id: int
    version: int
    code: str
    name: str
    definition: str
    evidence_required: str
    rule: str
    tariff: Money
    valid_from: datetime.date
    valid_to: datetime.date
    claimants: list[int] = Field(description="The organisations that may claim it.")
    claim_periods: list[ClaimPeriod]
    updated_at: datetime.datetime


class MeasurePage(Page):
    items: list[MeasureOut]


def _measure_out(m: OutcomeMeasure) -> dict:
    return {
        **{f: getattr(m, f) for f in MeasureOut.model_fields if hasattr(m, f)},
        "id": m.pk,
        "claimants": sorted(c.organisation_id for c in m.claimants.all()),
        "claim_periods": [{"start": a, "end": b} for a, b in claim_periods(m)],
    }


@router.get("/measures", response=answers({200: MeasurePage}), tags=["Payment by results"])
@needs(*READS_CLAIMS)
def measures(
    request, cursor: Cursor = None, limit: Limit = 100, updated_since: datetime.datetime = None
):
    """Published outcome measures the person may see (a member: those it may claim)."""
    qs = OutcomeMeasure.objects.filter(status=OutcomeMeasure.Status.PUBLISHED).prefetch_related(
        "claimants"
    )
    return listing(
        request, qs, _measure_out, cursor=cursor, limit=limit, updated_since=updated_since
    )


class ClaimOut(Schema):
    id: int
    version: int
    measure: int = Field(alias="measure_id")
    claimant: int = Field(alias="claimant_id")
    period_start: datetime.date
    period_end: datetime.date
    status: str
    eligible: int | None
    engaged: int | None
    comments: str
    payable_amount: Money | None
    updated_at: datetime.datetime


class ClaimPage(Page):
    items: list[ClaimOut]


class ClaimStart(Incoming):
    measure: Id
    claimant: Id
    period_start: datetime.date


class LineIn(Incoming):
    reference: str = Field(
        min_length=1,
        max_length=100,
        description="The participant's case reference. Hashed on arrival; never stored.",
    )
    engagement_date: datetime.date
    outcome_date: datetime.date
    events: int | None = Field(1, ge=0, le=100000)
    evidence_ref: str = Field(max_length=100)


class LinesIn(Incoming):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class LinesAdded(Schema):
    added: int
    claim: ClaimOut


class LineOut(Schema):
    id: int
    participant: str = Field(description="The participant's line code (never the reference).")
    window: str
    engagement_date: datetime.date
    outcome_date: datetime.date
    events: int
    evidence_ref: str
    status: str


class LinePage(Page):
    items: list[LineOut]


class ClaimCounts(Incoming):
    eligible: int | None = Field(None, ge=0, le=2147483647)
    engaged: int | None = Field(None, ge=0, le=2147483647)


def _claim(request, pk) -> PbRClaim:
    return access.get_visible_or_404(
        PbRClaim.objects.select_related("measure"), request.user, pk=pk
    )


@router.get("/claims", response=answers({200: ClaimPage}), tags=["Payment by results"])
@needs(*READS_CLAIMS)
def claims(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    status: PbRClaim.Status = None,
    measure: Id = None,
):
    """Claims the person may see: their own organisation's, for a member."""
    qs = PbRClaim.objects.all()
    if status is not None:
        qs = qs.filter(status=status)
    if measure is not None:
        qs = qs.filter(measure_id=measure)
    return listing(request, qs, _same, cursor=cursor, limit=limit, updated_since=updated_since)


@router.post("/claims", response=answers({201: ClaimOut}), tags=["Payment by results"])
@needs(Scope.CLAIMS)
def claim_start(request, body: ClaimStart, response: HttpResponse):
    """Start a draft claim on a published measure for one of its claim periods."""
    measure = access.get_visible_or_404(OutcomeMeasure.objects.all(), request.user, pk=body.measure)
    claimant = access.get_visible_or_404(
        Organisation.objects.distinct(), request.user, pk=body.claimant
    )
    claim = claim_services.claim_start(
        by=request.user, measure=measure, claimant=claimant, period_start=body.period_start
    )
    return Status(_created(response, claim, "claim", True), claim)


@router.get(
    "/claims/{pk}", response=answers({200: ClaimOut}), tags=["Payment by results"], url_name="claim"
)
@needs(*READS_CLAIMS)
def claim_detail(request, pk: Id, response: HttpResponse):
    claim = _claim(request, pk)
    response["ETag"] = etag(claim)
    return claim


@router.get("/claims/{pk}/lines", response=answers({200: LinePage}), tags=["Payment by results"])
@needs(*READS_CLAIMS)
def claim_lines(request, pk: Id, cursor: Cursor = None, limit: Limit = 100):
    """A claim's lines, by their line codes."""
    claim = _claim(request, pk)
    return listing(
        request,
        ClaimLine.objects.filter(claim=claim),
        lambda line: {**line.__dict__, "participant": rules.short_code(line.participant)},
        cursor=cursor,
        limit=limit,
    )


@router.post("/claims/{pk}/lines", response=answers({200: LinesAdded}), tags=["Payment by results"])
@needs(Scope.CLAIMS)
def claim_lines_add(request, pk: Id, body: LinesIn, response: HttpResponse):
    """Add up to 1,000 lines to a draft claim: all or nothing, each line checked as an
    uploaded row is (dates, window, evidence, a participant never claimed twice). Needs
    If-Match; the answer carries the claim's new ETag for the next batch."""
    claim = _claim(request, pk)
    rows = [
        EvidenceRow(
            row=i,
            reference=line.reference.strip(),
            engagement_date=line.engagement_date,
            outcome_date=line.outcome_date,
            events=line.events,
            evidence_ref=line.evidence_ref,
        )
        for i, line in enumerate(body.lines)
    ]
    added = claim_services.lines_add(
        by=request.user, claim=claim, rows=rows, expected_version=if_match(request, claim)
    )
    claim.refresh_from_db()
    response["ETag"] = etag(claim)
    return {"added": added, "claim": claim}


@router.put("/claims/{pk}/counts", response=answers({200: ClaimOut}), tags=["Payment by results"])
@needs(Scope.CLAIMS)
def claim_counts(request, pk: Id, body: ClaimCounts, response: HttpResponse):
    """The participants eligible and engaged in the period (the cohort, for a cohort
    measure). Needs If-Match."""
    claim = _claim(request, pk)
    saved = claim_services.claim_save_counts(
        by=request.user,
        claim=claim,
        eligible=body.eligible,
        engaged=body.engaged,
        expected_version=if_match(request, claim),
    )
    response["ETag"] = etag(saved)
    return saved


@router.post("/claims/{pk}/submit", response=answers({200: ClaimOut}), tags=["Payment by results"])
@needs(Scope.CLAIMS)
def claim_submit(request, pk: Id, response: HttpResponse):
    """Submit the claim to the consortium lead for verification. Needs If-Match."""
    claim = _claim(request, pk)
    with transaction.atomic():
        current = at_version(request, claim)
        saved = claim_services.claim_submit(by=request.user, claim=current)
    response["ETag"] = etag(saved)
    return saved
