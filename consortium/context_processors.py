from django.utils.functional import SimpleLazyObject

from consortium.models import Consortium, Role
from consortium.navigation import nav_items


def concord(request):
    actor = getattr(request, "actor", None)
    if actor is None or actor.consortium_id is None:
        return {"actor": actor}
    labels = dict(Role.choices)
    return {
        "actor": actor,
        "active_consortium": SimpleLazyObject(
            lambda: Consortium.objects.filter(pk=actor.consortium_id).first()
        ),
        "role_names": [labels[r] for r in Role.values if actor.has(r)],
        "nav_items": nav_items(actor),
    }
