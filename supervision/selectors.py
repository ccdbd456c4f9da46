"""Reads for the workforce pages: turn scoped querysets into the plain data that
supervision.compliance works on, in a fixed number of queries whatever the size."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from funding.models import FundingStream
from supervision import compliance
from supervision.models import (
    LeavePeriod,
    Post,
    SupervisionRequirement,
    SupervisionSession,
)

Attendance = SupervisionSession.attendees.through


def practitioners(staff_qs):
    """compliance.Practitioner for each staff member in `staff_qs` (3 queries)."""
    rows = list(
        staff_qs.values_list("pk", "organisation_id", "start", "end", "post_id").order_by("pk")
    )
    ids = staff_qs.values("pk")
    leave = defaultdict(list)
    for staff_id, start, end in LeavePeriod.objects.filter(staff__in=ids).values_list(
        "staff_id", "start", "end"
    ):
        leave[staff_id].append((start, end))
    post_ids = staff_qs.filter(post__isnull=False).values("post_id")
    own, by_post = defaultdict(dict), defaultdict(dict)
    for staff_id, post_id, kind, interval in SupervisionRequirement.objects.filter(
        Q(staff__in=ids) | Q(post__in=post_ids)
    ).values_list("staff_id", "post_id", "kind", "interval_months"):
        if staff_id:
            own[staff_id][kind] = interval
        else:
            by_post[post_id][kind] = interval
    out = []
    for pk, org_id, start, end, post_id in rows:
        reqs = {**by_post.get(post_id, {}), **own.get(pk, {})}
        out.append(
            compliance.Practitioner(
                id=pk,
                organisation_id=org_id,
                start=start,
                end=end,
                leave=tuple(leave.get(pk, ())),
                requirements=tuple(
                    compliance.Requirement(kind, interval)
                    for kind, interval in sorted(reqs.items())
                ),
            )
        )
    return out


def held_sessions(staff_qs, first_day, last_day):
    """{staff id: {kind: sorted dates}} of held sessions between the days given (1 query)."""
    held = defaultdict(lambda: defaultdict(list))
    rows = (
        Attendance.objects.filter(
            staffmember__in=staff_qs.values("pk"),
            supervisionsession__status=SupervisionSession.Status.HELD,
            supervisionsession__date__range=(first_day, last_day),
        )
        .values_list("staffmember_id", "supervisionsession__kind", "supervisionsession__date")
        .order_by("supervisionsession__date")
    )
    for staff_id, kind, day in rows.iterator(chunk_size=5000):
        held[staff_id][kind].append(day)
    return held


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
    first, _ = compliance.last_complete_months(today, max(months, 12))
    held = held_sessions(staff_qs, first, today)
    rates = compliance.rolling_rates(people, held, today)
    return Compliance(people, held, rates, today)


def posts_at_risk(post_qs, today=None):
    """[(post, funding end)] for posts whose funding ends within the widest horizon."""
    today = today or timezone.localdate()
    horizon = max(settings.CONCORD_EXPIRY_HORIZONS)
    rows = post_qs.exclude(status=Post.Status.FROZEN).annotate(
        funding_end=Min("funded_by__end", filter=~Q(funded_by__status=FundingStream.Status.ENDED))
    )
    out = []
    for post in rows.filter(funding_end__isnull=False).select_related("organisation"):
        if compliance.funding_at_risk(today, post.funding_end, horizon):
            out.append((post, post.funding_end))
    return sorted(out, key=lambda x: x[1])


def current_staff(staff_qs, today=None):
    today = today or timezone.localdate()
    return staff_qs.filter(start__lte=today).filter(Q(end__isnull=True) | Q(end__gte=today))


def expiring_checks(staff_qs, today=None):
    """[(staff, alert)] for registrations, DBS and vetting within the 90/30-day horizons, and
    [(staff, reasons)] for those not deployable."""
    today = today or timezone.localdate()
    alerts, lapsed = [], []
    for s in current_staff(staff_qs, today).select_related("organisation"):
        f = s.fitness(today)
        if not f.deployable:
            lapsed.append((s, f.reasons))
        for alert in f.alerts:
            alerts.append((s, alert))
    alerts.sort(key=lambda x: x[1].expiry)
    return alerts, lapsed
