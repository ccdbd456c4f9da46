from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from consortium import access, twofactor
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView, asks_for_download
from consortium.models import Organisation
from consortium.views import REFUSED, apply_errors, form_page, save_or_refuse
from consortium.xlsx import xlsx_response
from funding import results, services
from funding import runway as runway_module
from funding.access import (
    can_manage_money,
    can_read_statements,
    can_see_allocations,
    can_see_payments,
    can_see_runway,
    can_see_streams,
)
from funding.filters import AllocationFilter, PaymentFilter, StreamFilter
from funding.forms import AllocationForm, GenerateScheduleForm, PaidForm, PaymentForm, StreamForm
from funding.models import Allocation, AllocationLine, FundingStream, Payment
from funding.tables import AllocationTable, PaymentTable, StreamTable

# --- streams --------------------------------------------------------------------------------


class StreamList(ConcordListView):
    model = FundingStream
    table_class = StreamTable
    filterset_class = StreamFilter
    title = "Funding streams"
    import_kind = "funding-streams"

    readers = staticmethod(can_see_streams)

    def get_base_queryset(self):
        return FundingStream.objects.select_related("funder")

    add_action = ("Add a funding stream", "funding:stream_create", can_manage_money)


@login_required
def stream_detail(request, pk):
    stream = access.get_visible_or_404(
        FundingStream.objects.select_related("funder"), request.user, pk=pk
    )
    manager = can_manage_money(request.user)
    allocations = (
        Allocation.objects.visible_to(request.user)
        .filter(stream=stream)
        .order_by("-period_start", "-revision")
        if manager
        else []
    )
    subcontracts = stream.subcontracts.visible_to(request.user) if manager else []
    return render(
        request,
        "funding/stream_detail.html",
        {
            "stream": stream,
            "can_manage": manager,
            "allocations": allocations,
            "subcontracts": subcontracts,
            "contracts": stream.contracts.visible_to(request.user),
        },
    )


@login_required
def stream_edit(request, pk=None):
    access.require(can_manage_money(request.user))
    stream = (
        access.get_visible_or_404(FundingStream, request.user, pk=pk) if pk else FundingStream()
    )
    form = StreamForm(request.POST or None, instance=stream, user=request.user)
    title = f"Change {stream.name}" if pk else "Add a funding stream"
    return form_page(
        request,
        form,
        lambda: services.stream_save(
            by=request.user,
            stream=form.instance,
            expected_version=form.cleaned_data["expected_version"],
        ),
        success=f"{stream.name} saved.",
        title=title,
        object=stream if pk else None,
    )


# --- runway ---------------------------------------------------------------------------------


def _runway_for(request):
    access.require(can_see_runway(request.user))
    member = None
    member_id = request.GET.get("member")
    if member_id:
        access.require(can_manage_money(request.user))
        member = access.get_visible_or_404(Organisation, request.user, pk=member_id)
        return runway_module.member_runway(request.user, member), member
    return runway_module.consortium_runway(request.user), None


@login_required
def runway(request):
    data, member = _runway_for(request)
    if asks_for_download(request):
        headers = ["Month", *[f[0] for f in data.funders], "Total"]
        rows = [[m, *amounts, total] for m, amounts, total in data.rows()]
        return xlsx_response(
            f"funding-runway-{timezone.localdate():%Y-%m-%d}", headers, rows, "Runway"
        )
    members = (
        services.eligible_members(request.actor.consortium_id)
        if can_manage_money(request.user)
        else []
    )
    query = request.GET.urlencode()
    return render(
        request,
        "funding/runway.html",
        {
            "runway": data,
            "member": member,
            "members": members,
            "query": query,
            "title": data.title,
            "sections": runway_module.runway_sections(request, member),
        },
    )


@login_required
def runway_chart(request):
    data, _member = _runway_for(request)
    response = HttpResponse(runway_module.chart_svg(data), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- allocations ----------------------------------------------------------------------------


class AllocationList(ConcordListView):
    model = Allocation
    table_class = AllocationTable
    filterset_class = AllocationFilter
    title = "Allocations"

    readers = staticmethod(can_see_allocations)

    def get_base_queryset(self):
        return Allocation.objects.select_related("stream")

    add_action = ("Start an allocation", "funding:allocation_create", can_manage_money)


def _lines(allocation, user):
    return (
        AllocationLine.objects.visible_to(user)
        .filter(allocation=allocation)
        .select_related("organisation")
        .order_by("organisation__name", "kind")
    )


@login_required
def allocation_detail(request, pk):
    allocation = access.get_visible_or_404(
        Allocation.objects.select_related("stream__funder", "prepared_by", "approved_by"),
        request.user,
        pk=pk,
    )
    manager = can_manage_money(request.user)
    versions = (
        allocation.same_pot().visible_to(request.user).order_by("revision") if manager else []
    )
    lines = list(_lines(allocation, request.user))
    own = access.actor(request.user).orgs("cvo_manager")
    return render(
        request,
        "funding/allocation_detail.html",
        {
            "allocation": allocation,
            "lines": lines,
            "total": sum((line.amount for line in lines), services.ZERO),
            "can_manage": manager,
            "versions": versions,
            "reconciliation": services.reconciliation(allocation)
            if manager and allocation.is_approved
            else [],
            "own_orgs": own,
            "open_book": allocation.consortium.open_book_allocations,
        },
    )


def _figures_from_query(request):
    """A new allocation may arrive with its formula and members' figures filled in from
    another page (funding.forms.prefill_query); the page says where they came from."""
    if request.method == "GET" and request.GET.get("source"):
        messages.info(request, f"Members' figures filled in from {request.GET['source'][:200]}.")
    return AllocationForm.prefilled(request.GET)


@login_required
def allocation_edit(request, pk=None):
    """Start or change a draft; "Preview" shows the lines without saving (a what-if)."""
    access.require(can_manage_money(request.user))
    allocation = _allocation_to_edit(request, pk)
    if allocation.is_approved:
        messages.error(request, "This allocation is approved. Start a new version to change it.")
        return redirect(allocation.get_absolute_url())
    form = AllocationForm(
        request.POST or None,
        instance=allocation,
        user=request.user,
        members=services.eligible_members(request.actor.consortium_id),
        initial=_figures_from_query(request) if pk is None else None,
    )
    page = {
        "template": "funding/allocation_form.html",
        "title": "Change the draft allocation" if pk else "Start an allocation",
        "own_orgs": set(),
        "object": allocation if pk else None,
    }
    if request.method == "POST" and "preview" in request.POST:
        preview = _preview(form) if form.is_valid() else {}
        return render(request, page.pop("template"), {"form": form, **page, **preview})
    return form_page(
        request,
        form,
        lambda: services.allocation_save_draft(
            by=request.user,
            allocation=form.instance,
            expected_version=form.cleaned_data["expected_version"],
        ),
        success="Draft allocation saved.",
        **page,
    )


def _allocation_to_edit(request, pk):
    if pk:
        return access.get_visible_or_404(Allocation, request.user, pk=pk)
    return Allocation(consortium_id=request.actor.consortium_id)


def _preview(form):
    """The lines the form's allocation would make, as the page's table rows, and their
    total; nothing saved. A refusal goes on the form (and there is no preview)."""
    kinds = dict(AllocationLine.Kind.choices)
    try:
        lines = services.allocation_preview(allocation=form.instance)
    except REFUSED as e:
        apply_errors(form, e)
        return {}
    rows = [
        {
            "organisation": {"name": line.name},
            "organisation_id": line.organisation_id,
            "get_kind_display": kinds[line.kind],
            "arithmetic": line.arithmetic,
            "amount": line.amount,
        }
        for line in lines
    ]
    total = sum((r["amount"] for r in rows), services.ZERO) if rows else None
    return {"preview": rows, "preview_total": total}


def _reason_action(request, pk, *, action, title, submit, required, sensitive=False):
    access.require(can_manage_money(request.user))
    allocation = access.get_visible_or_404(
        Allocation.objects.select_related("stream"), request.user, pk=pk
    )
    if sensitive and (ask := twofactor.fresh_factor_response(request)):
        return ask
    form = ReasonForm(request.POST or None, required=required)
    return form_page(
        request,
        form,
        lambda: action(allocation=allocation, by=request.user, reason=form.cleaned_data["reason"]),
        success=f"{title}: done.",
        title=f"{title}: {allocation}",
        submit_label=submit,
        object=allocation,
    )


@login_required
def allocation_approve(request, pk):
    return _reason_action(
        request,
        pk,
        action=services.allocation_approve,
        title="Approve the allocation",
        submit="Approve",
        required=False,
        sensitive=True,
    )


@login_required
def allocation_revise(request, pk):
    return _reason_action(
        request,
        pk,
        action=services.allocation_revise,
        title="Start a new version",
        submit="Start a new version",
        required=True,
    )


@login_required
def allocation_compare(request, pk, other):
    access.require(can_manage_money(request.user))
    first = access.get_visible_or_404(
        Allocation.objects.select_related("stream"), request.user, pk=pk
    )
    second = access.get_visible_or_404(
        first.same_pot().select_related("stream"), request.user, pk=other
    )
    older, newer = sorted([first, second], key=lambda a: a.revision)
    return render(
        request,
        "funding/allocation_compare.html",
        {"older": older, "newer": newer, "rows": services.compare(older, newer)},
    )


@login_required
def statement(request):
    """Each member's allocation statement: the current approved allocations it has a line in,
    with every member's share and basis (open book) or only its own line."""
    access.require(can_read_statements(request.user))
    allocations = list(
        Allocation.objects.visible_to(request.user)
        .filter(status=Allocation.Status.APPROVED)
        .select_related("stream")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=AllocationLine.objects.visible_to(request.user)
                .select_related("organisation")
                .order_by("organisation__name", "kind"),
                to_attr="visible_lines",
            )
        )
        .order_by("stream__name", "period_start", "-revision")[:200]
    )
    latest, seen = [], set()
    for a in allocations:
        key = (a.stream_id, a.period_start, a.period_end)
        if key not in seen:
            seen.add(key)
            latest.append(a)
    return render(
        request,
        "funding/statement.html",
        {
            "allocations": latest,
            "own_orgs": access.actor(request.user).orgs("cvo_manager"),
            "sections": results.exposure_sections(request.user),
        },
    )


@login_required
def schedule_generate(request, pk):
    access.require(can_manage_money(request.user))
    allocation = access.get_visible_or_404(
        Allocation.objects.select_related("stream"), request.user, pk=pk
    )
    orgs = {
        line.organisation_id: line.organisation
        for line in allocation.lines.select_related("organisation").exclude(kind="management_fee")
    }
    initial = {"first_due": allocation.period_start}
    for name in ("organisation", "share_percent"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    form = GenerateScheduleForm(request.POST or None, organisations=orgs.values(), initial=initial)
    return form_page(
        request,
        form,
        lambda: services.payment_schedule_generate(
            by=request.user, allocation=allocation, **form.cleaned_data
        ),
        success=lambda created: f"{len(created)} payments scheduled.",
        to=lambda _: (
            reverse("funding:payment_list") + f"?recipient={form.cleaned_data['organisation'].pk}"
        ),
        title=f"Schedule payments from {allocation}",
        object=allocation,
        submit_label="Schedule payments",
    )


# --- payments -------------------------------------------------------------------------------


class PaymentList(ConcordListView):
    model = Payment
    table_class = PaymentTable
    filterset_class = PaymentFilter
    title = "Payments"

    readers = staticmethod(can_see_payments)

    def get_base_queryset(self):
        # Newest first: what is due now and next, then what was paid.
        return Payment.objects.select_related("recipient").order_by("-due_date", "-id")

    add_action = ("Schedule a payment", "funding:payment_create", can_manage_money)


@login_required
def payment_detail(request, pk):
    payment = access.get_visible_or_404(
        Payment.objects.select_related(
            "recipient", "allocation_line__allocation__stream", "scheduled_by", "approved_by"
        ),
        request.user,
        pk=pk,
    )
    return render(
        request,
        "funding/payment_detail.html",
        {
            "payment": payment,
            "can_manage": can_manage_money(request.user),
            "overdue": payment.is_overdue(),
        },
    )


@login_required
def payment_edit(request, pk=None):
    access.require(can_manage_money(request.user))
    payment = access.get_visible_or_404(Payment, request.user, pk=pk) if pk else Payment()
    if pk and payment.status != Payment.Status.SCHEDULED:
        messages.error(request, "Only a scheduled payment can be changed.")
        return redirect(payment.get_absolute_url())
    form = PaymentForm(request.POST or None, instance=payment, user=request.user)
    if request.method == "POST" and form.is_valid():
        if pk:
            response = save_or_refuse(
                request,
                form,
                lambda: services.payment_update(
                    by=request.user,
                    payment=form.instance,
                    expected_version=form.cleaned_data["expected_version"],
                ),
                success="Payment saved.",
            )
        else:
            response = save_or_refuse(
                request,
                form,
                lambda: services.payment_schedule(by=request.user, payment=form.instance),
                success="Payment saved.",
            )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {
            "form": form,
            "title": "Change the payment" if pk else "Schedule a payment",
            "object": payment if pk else None,
        },
    )


def _payment_act(request, pk, *, form_class, title, submit, act, **form_kwargs):
    """One act on a payment: check, ask for a fresh second factor (every act on a payment moves
    money or stops it), then on a valid form do `act(payment, cleaned_data)` through
    save_or_refuse (which says why when it is refused)."""
    access.require(can_manage_money(request.user))
    payment = access.get_visible_or_404(
        Payment.objects.select_related("recipient"), request.user, pk=pk
    )
    if ask := twofactor.fresh_factor_response(request):
        return ask
    form = form_class(request.POST or None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request, form, lambda: act(payment, form.cleaned_data), success=f"{title}: done."
        )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {"form": form, "title": f"{title}: {payment}", "submit_label": submit, "object": payment},
    )


@login_required
def payment_approve(request, pk):
    return _payment_act(
        request,
        pk,
        form_class=ReasonForm,
        required=False,
        title="Approve the payment",
        submit="Approve",
        act=lambda payment, data: services.payment_approve(
            by=request.user, payment=payment, reason=data["reason"]
        ),
    )


@login_required
def payment_pay(request, pk):
    return _payment_act(
        request,
        pk,
        form_class=PaidForm,
        initial={"paid_on": timezone.localdate()},
        title="Record the payment as paid",
        submit="Record as paid",
        act=lambda payment, data: services.payment_mark_paid(
            by=request.user, payment=payment, **data
        ),
    )


@login_required
def payment_withhold(request, pk):
    return _payment_act(
        request,
        pk,
        form_class=ReasonForm,
        title="Withhold the payment",
        submit="Withhold",
        act=lambda payment, data: services.payment_withhold(
            by=request.user, payment=payment, reason=data["reason"]
        ),
    )
