"""SWOT analyses: started, items added, consensus agreed or overridden, a new round, two rounds
compared, and actions from an item."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from consortium import access
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView
from consortium.views import form_page
from risks import selectors, services
from risks.access import (
    can_keep_register,
    can_keep_swot,
    can_override_consensus,
    can_see_swot,
    can_start_swot,
)
from risks.filters import SwotFilter
from risks.forms import (
    ActionForm,
    NewRoundForm,
    OverrideForm,
    SwotForm,
    SwotItemForm,
)
from risks.models import (
    RiskRegister,
    SwotAnalysis,
    SwotItem,
)
from risks.tables import SwotTable


class SwotList(ConcordListView):
    model = SwotAnalysis
    table_class = SwotTable
    filterset_class = SwotFilter
    title = "SWOT analyses"
    export_name = "swot-analyses"
    readers = staticmethod(can_see_swot)
    add_action = ("Start a SWOT analysis", "risks:swot_create", can_start_swot)
    empty_noun = "SWOT analyses you can see"
    empty_hint = "The lead starts the consortium's SWOT analysis; each member's CVO manager theirs."

    def get_base_queryset(self):
        return SwotAnalysis.objects.select_related("organisation")


@login_required
def swot_create(request):
    access.require(can_start_swot(request.user))
    a = access.actor(request.user)
    organisation = None if a.oversees_consortium else selectors.own_organisation(request.user)
    form = SwotForm(
        request.POST or None, instance=SwotAnalysis(organisation=organisation), user=request.user
    )
    return form_page(
        request,
        form,
        lambda: services.swot_save(by=request.user, analysis=form.instance),
        success="SWOT started: add its items.",
        title="Start a SWOT analysis",
        object=None,
        submit_label="Start",
    )


def _swot(request, pk):
    access.require(can_see_swot(request.user))
    return access.get_visible_or_404(
        SwotAnalysis.objects.select_related("organisation", "previous"), request.user, pk=pk
    )


@login_required
def swot_detail(request, pk):
    analysis = _swot(request, pk)
    user = request.user
    settings_row = services.current_settings(analysis.consortium_id)
    register = (
        RiskRegister.objects.visible_to(user).filter(organisation=analysis.organisation).first()
    )
    keep = can_keep_swot(user, analysis)
    open_to_items = keep and not analysis.is_frozen
    return render(
        request,
        "risks/swot_detail.html",
        {
            "analysis": analysis,
            "quadrants": selectors.swot_quadrants(user, analysis, settings_row),
            "settings": settings_row,
            "can_keep": open_to_items,
            "can_act": keep,
            "today": timezone.localdate(),
            "can_round": keep and analysis.is_frozen,
            "can_override": can_override_consensus(user) and not analysis.is_frozen,
            "register": register if register and can_keep_register(user, register) else None,
            "rounds": SwotAnalysis.objects.visible_to(user)
            .filter(organisation=analysis.organisation)
            .exclude(pk=analysis.pk),
            "item_form": SwotItemForm(user=user) if open_to_items else None,
        },
    )


@login_required
@require_POST
def swot_item_add(request, pk):
    analysis = _swot(request, pk)
    access.require(can_keep_swot(request.user, analysis) and not analysis.is_frozen)
    form = SwotItemForm(request.POST, instance=SwotItem(analysis=analysis), user=request.user)
    return form_page(
        request,
        form,
        lambda: services.swot_item_save(by=request.user, item=form.instance),
        success="Item added.",
        to=lambda _: analysis,
        title=f"Add an item to {analysis}",
        object=analysis,
    )


@login_required
def swot_item_override(request, pk):
    access.require(can_override_consensus(request.user))
    item = access.get_visible_or_404(
        SwotItem.objects.select_related("analysis"), request.user, pk=pk
    )
    if item.analysis.is_frozen:
        raise Http404("Not found")
    form = OverrideForm(
        request.POST or None,
        initial={"consensus": item.consensus_override, "reason": item.override_reason},
    )
    return form_page(
        request,
        form,
        lambda: services.swot_item_override(by=request.user, item=item, **form.cleaned_data),
        success="Consensus saved.",
        to=lambda i: item.analysis.get_absolute_url(),
        title=f"Consensus for “{item}”",
        object=item.analysis,
    )


@login_required
def swot_agree(request, pk):
    analysis = _swot(request, pk)
    access.require(can_keep_swot(request.user, analysis))
    form = ReasonForm(
        request.POST or None, help_text="How it was agreed (for example: workshop of 10 June)."
    )
    return form_page(
        request,
        form,
        lambda: services.swot_agree(by=request.user, analysis=analysis),
        success="SWOT agreed. It is now frozen; a new round starts from a copy.",
        title=f"Agree {analysis}",
        object=analysis,
        submit_label="Agree the SWOT",
    )


@login_required
def swot_new_round(request, pk):
    analysis = _swot(request, pk)
    access.require(can_keep_swot(request.user, analysis) and analysis.is_frozen)
    form = NewRoundForm(request.POST or None, initial={"title": f"{analysis.title} (next round)"})
    return form_page(
        request,
        form,
        lambda: services.swot_new_round(by=request.user, analysis=analysis, **form.cleaned_data),
        success="New round started from a copy.",
        title=f"New round of {analysis}",
        object=analysis,
        submit_label="Start the new round",
    )


@login_required
def swot_compare(request, pk, other):
    analysis = _swot(request, pk)
    older = _swot(request, other)
    if older.organisation_id != analysis.organisation_id:
        raise Http404("Not found")
    settings_row = services.current_settings(analysis.consortium_id)
    return render(
        request,
        "risks/swot_compare.html",
        {
            "analysis": analysis,
            "older": older,
            "comparison": selectors.compare_rounds(older, analysis, settings_row),
        },
    )


@login_required
def swot_action_add(request, pk):
    access.require(can_see_swot(request.user))
    item = access.get_visible_or_404(
        SwotItem.objects.select_related("analysis__organisation"),
        request.user,
        pk=pk,
        quadrant=SwotItem.Quadrant.OPPORTUNITY,
    )
    access.require(can_keep_swot(request.user, item.analysis))
    form = ActionForm(request.POST or None, user=request.user, register=item.analysis)
    return form_page(
        request,
        form,
        lambda: services.swot_action_add(by=request.user, item=item, **form.cleaned_data),
        success="Action added.",
        to=lambda a: item.get_absolute_url(),
        title=f"An action from “{item}”",
        object=item.analysis,
    )
