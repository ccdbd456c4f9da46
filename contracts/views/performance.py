"""Indicators, commissioners' templates and reports, performance over time, reporting periods
and targets, and each member's approved activity."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe

from consortium import access
from consortium.dates import add_months
from consortium.lists import ConcordListView, asks_for_download, download_query
from consortium.models import Consortium
from consortium.views import (
    form_page,
    save_or_refuse,
)
from consortium.xlsx import xlsx_response
from contracts.access.returns import (
    can_manage_returns_setup,
    can_see_performance,
)
from contracts.filters.returns import IndicatorFilter, TemplateFilter
from contracts.forms.returns import (
    IndicatorForm,
    PeriodRangeForm,
    PeriodsForm,
    TargetForm,
    TemplateFieldForm,
)
from contracts.models import (
    CommissionerTemplate,
    Indicator,
    ReportingPeriod,
    Subcontract,
    TemplateField,
)
from contracts.selectors import returns as sel
from contracts.services import returns as svc
from contracts.tables.returns import IndicatorTable, TemplateTable
from funding.forms import prefill_query
from funding.services import members_figures

COMPLETENESS_ROWS = 100


# --- indicators ----------------------------------------------------------------------------


class IndicatorList(ConcordListView):
    model = Indicator
    table_class = IndicatorTable
    filterset_class = IndicatorFilter
    title = "Indicator library"
    export_name = "indicators"
    template_name = "contracts/indicator_list.html"
    readers = staticmethod(access.reads_consortium)
    add_action = ("Add an indicator", "returns:indicator_create", can_manage_returns_setup)
    empty_noun = "indicators"
    empty_hint = "The consortium lead writes the indicator library."

    def get_base_queryset(self):
        return Indicator.objects.select_related("not_more_than", "breakdown_of")


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


class TemplateList(ConcordListView):
    model = CommissionerTemplate
    table_class = TemplateTable
    filterset_class = TemplateFilter
    title = "Commissioner reports"
    export_name = "commissioner-reports"
    template_name = "contracts/template_list.html"
    readers = staticmethod(can_see_performance)
    empty_noun = "commissioner templates"
    empty_hint = "The consortium lead maps each commissioner's report onto the indicators."

    def get_base_queryset(self):
        return CommissionerTemplate.objects.select_related("commissioner")


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


def _chosen(request, indicators):
    """The indicator asked for by its code (?indicator=), else the first."""
    chosen = request.GET.get("indicator")
    return next((i for i in indicators if i.code == chosen), indicators[0] if indicators else None)


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
    if asks_for_download(request):
        return _report_download(template, report, first, last)
    restated, last_seen = svc.report_visited(template, request.user, rets)
    return render(
        request,
        "contracts/template_report.html",
        {
            "template": template,
            "lines": report.lines,
            "report": report,
            "form": form,
            "first": first,
            "last": last,
            "returns_count": len(rets),
            "restated": restated,
            "last_seen": last_seen,
            "export_query": download_query(request),
        },
    )


def _report_download(template, report, first, last):
    """The report in the commissioner's layout, a column per month."""
    rows = (
        [
            line.group,
            line.label,
            line.value,
            line.indicator.code,
            "; ".join(label for _, label in line.returns),
            *[value for _, value in line.by_month],
        ]
        for line in report.lines
    )
    headers = [
        template.commissioner.name + " field group",
        "Field",
        "Figure",
        "Concord indicator",
        "Returns behind it",
        *[f"{m:%B %Y}" for m in report.months],
    ]
    name = f"report-{template.commissioner.name[:30]}-{first:%Y-%m}-to-{last:%Y-%m}"
    return xlsx_response(name.replace(" ", "-").lower(), headers, rows, title=template.name)


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
    indicator = _chosen(request, indicators)
    rows = sel.performance(request.user, indicator, sub, first, last) if indicator else []
    chart = mark_safe(sel.trend_svg(f"{indicator.name}: actual and target", rows)) if rows else None
    # Rows only for what needs chasing (approved ones are the norm); counts of every state.
    outstanding, states = sel.outstanding_returns(request.user, first, last, sub)
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
            "funnel": sel.funnel(request.user, first, last, sub),
            "completeness": outstanding[:COMPLETENESS_ROWS],
            "completeness_more": max(0, len(outstanding) - COMPLETENESS_ROWS),
            "states": states,
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


def _activity_download(indicator, rows, first, last):
    # With no count indicator yet the download is the headers alone, like any empty list.
    code = indicator.code.lower() if indicator else "none"
    heading = f"{indicator.name} ({indicator.code})" if indicator else "Activity"
    return xlsx_response(
        f"activity-{code}-{first:%Y-%m}-to-{last:%Y-%m}",
        ["Member", f"{heading}, approved returns"],
        rows,
        title="Approved activity",
    )


@login_required
def activity(request):
    """Each member's approved activity for an indicator and period range: the figures for an
    allocation "by activity" (contracts.selectors.returns.activity_by_member)."""
    access.require(can_manage_returns_setup(request.user))
    form, first, last = _range(request)
    indicators = list(Indicator.objects.visible_to(request.user).filter(unit="count"))
    indicator = _chosen(request, indicators)
    consortium = Consortium.objects.get(pk=request.actor.consortium_id)
    figures = sel.activity_by_member(consortium, first, last, indicator.code) if indicator else {}
    figures, rows = members_figures(request.user, figures)
    if asks_for_download(request):
        return _activity_download(indicator, rows, first, last)
    # The figures travel to a new allocation by activity, where the lead checks and saves them.
    source = indicator and (
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
            "export_query": download_query(request),
            "start_query": prefill_query("activity", figures, source) if rows else "",
        },
    )
