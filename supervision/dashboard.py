"""Dashboard panels for the workforce, and its section of the funding runway. Each runs a
fixed number of queries."""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, Window
from django.urls import reverse
from django.utils import timezone

from consortium import dates
from consortium.access import is_commissioner
from consortium.counting import first_and_total
from consortium.dashboard import Consequence, panel
from consortium.models import Organisation
from consortium.numbers import count, plural
from funding.runway import runway_section
from supervision import compliance, selectors
from supervision.access import (
    can_log_sessions,
    can_manage_workforce,
    can_see_post_funding,
    commissioned_staff,
    is_practitioner,
    own_staff_records,
)
from supervision.models import Post, SessionAction, SessionKind, StaffMember

SHOWN = 8


def _supervisees(request):
    return StaffMember.objects.visible_to(request.user).filter(
        Q(clinical_supervisor=request.user) | Q(group_supervisor=request.user)
    )


def _due_and_overdue(request):
    cached = getattr(request, "_supervision_due", None)
    if cached is None:
        cached = request._supervision_due = _compute_due(request)
    return cached


def _compute_due(request):
    today = timezone.localdate()
    staff_qs = selectors.current_staff(_supervisees(request), today)
    owed = selectors.supervision_owed(staff_qs, today, request.actor.consortium_id)
    names = dict((s.pk, s) for s in staff_qs.filter(pk__in=[o.staff_id for o in owed]))
    due, overdue = [], []
    for o in owed:
        person = names.get(o.staff_id)
        if person is None:
            continue
        if o.due:
            kinds = ", ".join(_kind(k) for k in o.due)
            due.append((f"{person.name}: {kinds}", person.get_absolute_url()))
        if o.missed:
            kinds = ", ".join(_kind(k) for k in o.missed)
            overdue.append(
                (f"{person.name}: {kinds} missed in {o.last_month:%B}", person.get_absolute_url())
            )
    return due, overdue


@panel(check=can_log_sessions, order=10, consequence=Consequence.WAITING)
def supervision_due(request):
    due, _ = _due_and_overdue(request)
    return {
        "title": "Supervision due this month",
        "headline": f"{plural(len(due), 'person', 'people')} you supervise due supervision "
        "this month"
        if due
        else None,
        "items": due[:SHOWN],
        "count": len(due),
        "empty": "Everyone you supervise has had this month's sessions.",
        "link": (reverse("supervision:session_create"), "Log a session"),
    }


@panel(check=can_log_sessions, order=11, consequence=Consequence.WAITING)
def supervision_overdue(request):
    _, overdue = _due_and_overdue(request)
    today = timezone.localdate()
    # Missed last month: late since the month ended.
    late = (today - dates.month_start(today)).days + 1 if overdue else 0
    return {
        "title": "Overdue supervision",
        "late": late,
        "headline": f"{plural(len(overdue), 'person', 'people')} you supervise missed "
        "supervision last month"
        if overdue
        else None,
        "items": overdue[:SHOWN],
        "count": len(overdue),
        "tone": "danger" if overdue else None,
        "empty": "Nobody you supervise missed a session last month.",
        "link": (reverse("supervision:compliance"), "Compliance"),
    }


def _kind(kind):

    return dict(SessionKind.choices)[kind]


@panel(check=can_log_sessions, order=12, consequence=Consequence.WAITING)
def open_actions(request):
    today = timezone.localdate()
    actions = (
        SessionAction.objects.visible_to(request.user)
        .filter(session__supervisor=request.user, done_on__isnull=True)
        .select_related("session")
        .order_by("due")
    )
    rows, count = first_and_total(actions, SHOWN)
    items = [
        (
            f"{a.description}: due {a.due:%-d %b %Y}{' (overdue)' if a.due < today else ''}",
            a.session.get_absolute_url(),
        )
        for a in rows[:SHOWN]
    ]
    overdue = sum(1 for a in rows[:SHOWN] if a.due < today)
    return {
        "title": "Open actions from supervision",
        "needs_you": bool(overdue),
        "late": max([(today - a.due).days for a in rows[:SHOWN] if a.due < today], default=0),
        "items": items,
        "count": count,
        "empty": "No open actions.",
    }


@panel(check=can_manage_workforce, order=20, consequence=Consequence.HOUSEKEEPING)
def vacancies(request):
    today = timezone.localdate()
    posts = Post.objects.visible_to(request.user).select_related("organisation")
    # Only the vacancies the panel shows are read, each carrying the count of them all.
    vacant = list(
        posts.filter(status=Post.Status.VACANT)
        .annotate(total=Window(Count("pk")))
        .order_by("vacancy_start", "id")[:SHOWN]
    )
    vacant_count = vacant[0].total if vacant else 0
    # Posts at risk arrive grouped by employer and end date (one row a group, in SQL).
    at_risk = selectors.posts_at_risk_by_employer(posts, today)
    risky = sum(n for _, _, n, _, _ in at_risk)
    items = [
        (
            f"{p.title}, {p.organisation}: vacant {p.gap_days(today)} days"
            if p.vacancy_start
            else f"{p.title}, {p.organisation}: vacant",
            p.get_absolute_url(),
        )
        for p in vacant[:SHOWN]
    ]
    # Posts at risk, grouped by employer and the date their funding ends.
    for org_name, end, n, only, title in at_risk[:SHOWN]:
        what = title if n == 1 else f"{n} posts"
        url = (
            reverse("supervision:post_detail", args=[only])
            if only
            else reverse("supervision:post_list")
        )
        items.append((f"At risk: {what}, {org_name}: funding ends {end:%-d %b %Y}", url))
    return {
        "title": "Vacancies and posts at risk",
        "items": items,
        "count": vacant_count + risky,
        "tone": "warning" if vacant or at_risk else None,
        "empty": "Every post is filled and funded beyond the horizon.",
        "link": (reverse("supervision:post_list"), "All posts"),
    }


@panel(check=can_manage_workforce, order=21, consequence=Consequence.NOT_SAFE)
def checks(request):
    today = timezone.localdate()
    staff = StaffMember.objects.visible_to(request.user)
    if request.actor.oversees_consortium:
        # Every member of staff: read once with the staff-checks reminders beside the panel.
        alerts, lapsed = selectors.consortium_expiring_checks(request.actor.consortium_id, today)
    else:
        alerts, lapsed = selectors.expiring_checks(staff, today)
    items = [
        (f"Not deployable: {s.name} ({'; '.join(reasons)})", s.get_absolute_url())
        for s, reasons in lapsed[:SHOWN]
    ]
    items += [(f"{s.name}: {a.text}", s.get_absolute_url()) for s, a in alerts[:SHOWN]]
    supervisors = [
        s
        for s in selectors.current_staff(staff, today).exclude(supervisor_qualification="")
        if s.accreditation_lapsed(today)
    ]
    items += [
        (f"Supervisor accreditation lapsed: {s.name}", s.get_absolute_url())
        for s in supervisors[:SHOWN]
    ]
    unsafe = len(lapsed) + len(supervisors)
    names = [s.name for s, _ in lapsed[:3]] + [s.name for s in supervisors[: 3 - len(lapsed[:3])]]
    return {
        "title": "Registrations, checks and accreditation",
        "consequence": Consequence.NOT_SAFE if unsafe else Consequence.HOUSEKEEPING,
        "needs_you": bool(unsafe),
        "headline": (
            f"{plural(unsafe, 'person', 'people')} not safe to deploy: {', '.join(names)}"
            + (f" and {unsafe - len(names)} more" if unsafe > len(names) else "")
        )
        if unsafe
        else None,
        "url": lapsed[0][0].get_absolute_url() if unsafe == 1 and lapsed else None,
        "items": items,
        "count": len(lapsed) + len(alerts) + len(supervisors),
        "tone": "danger" if lapsed or supervisors else ("warning" if alerts else None),
        "empty": "Everyone is deployable and nothing expires within 90 days.",
        "link": (reverse("supervision:staff_list"), "All staff"),
    }


@panel(check=can_manage_workforce, order=22, consequence=Consequence.HOUSEKEEPING)
def compliance_below_threshold(request):
    today = timezone.localdate()
    staff_qs = StaffMember.objects.visible_to(request.user)
    rollup = selectors.compliance_rollup(staff_qs, request.actor.consortium_id, today)
    low = rollup.low
    people = staff_qs.in_bulk([pid for pid, _ in low[:SHOWN]])
    items = [
        (f"{people[pid].name}: {rate}% over 3 months", people[pid].get_absolute_url())
        for pid, rate in low[:SHOWN]
        if pid in people
    ]
    overall = rollup.overall
    headline = (
        f"Overall: {overall[3].rate}% over 3 months, {overall[12].rate}% over 12 months"
        if overall[3].rate is not None
        else "Overall: nothing due yet"
    )
    return {
        "title": f"Supervision below {count(compliance.THRESHOLD)}%",
        "items": [(headline, None), *items],
        "count": len(low),
        "tone": "warning" if low else None,
        "empty": "",
        "link": (reverse("supervision:compliance"), "Compliance matrix"),
    }


@panel(check=is_commissioner, order=20)
def assurance(request):
    """Figures for the posts a commissioner funds. No names of individuals."""
    today = timezone.localdate()
    data = selectors.compliance_summary(
        commissioned_staff(request.user), request.actor.consortium_id, today
    )
    posts = Post.objects.visible_to(request.user)
    vacant = list(posts.filter(status=Post.Status.VACANT))
    gaps = [p.gap_days(today) or 0 for p in vacant]
    overall = data.rates.overall
    names = dict(Organisation.objects.visible_to(request.user).values_list("pk", "name"))
    items = [
        (
            f"Supervision met: {_pct(overall[3].rate)} over 3 months, {_pct(overall[12].rate)} "
            f"over 12 months ({len(data.current_ids)} practitioners)",
            None,
        ),
        (
            f"Vacant posts: {len(vacant)} of {posts.count()}"
            + (f", {sum(gaps)} gap days in all" if vacant else ""),
            reverse("supervision:post_list"),
        ),
    ]
    items += [
        (f"{names.get(org, '—')}: {_pct(t[3].rate)} over 3 months", None)
        for org, t in sorted(data.rates.by_organisation.items(), key=lambda x: names.get(x[0], ""))
    ]
    return {
        "title": "Workforce assurance",
        "items": items,
        "empty": "",
        "link": (reverse("supervision:compliance"), "Compliance figures"),
    }


def _pct(rate):
    return "—" if rate is None else f"{rate}%"


@runway_section
def posts_at_risk_section(request, member):
    """Posts paid for by funding that ends within the widest expiry horizon, counted by
    employer and the month their funding ends; each count opens the paged list of those posts.
    One aggregate query, however many posts there are."""
    # The streams behind posts are the lead's business (as on the posts pages).
    if not can_see_post_funding(request.user):
        return None
    posts = Post.objects.visible_to(request.user)
    if member is not None:
        posts = posts.filter(organisation=member)
    horizon = max(settings.CONCORD_EXPIRY_HORIZONS)
    summary = selectors.posts_at_risk_summary(posts, timezone.localdate(), shown=SHOWN)
    if not summary.total:
        return {
            "title": "Posts at risk",
            "rows": [],
            "empty": f"No post is paid for by funding that ends within {horizon} days.",
        }
    url = reverse("supervision:post_at_risk_list")

    def link(n, org=None, month=None):
        if not n:
            return ("0", None)
        query = {}
        if org is not None:
            query["organisation"] = org
        if month is not None:
            first, last = _month_bounds(month, summary.earlier)
            if first:
                query["ends_from"] = first.isoformat()
            query["ends_to"] = last.isoformat()
        return (f"{n:,}", f"{url}?{urlencode(query)}" if query else url)

    months = summary.months
    rows = [
        [(name, None), *(link(counts.get(m, 0), pk, m) for m in months), link(total, pk)]
        for pk, name, counts, total in summary.members
    ]
    counts, total, how_many = summary.others
    if how_many:
        rows.append(
            [
                (f"{how_many:,} other {'member' if how_many == 1 else 'members'}", None),
                *((f"{counts.get(m, 0):,}", None) for m in months),
                (f"{total:,}", None),
            ]
        )
    if len(summary.members) > 1:
        rows.append(
            [
                ("All members", None),
                *(link(summary.by_month.get(m, 0), None, m) for m in months),
                link(summary.total),
            ]
        )
    earlier = f"Before {dates.add_months(summary.earlier, 1):%B %Y}"
    return {
        "title": "Posts at risk",
        "intro": (
            f"{summary.total:,} {'post is' if summary.total == 1 else 'posts are'} paid for by "
            f"funding that ends within {horizon} days (or has ended), by employer and the month "
            "the funding ends. Each figure opens the list of those posts."
        ),
        "headers": [
            "Employer",
            *(earlier if m == summary.earlier else f"{m:%B %Y}" for m in months),
            "Total",
        ],
        "rows": rows,
        "row_headers": True,
        "numeric": True,
        "link": (f"All {summary.total:,} posts at risk", url),
        "empty": f"No post is paid for by funding that ends within {horizon} days.",
    }


def _month_bounds(month, earlier):
    """The first and last day of `month`; for the months before this one together, no first
    day and the last day before this month."""
    return (None if month == earlier else month), dates.month_end(month)


@panel(check=is_practitioner, order=5)
def my_record(request):
    """A practitioner's own record: the dates that keep them deployable, the supervision
    they owe this month, and their open actions."""

    today = timezone.localdate()
    staff = own_staff_records(request.user).order_by("-start").first()
    if staff is None:
        return {
            "title": "Your record",
            "items": [],
            "empty": "Your sign-in is not linked to a staff record yet: ask your manager.",
        }
    fitness = staff.fitness(today)
    items = [
        (f"Registration: {_date(staff.registration_expiry, 'renew by')}", None),
        (f"DBS check: {_date(staff.dbs_date, 'taken')}", None),
    ]
    if staff.needs_police_vetting:
        items.append((f"Police vetting: {_date(staff.police_vetting_expiry, 'expires')}", None))
    if not fitness.deployable:
        items.insert(0, (f"Not deployable: {'; '.join(fitness.reasons)}", None))
    owed = selectors.supervision_owed(
        StaffMember.objects.filter(pk=staff.pk), today, request.actor.consortium_id
    )
    for o in owed:
        if o.due:
            items.append((f"Supervision due this month: {', '.join(map(_kind, o.due))}", None))
        if o.missed:
            items.append((f"Missed in {o.last_month:%B}: {', '.join(map(_kind, o.missed))}", None))
    actions = SessionAction.objects.visible_to(request.user).filter(
        session__attendees=staff, done_on__isnull=True
    )
    n = actions.count()
    items.append((f"Open actions from supervision: {n}", reverse("supervision:my_supervision")))
    return {
        "title": "Your record",
        "items": items,
        "tone": "danger" if not fitness.deployable else ("warning" if fitness.alerts else None),
        "empty": "",
        "link": (staff.get_absolute_url(), "Your full record"),
    }


def _date(day, verb):
    return f"{verb} {day:%-d %b %Y}" if day else "none recorded"
