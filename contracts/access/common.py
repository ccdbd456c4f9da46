"""What the contracts app's access rules share: the one shape of "who sees a member's delivery
record" (a return, a claim, and the rows under them)."""

from django.db.models import Q

from consortium.models import Role


def delivery_condition(a, *, member, commissioner, commissioner_states, prefix=""):
    """The rows of a member's delivery record that actor `a` may see, as a Q: everything for
    those who oversee the consortium; a CVO manager's own organisation's rows (`member`, the
    path to the member organisation); a commissioner's rows under the contracts it
    commissions (`commissioner`, the path to the commissioner) once the record has reached one
    of `commissioner_states`. `prefix` leads every path, for rows under the record."""
    if a.oversees_consortium:
        return Q()
    condition = Q(pk__in=[])
    if a.has(Role.CVO_MANAGER):
        condition |= Q(**{f"{prefix}{member}__in": a.orgs(Role.CVO_MANAGER)})
    if a.has(Role.COMMISSIONER):
        condition |= Q(
            **{
                f"{prefix}{commissioner}__in": a.orgs(Role.COMMISSIONER),
                f"{prefix}status__in": commissioner_states,
            }
        )
    return condition
