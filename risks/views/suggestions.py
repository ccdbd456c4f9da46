"""Suggested risks: what Concord can see coming, and dismissing a suggestion with a reason."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from consortium import access
from consortium.views import save_or_refuse
from risks import selectors, services
from risks.access import (
    can_manage_risk_settings,
    can_see_suggestions,
)
from risks.forms import (
    DismissForm,
)
from risks.models import (
    RiskRegister,
)


def _suggestion_scope(request):
    """The lead sees suggestions for the consortium (all members); a CVO manager for their
    own organisation."""
    a = access.actor(request.user)
    if a.oversees_consortium:
        return None
    return selectors.own_organisation(request.user)


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
