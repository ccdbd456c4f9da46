"""Getting started: the checklist a new consortium's administrator and lead see on their
dashboard until it is done. Each app registers its own lines with @step in its own
`getting_started.py`; a line is ticked from the data itself (every count it names is above
its threshold), never by hand, and the panel goes once every line is ticked."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse

from consortium import access
from consortium.consequence import Consequence
from consortium.dashboard import panel
from consortium.models import Membership, Organisation, RoleAssignment, Site


@dataclass
class Step:
    key: str
    title: str
    order: int
    counts: object  # fn(user) -> [(count, singular, plural, needed)]
    url: str  # a URL name
    check: object  # fn(user) -> bool: whether the person may open the link


STEPS = {}


def step(key, *, title, order, url, check=None):
    """Register a line of the checklist: the decorated function of the user gives the counts
    it names, each as (count, singular noun, plural noun, how many make it done)."""

    def register(fn):
        STEPS[key] = Step(key, title, order, fn, url, check or (lambda user: True))
        return fn

    return register


def checklist(user):
    """The lines of the checklist for `user`, in order: each a dict of its title, the words
    of its counts, its link (None if the person may not open it) and whether it is done."""
    lines = []
    for s in sorted(STEPS.values(), key=lambda s: s.order):
        counts = s.counts(user)
        words = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many, _ in counts)
        lines.append(
            {
                "key": s.key,
                "title": s.title,
                "words": words,
                "url": reverse(s.url) if s.check(user) else None,
                "done": all(n >= needed for n, _, _, needed in counts),
            }
        )
    return lines


@panel(check=access.can_manage_setup, order=0, consequence=Consequence.WAITING)
def getting_started(request):
    # Once every line is ticked the consortium is set up: remembered for a day, so that an
    # established consortium's dashboards do not count every kind of record on each visit.
    done_key = f"getting-started-done:{request.actor.consortium_id}"
    if cache.get(done_key):
        return None
    lines = checklist(request.user)
    if all(line["done"] for line in lines):
        cache.set(done_key, True, 24 * 60 * 60)
        return None
    done = sum(line["done"] for line in lines)
    return {
        "title": "Getting started",
        "template": "partials/_getting_started.html",
        "lines": lines,
        "count": f"{done} of {len(lines)} done",
        # Until it is done, setting up is what a new consortium's people have to do today.
        "needs_you": True,
        "open": True,
    }


# --- the consortium's own lines ------------------------------------------------------------


@step(
    "organisations",
    title="Organisations and memberships",
    order=10,
    url="consortium:organisation_list",
)
def _organisations(user):
    # The lead organisation is there from the start: the line is done with one more member.
    members = Membership.objects.visible_to(user).values("role").annotate(n=Count("id"))
    by_role = {m["role"]: m["n"] for m in members}
    others = sum(n for role, n in by_role.items() if role != Membership.Role.LEAD)
    organisations = Organisation.objects.visible_to(user).count()
    return [
        (organisations, "organisation", "organisations", 1),
        (others, "member besides the lead", "members besides the lead", 1),
    ]


@step("sites", title="Sites", order=20, url="consortium:site_list")
def _sites(user):
    return [(Site.objects.visible_to(user).count(), "site", "sites", 1)]


@step("people", title="People and roles", order=30, url="consortium:people")
def _people(user):
    # The first administrator is there from the start: done with somebody else.
    people = RoleAssignment.objects.visible_to(user).values("user").distinct().count()
    return [(people, "person", "people", 2)]
