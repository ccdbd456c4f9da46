"""Risks the workforce shows coming: sites covered by a single post, long vacancies, low
supervision compliance, lapsed registrations and DBS checks. No practitioner is named: a
suggestion may end up in a register that commissioners read."""

import datetime
from collections import Counter

from django.db.models import Count, Q
from django.urls import reverse

from consortium import dates
from consortium.access import actor
from consortium.dates import day_text
from consortium.models import Role
from consortium.numbers import plural
from consortium.suggestions import Suggestion, suggestion_kind, suggestion_source
from supervision import compliance, selectors
from supervision.access import can_see_posts
from supervision.models import Post, StaffMember

suggestion_kind("supervision.single_post", many="{n} sites are covered by a single post")
suggestion_kind(
    "supervision.vacancy", many="{n} posts have been vacant longer than the settings allow"
)
suggestion_kind(
    "supervision.lapsed_checks", many="{n} members have lapsed registrations or DBS checks"
)
suggestion_kind(
    "supervision.low_compliance", many="{n} members hold less supervision than required"
)


def _posts(user, organisation):
    posts = Post.objects.visible_to(user).exclude(status=Post.Status.FROZEN)
    return posts.filter(organisation=organisation) if organisation is not None else posts


@suggestion_source
def single_post_sites(*, user, organisation, today, limits):
    # Where single-handed posts are the service's model, the settings say from how many such
    # sites a member's cover is a risk (0: never).
    if not can_see_posts(user) or not limits.single_post_sites:
        return []
    rows = list(
        _posts(user, organisation)
        .filter(sites__isnull=False)
        .values("sites", "sites__name", "organisation", "organisation__name")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .order_by("sites__name")
    )
    per_member = Counter(r["organisation"] for r in rows)
    rows = [r for r in rows if per_member[r["organisation"]] >= limits.single_post_sites]
    return [
        Suggestion(
            key=f"supervision.single_post:{r['sites']}",
            title=f"{r['sites__name']} is covered by a single post",
            evidence=f"{r['sites__name']} has one post ({r['organisation__name']}): the service "
            "stops when that practitioner leaves or is absent.",
            category="Workforce",
            likelihood=3,
            consequence=4,
            link=reverse("consortium:site_detail", args=[r["sites"]]),
            organisation_id=r["organisation"],
            concerns=(("consortium.Organisation", r["organisation"]),),
        )
        for r in rows
    ]


@suggestion_source
def long_vacancies(*, user, organisation, today, limits):
    if not can_see_posts(user):
        return []
    cutoff = today - datetime.timedelta(days=limits.vacancy_days)
    posts = (
        _posts(user, organisation)
        .filter(status=Post.Status.VACANT, vacancy_start__lte=cutoff)
        .select_related("organisation")
        .order_by("vacancy_start")
    )
    return [
        Suggestion(
            key=f"supervision.vacancy:{p.pk}",
            title=f"{p.title} ({p.organisation.name}) has been vacant more than "
            f"{limits.vacancy_days} days",
            evidence=f"Vacant since {day_text(p.vacancy_start)}.",
            category="Workforce",
            likelihood=4,
            consequence=3,
            link=p.get_absolute_url(),
            organisation_id=p.organisation_id,
            concerns=(("supervision.Post", p.pk),),
        )
        for p in posts
    ]


def _staff(user, organisation):
    staff = selectors.current_staff(StaffMember.objects.visible_to(user), today=None)
    return staff.filter(organisation=organisation) if organisation is not None else staff


@suggestion_source
def lapsed_checks(*, user, organisation, today, limits):
    if not actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER):
        return []
    dbs_cutoff = dates.shift_years(today, -compliance.DBS_RENEWAL_YEARS)
    rows = (
        _staff(user, organisation)
        .filter(
            Q(registration_expiry__lt=today) | Q(dbs_update_service=False, dbs_date__lt=dbs_cutoff)
        )
        .values("organisation", "organisation__name")
        .annotate(n=Count("pk"))
        .order_by("organisation__name")
    )
    return [
        Suggestion(
            key=f"supervision.lapsed_checks:{r['organisation']}",
            title=f"{r['organisation__name']}: registration or DBS check lapsed",
            # No date: the evidence is fingerprinted, and a dismissal holds while it stays.
            evidence=f"{plural(r['n'], 'practitioner')} in post "
            f"{'has' if r['n'] == 1 else 'have'} a lapsed registration or a DBS check due for "
            "renewal.",
            category="Clinical and safeguarding",
            likelihood=3,
            consequence=4,
            link=reverse("supervision:staff_list"),
            organisation_id=r["organisation"],
            concerns=(("consortium.Organisation", r["organisation"]),),
        )
        for r in rows
    ]


@suggestion_source
def low_compliance(*, user, organisation, today, limits):
    a = actor(user)
    if not a.has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER):
        return []
    staff = StaffMember.objects.visible_to(user)
    if organisation is not None:
        staff = staff.filter(organisation=organisation)
    rollup = selectors.compliance_rollup(staff, a.consortium_id, today)
    names = dict(staff.values_list("organisation", "organisation__name").distinct().order_by())
    found = []
    for org_id, windows in sorted(rollup.by_organisation.items()):
        tally = windows.get(3)
        rate = tally.rate if tally else None
        if rate is None or rate >= limits.compliance_threshold:
            continue
        found.append(
            Suggestion(
                key=f"supervision.low_compliance:{org_id}",
                title=f"{names.get(org_id, 'A member')}: supervision compliance below "
                f"{limits.compliance_threshold}%",
                evidence=f"{rate}% of required supervision sessions held over the last three "
                "complete months.",
                category="Clinical and safeguarding",
                likelihood=3,
                consequence=3,
                link=reverse("supervision:compliance"),
                organisation_id=org_id,
                concerns=(("consortium.Organisation", org_id),),
            )
        )
    return found
