"""Performance returns: the list, one return (its figures, upload, review and restatement)
and the buttons on its page."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from consortium import access
from consortium.dates import end_of_day
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView
from consortium.views import (
    act_or_refuse,
    apply_errors,
    record_button,
    save_or_refuse,
    take_upload,
)
from consortium.xlsx import xlsx_file_response
from contracts.access.returns import (
    can_edit_return,
    can_manage_returns_setup,
    can_reopen_return,
    can_review_return,
    can_see_performance,
)
from contracts.filters.returns import ReturnFilter
from contracts.forms.returns import (
    CommentsForm,
    ReturnForm,
    UploadForm,
)
from contracts.models import (
    PerformanceReturn,
    ReportingPeriod,
    Restatement,
    ReturnValue,
)
from contracts.selectors import returns as sel
from contracts.services import returns as svc
from contracts.tables.returns import ReturnTable

# --- the list ------------------------------------------------------------------------------


class ReturnList(ConcordListView):
    model = PerformanceReturn
    table_class = ReturnTable
    filterset_class = ReturnFilter
    title = "Performance returns"
    export_name = "performance-returns"
    empty_noun = "performance returns"
    empty_next = (
        "Set reporting periods on a subcontract",
        "contracts:subcontract_list",
        can_manage_returns_setup,
    )
    empty_hint = "Returns open here once the lead sets reporting periods on a subcontract."

    readers = staticmethod(can_see_performance)

    def get_base_queryset(self):
        return PerformanceReturn.objects.select_related("subcontract", "subcontract__cvo", "period")


# --- one return ----------------------------------------------------------------------------


def _return(request, pk):
    return access.get_visible_or_404(
        PerformanceReturn.objects.select_related(
            "subcontract", "subcontract__cvo", "subcontract__contract", "period", "consortium"
        ),
        request.user,
        pk=pk,
    )


def _as_at(request, ret):
    """The return and its values as they stood at the end of ?as_at=YYYY-MM-DD, or None.
    A commissioner sees a past state only if the return was approved or locked then."""
    try:
        day = datetime.date.fromisoformat(request.GET.get("as_at", ""))
    except ValueError:
        return None, None, None
    moment = end_of_day(day)
    try:
        snap = ret.history.as_of(moment)
    except PerformanceReturn.DoesNotExist:
        return day, None, {}
    a = access.actor(request.user)
    if not (a.oversees_consortium or can_edit_return(request.user, ret)):
        if snap.status not in PerformanceReturn.FROZEN:
            return day, None, {}
    # As the history manager's as_of does, but narrowed to this return before picking each
    # value's latest version (not after, across every value in the consortium).
    versions = (
        ReturnValue.history.filter(ret_id=ret.pk, history_date__lte=moment)
        .latest_of_each()
        .as_instances()
    )
    values = {v.indicator_id: v for v in versions}
    return day, snap, values


@login_required
def return_detail(request, pk):
    ret = _return(request, pk)
    user = request.user
    as_at, snap, snap_values = _as_at(request, ret)
    if as_at is not None:
        rows = [(i, snap_values.get(i.pk)) for i in svc.indicators_for(ret.consortium_id)]
        context = {"ret": ret, "snap": snap, "as_at": as_at, "rows": rows}
        return render(request, "contracts/return_as_at.html", context)
    can_edit = can_edit_return(user, ret) and ret.is_editable
    outcome = svc.check(ret) if can_edit or ret.status == "submitted" else None
    # Each figure beside last month, the same month last year and the target, with the
    # rules' warnings about unusual figures beside the figure each is about.
    rows = sel.review_context(user, ret, outcome.warnings if outcome else ())
    restatements = (
        Restatement.objects.visible_to(user).filter(ret=ret).select_related("reopened_by")
    )
    return render(
        request,
        "contracts/return_detail.html",
        {
            "ret": ret,
            "rows": rows,
            "outcome": outcome,
            "can_edit": can_edit,
            "can_review": ret.status == "submitted" and can_review_return(user, ret),
            "can_reopen": ret.is_frozen and can_reopen_return(user, ret),
            "can_lock": ret.status == "approved" and can_reopen_return(user, ret),
            "upload_form": UploadForm(initial={"expected_version": ret.version})
            if can_edit
            else None,
            "comments_form": CommentsForm(),
            "reason_form": ReasonForm(help_text="Why it is reopened. History keeps this."),
            "restatements": restatements,
        },
    )


@login_required
def return_edit(request, pk):
    ret = _return(request, pk)
    access.require(can_edit_return(request.user, ret))
    if not ret.is_editable:
        messages.error(
            request,
            ret.frozen_message()
            if ret.is_frozen
            else "This return has been submitted. Ask the consortium lead to return it if it "
            "needs a change.",
        )
        return redirect(ret)
    form = ReturnForm(
        request.POST or None,
        indicators=svc.indicators_for(ret.consortium_id),
        values={v.indicator_id: v for v in ReturnValue.objects.filter(ret=ret)},
        initial={"expected_version": ret.version, "narrative": ret.narrative},
    )
    flagged = []
    if request.method == "POST":
        response = _save_return(request, ret, form, flagged)
        if response:
            return response
    return render(
        request, "contracts/return_form.html", {"ret": ret, "form": form, "flagged": flagged}
    )


def _save_return(request, ret, form, flagged):
    """The return form's POST: the draft saved, then submitted when asked. A response when
    done; else None, with every error on the form in one round (what the submission rules
    refuse beside what could not be read as a figure) and the unusual figures in `flagged`."""
    submit = "submit" in request.POST
    if not form.is_valid():
        if submit:
            form.add_submission_errors(svc.check(ret, form.readable_figures()).errors)
        return None
    figures, notes = form.figures()
    data = form.cleaned_data
    saved = [ret]

    def save():
        saved.append(
            svc.return_save_draft(
                ret=ret,
                by=request.user,
                values=figures,
                notes=notes,
                narrative=data["narrative"],
                expected_version=data["expected_version"],
            )
        )
        if submit:
            confirm = data["confirm_warnings"]
            saved.append(
                svc.return_submit(ret=saved[-1], by=request.user, confirm_warnings=confirm)
            )
        return saved[-1]

    def refused(form, error):
        flagged.extend(_refusal_on_form(form, error))
        # The draft may have been saved before the submission was refused.
        form.data = form.data.copy()
        form.data["expected_version"] = saved[-1].version

    done = "Return submitted. The consortium lead will review it." if submit else "Draft saved."
    return save_or_refuse(request, form, save, success=done, refused=refused)


def _refusal_on_form(form, error):
    """A refused save on the return form: each figure's error beside its field. Unusual
    figures are not errors: the draft is saved, and [(field, warning)] says which figures to
    check; the person confirms them to submit."""
    parts = getattr(error, "error_list", None) or []
    if parts and all(p.code == "warnings" for p in parts):
        return [(form.field_for_indicator(p), p.message) for p in parts]
    if any(getattr(p, "indicator", None) for p in parts):
        for p in parts:
            field = form.field_for_indicator(p)
            form.add_error(field.name if field is not None else None, p.message)
    else:
        apply_errors(form, error)
    return []


@login_required
def return_template(request, pk):
    ret = _return(request, pk)
    access.require(can_edit_return(request.user, ret) or can_manage_returns_setup(request.user))
    name = f"return-{ret.subcontract.reference}-{ret.period.start:%Y-%m}".lower()
    return xlsx_file_response(svc.template_bytes(ret), name)


@login_required
def return_upload(request, pk):
    ret = _return(request, pk)
    access.require(can_edit_return(request.user, ret))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        parsed = take_upload(
            form,
            lambda data, filename: svc.return_upload(
                ret=ret,
                by=request.user,
                data=data,
                filename=filename,
                expected_version=form.cleaned_data["expected_version"],
            ),
            max_bytes=svc.returns_xlsx.MAX_BYTES,
        )
        if parsed is not None:
            messages.success(
                request,
                f"Checked {parsed.rows_checked} rows: every figure read. The draft now holds "
                "them; check the results below and submit.",
            )
            for note in parsed.rounded:
                messages.info(request, str(note))
            return redirect(ret)
    problems, checked = getattr(form, "problems", None), getattr(form, "checked", None)
    return render(
        request,
        "contracts/return_upload.html",
        {"ret": ret, "form": form, "problems": problems, "checked": checked},
    )


# --- the buttons on a return's page ---------------------------------------------------------


def _reviews(user, ret):
    return can_review_return(user, ret) or can_reopen_return(user, ret)


@record_button(_return, can_edit_return)
def return_submit(request, ret):
    return act_or_refuse(
        request,
        lambda: svc.return_submit(
            ret=ret, by=request.user, confirm_warnings=request.POST.get("confirm_warnings") == "on"
        ),
        success="Return submitted. The consortium lead will review it.",
        back=ret,
    )


@record_button(_return, _reviews)
def return_approve(request, ret):
    return act_or_refuse(
        request,
        lambda: svc.return_approve(ret=ret, by=request.user),
        success="Return approved.",
        back=ret,
    )


@record_button(_return, _reviews)
def return_return(request, ret):
    form = CommentsForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.return_return(
            ret=ret,
            by=request.user,
            comments=form.cleaned_or_refuse("Say what needs to change before returning it.")[
                "comments"
            ],
        ),
        success="Return sent back with your comments.",
        back=ret,
    )


@record_button(_return, can_reopen_return)
def return_reopen(request, ret):
    form = ReasonForm(request.POST)
    return act_or_refuse(
        request,
        lambda: svc.return_reopen(
            ret=ret,
            by=request.user,
            reason=form.cleaned_or_refuse("Give the reason for reopening; history keeps it.")[
                "reason"
            ],
        ),
        success="Return reopened. Its subcontractor can now restate it.",
        back=ret,
    )


@record_button(_return, can_reopen_return)
def return_lock(request, ret):
    return act_or_refuse(
        request,
        lambda: svc.return_lock(ret=ret, by=request.user),
        success="Return locked.",
        back=ret,
    )


@login_required
@require_POST
def return_start(request, period_pk):
    period = access.get_visible_or_404(
        ReportingPeriod.objects.select_related("subcontract"), request.user, pk=period_pk
    )
    try:
        ret = svc.return_start(period=period, by=request.user)
    except PermissionDenied:
        # The service decides who starts a return (the period's subcontractor's people); its
        # refusal answers 404, as access.require does, so the page's existence does not leak.
        raise Http404("Not found") from None
    return redirect(ret)
