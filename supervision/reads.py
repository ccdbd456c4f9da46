"""The reads stored compliance and the workforce pages share: scoped querysets turned into
the plain data supervision.compliance works on, and the shapes of what the pages are given.
(supervision.selectors and supervision.compliance_store both build on these.)"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from supervision import compliance
from supervision.models import LeavePeriod, SupervisionRequirement, SupervisionSession

Attendance = SupervisionSession.attendees.through


def practitioners(staff_qs):
    """compliance.Practitioner for each staff member in `staff_qs` (3 queries)."""
    rows = list(
        staff_qs.values_list("pk", "organisation_id", "start", "end", "post_id").order_by(
            "last_name", "first_name", "pk"
        )
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


MONTHS_SHOWN = 12


@dataclass
class Summary:
    """Everything the compliance pages, chart and dashboards need about a whole scope."""

    rates: compliance.Rates
    monthly: list  # [(month, Tally)] for the complete months shown
    active_ids: list  # practitioners with requirements in post during the months shown
    current_ids: set  # practitioners in post today
    practitioners: int


@dataclass
class Rollup:
    """A scope's compliance as the dashboard shows it: tallies overall and by organisation
    ({n: Tally} for each window), and the practitioners in post whose rate over the shortest
    window is below the threshold, [(staff id, rate)], lowest first."""

    overall: dict
    by_organisation: dict
    low: list


def rollup_of(summary, windows=(3, 12)):
    """The Rollup of a Summary (for a day the stored months do not answer)."""
    shortest = min(windows)
    low = [
        (pid, t[shortest].rate)
        for pid, t in summary.rates.by_practitioner.items()
        if pid in summary.current_ids
        and t[shortest].rate is not None
        and t[shortest].rate < compliance.THRESHOLD
    ]
    low.sort(key=lambda x: x[1])
    return Rollup(
        overall=summary.rates.overall, by_organisation=summary.rates.by_organisation, low=low
    )


@dataclass
class Owed:
    """A practitioner's supervision this month: kinds still due, and kinds missed last month."""

    staff_id: int
    due: list
    missed: list
    last_month: object
