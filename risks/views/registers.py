"""Risk registers: the list, opening a register, a register's page and its matrix, every risk
in one filterable list, the heat map, and the consortium's risk settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from consortium import access
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView
from consortium.models import Organisation
from consortium.views import form_page, save_or_refuse
from risks import selectors, services
from risks.access import (
    can_decide_escalations,
    can_keep_register,
    can_manage_risk_settings,
    can_open_register,
    can_see_risks,
)
from risks.filters import RegisterFilter, RiskFilter
from risks.forms import (
    RiskSettingsForm,
)
from risks.models import (
    Escalation,
    Risk,
    RiskCategory,
    RiskRegister,
)
from risks.tables import RegisterTable, RiskTable
from risks.views.common import keepable_register


class RegisterList(ConcordListView):
    """The registers this person may read, each with its open risks and overdue reviews
    (counted in SQL: a register's risks are readable by whoever reads the register)."""

    model = RiskRegister
    table_class = RegisterTable
    filterset_class = RegisterFilter
    title = "Risk registers"
    export_name = "risk-registers"
    template_name = "risks/register_list.html"
    readers = staticmethod(can_see_risks)
    empty_noun = "risk registers you can see"
    empty_hint = "The lead opens the consortium's register; each member's CVO manager theirs."

    def get_base_queryset(self):
        today = timezone.localdate()
        open_risks = Q(risks__status=Risk.Status.OPEN)
        overdue = open_risks & Q(risks__next_review__lt=today)
        return RiskRegister.objects.select_related("organisation", "owner").annotate(
            open_count=Count("risks", filter=open_risks),
            overdue_count=Count("risks", filter=overdue),
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_open"] = selectors.registers_to_open(self.request.user)
        return ctx


@login_required
@require_POST
def register_open(request):
    access.require(can_open_register(request.user))
    org_id = request.POST.get("organisation")
    organisation = (
        access.get_visible_or_404(Organisation, request.user, pk=org_id) if org_id else None
    )
    try:
        register = services.register_open(by=request.user, organisation=organisation)
    except PermissionDenied:
        # The service decides who opens a register for which organisation; its refusal
        # answers 404, as access.require does.
        raise Http404("Not found") from None
    messages.success(request, f"{register} opened.")
    return redirect(register)


@login_required
def register_detail(request, pk):
    access.require(can_see_risks(request.user))
    register = access.get_visible_or_404(
        RiskRegister.objects.select_related("organisation", "owner", "matrix"), request.user, pk=pk
    )
    risks = (
        selectors.with_previous_score(
            Risk.objects.visible_to(request.user).filter(register=register)
        )
        .select_related("category", "owner", "register__matrix")
        .order_by("status", "-residual_score", "reference")
    )
    heat, _ = selectors.heat_map(request.user, register=register)
    settings_row = services.current_settings(register.consortium_id)
    current_matrix = settings_row.matrix
    return render(
        request,
        "risks/register_detail.html",
        {
            "register": register,
            "risks": [(r, selectors.movement(r)) for r in risks],
            "heat": heat,
            "can_keep": can_keep_register(request.user, register),
            "newer_matrix": current_matrix.pk != register.matrix_id,
            "waiting": Escalation.objects.visible_to(request.user)
            .filter(status="requested")
            .select_related("member_risk__register__organisation")
            if register.is_consortium and can_decide_escalations(request.user)
            else [],
        },
    )


class RiskList(ConcordListView):
    model = Risk
    table_class = RiskTable
    filterset_class = RiskFilter
    title = "Risks"
    export_name = "risks"
    empty_next = ("Open a risk register and add risks to it", "risks:register_list", can_see_risks)
    readers = staticmethod(can_see_risks)

    def get_base_queryset(self):
        return Risk.objects.select_related(
            "register__organisation", "register__matrix", "category", "owner"
        )


@login_required
def heatmap(request):
    access.require(can_see_risks(request.user))
    register = None
    if request.GET.get("register"):
        register = access.get_visible_or_404(RiskRegister, request.user, pk=request.GET["register"])
    kind = request.GET.get("kind", "residual")
    heat, register = selectors.heat_map(request.user, register=register, kind=kind)
    registers = RiskRegister.objects.visible_to(request.user).select_related("organisation")
    return render(
        request,
        "risks/heatmap.html",
        {"heat": heat, "register": register, "registers": registers, "kinds": selectors.KINDS},
    )


@login_required
def heatmap_chart(request):
    access.require(can_see_risks(request.user))
    register = None
    if request.GET.get("register"):
        register = access.get_visible_or_404(RiskRegister, request.user, pk=request.GET["register"])
    heat, register = selectors.heat_map(
        request.user, register=register, kind=request.GET.get("kind", "residual")
    )
    if register is None:
        raise Http404("Not found")
    response = HttpResponse(selectors.heat_map_svg(heat), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def risk_settings(request):
    access.require(can_manage_risk_settings(request.user))
    consortium_id = request.actor.consortium_id
    settings_row = services.current_settings(consortium_id)
    categories = RiskCategory.objects.visible_to(request.user).order_by("name")
    form = RiskSettingsForm(request.POST or None, settings_row=settings_row, categories=categories)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.settings_save(by=request.user, **form.service_arguments()),
            success="Risk settings saved. Registers keep the matrix their risks were scored under.",
            to=lambda s: reverse("risks:risk_settings"),
        )
        if response:
            return response
    return render(
        request,
        "risks/settings.html",
        {"form": form, "settings": settings_row, "matrix": settings_row.matrix},
    )


@login_required
def register_adopt_matrix(request, pk):
    """Move a register to the consortium's current matrix, on purpose and with a reason."""
    access.require(can_see_risks(request.user))
    register = keepable_register(request, pk)
    form = ReasonForm(
        request.POST or None,
        help_text="Why the register's risks are regraded under the current matrix.",
    )
    return form_page(
        request,
        form,
        lambda: services.register_adopt_matrix(
            by=request.user, register=register, reason=form.cleaned_data["reason"]
        ),
        success="The register now uses the current matrix; its risks are regraded.",
        title=f"Move the {register} to the current matrix",
        object=register,
        submit_label="Move and regrade",
    )
