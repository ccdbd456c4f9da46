from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from consortium import access
from consortium.dates import end_of_day
from consortium.lists import ConcordListView
from consortium.views import form_page
from contracts.access.agreements import can_see_contracts, can_see_subcontracts
from contracts.filters.agreements import ContractFilter, SubcontractFilter
from contracts.forms.agreements import AsAtForm, ContractForm, SubcontractForm, VariationForm
from contracts.models import Contract, Subcontract
from contracts.services import agreements as services
from contracts.tables.agreements import ContractTable, SubcontractTable
from funding.access import can_manage_money
from funding.models import Allocation, AllocationLine, Payment

M2M = ("sites", "funding_streams")


class ContractList(ConcordListView):
    model = Contract
    table_class = ContractTable
    filterset_class = ContractFilter
    title = "Contracts"
    import_kind = "contracts"

    readers = staticmethod(can_see_contracts)

    def get_base_queryset(self):
        return Contract.objects.select_related("commissioner")

    add_action = ("Add a contract", "contracts:contract_create", can_manage_money)


class SubcontractList(ConcordListView):
    model = Subcontract
    table_class = SubcontractTable
    filterset_class = SubcontractFilter
    title = "Subcontracts"
    import_kind = "subcontracts"

    readers = staticmethod(can_see_subcontracts)

    def get_base_queryset(self):
        return Subcontract.objects.select_related("cvo")

    add_action = ("Add a subcontract", "contracts:subcontract_create", can_manage_money)


def _edit(request, model, form_class, pk, noun):
    access.require(can_manage_money(request.user))
    obj = access.get_visible_or_404(model, request.user, pk=pk) if pk else model()
    form = form_class(request.POST or None, instance=obj, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.agreement_save(
            by=request.user,
            agreement=form.instance,
            m2m={name: form.cleaned_data[name] for name in M2M},
            expected_version=form.cleaned_data["expected_version"],
        ),
        success=lambda saved: f"{saved} saved.",
        title=f"Change {obj}" if pk else f"Add a {noun}",
        object=obj if pk else None,
    )


@login_required
def contract_edit(request, pk=None):
    return _edit(request, Contract, ContractForm, pk, "contract")


@login_required
def subcontract_edit(request, pk=None):
    return _edit(request, Subcontract, SubcontractForm, pk, "subcontract")


def _as_at(request, agreement):
    """(terms object, variations, as-at date or None): the agreement as it stood at a date —
    its recorded fields from history, plus variations effective and recorded by then."""
    form = AsAtForm(request.GET or None)
    variations = list(agreement.variations.all())
    if form.is_bound and form.is_valid() and form.cleaned_data["as_at"]:
        day = form.cleaned_data["as_at"]
        moment = end_of_day(day)
        try:
            record = agreement.history.as_of(moment)
        except type(agreement).DoesNotExist:
            return form, None, [], day
        variations = [v for v in variations if v.effective_date <= day and v.created_at <= moment]
        value, end = record.value, record.end
        for v in variations:
            value += v.value_change
            end = v.new_end or end
        return form, {"record": record, "value": value, "end": end}, variations, day
    value, end = agreement.terms_at()
    return form, {"record": agreement, "value": value, "end": end}, variations, None


@login_required
def contract_detail(request, pk):
    contract = access.get_visible_or_404(
        Contract.objects.select_related("commissioner", "lead"), request.user, pk=pk
    )
    form, terms, variations, day = _as_at(request, contract)
    return render(
        request,
        "contracts/agreement_detail.html",
        {
            "agreement": contract,
            "kind": "Contract",
            "label": "contracts.Contract",
            "form": form,
            "terms": terms,
            "variations": variations,
            "as_at": day,
            "can_manage": can_manage_money(request.user),
            "streams": contract.funding_streams.visible_to(request.user),
            "sites": contract.sites.all(),
            "variation_url": reverse("contracts:contract_variation", args=[contract.pk]),
        },
    )


def _payments_to(user, sub):
    """The first hundred payments to the subcontractor, by due date."""
    payments = Payment.objects.visible_to(user).filter(recipient=sub.cvo)
    return payments.select_related("recipient").order_by("due_date")[:100]


def _allocations_for(user, sub):
    """The approved allocations of the subcontract's streams that give its member a line."""
    lines = AllocationLine.objects.filter(organisation=sub.cvo).values("allocation_id")
    return (
        Allocation.objects.visible_to(user)
        .filter(status="approved", stream__in=sub.funding_streams.all(), pk__in=lines)
        .select_related("stream")
    )


@login_required
def subcontract_detail(request, pk):
    sub = access.get_visible_or_404(
        Subcontract.objects.select_related("cvo", "lead", "contract"), request.user, pk=pk
    )
    form, terms, variations, day = _as_at(request, sub)
    manager = can_manage_money(request.user)
    return render(
        request,
        "contracts/agreement_detail.html",
        {
            "agreement": sub,
            "kind": "Subcontract",
            "label": "contracts.Subcontract",
            "form": form,
            "terms": terms,
            "variations": variations,
            "as_at": day,
            "can_manage": manager,
            "streams": sub.funding_streams.visible_to(request.user),
            "sites": sub.sites.all(),
            "payments": _payments_to(request.user, sub),
            "allocations": _allocations_for(request.user, sub) if manager else [],
            "variation_url": reverse("contracts:subcontract_variation", args=[sub.pk]),
        },
    )


def _variation(request, model, pk):
    access.require(can_manage_money(request.user))
    agreement = access.get_visible_or_404(model, request.user, pk=pk)
    form = VariationForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.variation_add(
            by=request.user, agreement=agreement, variation=form.instance
        ),
        success="Variation recorded.",
        to=lambda _: agreement.get_absolute_url(),
        title=f"Vary {agreement}",
        object=agreement,
        submit_label="Record the variation",
    )


@login_required
def contract_variation(request, pk):
    return _variation(request, Contract, pk)


@login_required
def subcontract_variation(request, pk):
    return _variation(request, Subcontract, pk)
