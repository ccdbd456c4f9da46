import datetime
from decimal import Decimal

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from consortium import access
from consortium.base import StaleEdit
from consortium.columns import ConcordTable
from consortium.dates import add_months, end_of_day
from consortium.exports import Export
from consortium.forms import ReasonForm
from consortium.lists import ConcordFilterSet, ConcordListView
from consortium.models import Consortium, Organisation
from consortium.numbers import plural
from consortium.views import (
    REFUSED,
    STALE_MESSAGE,
    act_or_refuse,
    apply_errors,
    form_page,
    reasons,
    record_button,
    save_or_refuse,
)
from consortium.xlsx import xlsx_file_response, xlsx_response
from consortium.xlsx_guard import read_upload
from contracts.access.returns import (
    can_edit_return,
    can_manage_returns_setup,
    can_reopen_return,
    can_review_return,
    can_see_performance,
)
from contracts.forms.returns import (
    CommentsForm,
    IndicatorForm,
    PeriodRangeForm,
    PeriodsForm,
    ReturnForm,
    TargetForm,
    TemplateFieldForm,
    UploadForm,
)
from contracts.models import (
    CommissionerTemplate,
    Indicator,
    PerformanceReturn,
    ReportingPeriod,
    ReportSeen,
    Restatement,
    ReturnValue,
    Subcontract,
    TemplateField,
)
from contracts.selectors import returns as sel
from contracts.services import returns as svc
from contracts.xlsx.returns import UploadRefused

COMPLETENESS_ROWS = 100


# --- the list ------------------------------------------------------------------------------


class ReturnTable(ConcordTable):
    subcontract = tables.Column(linkify=lambda record: record.get_absolute_url())
    organisation = tables.Column(accessor="subcontract__cvo__name", verbose_name="Subcontractor")
    period = tables.Column(order_by=("period__start",))
    due = tables.Column(accessor="period__due_date", verbose_name="Due")
    status = tables.Column()
    late = tables.Column(empty_values=(), orderable=False, verbose_name="Late")

    export = {
        "subcontract": Export("subcontract__reference", "subcontract__title", stub=True),
        "period": Export("period__frequency", "period__start", "period__end", stub=True),
        "late": Export("submitted_at", "period__due_date", stub=True),
    }

    class Meta(ConcordTable.Meta):
        model = PerformanceReturn
        fields = ["subcontract", "organisation", "period", "due", "status", "late"]

    def render_late(self, record):
        text = self.value_late(record)
        if text:
            return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', text)
        return "—"

    def value_late(self, record):
        """How late, in days: sent late (by how much), or still not sent."""
        if not record.is_late():
            return ""
        due = record.period.due_date
        sent = timezone.localdate(record.submitted_at) if record.submitted_at else None
        days = ((sent or timezone.localdate()) - due).days
        return (
            f"Sent {days} day{'s' if days != 1 else ''} late"
            if sent
            else (f"{days} day{'s' if days != 1 else ''} late")
        )


class ReturnFilter(ConcordFilterSet):
    status = django_filters.ChoiceFilter(choices=PerformanceReturn.Status.choices)
    # A text search, not a dropdown: a lead of a large consortium has thousands.
    subcontract = django_filters.CharFilter(
        field_name="subcontract__reference", lookup_expr="icontains", label="Subcontract reference"
    )

    class Meta:
        model = PerformanceReturn
        fields = ["status", "subcontract"]


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
        indicators = svc.indicators_for(ret.consortium_id)
        return render(
            request,
            "contracts/return_as_at.html",
            {
                "ret": ret,
                "snap": snap,
                "as_at": as_at,
                "rows": [(i, snap_values.get(i.pk)) for i in indicators],
            },
        )
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
    indicators = svc.indicators_for(ret.consortium_id)
    values = {v.indicator_id: v for v in ReturnValue.objects.filter(ret=ret)}
    form = ReturnForm(
        request.POST or None,
        indicators=indicators,
        values=values,
        initial={"expected_version": ret.version, "narrative": ret.narrative},
    )
    flagged = []
    if request.method == "POST" and not form.is_valid() and "submit" in request.POST:
        # Every error in one round: what the submission rules would refuse (a blank required
        # figure, a funnel out of order) beside what could not be read as a figure.
        form.add_submission_errors(svc.check(ret, form.readable_figures()).errors)
    if request.method == "POST" and form.is_valid():
        figures, notes = form.figures()
        submit = "submit" in request.POST

        def save():
            nonlocal ret
            ret = svc.return_save_draft(
                ret=ret,
                by=request.user,
                values=figures,
                notes=notes,
                narrative=form.cleaned_data["narrative"],
                expected_version=form.cleaned_data["expected_version"],
            )
            if submit:
                ret = svc.return_submit(
                    ret=ret, by=request.user, confirm_warnings=form.cleaned_data["confirm_warnings"]
                )
            return ret

        def refused(form, e):
            nonlocal flagged
            parts = getattr(e, "error_list", None) or []
            if parts and all(p.code == "warnings" for p in parts):
                # Unusual figures are not errors: the draft is saved, the page says which
                # figures to check, and the person confirms them to submit.
                flagged = [(form.field_for_indicator(p), p.message) for p in parts]
            elif any(getattr(p, "indicator", None) for p in parts):
                for p in parts:
                    field = form.field_for_indicator(p)
                    form.add_error(field.name if field is not None else None, p.message)
            else:
                apply_errors(form, e)
            # The draft may have been saved before the submission was refused.
            form.data = form.data.copy()
            form.data["expected_version"] = ret.version

        response = save_or_refuse(
            request,
            form,
            save,
            success="Return submitted. The consortium lead will review it."
            if submit
            else "Draft saved.",
            refused=refused,
        )
        if response:
            return response
    return render(
        request, "contracts/return_form.html", {"ret": ret, "form": form, "flagged": flagged}
    )


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
    problems, checked = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = read_upload(upload, max_bytes=svc.returns_xlsx.MAX_BYTES)
            parsed = svc.return_upload(
                ret=ret,
                by=request.user,
                data=data,
                filename=upload.name,
                expected_version=form.cleaned_data["expected_version"],
            )
            messages.success(
                request,
                f"Checked {parsed.rows_checked} rows: every figure read. The draft now holds "
                "them; check the results below and submit.",
            )
            for note in parsed.rounded:
                messages.info(request, str(note))
            return redirect(ret)
        except UploadRefused as e:
            form.add_error("file", str(e))
        except svc.UploadInvalid as e:
            problems, checked = e.problems, e.rows_checked
            form.add_error(
                "file",
                f"Checked {plural(checked, 'row')}: {plural(len(problems), 'problem')} found, so nothing was "
                "saved. Correct them in the spreadsheet and upload it again.",
            )
        except StaleEdit:
            form.add_error("file", STALE_MESSAGE)
        except REFUSED as e:
            form.add_error("file", " ".join(reasons(e)))
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


# --- indicators ----------------------------------------------------------------------------


@login_required
def indicator_list(request):
    access.require(access.reads_consortium(request.user))
    indicators = Indicator.objects.visible_to(request.user).select_related(
        "not_more_than", "breakdown_of"
    )
    return render(
        request,
        "contracts/indicator_list.html",
        {"indicators": indicators, "can_manage": can_manage_returns_setup(request.user)},
    )


@login_required
def indicator_detail(request, pk):
    ind = access.get_visible_or_404(Indicator, request.user, pk=pk)
    return render(
        request,
        "contracts/indicator_detail.html",
        {"ind": ind, "can_manage": can_manage_returns_setup(request.user)},
    )


@login_required
def indicator_edit(request, pk=None):
    access.require(can_manage_returns_setup(request.user))
    ind = (
        access.get_visible_or_404(Indicator, request.user, pk=pk)
        if pk
        else Indicator(consortium_id=request.actor.consortium_id)
    )
    form = IndicatorForm(request.POST or None, instance=ind, user=request.user)
    return form_page(
        request,
        form,
        lambda: svc.indicator_save(
            indicator=form.instance,
            by=request.user,
            expected_version=form.cleaned_data["expected_version"],
        ),
        success=lambda ind: f"{ind.code} saved.",
        title=f"Change {ind.code}" if pk else "Add an indicator",
        object=ind if pk else None,
    )


# --- commissioner templates and reports ----------------------------------------------------


@login_required
def template_list(request):
    templates = CommissionerTemplate.objects.visible_to(request.user).select_related("commissioner")
    access.require(can_see_performance(request.user))
    return render(request, "contracts/template_list.html", {"templates": templates})


@login_required
def template_detail(request, pk):
    template = access.get_visible_or_404(
        CommissionerTemplate.objects.select_related("commissioner"), request.user, pk=pk
    )
    can_manage = can_manage_returns_setup(request.user)
    form = TemplateFieldForm(request.POST or None, user=request.user) if can_manage else None
    if request.method == "POST":
        access.require(can_manage)
        if form.is_valid():
            field = form.save(commit=False)
            field.template = template
            field.consortium_id = template.consortium_id
            field.save_as(by=request.user, reason="Field mapped")
            messages.success(request, f"{field.label} mapped to {field.indicator.code}.")
            return redirect(template)
    fields = (
        TemplateField.objects.visible_to(request.user)
        .filter(template=template)
        .select_related("indicator")
    )
    return render(
        request,
        "contracts/template_detail.html",
        {"template": template, "fields": fields, "form": form, "can_manage": can_manage},
    )


def _range(request):
    today = timezone.localdate()
    form = PeriodRangeForm(request.GET or None)
    first = add_months(today, -12)
    last = today
    if form.is_valid():
        first = form.cleaned_data["first"] or first
        last = form.cleaned_data["last"] or last
    return form, first, last


@login_required
def template_report(request, pk):
    template = access.get_visible_or_404(
        CommissionerTemplate.objects.select_related("commissioner"), request.user, pk=pk
    )
    form, first, last = _range(request)
    report, rets = sel.commissioner_report_by_month(template, request.user, first, last)
    lines = report.lines
    if request.GET.get("export") == "xlsx":
        rows = (
            [
                line.group,
                line.label,
                line.value,
                line.indicator.code,
                "; ".join(label for _, label in line.returns),
                *[value for _, value in line.by_month],
            ]
            for line in lines
        )
        return xlsx_response(
            f"report-{template.commissioner.name[:30]}-{first:%Y-%m}-to-{last:%Y-%m}".replace(
                " ", "-"
            ).lower(),
            [
                template.commissioner.name + " field group",
                "Field",
                "Figure",
                "Concord indicator",
                "Returns behind it",
                *[f"{m:%B %Y}" for m in report.months],
            ],
            rows,
            title=template.name,
        )
    seen = ReportSeen.objects.filter(template=template, user=request.user).first()
    restated = Restatement.objects.visible_to(request.user).filter(
        ret__in=[r.pk for r in rets], reapproved_at__isnull=False
    )
    if seen:
        restated = restated.filter(reapproved_at__gt=seen.seen_at)
    restated = list(restated.select_related("ret", "ret__subcontract", "ret__period"))
    ReportSeen.objects.update_or_create(
        template=template,
        user=request.user,
        defaults={"consortium_id": template.consortium_id, "seen_at": timezone.now()},
    )
    export_query = request.GET.copy()
    export_query["export"] = "xlsx"
    return render(
        request,
        "contracts/template_report.html",
        {
            "template": template,
            "lines": lines,
            "report": report,
            "form": form,
            "first": first,
            "last": last,
            "returns_count": len(rets),
            "restated": restated,
            "last_seen": seen.seen_at if seen else None,
            "export_query": export_query.urlencode(),
        },
    )


# --- performance ---------------------------------------------------------------------------


@login_required
def performance(request, pk=None):
    access.require(can_see_performance(request.user))
    sub = (
        access.get_visible_or_404(Subcontract.objects.select_related("cvo"), request.user, pk=pk)
        if pk
        else None
    )
    form, first, last = _range(request)
    indicators = list(Indicator.objects.visible_to(request.user).filter(breakdown_of=None))
    chosen = request.GET.get("indicator")
    indicator = next(
        (i for i in indicators if i.code == chosen), indicators[0] if indicators else None
    )
    rows = sel.performance(request.user, indicator, sub, first, last) if indicator else []
    chart = mark_safe(sel.trend_svg(f"{indicator.name}: actual and target", rows)) if rows else None
    funnel = sel.funnel(request.user, first, last, sub)
    complete = sel.completeness(request.user, first, last)
    if sub is not None:
        complete = [c for c in complete if c[0].subcontract_id == sub.pk]
    # Counts of every state; rows only for what needs chasing (approved ones are the norm).
    states = {}
    for _, _, state in complete:
        states[state] = states.get(state, 0) + 1
    outstanding = [c for c in complete if c[2] != "approved"]
    return render(
        request,
        "contracts/performance.html",
        {
            "sub": sub,
            "form": form,
            "first": first,
            "last": last,
            "indicators": indicators,
            "indicator": indicator,
            "rows": rows,
            "chart": chart,
            "funnel": funnel,
            "completeness": outstanding[:COMPLETENESS_ROWS],
            "completeness_more": max(0, len(outstanding) - COMPLETENESS_ROWS),
            "states": sorted(states.items()),
            "can_start": access.actor(request.user).has("cvo_manager"),
            "can_setup": can_manage_returns_setup(request.user),
        },
    )


@login_required
def period_setup(request, pk):
    """Reporting periods (with due dates) and targets for one subcontract: the lead's page."""
    access.require(can_manage_returns_setup(request.user))
    sub = access.get_visible_or_404(Subcontract.objects.select_related("cvo"), request.user, pk=pk)
    periods = ReportingPeriod.objects.visible_to(request.user).filter(subcontract=sub)
    indicators = Indicator.objects.visible_to(request.user).filter(active=True)
    is_target = request.method == "POST" and "t-value" in request.POST
    periods_form = PeriodsForm(
        request.POST if request.method == "POST" and not is_target else None,
        initial={"first": sub.start, "last": sub.end},
        prefix="p",
    )
    target_form = TargetForm(
        request.POST if is_target else None, periods=periods, indicators=indicators, prefix="t"
    )
    form = target_form if is_target else periods_form
    if request.method == "POST" and form.is_valid():
        d, back = form.cleaned_data, lambda _: request.path
        if is_target:
            save, done = (lambda: svc.target_set(by=request.user, **d)), "Target set."
        else:
            save = lambda: svc.periods_create(subcontract=sub, by=request.user, **d)  # noqa: E731
            done = lambda made: f"{len(made)} reporting periods added."  # noqa: E731
        response = save_or_refuse(request, form, save, success=done, to=back)
        if response:
            return response
    return render(
        request,
        "contracts/period_setup.html",
        {
            "sub": sub,
            "periods": periods.prefetch_related("targets__indicator"),
            "periods_form": periods_form,
            "target_form": target_form,
        },
    )


@login_required
def activity(request):
    """Each member's approved activity for an indicator and period range: the figures for an
    allocation "by activity" (contracts.selectors.returns.activity_by_member)."""
    access.require(can_manage_returns_setup(request.user))

    form, first, last = _range(request)
    indicators = list(Indicator.objects.visible_to(request.user).filter(unit="count"))
    chosen = request.GET.get("indicator")
    indicator = next(
        (i for i in indicators if i.code == chosen), indicators[0] if indicators else None
    )
    consortium = Consortium.objects.get(pk=request.actor.consortium_id)
    figures = sel.activity_by_member(consortium, first, last, indicator.code) if indicator else {}
    orgs = Organisation.objects.visible_to(request.user).in_bulk(list(figures))
    rows = sorted(((orgs[k].name, v) for k, v in figures.items() if k in orgs), key=lambda r: r[0])
    if request.GET.get("export") == "xlsx":
        # With no count indicator yet the download is the headers alone, like any empty list.
        code = indicator.code.lower() if indicator else "none"
        heading = f"{indicator.name} ({indicator.code})" if indicator else "Activity"
        return xlsx_response(
            f"activity-{code}-{first:%Y-%m}-to-{last:%Y-%m}",
            ["Member", f"{heading}, approved returns"],
            rows,
            title="Approved activity",
        )
    export_query = request.GET.copy()
    export_query["export"] = "xlsx"
    # The figures travel to a new allocation by activity, where the lead checks and saves them.
    start_query = QueryDict(mutable=True)
    start_query["formula"] = "activity"
    for org_id, value in figures.items():
        if org_id in orgs:
            start_query[f"figure_{org_id}"] = str(value)
    if indicator:
        start_query["source"] = (
            f"{indicator.name} ({indicator.code}) from approved returns for periods starting "
            f"{first:%-d %b %Y} to {last:%-d %b %Y}"
        )
    return render(
        request,
        "contracts/activity.html",
        {
            "form": form,
            "indicators": indicators,
            "indicator": indicator,
            "rows": rows,
            "total": sum((v for _, v in rows), Decimal(0)),
            "first": first,
            "last": last,
            "export_query": export_query.urlencode(),
            "start_query": start_query.urlencode() if rows else "",
        },
    )
