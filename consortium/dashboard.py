"""The dashboard: each role lands on a work queue. Apps add panels with @panel in their own
`dashboard.py`; each panel returns a dict for templates/partials/_panel.html, or None.

A panel declares the consequence of what it holds (money owed late first, housekeeping and
information last); the dashboard orders panels by it, then by how late their oldest item is.
Panels whose consequence needs somebody today (anything above housekeeping) and that hold
something make the top of the page: one line each, with its count and one link. Every panel
is then listed below, collapsed to its title and count, in the same order.

A panel's dict may carry, besides what the partial shows:
- "consequence": overrides the declared one for today (payments with none overdue are only
  work waiting; checks with nobody lapsed only housekeeping);
- "late": how many days late its oldest item is (orders panels of one consequence);
- "needs_you": whether it holds something for today (default: a count above zero);
- "headline" and "url": its line at the top (default: its title with the count, and its link);
- "open": shown open in the list below (a page somebody opens from here every time);
- "label": the words of its line's tag, where the consequence's own would mislead.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from consortium import access, audit, reminders
from consortium.consequence import Consequence
from consortium.models import Membership, Organisation, RoleAssignment, Site

# The tag colour of each consequence on the dashboard's top lines.
CONSEQUENCE_TAGS = {
    Consequence.MONEY_LATE: "govuk-tag--red",
    Consequence.NOT_SAFE: "govuk-tag--red",
    Consequence.ENDING: "govuk-tag--orange",
    Consequence.WAITING: "govuk-tag--blue",
}


@dataclass
class Panel:
    fn: object
    check: object
    order: int
    consequence: Consequence = Consequence.INFORMATION


PANELS = []


def panel(*, check, order=50, consequence=Consequence.INFORMATION):
    """Register a dashboard panel: fn(request) -> dict or None, shown to those `check(user)`
    allows (an access check from the owning app's access.py, as its pages and navigation
    use)."""

    def register(fn):
        PANELS.append(Panel(fn=fn, check=check, order=order, consequence=Consequence(consequence)))
        return fn

    return register


@dataclass
class Shown:
    """A panel as this person's dashboard shows it."""

    data: dict
    consequence: Consequence
    late: int
    order: int
    needs_you: bool
    headline: str
    url: str | None

    @property
    def tag(self):
        return CONSEQUENCE_TAGS.get(self.consequence, "govuk-tag--grey")

    @property
    def label(self):
        return self.data.get("label") or self.consequence.label


def _shown(p, result):
    consequence = Consequence(result.get("consequence", p.consequence))
    count = result.get("count")
    needs_you = consequence < Consequence.HOUSEKEEPING and bool(
        result.get("needs_you", isinstance(count, int) and count > 0)
    )
    link = result.get("link")
    items = result.get("items") or []
    url = result.get("url") or (link[0] if link else None) or next((u for _, u in items if u), None)
    headline = result.get("headline") or (
        f"{result['title']}: {count:,}" if isinstance(count, int) else result["title"]
    )
    return Shown(
        data=result,
        consequence=consequence,
        late=result.get("late") or 0,
        order=p.order,
        needs_you=needs_you,
        headline=headline,
        url=url,
    )


def queue_for(request):
    """This person's panels, most consequential first, then the latest, then each panel's
    own order."""
    out = []
    for p in sorted(PANELS, key=lambda p: p.order):
        if p.check(request.user):
            result = p.fn(request)
            if result:
                out.append(_shown(p, result))
    return sorted(out, key=lambda s: (s.consequence, -s.late, s.order))


def panels_for(request):
    """The panels' dicts, in the dashboard's order."""
    return [s.data for s in queue_for(request)]


@panel(check=access.member_of_consortium, order=1, consequence=Consequence.HOUSEKEEPING)
def your_reminders(request):
    """The same items the daily reminder email points to, most urgent first."""
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


@panel(check=access.can_manage_setup, order=90, consequence=Consequence.HOUSEKEEPING)
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


@panel(check=access.reads_consortium, order=95)
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


@panel(check=access.reads_audit_chain, order=97)
def audit_chain_head(request):
    """The head of the consortium's audit chain, today and at the close of yesterday: note
    them (the assurance pack prints them too) and any later rewrite of the record shows."""

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
