"""Payment-by-results pages: measures, claims (lines, evidence upload, verification,
approval, payment), the PbR statement, exposure and the "by verified outcomes" figures."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from consortium import access, dates
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView, asks_for_download, download_query
from consortium.models import Organisation
from consortium.templatetags.concord import money
from consortium.views import act_or_refuse, record_button, save_or_refuse, take_upload
from consortium.xlsx import xlsx_file_response, xlsx_response
from contracts.access.outcomes import (
    can_approve_claim,
    can_edit_claim,
    can_manage_measures,
    can_pay_claim,
    can_see_claims,
    can_verify_claim,
    claims_for,
)
from contracts.dashboard.outcomes import exposure_section
from contracts.filters.outcomes import ClaimFilter, MeasureFilter
from contracts.forms.outcomes import (
    CommentsForm,
    CountsForm,
    DecideForm,
    FindLineForm,
    LineForm,
    MeasureForm,
    PayForm,
    SampleForm,
    StartClaimForm,
    UploadForm,
)
from contracts.forms.returns import PeriodRangeForm
from contracts.models import ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
from contracts.selectors import outcomes as sel
from contracts.services import outcomes as svc
from contracts.tables.outcomes import ClaimTable, MeasureTable
from contracts.xlsx import outcomes as evidence_xlsx
from funding.forms import prefill_query
from funding.services import eligible_members, members_figures

LINES_PER_PAGE = 50


# --- measures ------------------------------------------------------------------------------


class MeasureList(ConcordListView):
    model = OutcomeMeasure
    table_class = MeasureTable
    filterset_class = MeasureFilter
    title = "Outcome measures"
    export_name = "outcome-measures"
    readers = staticmethod(can_see_claims)
    add_action = ("Add an outcome measure", "outcomes:measure_create", can_manage_measures)

    def get_base_queryset(self):
        return OutcomeMeasure.objects.select_related("contract")


def _measure(request, pk):
    return access.get_visible_or_404(
        OutcomeMeasure.objects.select_related("contract", "contract__commissioner"),
        request.user,
        pk=pk,
    )


@login_required
def measure_detail(request, pk):
    measure = _measure(request, pk)
    user = request.user
    claimants = MeasureClaimant.objects.visible_to(user).filter(measure=measure)
    claimants = list(claimants.select_related("organisation"))
    own = [c.organisation for c in claimants if claims_for(user, c.organisation_id)]
    start_form = None
    if own and measure.status == OutcomeMeasure.Status.PUBLISHED:
        start_form = StartClaimForm(
            claimants=Organisation.objects.filter(pk__in=[o.pk for o in own]),
            periods=svc.claim_periods(measure),
        )
    versions = OutcomeMeasure.objects.visible_to(user).filter(series=measure.series)
    return render(
        request,
        "contracts/outcome_measure_detail.html",
        {
            "measure": measure,
            "claimants": claimants,
            "versions": versions.order_by("revision"),
            "can_manage": can_manage_measures(user),
            "start_form": start_form,
            "reason_form": ReasonForm(help_text="Why the measure changes. History keeps this."),
        },
    )


@login_required
def measure_edit(request, pk=None):
    access.require(can_manage_measures(request.user))
    measure = _measure(request, pk) if pk else OutcomeMeasure()
    if pk and measure.is_frozen:
        messages.error(request, measure.frozen_message())
        return redirect(measure)
    members = eligible_members(request.actor.consortium_id)
    current = {c.organisation_id: c.share_percent for c in measure.claimants.all()} if pk else {}
    form = MeasureForm(
        request.POST or None,
        instance=measure,
        user=request.user,
        members=members,
        claimants=current,
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: svc.measure_save(
                by=request.user,
                measure=form.instance,
                claimants=form.claimants(),
                expected_version=form.cleaned_data["expected_version"],
            ),
            success=lambda m: f"{m.code} saved as a draft. Publish it when it is agreed.",
        )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {
            "form": form,
            "title": f"Change {measure.code}" if pk else "Add an outcome measure",
            "object": measure if pk else None,
        },
    )


def _manage_measure(user, measure):
    return can_manage_measures(user)


def _reason(request):
    """The reason typed beside a measure's button: needed to revise, optional to publish."""
    form = ReasonForm(request.POST)
    form.is_valid()
    return form.cleaned_data.get("reason", "")


@record_button(_measure, _manage_measure)
def measure_publish(request, measure):
    return act_or_refuse(
        request,
        lambda: svc.measure_publish(by=request.user, measure=measure, reason=_reason(request)),
        success=lambda m: f"{m.code} v{m.revision} published.",
        back=measure,
    )


@record_button(_measure, _manage_measure)
def measure_revise(request, measure):
    return act_or_refuse(
        request,
        lambda: svc.measure_revise(by=request.user, measure=measure, reason=_reason(request)),
        success=lambda m: f"Draft v{m.revision} started: change it, then publish.",
        back=measure,
        to=lambda m: m,
    )


@login_required
@require_POST
def claim_start(request, pk):
    measure = _measure(request, pk)
    own = [
        c.organisation_id
        for c in MeasureClaimant.objects.visible_to(request.user).filter(measure=measure)
        if claims_for(request.user, c.organisation_id)
    ]
    access.require(bool(own))
    form = StartClaimForm(
        request.POST,
        claimants=Organisation.objects.filter(pk__in=own),
        periods=svc.claim_periods(measure),
    )

    def start():
        data = form.cleaned_or_refuse("Choose the member and the claim period.")
        return svc.claim_start(
            by=request.user,
            measure=measure,
            claimant=data["claimant"],
            period_start=datetime.date.fromisoformat(data["period_start"]),
        )

    return act_or_refuse(
        request,
        start,
        success="Claim started. Add its lines or upload the evidence.",
        back=measure,
        to=lambda claim: claim,
    )


# --- claims --------------------------------------------------------------------------------


class ClaimList(ConcordListView):
    model = PbRClaim
    table_class = ClaimTable
    filterset_class = ClaimFilter
    title = "Payment-by-results claims"
    export_name = "pbr-claims"
    empty_noun = "payment-by-results claims"
    empty_next = (
        "Start one from a published outcome measure",
        "outcomes:measure_list",
        can_see_claims,
    )
    readers = staticmethod(can_see_claims)

    def get_base_queryset(self):
        return PbRClaim.objects.select_related("measure", "claimant")


def _claim(request, pk):
    return access.get_visible_or_404(
        PbRClaim.objects.select_related(
            "measure",
            "measure__contract",
            "claimant",
            "payment",
            "submitted_by",
            "verified_by",
            "approved_by",
        ),
        request.user,
        pk=pk,
    )


@login_required
def claim_detail(request, pk):
    return _claim_page(request, _claim(request, pk))


def _found(claim, lines, find_form):
    """The lines of the participant whose case reference was asked for (pseudonymised as
    the claim stores it), or None when nobody was asked for."""
    if not (find_form.is_bound and find_form.is_valid()):
        return None
    try:
        digest = svc.participant_hash(claim.consortium_id, find_form.cleaned_data["reference"])
    except ValidationError:
        return []
    return list(lines.filter(participant=digest))


def _claim_page(request, claim, *, pay_form=None):
    """The claim's page; with `pay_form`, the payment as typed, its errors shown the GOV.UK way
    (the summary, "Error:" in the title, each message beside its field)."""
    user = request.user
    lines = ClaimLine.objects.visible_to(user).filter(claim=claim).select_related("decided_by")
    find_form = FindLineForm(request.GET if "reference" in request.GET else None)
    found = _found(claim, lines, find_form)
    status = request.GET.get("line_status")
    if status in ClaimLine.Status.values:
        lines = lines.filter(status=status)
    if request.GET.get("sample") == "1":
        lines = lines.filter(in_sample=True)
    page = Paginator(lines.order_by("outcome_date", "id"), LINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    S = PbRClaim.Status
    return render(
        request,
        "contracts/claim_detail.html",
        {
            "claim": claim,
            "measure": claim.measure,
            "figures": svc.figures(claim),
            "page": page,
            "found": found,
            "find_form": find_form,
            "editing": can_edit_claim(user, claim) and claim.is_editable,
            "verifying": claim.status == S.SUBMITTED and can_verify_claim(user, claim),
            "approving": claim.status == S.VERIFIED and can_approve_claim(user, claim),
            "paying": claim.status == S.APPROVED and can_pay_claim(user),
            "show_people": access.actor(user).oversees_consortium
            or claims_for(user, claim.claimant_id),
            "line_statuses": ClaimLine.Status.choices,
            **_claim_forms(claim, pay_form),
        },
    )


def _claim_forms(claim, pay_form=None):
    """The forms beside the claim page's buttons."""
    counts = {"eligible": claim.eligible, "engaged": claim.engaged}
    return {
        "counts_form": CountsForm(initial={**counts, "expected_version": claim.version}),
        "sample_form": SampleForm(),
        "decide_form": DecideForm(),
        "comments_form": CommentsForm(),
        "reason_form": ReasonForm(help_text="Why it is rejected. The member sees this."),
        "pay_form": pay_form or PayForm(initial={"paid_on": timezone.localdate()}),
    }


@login_required
def line_add(request, pk):
    claim = _claim(request, pk)
    access.require(can_edit_claim(request.user, claim))
    form = LineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        response = save_or_refuse(
            request,
            form,
            lambda: svc.line_add(
                by=request.user,
                claim=claim,
                reference=d["reference"],
                engagement_date=d["engagement_date"],
                outcome_date=d["outcome_date"],
                events=d["events"],
                evidence_ref=d["evidence_ref"],
            ),
            success=lambda line: f"Line added for participant {line.code}.",
            to=lambda line: claim.get_absolute_url(),
        )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {"form": form, "title": f"Add a line to {claim}", "object": claim, "submit_label": "Add"},
    )


@login_required
def claim_template(request, pk):
    claim = _claim(request, pk)
    access.require(can_edit_claim(request.user, claim))
    name = f"claim-{claim.measure.code}-{claim.period_start:%Y-%m}".lower()
    return xlsx_file_response(svc.template_bytes(claim), name)


@login_required
def claim_upload(request, pk):
    claim = _claim(request, pk)
    access.require(can_edit_claim(request.user, claim))
    form = UploadForm(request.POST or None, request.FILES or None)
    removing = []

    def take(data, filename):
        try:
            return svc.claim_upload(
                by=request.user,
                claim=claim,
                data=data,
                filename=filename,
                remove_lines=form.lines_to_remove(),
            )
        except svc.UploadRemovesLines as e:
            removing.append(e)

    if request.method == "POST" and form.is_valid():
        n = take_upload(form, take, max_bytes=evidence_xlsx.MAX_BYTES)
        if removing:
            form = _confirm_removal(request, removing[0])
        elif n is not None:
            messages.success(
                request, f"Checked {n} rows: every line read. The claim now holds them."
            )
            return redirect(claim)
    return render(
        request,
        "contracts/claim_upload.html",
        {
            "claim": claim,
            "form": form,
            "problems": getattr(form, "problems", None),
            "checked": getattr(form, "checked", None),
            "line_count": claim.lines.count(),
        },
    )


def _confirm_removal(request, refusal):
    """The upload form again, asking the person to confirm that the evidence removes
    `refusal.count` lines typed on the claim (UploadRemovesLines)."""
    data = request.POST.copy()
    data["removing"] = refusal.count
    data.pop("confirm_removal", None)
    form = UploadForm(data, request.FILES, removing=refusal.count)
    form.is_valid()
    form.add_error("file", refusal.messages[0])
    return form


# --- the buttons on a claim's page ----------------------------------------------------------


def _pays(user, claim):
    return can_pay_claim(user)


def _rejects(user, claim):
    return can_verify_claim(user, claim) or can_approve_claim(user, claim)


@record_button(_claim, can_edit_claim)
def claim_counts(request, claim):
    form = CountsForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.claim_save_counts(
            by=request.user,
            claim=claim,
            **form.cleaned_or_refuse("Enter the counts as whole numbers, 0 or more."),
        ),
        success="Participant counts saved.",
        back=claim,
    )


@record_button(_claim, can_edit_claim)
def claim_submit(request, claim):
    return act_or_refuse(
        request,
        lambda: svc.claim_submit(by=request.user, claim=claim),
        success="Claim submitted. The consortium lead will verify it.",
        back=claim,
    )


@record_button(_claim, can_verify_claim)
def claim_sample(request, claim):
    form = SampleForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.claim_draw_sample(
            by=request.user,
            claim=claim,
            **form.cleaned_or_refuse("Enter the sample size as a whole number."),
        ),
        success=lambda c: (
            f"Sample of {c.sample_size} drawn with seed {c.sample_seed}. Check each sampled line."
        ),
        back=claim,
    )


@record_button(_claim, can_verify_claim)
def claim_verify_all(request, claim):
    return act_or_refuse(
        request,
        lambda: svc.claim_verify_every_line(by=request.user, claim=claim),
        success="Check every line.",
        back=claim,
    )


@record_button(_claim, can_verify_claim, fresh=True)
def claim_verify(request, claim):
    return act_or_refuse(
        request,
        lambda: svc.claim_verify(by=request.user, claim=claim),
        success="Claim verified. The commissioner approves it next.",
        back=claim,
    )


@record_button(_claim, can_verify_claim)
def claim_return(request, claim):
    form = CommentsForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.claim_return(
            by=request.user,
            claim=claim,
            comments=form.cleaned_or_refuse("Say what the member needs to answer.")["comments"],
        ),
        success="Claim returned to the member with your comments.",
        back=claim,
    )


@record_button(_claim, _rejects)
def claim_reject(request, claim):
    form = ReasonForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.claim_reject(
            by=request.user,
            claim=claim,
            reason=form.cleaned_or_refuse("Give the reason for rejecting the claim.")["reason"],
        ),
        success="Claim rejected.",
        back=claim,
    )


@record_button(_claim, can_approve_claim, fresh=True)
def claim_approve(request, claim):
    return act_or_refuse(
        request,
        lambda: svc.claim_approve(by=request.user, claim=claim),
        success=lambda c: f"Claim approved: {money(c.payable_amount)} payable.",
        back=claim,
    )


@record_button(_claim, _pays, fresh=True)
def claim_pay(request, claim):
    form = PayForm(request.POST)
    if not form.is_valid():
        # The payment as typed, its errors beside its fields on the claim's page.
        return _claim_page(request, claim, pay_form=form)
    return act_or_refuse(
        request,
        lambda: svc.claim_pay(by=request.user, claim=claim, **form.cleaned_data),
        success="Payment recorded.",
        back=claim,
    )


def _line(request, pk):
    return access.get_visible_or_404(
        ClaimLine.objects.select_related("claim", "claim__measure__contract"), request.user, pk=pk
    )


@record_button(_line, lambda user, line: can_verify_claim(user, line.claim))
def line_decide(request, line):
    form = DecideForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.line_decide(
            by=request.user,
            line=line,
            **form.cleaned_or_refuse("Choose verified, query or refuse."),
        ),
        success=lambda _: f"Participant {line.code}: {form.cleaned_data['decision']}.",
        back=line.claim,
        prefix=f"Participant {line.code}: ",
    )


@record_button(_line, lambda user, line: can_edit_claim(user, line.claim))
def line_remove(request, line):
    return act_or_refuse(
        request,
        lambda: svc.line_remove(by=request.user, line=line),
        success=f"Line for participant {line.code} removed.",
        back=line.claim,
    )


# --- reports -------------------------------------------------------------------------------


def _window(request):
    first, last = dates.financial_year(timezone.localdate())
    form = PeriodRangeForm(request.GET or None)
    if form.is_valid():
        first = form.cleaned_data["first"] or first
        last = form.cleaned_data["last"] or last
    return form, first, last


@login_required
def statement(request):
    """The PbR statement by measure and member: claimed, verified, approved, capped, paid."""
    access.require(can_see_claims(request.user))
    form, first, last = _window(request)
    contracts = sel.statement_contracts(request.user)
    chosen = request.GET.get("contract", "")
    contract = int(chosen) if chosen.isdigit() and int(chosen) in dict(contracts) else None
    rows, total = sel.statement(request.user, first, last, contract)
    if asks_for_download(request):
        return _statement_download(rows, total, first, last)
    # The summary by measure first; the member rows (of one measure, if chosen) a page at a
    # time, each page with those members' participants; the download keeps every row.
    measures = sel.statement_by_measure(rows)
    measure = request.GET.get("measure", "")
    if measure not in {m.measure for m in measures}:
        measure = ""
    chosen = [r for r in rows if r.measure == measure] if measure else rows
    page = Paginator(chosen, STATEMENT_MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    on_page = {(r.measure, r.member) for r in page}
    achieved = [
        a
        for a in sel.achieved_against_engaged(request.user, first, last)
        if (a["measure"], a["member"]) in on_page
    ]
    window = urlencode({"first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}"})
    return render(
        request,
        "contracts/outcome_statement.html",
        {
            "rows": rows,
            "measures": measures,
            "measure": measure,
            "page": page,
            "total": total,
            "form": form,
            "first": first,
            "last": last,
            "contracts": contracts,
            "contract": contract,
            "achieved": achieved,
            "can_manage": can_manage_measures(request.user),
            "has_measures": bool(contracts),
            "export_query": download_query(request),
            # The same exposure as the exposure page's, over the statement's window: the
            # members with most at risk, and a link to the exposure page, which lists them all.
            "exposure": [
                exposure_section(
                    request.user,
                    "Income that depends on outcomes",
                    most=STATEMENT_EXPOSURE_MEMBERS,
                    first=first,
                    last=last,
                    every=("the exposure page", f"{reverse('outcomes:exposure')}?{window}"),
                )
            ],
        },
    )


STATEMENT_MEMBERS_PER_PAGE = 25
STATEMENT_EXPOSURE_MEMBERS = 10


STATEMENT_HEADERS = (
    "Measure",
    "Member",
    "Claims",
    "Lines claimed",
    "Lines verified",
    "Lines refused",
    "Approved (£)",
    "Capped (£)",
    "Payable (£)",
    "Paid (£)",
)


def _statement_download(rows, total, first, last):
    data = (
        [
            r.measure,
            r.member,
            r.claims,
            r.claimed_lines,
            r.verified_lines,
            r.refused_lines,
            r.approved,
            r.capped,
            r.payable,
            r.paid,
        ]
        for r in [*rows, total]
    )
    name = f"pbr-statement-{first:%Y-%m}-to-{last:%Y-%m}"
    return xlsx_response(name, STATEMENT_HEADERS, data, "PbR statement")


@login_required
def exposure(request):
    access.require(can_see_claims(request.user))
    form, first, last = _window(request)
    figures = sel.exposure(request.user, first, last)
    return render(
        request,
        "contracts/outcome_exposure.html",
        {
            "whole": figures.whole if access.actor(request.user).oversees_consortium else None,
            "members": figures.members,
            "notes": figures.notes,
            "can_manage": can_manage_measures(request.user),
            "form": form,
            "first": first,
            "last": last,
        },
    )


@login_required
def allocation_figures(request):
    """Each member's verified outcomes in approved claims: the figures for an allocation "by
    verified outcomes", which the lead checks on the allocation form before saving."""
    access.require(can_manage_measures(request.user))
    form, first, last = _window(request)
    figures, rows = members_figures(request.user, sel.outcome_figures(request.user, first, last))
    source = (
        f"verified outcomes in approved PbR claims for periods starting {first:%-d %b %Y} to "
        f"{last:%-d %b %Y}"
    )
    return render(
        request,
        "contracts/outcome_allocation_figures.html",
        {
            "rows": rows,
            "total": sum((v for _, v in rows), 0),
            "form": form,
            "first": first,
            "last": last,
            "start_query": prefill_query("outcomes", figures, source) if rows else "",
        },
    )
