from django.utils.functional import SimpleLazyObject

from consortium.models import Consortium, Role, RoleAssignment
from consortium.navigation import back_link, breadcrumbs, navigation


def concord(request):
    actor = getattr(request, "actor", None)
    if actor is None or actor.consortium_id is None:
        return {"actor": actor}
    labels = dict(Role.choices)
    nav = navigation(request)
    return {
        "actor": actor,
        "active_consortium": SimpleLazyObject(
            lambda: Consortium.objects.filter(pk=actor.consortium_id).first()
        ),
        "role_names": SimpleLazyObject(lambda: _role_names(actor, labels)),
        "nav_items": nav[0],
        "section_items": nav[1],
        "breadcrumbs": breadcrumbs(request),
        "back_link": back_link(request),
    }


def _role_names(actor, labels):
    """ "CVO manager, Larkspur Women's Centre" for each role the person holds here."""
    rows = (
        RoleAssignment.objects.filter(user=actor.user, consortium_id=actor.consortium_id)
        .select_related("organisation")
        .order_by("role", "organisation__name")
    )
    return [f"{labels[r.role]}, {r.organisation.name}" for r in rows]
