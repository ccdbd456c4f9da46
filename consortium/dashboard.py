"""The dashboard: each role lands on what needs it now. Apps add panels with @panel in their
own `dashboard.py`; each panel returns a dict for templates/partials/_panel.html or None."""

from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse

from consortium import audit, reminders
from consortium.models import Membership, Organisation, Role, RoleAssignment, Site


@dataclass
class Panel:
    fn: object
    roles: tuple
    order: int


PANELS = []


def panel(*, roles, order=50):
    def register(fn):
        PANELS.append(Panel(fn=fn, roles=tuple(roles), order=order))
        return fn

    return register


URGENCY = {"danger": 0, "warning": 1}  # overdue or late; due soon or expiring; the rest


def panels_for(request):
    """The panels this person's roles see, most urgent first: panels with something overdue
    or late (tone "danger"), then something due soon or expiring ("warning"), then the rest,
    each group in the panels' own order."""
    actor = request.actor
    out = []
    for p in sorted(PANELS, key=lambda p: p.order):
        if actor.has(*p.roles):
            result = p.fn(request)
            if result:
                out.append(result)
    return sorted(out, key=lambda panel: URGENCY.get(panel.get("tone"), 2))


@panel(roles=Role.values, order=1)
def your_reminders(request):
    """The same items the daily reminder email points to, most urgent first."""
    from django.utils import timezone

    items = reminders.items_for(request.user, request.actor.consortium_id, timezone.localdate())
    late = any(i.urgency == reminders.LATE for i in items)
    return {
        "title": "Your reminders",
        # The most urgent by name, then each kind's "and N more" line.
        "items": [
            (f"{i.urgency_label}: {i.text}", i.url)
            for i in [i for i in items if i.stands_for == 1][:SHOWN]
            + [i for i in items if i.stands_for > 1]
        ],
        "count": sum(i.stands_for for i in items),
        "tone": "danger" if late else ("warning" if items else None),
        "empty": "Nothing is due, late or expiring for you.",
        "link": (reverse("account_reminders"), "Choose your reminder emails"),
    }


SHOWN = 10


@panel(roles=[Role.ADMIN, Role.LEAD], order=90)
def setup_gaps(request):
    user = request.user
    # Members that deliver the service need somebody in Concord; funders and partners may not.
    orgs = (
        Organisation.objects.visible_to(user)
        .filter(memberships__role__in=[Membership.Role.LEAD, Membership.Role.SUBCONTRACTOR])
        .annotate(people=Count("role_assignments"))
        .filter(people=0)
        .order_by("name")
    )
    orgs = list(orgs[:10])
    return {
        "title": "Delivery members with nobody assigned",
        "items": [(o.name, reverse("consortium:organisation_detail", args=[o.pk])) for o in orgs],
        "empty": "Every delivery member has at least one person assigned.",
        "link": (reverse("consortium:organisation_list"), "All organisations"),
    }


@panel(roles=[r for r in Role.values if r != Role.PRACTITIONER], order=95)
def consortium_glance(request):
    user = request.user
    members = Membership.objects.visible_to(user).values("role").annotate(n=Count("id"))
    labels = dict(Membership.Role.choices)
    items = [(f"{labels[m['role']]}: {m['n']}", None) for m in members.order_by("role")]
    items.append(
        (f"Sites: {Site.objects.visible_to(user).count()}", reverse("consortium:site_list"))
    )
    items.append(
        (
            f"People you can see: {RoleAssignment.objects.visible_to(user).values('user').distinct().count()}",
            reverse("consortium:people"),
        )
    )
    return {"title": "The consortium at a glance", "items": items, "empty": "No members yet."}


@panel(roles=[Role.COMMISSIONER, Role.LEAD, Role.ADMIN], order=97)
def audit_chain_head(request):
    """The head of the consortium's audit chain, today and at the close of yesterday: note
    them (the assurance pack prints them too) and any later rewrite of the record shows."""
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    heads = audit.daily_heads(request.actor.consortium_id, [today, yesterday])
    items = []
    for label, day in (("Today so far", today), ("Close of yesterday", yesterday)):
        head = heads[day]
        if head is not None:
            items.append((f"{label} ({day:%-d %b %Y}): link {head.seq}, {head.hash}", None))
    return {
        "title": "Audit chain head",
        "items": items,
        "empty": "No business events are recorded yet.",
    }
