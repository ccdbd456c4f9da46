"""Reads for the workforce pages: turn scoped querysets into the plain data that
supervision.compliance works on, in a fixed number of queries whatever the size. The reads
stored compliance shares with them are in supervision.compliance_store."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DateField, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from consortium import dates
from consortium.memo import once_per_request
from funding.models import FundingStream
from supervision import compliance, compliance_store
from supervision.compliance_store import (
    MONTHS_SHOWN,
    Owed,
    Summary,
    held_sessions,
    practitioners,
    rollup_of,
)
from supervision.models import Post, SessionKind, StaffMember


@dataclass
class Compliance:
    practitioners: list
    held: dict
    rates: compliance.Rates
    today: object


def compliance_for(staff_qs, today=None, months=12):
    """Rates and the data behind them for everyone in `staff_qs` over the last `months`."""
    today = today or timezone.localdate()
    people = practitioners(staff_qs)
    first, _ = dates.last_complete_months(today, max(months, 12))
    # A period of several months may begin before the first month counted: a session held in
    # its earlier months meets it too.
    longest = max((r.interval_months for p in people for r in p.requirements), default=1)
    held = held_sessions(staff_qs, dates.add_months(first, -(longest - 1)), today)
    rates = compliance.rolling_rates(people, held, today)
    return Compliance(people, held, rates, today)


# Stored compliance answers for today's month and the 12 months before it.
MONTHS_READ = 12


def compliance_summary(staff_qs, consortium_id, today=None):
    """Rates for everyone in `staff_qs`, read from the stored months (a fixed number of
    queries whatever the size), or worked out from the sessions for a day the stored months do
    not cover (an assurance pack of a long-past quarter)."""
    today = today or timezone.localdate()
    if compliance_store.answers(today, MONTHS_READ):
        return once_per_request(
            ("compliance_summary", str(staff_qs.query), consortium_id, today),
            lambda: compliance_store.summary(staff_qs, consortium_id, today),
        )
    return worked_out_summary(staff_qs, today)


def compliance_rollup(staff_qs, consortium_id, today=None):
    """The dashboard's compliance figures for everyone in `staff_qs` (reads.Rollup): summed
    by the database from the stored months, or taken from the worked-out summary for a day
    the stored months do not cover. The same figures as compliance_summary's."""
    today = today or timezone.localdate()
    if compliance_store.answers(today, MONTHS_READ):
        return once_per_request(
            ("compliance_rollup", str(staff_qs.query), consortium_id, today),
            lambda: compliance_store.rollup(staff_qs, consortium_id, today),
        )
    return rollup_of(worked_out_summary(staff_qs, today))


def worked_out_summary(staff_qs, today):
    """compliance_summary worked out from the sessions by supervision.compliance."""
    data = compliance_for(staff_qs, today)
    first_shown = dates.add_months(today, -(MONTHS_SHOWN - 1))
    complete = dates.month_range(first_shown, dates.add_months(today, -1))
    return Summary(
        rates=data.rates,
        monthly=compliance.monthly_rates(data.practitioners, data.held, complete, today),
        active_ids=[
            p.id
            for p in data.practitioners
            if p.requirements and (p.end is None or p.end >= first_shown) and p.start <= today
        ],
        current_ids={
            p.id
            for p in data.practitioners
            if p.start <= today and (p.end is None or p.end >= today)
        },
        practitioners=len(data.practitioners),
    )


def _with_funding_end(post_qs):
    ends = (
        Post.funded_by.through.objects.filter(post=OuterRef("pk"))
        .exclude(fundingstream__status=FundingStream.Status.ENDED)
        .order_by("fundingstream__end")
        .values("fundingstream__end")[:1]
    )
    return post_qs.exclude(status=Post.Status.FROZEN).annotate(
        funding_end=Subquery(ends, output_field=DateField())
    )


def _risk_cutoff(today):
    return today + timedelta(days=max(settings.CONCORD_EXPIRY_HORIZONS))


def at_risk(post_qs, today=None):
    """The posts of `post_qs` whose funding ends within the widest horizon (or has ended),
    each annotated with `funding_end`: a queryset, for paged lists and counts."""
    today = today or timezone.localdate()
    return _with_funding_end(post_qs).filter(funding_end__lte=_risk_cutoff(today))


def posts_at_risk(post_qs, today=None):
    """[(post, funding end)] for posts whose funding ends within the widest horizon (or has
    ended), soonest first."""
    rows = at_risk(post_qs, today)
    return [(p, p.funding_end) for p in rows.select_related("organisation").order_by("funding_end")]


@dataclass
class AtRiskSummary:
    """Posts at risk counted by employer and by the month their funding ends (months before
    this one together as `earlier`): one aggregate query whatever the number of posts.

    `members`: [(organisation pk, name, {month: count}, total)], most posts first, at most
    `shown`; `others`: the members beyond those, summed ({month: count}, total, how many)."""

    months: list
    earlier: object
    members: list
    others: tuple
    by_month: dict
    total: int


def posts_at_risk_summary(post_qs, today=None, shown=10):
    today = today or timezone.localdate()
    this_month = dates.month_start(today)
    rows = (
        at_risk(post_qs, today)
        .annotate(month=TruncMonth("funding_end", output_field=DateField()))
        .values_list("organisation_id", "organisation__name", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    earlier = dates.add_months(this_month, -1)
    per_member = {}
    for org_id, name, month, n in rows:
        month = month if month >= this_month else earlier
        _, _, counts = per_member.setdefault(org_id, (org_id, name, defaultdict(int)))
        counts[month] += n
    members = sorted(
        (
            (pk, name, dict(counts), sum(counts.values()))
            for pk, name, counts in per_member.values()
        ),
        key=lambda m: (-m[3], m[1]),
    )
    rest = defaultdict(int)
    for _, _, counts, _ in members[shown:]:
        for month, n in counts.items():
            rest[month] += n
    by_month = defaultdict(int)
    for _, _, counts, _ in members:
        for month, n in counts.items():
            by_month[month] += n
    return AtRiskSummary(
        months=sorted(by_month),
        earlier=earlier,
        members=members[:shown],
        others=(dict(rest), sum(rest.values()), max(0, len(members) - shown)),
        by_month=dict(by_month),
        total=sum(by_month.values()),
    )


def posts_at_risk_by_employer(post_qs, today=None, limit=None):
    """[(organisation name, funding end, how many posts, the post's pk if only one)], soonest
    first (the first `limit` groups): the dashboard's summary, computed in the database."""
    rows = (
        at_risk(post_qs, today)
        .values("organisation__name", "funding_end")
        .annotate(n=Count("pk"), one=Min("pk"), title=Min("title"))
        .order_by("funding_end", "organisation__name")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        (
            r["organisation__name"],
            r["funding_end"],
            r["n"],
            r["one"] if r["n"] == 1 else None,
            r["title"],
        )
        for r in rows
    ]


def current_staff(staff_qs, today=None):
    today = today or timezone.localdate()
    return staff_qs.filter(start__lte=today).filter(Q(end__isnull=True) | Q(end__gte=today))


def expiring_checks(staff_qs, today=None):
    """[(staff, alert)] for registrations, DBS and vetting within the 90/30-day horizons, and
    [(staff, reasons)] for those not deployable. The database narrows the people to those with
    something missing or near; compliance.fitness decides."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=max(compliance.STAFF_HORIZONS))
    # A DBS check taken on or before this day is due for renewal within the horizon (a day's
    # slack for leap years; fitness() has the exact rule).
    dbs_cutoff = dates.shift_years(soon, -compliance.DBS_RENEWAL_YEARS) + timedelta(days=1)
    near = (
        Q(registration_expiry__isnull=True)
        | Q(registration_expiry__lte=soon)
        | Q(dbs_date__isnull=True)
        | Q(dbs_update_service=False, dbs_date__lte=dbs_cutoff)
        | Q(needs_police_vetting=True, police_vetting_expiry__isnull=True)
        | Q(needs_police_vetting=True, police_vetting_expiry__lte=soon)
    )
    alerts, lapsed = [], []
    for s in current_staff(staff_qs, today).filter(near).select_related("organisation"):
        f = s.fitness(today)
        if not f.deployable:
            lapsed.append((s, f.reasons))
        for alert in f.alerts:
            alerts.append((s, alert))
    alerts.sort(key=lambda x: x[1].expiry)
    return alerts, lapsed


def consortium_expiring_checks(consortium_id, today=None):
    """expiring_checks over every member of staff in the consortium, worked out once per
    request: the dashboard's checks panel and the reminders beside it read the same answer
    for a reader who oversees the consortium."""
    today = today or timezone.localdate()
    return once_per_request(
        ("expiring_checks", consortium_id, today),
        lambda: expiring_checks(
            StaffMember._base_manager.filter(consortium_id=consortium_id), today
        ),
    )


def supervision_owed(staff_qs, today=None, consortium_id=None):
    """[Owed] for the current staff in `staff_qs` who owe a session this month or missed one
    last month (the supervisor's dashboard and reminders), from the stored months (2 queries;
    one more without `consortium_id`)."""
    today = today or timezone.localdate()
    staff_qs = current_staff(staff_qs, today)
    if dates.month_start(today) == dates.month_start(timezone.localdate()):
        if consortium_id is None:
            consortium_id = staff_qs.values_list("consortium_id", flat=True).first()
        if consortium_id is None:
            return []
        return compliance_store.owed(staff_qs, consortium_id, today)
    return worked_out_owed(staff_qs, today)


def worked_out_owed(staff_qs, today):
    """supervision_owed worked out from the sessions by supervision.compliance (4 queries)."""
    data = compliance_for(current_staff(staff_qs, today), today)
    last = dates.add_months(dates.month_start(today), -1)
    out = []
    for p in data.practitioners:
        periods = compliance.practitioner_periods(p, data.held.get(p.id, {}), today, last, today)
        due = [x.kind for x in periods if x.status == compliance.NOT_YET_DUE]
        missed = [x.kind for x in periods if x.status == compliance.MISSED and x.last == last]
        if due or missed:
            out.append(Owed(p.id, due, missed, last))
    return out


KIND_LABELS = dict(SessionKind.choices)


def staff_compliance(staff, today):
    """One person's supervision record for their page: the requirements that apply to them
    (`requirements`), each period over the months shown, newest first, with its status and
    why (`periods`), and their rates met (`rates`)."""
    data = compliance_for(StaffMember.objects.filter(pk=staff.pk), today)
    months = dates.month_range(dates.add_months(today, -(MONTHS_SHOWN - 1)), today)
    practitioner = data.practitioners[0] if data.practitioners else None
    periods = (
        compliance.practitioner_periods(
            practitioner, data.held.get(practitioner.id, {}), today, months[0], months[-1]
        )
        if practitioner
        else []
    )
    return {
        "requirements": [
            {"kind": KIND_LABELS[r.kind], "interval_months": r.interval_months}
            for r in (practitioner.requirements if practitioner else ())
        ],
        "periods": [
            {
                "first": x.first,
                "last": x.last,
                "kind": KIND_LABELS[x.kind],
                "status": x.status,
                "label": x.label,
                "reason": x.reason,
            }
            for x in sorted(periods, key=lambda x: (x.first, x.kind), reverse=True)
        ],
        "rates": data.rates.by_practitioner.get(staff.pk, {}),
    }
