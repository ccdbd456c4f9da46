"""Payment-by-results pages: measures, claims (lines, evidence upload, verification,
approval, payment), the PbR statement, exposure and the "by verified outcomes" figures."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from consortium import access, dates, twofactor
from consortium.base import StaleEdit
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView
from consortium.models import Organisation
from consortium.numbers import plural
from consortium.views import STALE_MESSAGE, save_or_refuse
from consortium.xlsx import xlsx_file_response, xlsx_response
from consortium.xlsx_guard import UploadRefused, read_upload
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
from contracts.models import ClaimFrozen, ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
from contracts.selectors import outcomes as sel
from contracts.services import outcomes as svc
from contracts.tables.outcomes import ClaimTable, MeasureTable
from contracts.xlsx import outcomes as evidence_xlsx
from funding.services import eligible_members

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


@login_required
@require_POST
def measure_action(request, pk, action):
    access.require(can_manage_measures(request.user))
    measure = _measure(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()  # the reason is needed to revise, optional to publish
    reason = form.cleaned_data.get("reason", "")
    try:
        if action == "publish":
            measure = svc.measure_publish(by=request.user, measure=measure, reason=reason)
            messages.success(request, f"{measure.code} v{measure.revision} published.")
        elif action == "revise":
            measure = svc.measure_revise(by=request.user, measure=measure, reason=reason)
            messages.success(
                request, f"Draft v{measure.revision} started: change it, then publish."
            )
        else:
            raise Http404("Not found")
    except (ValidationError, PermissionDenied) as e:
        for m in getattr(e, "messages", None) or [str(e)]:
            messages.error(request, m)
    return redirect(measure)


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
    if form.is_valid():
        try:
            claim = svc.claim_start(
                by=request.user,
                measure=measure,
                claimant=form.cleaned_data["claimant"],
                period_start=datetime.date.fromisoformat(form.cleaned_data["period_start"]),
            )
            messages.success(request, "Claim started. Add its lines or upload the evidence.")
            return redirect(claim)
        except (ValidationError, PermissionDenied) as e:
            for m in getattr(e, "messages", None) or [str(e)]:
                messages.error(request, m)
    else:
        messages.error(request, "Choose the member and the claim period.")
    return redirect(measure)


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


def _claim_page(request, claim, *, pay_form=None):
    """The claim's page; with `pay_form`, the payment as typed, its errors shown the GOV.UK way
    (the summary, "Error:" in the title, each message beside its field)."""
    user = request.user
    lines = ClaimLine.objects.visible_to(user).filter(claim=claim).select_related("decided_by")
    found = None
    find_form = FindLineForm(request.GET if "reference" in request.GET else None)
    if find_form.is_bound and find_form.is_valid():
        try:
            digest = svc.participant_hash(claim.consortium_id, find_form.cleaned_data["reference"])
            found = list(lines.filter(participant=digest))
        except ValidationError:
            found = []
    status = request.GET.get("line_status")
    if status in ClaimLine.Status.values:
        lines = lines.filter(status=status)
    if request.GET.get("sample") == "1":
        lines = lines.filter(in_sample=True)
    page = Paginator(lines.order_by("outcome_date", "id"), LINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    editing = can_edit_claim(user, claim) and claim.is_editable
    verifying = claim.status == PbRClaim.Status.SUBMITTED and can_verify_claim(user, claim)
    a = access.actor(user)
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
            "editing": editing,
            "verifying": verifying,
            "approving": claim.status == PbRClaim.Status.VERIFIED
            and can_approve_claim(user, claim),
            "paying": claim.status == PbRClaim.Status.APPROVED and can_pay_claim(user),
            "show_people": a.oversees_consortium or claims_for(user, claim.claimant_id),
            "counts_form": CountsForm(
                initial={
                    "eligible": claim.eligible,
                    "engaged": claim.engaged,
                    "expected_version": claim.version,
                }
            ),
            "sample_form": SampleForm(),
            "decide_form": DecideForm(),
            "comments_form": CommentsForm(),
            "reason_form": ReasonForm(help_text="Why it is rejected. The member sees this."),
            "pay_form": pay_form or PayForm(initial={"paid_on": timezone.localdate()}),
            "line_statuses": ClaimLine.Status.choices,
        },
    )


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
    problems, checked = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = read_upload(upload, max_bytes=evidence_xlsx.MAX_BYTES)
            n = svc.claim_upload(
                by=request.user,
                claim=claim,
                data=data,
                filename=upload.name,
                remove_lines=form.lines_to_remove(),
            )
            messages.success(
                request, f"Checked {n} rows: every line read. The claim now holds them."
            )
            return redirect(claim)
        except UploadRefused as e:
            form.add_error("file", str(e))
        except svc.UploadRemovesLines as e:
            data = request.POST.copy()
            data["removing"] = e.count
            data.pop("confirm_removal", None)
            form = UploadForm(data, request.FILES, removing=e.count)
            form.is_valid()
            form.add_error("file", e.messages[0])
        except svc.UploadInvalid as e:
            problems, checked = e.problems, e.rows_checked
            form.add_error(
                "file",
                f"Checked {plural(checked, 'row')}: {plural(len(problems), 'problem')} found, so nothing was "
                "saved. Correct them in the spreadsheet and upload it again.",
            )
        except (ValidationError, PermissionDenied, ClaimFrozen) as e:
            form.add_error("file", " ".join(getattr(e, "messages", [str(e)])))
    return render(
        request,
        "contracts/claim_upload.html",
        {
            "claim": claim,
            "form": form,
            "problems": problems,
            "checked": checked,
            "line_count": claim.lines.count(),
        },
    )


CLAIM_ACTIONS = {
    "counts",
    "submit",
    "sample",
    "verify_all",
    "verify",
    "return",
    "reject",
    "approve",
    "pay",
}


SENSITIVE_CLAIM_ACTIONS = ("verify", "approve", "pay")


@login_required
@require_POST
def claim_action(request, pk, action):
    claim = _claim(request, pk)
    user = request.user
    if action not in CLAIM_ACTIONS:
        raise Http404("Not found")
    try:
        if action in SENSITIVE_CLAIM_ACTIONS:
            allowed = {
                "verify": can_verify_claim,
                "approve": can_approve_claim,
            }.get(action, lambda u, c: can_pay_claim(u))
            access.require(allowed(user, claim))
            # Verifying, approving and paying decide money: each asks for a fresh second
            # factor, and comes back to the claim page to be done again.
            if ask := twofactor.fresh_factor_response(request, next_url=claim.get_absolute_url()):
                return ask
        if action in ("counts", "submit"):
            access.require(can_edit_claim(user, claim))
            if action == "counts":
                form = CountsForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Enter the counts as whole numbers, 0 or more.")
                svc.claim_save_counts(by=user, claim=claim, **form.cleaned_data)
                messages.success(request, "Participant counts saved.")
            else:
                svc.claim_submit(by=user, claim=claim)
                messages.success(request, "Claim submitted. The consortium lead will verify it.")
        elif action in ("sample", "verify_all", "verify", "return"):
            access.require(can_verify_claim(user, claim))
            if action == "sample":
                form = SampleForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Enter the sample size as a whole number.")
                claim = svc.claim_draw_sample(by=user, claim=claim, **form.cleaned_data)
                messages.success(
                    request,
                    f"Sample of {claim.sample_size} drawn with seed {claim.sample_seed}. "
                    "Check each sampled line.",
                )
            elif action == "verify_all":
                svc.claim_verify_every_line(by=user, claim=claim)
                messages.success(request, "Check every line.")
            elif action == "verify":
                svc.claim_verify(by=user, claim=claim)
                messages.success(request, "Claim verified. The commissioner approves it next.")
            else:
                form = CommentsForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Say what the member needs to answer.")
                svc.claim_return(by=user, claim=claim, comments=form.cleaned_data["comments"])
                messages.success(request, "Claim returned to the member with your comments.")
        elif action == "reject":
            access.require(can_verify_claim(user, claim) or can_approve_claim(user, claim))
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Give the reason for rejecting the claim.")
            svc.claim_reject(by=user, claim=claim, reason=form.cleaned_data["reason"])
            messages.success(request, "Claim rejected.")
        elif action == "approve":
            access.require(can_approve_claim(user, claim))
            claim = svc.claim_approve(by=user, claim=claim)
            messages.success(request, f"Claim approved: £{claim.payable_amount:,.2f} payable.")
        elif action == "pay":
            access.require(can_pay_claim(user))
            form = PayForm(request.POST)
            if not form.is_valid():
                return _claim_page(request, claim, pay_form=form)
            svc.claim_pay(by=user, claim=claim, **form.cleaned_data)
            messages.success(request, "Payment recorded.")
    except StaleEdit:
        messages.error(request, STALE_MESSAGE)
    except (ValidationError, PermissionDenied, ClaimFrozen) as e:
        for m in getattr(e, "messages", None) or [str(e)]:
            messages.error(request, m)
    return redirect(claim)


def _line(request, pk):
    return access.get_visible_or_404(
        ClaimLine.objects.select_related("claim", "claim__measure__contract"), request.user, pk=pk
    )


@login_required
@require_POST
def line_decide(request, pk):
    line = _line(request, pk)
    access.require(can_verify_claim(request.user, line.claim))
    form = DecideForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose verified, query or refuse.")
        svc.line_decide(by=request.user, line=line, **form.cleaned_data)
        messages.success(request, f"Participant {line.code}: {form.cleaned_data['decision']}.")
    except (ValidationError, PermissionDenied, ClaimFrozen) as e:
        for m in getattr(e, "messages", None) or [str(e)]:
            messages.error(request, f"Participant {line.code}: {m}")
    return redirect(line.claim)


@login_required
@require_POST
def line_remove(request, pk):
    line = _line(request, pk)
    access.require(can_edit_claim(request.user, line.claim))
    try:
        svc.line_remove(by=request.user, line=line)
        messages.success(request, f"Line for participant {line.code} removed.")
    except (ValidationError, PermissionDenied, ClaimFrozen) as e:
        for m in getattr(e, "messages", None) or [str(e)]:
            messages.error(request, m)
    return redirect(line.claim)


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
    contracts = list(
        access.visible(OutcomeMeasure.objects.all(), request.user)
        .values_list("contract_id", "contract__reference")
        .distinct()
        .order_by("contract__reference")
    )
    contract = None
    chosen = request.GET.get("contract")
    if chosen and chosen.isdigit() and int(chosen) in {c for c, _ in contracts}:
        contract = int(chosen)
    rows, total = sel.statement(request.user, first, last, contract)
    if request.GET.get("export") == "xlsx":
        headers = [
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
        ]
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
        return xlsx_response(
            f"pbr-statement-{first:%Y-%m}-to-{last:%Y-%m}", headers, data, "PbR statement"
        )
    export_query = request.GET.copy()
    export_query["export"] = "xlsx"
    return render(
        request,
        "contracts/outcome_statement.html",
        {
            "rows": rows,
            "total": total,
            "form": form,
            "first": first,
            "last": last,
            "contracts": contracts,
            "contract": contract,
            "achieved": sel.achieved_against_engaged(request.user, first, last),
            "can_manage": can_manage_measures(request.user),
            "has_measures": bool(contracts),
            "export_query": export_query.urlencode(),
            # The same exposure as the exposure page's, over the statement's window.
            "exposure": [
                exposure_section(
                    request.user, "Income that depends on outcomes", first=first, last=last
                )
            ],
        },
    )


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
    figures = sel.outcome_figures(request.user, first, last)
    orgs = Organisation.objects.visible_to(request.user).in_bulk(list(figures))
    rows = sorted(((orgs[k].name, v) for k, v in figures.items() if k in orgs), key=lambda r: r[0])
    start_query = QueryDict(mutable=True)
    start_query["formula"] = "outcomes"
    for org_id, value in figures.items():
        if org_id in orgs:
            start_query[f"figure_{org_id}"] = str(value)
    start_query["source"] = (
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
            "start_query": start_query.urlencode() if rows else "",
        },
    )
