"""Stored supervision compliance (supervision.models.ComplianceMonth): kept up to date as
sessions, leave, requirements and employment change, and read by the compliance matrix, the
dashboards, the chart, the export and the assurance packs in a fixed number of queries.

A row is exactly what supervision.compliance works out for one practitioner and month, as of
today's month. Only the month still running depends on the day ("not yet due" becomes "met" or
"missed" once it is over), so:

* every change rewrites the months it touches, widened to the whole requirement periods those
  months belong to (`refresh_compliance`, called by the receivers at the end of this module,
  so the services, the admin, the demo and the factories all keep the rows);
* the first read in a new month settles the months that ran into it (`ensure_current`): no
  scheduled job is needed. `manage.py refresh_compliance` does the same ahead of time.

Rows go back HISTORY_MONTHS complete months. A read that needs older months (an assurance pack
of a long-past quarter) or a month not yet reached works them out from the sessions instead
(supervision.selectors).
"""

import contextvars
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.lookups import LessThan
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone
from django_scopes import scopes_disabled

from consortium.dates import add_months, last_complete_months, month_range, month_start
from consortium.memo import once_per_request
from supervision import compliance
from supervision.models import (
    ComplianceMonth,
    ComplianceRefresh,
    LeavePeriod,
    SessionKind,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)

Attendance = SupervisionSession.attendees.through
HISTORY_MONTHS = 24
CHUNK = 500  # practitioners worked out at a time, so memory stays flat
KIND_LABELS = dict(SessionKind.choices)
ROW_FIELDS = ["status", "detail", "met", "missed", "missed_kinds", "owed", "due_kinds"]


# --- the reads the store and the workforce pages share: scoped querysets turned into the
# plain data supervision.compliance works on, and the shapes of what the pages are given


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


def _current():
    return month_start(timezone.localdate())


def _horizon(current):
    """The earliest month stored."""
    return add_months(current, -HISTORY_MONTHS)


# --- writing --------------------------------------------------------------------------------


class _Pending:
    """What a `deferred()` block has changed: whose compliance, over which months."""

    def __init__(self):
        self.ids = set()
        self.first = self.last = None
        self.full = False

    def note(self, ids, first_month, last_month):
        self.ids.update(ids)
        if first_month is None:
            self.full = True
            return
        self.first = min(filter(None, (self.first, first_month)))
        self.last = max(filter(None, (self.last, last_month)))

    def refresh(self):
        if self.full:
            refresh_compliance(self.ids)
        else:
            refresh_compliance(self.ids, self.first, self.last)


_pending = contextvars.ContextVar("compliance_pending", default=None)


@contextmanager
def deferred():
    """Within the block, changes only note whose compliance to work out again; leaving it works
    them all out at once (one refresh for the people and months touched, not one per session):
    for code that writes many sessions together, such as the demo. Nested blocks join the
    outer one. A block left by an error inside a transaction works nothing out (the
    transaction's outcome decides what was written); outside one, what it wrote before the
    error is kept, so it is worked out before the error goes on."""
    if _pending.get() is not None:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        _pending.reset(token)
        if not transaction.get_connection().in_atomic_block:
            pending.refresh()
        raise
    _pending.reset(token)
    pending.refresh()


def refresh_compliance(staff_ids, first_month=None, last_month=None):
    """Work out again and store the compliance of the staff given over first_month..last_month
    (every stored month when not given), widened to the whole of each requirement period those
    months touch: a session or a day of leave settles its whole period."""
    ids = sorted({pk for pk in staff_ids if pk is not None})
    if not ids:
        return
    pending = _pending.get()
    if pending is not None:
        pending.note(ids, first_month, last_month)
        return
    full = first_month is None
    with scopes_disabled(), transaction.atomic():
        for i in range(0, len(ids), CHUNK):
            _refresh_chunk(ids[i : i + CHUNK], first_month, last_month, full)


def _refresh_chunk(ids, first_month, last_month, full):
    today = timezone.localdate()
    current = month_start(today)
    horizon = _horizon(current)
    staff_qs = StaffMember.objects.filter(pk__in=ids)
    # Two writes for the same person wait for each other, so neither stores months worked out
    # without the other's session. NO KEY: the attendance rows being written hold key locks.
    consortia = dict(
        staff_qs.select_for_update(no_key=True).order_by("pk").values_list("pk", "consortium_id")
    )
    people = practitioners(staff_qs)
    longest = max((r.interval_months for p in people for r in p.requirements), default=1)
    if full:
        first, last = horizon, current
    else:
        first = max(add_months(month_start(first_month), -(longest - 1)), horizon)
        last = min(add_months(month_start(last_month), longest - 1), current)
    stale = ComplianceMonth.objects.filter(staff_id__in=ids)
    if not full:
        stale = stale.filter(month__range=(first, last))
    if first > last:
        return
    held = held_sessions(staff_qs, add_months(first, -(longest - 1)), today)
    months = month_range(first, last)
    rows = []
    for p in people:
        periods = compliance.practitioner_periods(p, held.get(p.id, {}), today, first, last)
        cells = compliance.month_cells(periods, months)
        for m in months:
            in_month = list(cells[m].values())
            if not in_month:
                continue
            status, detail = compliance.month_cell(in_month, KIND_LABELS)
            ended = [x for x in in_month if x.last == m]
            missed = [x.kind for x in ended if x.status == compliance.MISSED]
            due = [x.kind for x in in_month if x.status == compliance.NOT_YET_DUE]
            rows.append(
                ComplianceMonth(
                    consortium_id=consortia[p.id],
                    staff_id=p.id,
                    month=m,
                    status=status,
                    detail=detail[:300],
                    met=sum(1 for x in ended if x.status == compliance.MET),
                    missed=len(missed),
                    missed_kinds=",".join(missed),
                    owed=len(due),
                    due_kinds=",".join(due),
                )
            )
    stale.delete()
    # An upsert: a concurrent first read of the month may have written the same rows.
    ComplianceMonth.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["staff", "month"],
        update_fields=ROW_FIELDS,
    )


def ensure_current(consortium_id):
    """Bring a consortium's stored compliance up to today's month (1 query when it is)."""
    current = _current()
    with scopes_disabled():
        stamp = (
            ComplianceRefresh.objects.filter(consortium_id=consortium_id)
            .values_list("month", flat=True)
            .first()
        )
        if stamp == current:
            return
        with transaction.atomic():
            stamp = (
                ComplianceRefresh.objects.select_for_update()
                .filter(consortium_id=consortium_id)
                .values_list("month", flat=True)
                .first()
            )
            if stamp == current:
                return  # another request has just done it
            ids = StaffMember.objects.filter(consortium_id=consortium_id).values_list(
                "pk", flat=True
            )
            if stamp is None or stamp > current:
                refresh_compliance(ids)
            else:
                # Months before the stamp's are settled; those from it on may have moved.
                refresh_compliance(ids, stamp, current)
                ComplianceMonth.objects.filter(
                    consortium_id=consortium_id, month__lt=_horizon(current)
                ).delete()
            ComplianceRefresh.objects.bulk_create(
                [ComplianceRefresh(consortium_id=consortium_id, month=current)],
                update_conflicts=True,
                unique_fields=["consortium"],
                update_fields=["month", "refreshed_at"],
            )


def refresh_consortium(consortium_id):
    """Work out every stored month of a consortium again (the demo, the bench, the command)."""
    with scopes_disabled():
        ComplianceRefresh.objects.filter(consortium_id=consortium_id).delete()
    ensure_current(consortium_id)


def _current_for_reading(consortium_id):
    """ensure_current, once per request however many panels of a page read stored months."""
    once_per_request(
        ("compliance_current", consortium_id, _current()), lambda: ensure_current(consortium_id)
    )


# --- reading --------------------------------------------------------------------------------


def answers(today, months_back):
    """Whether stored rows answer for `today`, reading back `months_back` months: its month is
    not after the current one, and the months it needs are stored."""
    current = _current()
    month = month_start(today)
    return month <= current and add_months(month, -months_back) >= _horizon(current)


def _rows(staff_qs):
    return ComplianceMonth.objects.filter(staff__in=staff_qs.values("pk"))


def summary(staff_qs, consortium_id, today, windows=(3, 12)):
    """Summary from the stored rows (4 queries). What is still owed this month is
    only known when `today` is in the current month."""
    _current_for_reading(consortium_id)
    month = month_start(today)
    first_shown = add_months(today, -(MONTHS_SHOWN - 1))
    complete = month_range(first_shown, add_months(today, -1))
    spans = {n: last_complete_months(today, n) for n in windows}
    earliest = min(first_shown, *(first for first, _ in spans.values()))
    sums = {"shown": Count("pk", filter=Q(month__gte=first_shown))}
    for n, span in spans.items():
        sums[f"met{n}"] = Sum("met", filter=Q(month__range=span))
        sums[f"missed{n}"] = Sum("missed", filter=Q(month__range=span))
    if month == _current():
        sums["owed"] = Sum("owed", filter=Q(month=month))
    people = list(
        staff_qs.values_list("pk", "organisation_id", "start", "end").order_by(
            "last_name", "first_name", "pk"
        )
    )
    per_staff = {
        r["staff_id"]: r
        for r in _rows(staff_qs)
        .filter(month__range=(earliest, month))
        .values("staff_id")
        .annotate(**sums)
        .order_by()
    }
    per_month = {
        r["month"]: compliance.Tally(r["met"] or 0, r["missed"] or 0)
        for r in _rows(staff_qs)
        .filter(month__range=(complete[0], complete[-1]))
        .values("month")
        .annotate(met=Sum("met"), missed=Sum("missed"))
        .order_by()
    }
    rates = compliance.Rates(overall={n: compliance.Tally() for n in windows})
    active, current_ids = [], set()
    for pk, org_id, start, end in people:
        r = per_staff.get(pk, {})
        mine = {
            n: compliance.Tally(r.get(f"met{n}") or 0, r.get(f"missed{n}") or 0) for n in windows
        }
        org = rates.by_organisation.setdefault(org_id, {n: compliance.Tally() for n in windows})
        for n in windows:
            org[n].add(mine[n])
            rates.overall[n].add(mine[n])
        rates.by_practitioner[pk] = mine
        if "owed" in sums:
            rates.owed[pk] = r.get("owed") or 0
        if r.get("shown") and start <= today and (end is None or end >= first_shown):
            active.append(pk)
        if start <= today and (end is None or end >= today):
            current_ids.add(pk)
    return Summary(
        rates=rates,
        monthly=[(m, per_month.get(m, compliance.Tally())) for m in complete],
        active_ids=active,
        current_ids=current_ids,
        practitioners=len(people),
    )


def rollup(staff_qs, consortium_id, today, windows=(3, 12)):
    """Rollup from the stored rows, summed by the database (2 queries): the tallies
    overall and by organisation, and the practitioners in post below the threshold over the
    shortest window. The same figures as summary() gives, without a row per practitioner."""
    _current_for_reading(consortium_id)
    spans = {n: last_complete_months(today, n) for n in windows}
    sums = {}
    for n, span in spans.items():
        sums[f"met{n}"] = Sum("met", filter=Q(month__range=span))
        sums[f"missed{n}"] = Sum("missed", filter=Q(month__range=span))
    earliest = min(first for first, _ in spans.values())
    rows = _rows(staff_qs).filter(month__range=(earliest, add_months(month_start(today), -1)))
    overall = {n: compliance.Tally() for n in windows}
    by_organisation = {}
    for r in rows.values("staff__organisation_id").annotate(**sums).order_by():
        org = by_organisation.setdefault(
            r["staff__organisation_id"], {n: compliance.Tally() for n in windows}
        )
        for n in windows:
            tally = compliance.Tally(r[f"met{n}"] or 0, r[f"missed{n}"] or 0)
            org[n].add(tally)
            overall[n].add(tally)
    # The database narrows to rates under the threshold (rounded up to a whole percent, so
    # never too few); Tally.rate then decides exactly, as on every other page.
    shortest = min(windows)
    ceiling = int(-(-compliance.THRESHOLD // 1))
    under = (
        rows.filter(
            month__range=spans[shortest],
            staff__start__lte=today,
        )
        .filter(Q(staff__end__isnull=True) | Q(staff__end__gte=today))
        .values("staff_id", "staff__last_name", "staff__first_name")
        .annotate(held=Sum("met"), lost=Sum("missed"))
        .filter(LessThan(F("held") * 100, (F("held") + F("lost")) * ceiling))
        .order_by("staff__last_name", "staff__first_name", "staff_id")
    )
    low = []
    for r in under:
        rate = compliance.Tally(r["held"] or 0, r["lost"] or 0).rate
        if rate is not None and rate < compliance.THRESHOLD:
            low.append((r["staff_id"], rate))
    low.sort(key=lambda x: x[1])
    return Rollup(overall=overall, by_organisation=by_organisation, low=low)


def month_cells(staff_qs, months):
    """{staff id: {month: (status, detail)}} for the months given (1 query)."""
    cells = defaultdict(dict)
    rows = _rows(staff_qs).filter(month__range=(months[0], months[-1]))
    for staff_id, month, status, detail in rows.values_list(
        "staff_id", "month", "status", "detail"
    ):
        cells[staff_id][month] = (status, detail)
    return cells


def owed(staff_qs, consortium_id, today):
    """[Owed] for the staff in `staff_qs` (current staff only: the caller narrows),
    in name order (2 queries)."""
    _current_for_reading(consortium_id)
    month = month_start(today)
    last = add_months(month, -1)
    rows = (
        _rows(staff_qs)
        .filter(Q(month=month, owed__gt=0) | Q(month=last, missed__gt=0))
        .order_by("staff__last_name", "staff__first_name", "staff_id", "month")
        .values_list("staff_id", "month", "due_kinds", "missed_kinds")
    )
    out = {}
    for staff_id, row_month, due, missed in rows:
        o = out.setdefault(staff_id, Owed(staff_id, [], [], last))
        if row_month == month:
            o.due = due.split(",")
        else:
            o.missed = missed.split(",")
    return list(out.values())


# --- keeping the rows -----------------------------------------------------------------------
# Receivers, not calls in each service: sessions are also changed in the admin, and the demo
# and the tests build data through the factories. Bulk writes (the bench) call
# refresh_consortium themselves.


def _refresh_span(staff_ids, days):
    days = [d for d in days if d]
    if days:
        refresh_compliance(staff_ids, min(days), max(days))


def _deleted_by_itself(instance, origin):
    """True unless the row goes because its staff member (or post) is being deleted: then
    there is nothing left to work out."""
    model = type(instance)
    return origin is None or isinstance(origin, model) or getattr(origin, "model", None) is model


def _remember(sender, instance, **kwargs):
    """Keep what the row was before a change, to rewrite the months it left too."""
    if instance.pk is None:
        instance._compliance_before = None
        return
    fields = {
        SupervisionSession: ("date",),
        LeavePeriod: ("staff_id", "start", "end"),
        SupervisionRequirement: ("staff_id", "post_id"),
    }[sender]
    instance._compliance_before = (
        sender._base_manager.filter(pk=instance.pk).values_list(*fields).first()
    )


def _session_saved(sender, instance, created, raw=False, **kwargs):
    if created or raw:
        return  # attendance comes after the session, through m2m_changed
    before = getattr(instance, "_compliance_before", None)
    ids = list(instance.attendees.values_list("pk", flat=True))
    _refresh_span(ids, [instance.date, before[0] if before else None])


def _session_deleting(sender, instance, **kwargs):
    instance._compliance_attendees = list(instance.attendees.values_list("pk", flat=True))


def _session_deleted(sender, instance, **kwargs):
    _refresh_span(getattr(instance, "_compliance_attendees", []), [instance.date])


def _attendance_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action == "pre_clear":
        if reverse:
            instance._compliance_cleared = list(instance.sessions.values_list("date", flat=True))
        else:
            instance._compliance_cleared = list(instance.attendees.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # staff.sessions.add(...): one person, the sessions' months
        if action == "post_clear":
            days = instance._compliance_cleared
        else:
            days = SupervisionSession._base_manager.filter(pk__in=pk_set).values_list(
                "date", flat=True
            )
        _refresh_span([instance.pk], list(days))
    else:
        ids = instance._compliance_cleared if action == "post_clear" else pk_set
        _refresh_span(list(ids), [instance.date])


def _staff_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_compliance([instance.pk])


def _leave_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_compliance_before", None)
    if before and before[0] != instance.staff_id:
        _refresh_span([before[0]], before[1:])
        before = None
    _refresh_span([instance.staff_id], [instance.start, instance.end, *(before or ())[1:]])


def _leave_deleted(sender, instance, origin=None, **kwargs):
    if _deleted_by_itself(instance, origin):
        _refresh_span([instance.staff_id], [instance.start, instance.end])


def _requirement_holders(staff_id, post_id):
    if staff_id:
        return [staff_id]
    return list(StaffMember._base_manager.filter(post_id=post_id).values_list("pk", flat=True))


def _requirement_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    ids = set(_requirement_holders(instance.staff_id, instance.post_id))
    before = getattr(instance, "_compliance_before", None)
    if before:
        ids |= set(_requirement_holders(*before))
    refresh_compliance(ids)


def _requirement_deleted(sender, instance, origin=None, **kwargs):
    if _deleted_by_itself(instance, origin):
        refresh_compliance(_requirement_holders(instance.staff_id, instance.post_id))


def connect():
    """Called once from SupervisionConfig.ready()."""
    uid = "supervision.compliance_store"
    for model in (SupervisionSession, LeavePeriod, SupervisionRequirement):
        pre_save.connect(_remember, sender=model, dispatch_uid=f"{uid}.remember.{model.__name__}")
    post_save.connect(_session_saved, sender=SupervisionSession, dispatch_uid=f"{uid}.session")
    pre_delete.connect(_session_deleting, sender=SupervisionSession, dispatch_uid=f"{uid}.s-")
    post_delete.connect(_session_deleted, sender=SupervisionSession, dispatch_uid=f"{uid}.s-d")
    m2m_changed.connect(
        _attendance_changed,
        sender=SupervisionSession.attendees.through,
        dispatch_uid=f"{uid}.attendance",
    )
    post_save.connect(_staff_saved, sender=StaffMember, dispatch_uid=f"{uid}.staff")
    post_save.connect(_leave_saved, sender=LeavePeriod, dispatch_uid=f"{uid}.leave")
    post_delete.connect(_leave_deleted, sender=LeavePeriod, dispatch_uid=f"{uid}.leave-d")
    post_save.connect(
        _requirement_saved, sender=SupervisionRequirement, dispatch_uid=f"{uid}.requirement"
    )
    post_delete.connect(
        _requirement_deleted, sender=SupervisionRequirement, dispatch_uid=f"{uid}.requirement-d"
    )
