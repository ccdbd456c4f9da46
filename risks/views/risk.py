"""A risk: recorded, changed, reviewed, closed; its controls and actions; accepted above
appetite, escalated to the consortium register and de-escalated."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from consortium import access
from consortium.forms import ReasonForm
from consortium.views import form_page, save_or_refuse
from risks import selectors, services
from risks.access import (
    can_decide_escalations,
    can_keep_register,
    can_see_risks,
)
from risks.forms import (
    AcceptanceForm,
    ActionForm,
    ControlForm,
    DecisionForm,
    NoteForm,
    ReviewForm,
    RiskForm,
)
from risks.models import (
    Escalation,
    Risk,
    RiskAction,
    RiskCategory,
    SwotItem,
)
from risks.views.common import keepable_register, risk_for_keeper


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
    register = keepable_register(request, register_pk)
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
    keep = can_keep_register(user, risk.register)
    return render(
        request,
        "risks/risk_detail.html",
        {
            "risk": risk,
            "movement": selectors.movement(risk),
            **selectors.risk_record(user, risk),
            "today": timezone.localdate(),
            "can_keep": keep,
            "can_decide": can_decide_escalations(user),
            "can_escalate": keep and not risk.register.is_consortium and risk.is_open,
            "proposed": selectors.escalation_proposed(risk),
        },
    )


@login_required
def risk_review(request, pk):
    risk = risk_for_keeper(request, pk)
    form = ReviewForm(
        request.POST or None,
        risk=risk,
        initial={
            "reviewed_on": timezone.localdate(),
            "residual_likelihood": risk.residual_likelihood,
            "residual_consequence": risk.residual_consequence,
        },
    )
    return form_page(
        request,
        form,
        lambda: services.risk_review(by=request.user, risk=risk, **form.cleaned_data),
        success="Review recorded.",
        to=lambda r: risk.get_absolute_url(),
        title=f"Review {risk}",
        object=risk,
        submit_label="Record the review",
    )


@login_required
def risk_close(request, pk):
    risk = risk_for_keeper(request, pk)
    form = ReasonForm(request.POST or None, help_text="Why the risk is closed. History keeps this.")
    return form_page(
        request,
        form,
        lambda: services.risk_close(by=request.user, risk=risk, reason=form.cleaned_data["reason"]),
        success=f"{risk.reference} closed.",
        title=f"Close {risk}",
        object=risk,
        submit_label="Close the risk",
    )


@login_required
def control_add(request, pk):
    risk = risk_for_keeper(request, pk)
    form = ControlForm(request.POST or None, user=request.user, register=risk.register)
    return form_page(
        request,
        form,
        lambda: services.control_add(by=request.user, risk=risk, **form.cleaned_data),
        success="Control added.",
        to=lambda c: risk.get_absolute_url(),
        title=f"Add a control to {risk.reference}",
        object=risk,
    )


@login_required
def action_add(request, pk):
    risk = risk_for_keeper(request, pk)
    form = ActionForm(request.POST or None, user=request.user, register=risk.register)
    return form_page(
        request,
        form,
        lambda: services.action_add(by=request.user, risk=risk, **form.cleaned_data),
        success="Action added.",
        to=lambda a: risk.get_absolute_url(),
        title=f"Add an action to {risk.reference}",
        object=risk,
    )


@login_required
def action_done(request, pk):
    access.require(can_see_risks(request.user))
    action = access.get_visible_or_404(
        RiskAction.objects.select_related("risk__register"), request.user, pk=pk
    )
    access.require(can_keep_register(request.user, action.risk.register))
    form = NoteForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: services.action_complete(
            by=request.user, action=action, note=form.cleaned_data["note"]
        ),
        success="Action done.",
        to=lambda a: action.risk.get_absolute_url(),
        title=f"Mark done: {action}",
        object=action.risk,
        submit_label="Mark as done",
    )


@login_required
def risk_accept(request, pk):
    risk = risk_for_keeper(request, pk)
    form = AcceptanceForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: services.risk_accept(by=request.user, risk=risk, **form.cleaned_data),
        success="Acceptance recorded.",
        to=lambda a: risk.get_absolute_url(),
        title=f"Accept {risk.reference} at a residual score of {risk.residual_score}",
        object=risk,
        submit_label="Accept the risk",
    )


@login_required
def risk_escalate(request, pk):
    risk = risk_for_keeper(request, pk)
    if risk.register.is_consortium:
        raise Http404("Not found")
    form = ReasonForm(
        request.POST or None,
        help_text="Why the consortium should carry this risk. The lead sees this.",
    )
    return form_page(
        request,
        form,
        lambda: services.escalation_request(
            by=request.user, risk=risk, reason=form.cleaned_data["reason"]
        ),
        success="Escalation requested: the consortium lead will accept or decline it.",
        to=lambda e: risk.get_absolute_url(),
        title=f"Ask to escalate {risk}",
        object=risk,
        submit_label="Ask to escalate",
    )


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
    return form_page(
        request,
        form,
        lambda: services.risk_deescalate(
            by=request.user, risk=risk, reason=form.cleaned_data["reason"]
        ),
        success="Risk handed back to the member.",
        to=lambda e: risk.get_absolute_url(),
        title=f"De-escalate {risk}",
        object=risk,
        submit_label="De-escalate",
    )
