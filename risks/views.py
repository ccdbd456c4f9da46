from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from consortium import access
from consortium.forms import ReasonForm
from consortium.lists import ConcordListView
from consortium.models import Organisation
from consortium.views import apply_errors, save_or_refuse
from risks import selectors, services
from risks.access import (
    can_decide_escalations,
    can_keep_register,
    can_keep_swot,
    can_manage_risk_settings,
    can_open_register,
    can_override_consensus,
    can_see_risks,
    can_see_suggestions,
    can_see_swot,
    can_start_swot,
)
from risks.filters import RiskFilter
from risks.forms import (
    AcceptanceForm,
    ActionForm,
    ControlForm,
    DecisionForm,
    DismissForm,
    NewRoundForm,
    NoteForm,
    OverrideForm,
    ReviewForm,
    RiskForm,
    RiskSettingsForm,
    SwotForm,
    SwotItemForm,
)
from risks.models import (
    Escalation,
    Risk,
    RiskAction,
    RiskCategory,
    RiskLink,
    RiskRegister,
    SwotAction,
    SwotAnalysis,
    SwotItem,
)
from risks.tables import RiskTable

# --- registers ------------------------------------------------------------------------------


_own_organisation = selectors.own_organisation


@login_required
def register_list(request):
    access.require(can_see_risks(request.user))
    today = timezone.localdate()
    # A register's risks are readable by whoever reads the register: count them in SQL.
    open_risks = Q(risks__status=Risk.Status.OPEN)
    registers = list(
        RiskRegister.objects.visible_to(request.user)
        .select_related("organisation", "owner")
        .annotate(
            open_count=Count("risks", filter=open_risks),
            overdue_count=Count("risks", filter=open_risks & Q(risks__next_review__lt=today)),
        )
    )
    rows = [(r, r.open_count, r.overdue_count) for r in registers]
    a = access.actor(request.user)
    can_open = []
    if a.oversees_consortium and not any(r.is_consortium for r in registers):
        can_open.append(("", "Open the consortium register"))
    own = _own_organisation(request.user)
    if own and not any(r.organisation_id == own.pk for r in registers):
        can_open.append((own.pk, f"Open {own.name}'s register"))
    return render(
        request,
        "risks/register_list.html",
        {"rows": rows, "can_open": can_open, "title": "Risk registers"},
    )


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


# --- the risk list and heat maps ------------------------------------------------------------


class RiskList(ConcordListView):
    model = Risk
    table_class = RiskTable
    filterset_class = RiskFilter
    title = "Risks"
    export_name = "risks"
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


# --- risks ----------------------------------------------------------------------------------


def _keepable_register(request, pk):
    register = access.get_visible_or_404(
        RiskRegister.objects.select_related("matrix", "organisation"), request.user, pk=pk
    )
    access.require(can_keep_register(request.user, register))
    return register


def _prefill(request, register):
    """Initial values from a SWOT item (?swot_item=) or a suggested risk (?suggestion=)."""
    initial, extra = {}, {}
    item_id = request.GET.get("swot_item") or request.POST.get("swot_item")
    if item_id:
        item = access.get_visible_or_404(SwotItem, request.user, pk=item_id)
        if item.quadrant not in (SwotItem.Quadrant.WEAKNESS, SwotItem.Quadrant.THREAT):
            raise Http404("Not found")
        initial.update(title=item.statement, event=item.statement, cause=item.theme)
        extra["swot_item"] = item
    key = request.GET.get("suggestion") or request.POST.get("suggestion")
    if key:
        suggestion = selectors.find_suggestion(
            request.user, key, organisation=register.organisation
        )
        if suggestion is None:
            raise Http404("Not found")
        category = RiskCategory.objects.filter(
            consortium_id=register.consortium_id, name=suggestion.category
        ).first()
        levels = {
            f"{k}_{w}": v
            for k in ("inherent", "residual")
            for w, v in (
                ("likelihood", suggestion.likelihood),
                ("consequence", suggestion.consequence),
            )
        }
        initial.update(
            title=suggestion.title[:200],
            cause=suggestion.evidence,
            category=category.pk if category else None,
            **levels,
        )
        extra["suggestion"] = suggestion
    return initial, extra


@login_required
def risk_create(request, register_pk):
    access.require(can_see_risks(request.user))
    register = _keepable_register(request, register_pk)
    initial, extra = _prefill(request, register)
    risk = Risk(register=register)
    form = RiskForm(
        request.POST or None, instance=risk, user=request.user, register=register, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        if "swot_item" in extra:
            form.instance.swot_item = extra["swot_item"]
        if "suggestion" in extra:
            form.instance.suggestion_key = extra["suggestion"].key
        response = save_or_refuse(
            request,
            form,
            lambda: services.risk_save(by=request.user, risk=form.instance, links=form.concerned()),
            success=lambda r: f"{r.reference} added to the register.",
        )
        if response:
            return response
    return render(
        request,
        "risks/risk_form.html",
        {
            "form": form,
            "title": f"Add a risk to the {register}",
            "register": register,
            "swot_item": extra.get("swot_item"),
            "suggestion": extra.get("suggestion"),
            "object": register,
        },
    )


@login_required
def risk_edit(request, pk):
    access.require(can_see_risks(request.user))
    risk = access.get_visible_or_404(
        Risk.objects.select_related("register__matrix"), request.user, pk=pk
    )
    access.require(can_keep_register(request.user, risk.register))
    form = RiskForm(request.POST or None, instance=risk, user=request.user, register=risk.register)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.risk_save(
                by=request.user,
                risk=form.instance,
                expected_version=form.cleaned_data["expected_version"],
            ),
            success=f"{risk.reference} saved.",
        )
        if response:
            return response
    return render(
        request,
        "risks/risk_form.html",
        {"form": form, "title": f"Change {risk}", "register": risk.register, "object": risk},
    )


@login_required
def risk_detail(request, pk):
    access.require(can_see_risks(request.user))
    risk = access.get_visible_or_404(
        selectors.with_previous_score(Risk.objects.all()).select_related(
            "register__matrix", "register__organisation", "category", "owner", "swot_item__analysis"
        ),
        request.user,
        pk=pk,
    )
    user = request.user
    links = []
    for link in RiskLink.objects.visible_to(user).filter(risk=risk).select_related("content_type"):
        model = link.content_type.model_class()
        target = model.objects.visible_to(user).filter(pk=link.object_id).first()
        if target is not None:
            links.append((model._meta.verbose_name, target))
    escalated_to = (
        Risk.objects.visible_to(user).filter(pk=risk.escalated_to_id).first()
        if risk.escalated_to_id
        else None
    )
    escalated_from = Risk.objects.visible_to(user).filter(escalated_to=risk)
    swot_item = (
        SwotItem.objects.visible_to(user).filter(pk=risk.swot_item_id).first()
        if risk.swot_item_id
        else None
    )
    today = timezone.localdate()
    keep = can_keep_register(user, risk.register)
    escalations = Escalation.objects.visible_to(user).filter(member_risk=risk)
    return render(
        request,
        "risks/risk_detail.html",
        {
            "risk": risk,
            "movement": selectors.movement(risk),
            "links": links,
            "controls": risk.controls.visible_to(user).select_related("owner"),
            "actions": risk.actions.visible_to(user).select_related("owner"),
            "acceptances": risk.acceptances.visible_to(user).select_related("accepted_by"),
            "reviews": risk.reviews.visible_to(user).select_related("reviewer"),
            "escalations": escalations.select_related("requested_by", "decided_by"),
            "waiting": escalations.filter(status="requested").first(),
            "escalated_to": escalated_to,
            "escalated_from": escalated_from,
            "swot_item": swot_item,
            "today": today,
            "can_keep": keep,
            "can_decide": can_decide_escalations(user),
            "can_escalate": keep and not risk.register.is_consortium and risk.is_open,
            "proposed": (
                not risk.register.is_consortium
                and risk.is_open
                and not risk.escalated_to_id
                and risk.residual_score
                >= services.current_settings(risk.register.consortium_id).escalation_threshold
            ),
        },
    )


def _risk_for_keeper(request, pk):
    access.require(can_see_risks(request.user))
    risk = access.get_visible_or_404(
        Risk.objects.select_related("register__matrix", "register__organisation"),
        request.user,
        pk=pk,
    )
    access.require(can_keep_register(request.user, risk.register))
    return risk


def _form_page(request, form, title, obj, submit="Save", template="consortium/form_page.html"):
    return render(
        request, template, {"form": form, "title": title, "object": obj, "submit_label": submit}
    )


@login_required
def risk_review(request, pk):
    risk = _risk_for_keeper(request, pk)
    form = ReviewForm(
        request.POST or None,
        risk=risk,
        initial={
            "reviewed_on": timezone.localdate(),
            "residual_likelihood": risk.residual_likelihood,
            "residual_consequence": risk.residual_consequence,
        },
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.risk_review(by=request.user, risk=risk, **form.cleaned_data),
            success="Review recorded.",
            to=lambda r: risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"Review {risk}", risk, "Record the review")


@login_required
def risk_close(request, pk):
    risk = _risk_for_keeper(request, pk)
    form = ReasonForm(request.POST or None, help_text="Why the risk is closed. History keeps this.")
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.risk_close(
                by=request.user, risk=risk, reason=form.cleaned_data["reason"]
            ),
            success=f"{risk.reference} closed.",
        )
        if response:
            return response
    return _form_page(request, form, f"Close {risk}", risk, "Close the risk")


@login_required
def control_add(request, pk):
    risk = _risk_for_keeper(request, pk)
    form = ControlForm(request.POST or None, user=request.user, register=risk.register)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.control_add(by=request.user, risk=risk, **form.cleaned_data),
            success="Control added.",
            to=lambda c: risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"Add a control to {risk.reference}", risk)


@login_required
def action_add(request, pk):
    risk = _risk_for_keeper(request, pk)
    form = ActionForm(request.POST or None, user=request.user, register=risk.register)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.action_add(by=request.user, risk=risk, **form.cleaned_data),
            success="Action added.",
            to=lambda a: risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"Add an action to {risk.reference}", risk)


@login_required
def action_done(request, pk):
    access.require(can_see_risks(request.user))
    action = access.get_visible_or_404(
        RiskAction.objects.select_related("risk__register"), request.user, pk=pk
    )
    access.require(can_keep_register(request.user, action.risk.register))
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.action_complete(
                by=request.user, action=action, note=form.cleaned_data["note"]
            ),
            success="Action done.",
            to=lambda a: action.risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"Mark done: {action}", action.risk, "Mark as done")


@login_required
def risk_accept(request, pk):
    risk = _risk_for_keeper(request, pk)
    form = AcceptanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.risk_accept(by=request.user, risk=risk, **form.cleaned_data),
            success="Acceptance recorded.",
            to=lambda a: risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(
        request,
        form,
        f"Accept {risk.reference} at a residual score of {risk.residual_score}",
        risk,
        "Accept the risk",
    )


@login_required
def risk_escalate(request, pk):
    risk = _risk_for_keeper(request, pk)
    if risk.register.is_consortium:
        raise Http404("Not found")
    form = ReasonForm(
        request.POST or None,
        help_text="Why the consortium should carry this risk. The lead sees this.",
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.escalation_request(
                by=request.user, risk=risk, reason=form.cleaned_data["reason"]
            ),
            success="Escalation requested: the consortium lead will accept or decline it.",
            to=lambda e: risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"Ask to escalate {risk}", risk, "Ask to escalate")


@login_required
def escalation_decide(request, pk):
    access.require(can_decide_escalations(request.user))
    escalation = access.get_visible_or_404(
        Escalation.objects.select_related("member_risk__register__organisation"),
        request.user,
        pk=pk,
        status=Escalation.Status.REQUESTED,
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        response = save_or_refuse(
            request,
            form,
            lambda: services.escalation_decide(
                by=request.user,
                escalation=escalation,
                accept=accept,
                reason=form.cleaned_data["reason"],
            ),
            success="Escalation accepted." if accept else "Escalation declined.",
            to=lambda e: (e.consortium_risk or e.member_risk).get_absolute_url(),
        )
        if response:
            return response
    return render(
        request,
        "risks/escalation_decide.html",
        {"form": form, "escalation": escalation, "risk": escalation.member_risk},
    )


@login_required
def risk_deescalate(request, pk):
    access.require(can_decide_escalations(request.user))
    risk = access.get_visible_or_404(
        Risk, request.user, pk=pk, escalated_from__isnull=False, status="open"
    )
    form = ReasonForm(request.POST or None, help_text="Why the consortium no longer carries it.")
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.risk_deescalate(
                by=request.user, risk=risk, reason=form.cleaned_data["reason"]
            ),
            success="Risk handed back to the member.",
            to=lambda e: risk.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"De-escalate {risk}", risk, "De-escalate")


# --- suggested risks ------------------------------------------------------------------------


def _suggestion_scope(request):
    """The lead sees suggestions for the consortium (all members); a CVO manager for their
    own organisation."""
    a = access.actor(request.user)
    if a.oversees_consortium:
        return None
    return _own_organisation(request.user)


@login_required
def suggestions(request):
    access.require(can_see_suggestions(request.user))
    organisation = _suggestion_scope(request)
    groups = selectors.suggestion_groups(request.user, organisation=organisation)
    register = (
        RiskRegister.objects.visible_to(request.user).filter(organisation=organisation).first()
    )
    return render(
        request,
        "risks/suggestions.html",
        {
            "groups": groups,
            "register": register,
            "organisation": organisation,
            "can_set": can_manage_risk_settings(request.user),
        },
    )


@login_required
def suggestion_dismiss(request):
    access.require(can_see_suggestions(request.user))
    organisation = _suggestion_scope(request)
    key = request.GET.get("key") or request.POST.get("key")
    suggestion = (
        selectors.find_suggestion(request.user, key, organisation=organisation) if key else None
    )
    if suggestion is None:
        raise Http404("Not found")
    form = DismissForm(request.POST or None, initial={"key": key})
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.suggestion_dismiss(
                by=request.user,
                suggestion=suggestion,
                reason=form.cleaned_data["reason"],
                organisation=organisation,
            ),
            success="Suggestion dismissed. It comes back if its evidence changes.",
            to=lambda d: reverse("risks:suggestions"),
        )
        if response:
            return response
    return render(
        request, "risks/suggestion_dismiss.html", {"form": form, "suggestion": suggestion}
    )


# --- SWOT -----------------------------------------------------------------------------------


@login_required
def swot_list(request):
    access.require(can_see_swot(request.user))
    analyses = SwotAnalysis.objects.visible_to(request.user).select_related("organisation")
    return render(
        request,
        "risks/swot_list.html",
        {"analyses": analyses, "can_start": can_start_swot(request.user)},
    )


@login_required
def swot_create(request):
    access.require(can_start_swot(request.user))
    a = access.actor(request.user)
    organisation = None if a.oversees_consortium else _own_organisation(request.user)
    form = SwotForm(
        request.POST or None, instance=SwotAnalysis(organisation=organisation), user=request.user
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.swot_save(by=request.user, analysis=form.instance),
            success="SWOT started: add its items.",
        )
        if response:
            return response
    return _form_page(request, form, "Start a SWOT analysis", None, "Start")


def _swot(request, pk):
    access.require(can_see_swot(request.user))
    return access.get_visible_or_404(
        SwotAnalysis.objects.select_related("organisation", "previous"), request.user, pk=pk
    )


@login_required
def swot_detail(request, pk):
    analysis = _swot(request, pk)
    settings_row = services.current_settings(analysis.consortium_id)
    items = list(
        SwotItem.objects.visible_to(request.user)
        .filter(analysis=analysis)
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=SwotAction.objects.select_related("owner"),
                to_attr="action_list",
            )
        )
    )
    risks_by_item = {}
    for risk in Risk.objects.visible_to(request.user).filter(swot_item__in=items):
        risks_by_item.setdefault(risk.swot_item_id, []).append(risk)
    quadrants = []
    for value, label in SwotItem.Quadrant.choices:
        rows = [
            (i, i.consensus(settings_row), risks_by_item.get(i.pk, []))
            for i in items
            if i.quadrant == value
        ]
        quadrants.append((value, label, rows))
    register = (
        RiskRegister.objects.visible_to(request.user)
        .filter(organisation=analysis.organisation)
        .first()
    )
    keep = can_keep_swot(request.user, analysis)
    return render(
        request,
        "risks/swot_detail.html",
        {
            "analysis": analysis,
            "quadrants": quadrants,
            "settings": settings_row,
            "can_keep": keep and not analysis.is_frozen,
            "can_act": keep,
            "today": timezone.localdate(),
            "can_round": keep and analysis.is_frozen,
            "can_override": can_override_consensus(request.user) and not analysis.is_frozen,
            "register": register
            if register and can_keep_register(request.user, register)
            else None,
            "rounds": SwotAnalysis.objects.visible_to(request.user)
            .filter(organisation=analysis.organisation)
            .exclude(pk=analysis.pk),
            "item_form": SwotItemForm(user=request.user)
            if keep and not analysis.is_frozen
            else None,
        },
    )


@login_required
@require_POST
def swot_item_add(request, pk):
    analysis = _swot(request, pk)
    access.require(can_keep_swot(request.user, analysis) and not analysis.is_frozen)
    form = SwotItemForm(request.POST, instance=SwotItem(analysis=analysis), user=request.user)
    if form.is_valid():
        try:
            services.swot_item_save(by=request.user, item=form.instance)
            messages.success(request, "Item added.")
            return redirect(analysis)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
    return _form_page(request, form, f"Add an item to {analysis}", analysis)


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
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.swot_item_override(by=request.user, item=item, **form.cleaned_data),
            success="Consensus saved.",
            to=lambda i: item.analysis.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"Consensus for “{item}”", item.analysis)


@login_required
def swot_agree(request, pk):
    analysis = _swot(request, pk)
    access.require(can_keep_swot(request.user, analysis))
    form = ReasonForm(
        request.POST or None, help_text="How it was agreed (for example: workshop of 10 June)."
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.swot_agree(by=request.user, analysis=analysis),
            success="SWOT agreed. It is now frozen; a new round starts from a copy.",
        )
        if response:
            return response
    return _form_page(request, form, f"Agree {analysis}", analysis, "Agree the SWOT")


@login_required
def swot_new_round(request, pk):
    analysis = _swot(request, pk)
    access.require(can_keep_swot(request.user, analysis) and analysis.is_frozen)
    form = NewRoundForm(request.POST or None, initial={"title": f"{analysis.title} (next round)"})
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.swot_new_round(
                by=request.user, analysis=analysis, **form.cleaned_data
            ),
            success="New round started from a copy.",
        )
        if response:
            return response
    return _form_page(request, form, f"New round of {analysis}", analysis, "Start the new round")


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


# --- settings -------------------------------------------------------------------------------


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
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.swot_action_add(by=request.user, item=item, **form.cleaned_data),
            success="Action added.",
            to=lambda a: item.get_absolute_url(),
        )
        if response:
            return response
    return _form_page(request, form, f"An action from “{item}”", item.analysis)


@login_required
def register_adopt_matrix(request, pk):
    """Move a register to the consortium's current matrix, on purpose and with a reason."""
    access.require(can_see_risks(request.user))
    register = _keepable_register(request, pk)
    form = ReasonForm(
        request.POST or None,
        help_text="Why the register's risks are regraded under the current matrix.",
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: services.register_adopt_matrix(
                by=request.user, register=register, reason=form.cleaned_data["reason"]
            ),
            success="The register now uses the current matrix; its risks are regraded.",
        )
        if response:
            return response
    return _form_page(
        request, form, f"Move the {register} to the current matrix", register, "Move and regrade"
    )
