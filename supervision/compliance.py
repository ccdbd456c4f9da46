"""Supervision compliance and fitness to practise: plain arithmetic over plain data.

Nothing here touches the database, so every rule can be checked against months worked by hand
(tests/test_supervision_compliance.py).

A requirement ("clinical 1:1, monthly") is split into *periods* of `interval_months` calendar
months, counted from the month the practitioner started. Each period is:

* **met** — at least one held session of that type fell inside it (a session held in a month
  when it was not expected still counts: the person was supervised);
* **not expected** — the practitioner was available (in post and not on leave) for fewer than
  MIN_AVAILABLE_DAYS days of it: someone who joins on the 20th owes nothing that month;
* **not yet due** — nothing held yet, but the period runs into the current month;
* **missed** — nothing held, and the period ended before the current month.

A compliance rate is met ÷ (met + missed) over the periods that *ended* inside a window of
complete months (the current month is still running, so it never counts). Organisation and
consortium rates pool the periods of everyone in them; they are not an average of rates.
"""

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from consortium.dates import (
    add_months,
    last_complete_months,
    month_end,
    month_start,
    months_apart,
    shift_years,
)

MET = "met"
MISSED = "missed"
NOT_YET_DUE = "not_yet_due"
NOT_EXPECTED = "not_expected"
LABELS = {MET: "Met", MISSED: "Missed", NOT_YET_DUE: "Not yet due", NOT_EXPECTED: "Not expected"}

MIN_AVAILABLE_DAYS = 14
# Registration and DBS expiry alerts (days before): the nearer horizon is the more urgent.
STAFF_HORIZONS = (90, 30)
DBS_RENEWAL_YEARS = 3
THRESHOLD = Decimal("80.0")  # a 3-month rate below this is flagged


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    kind: str
    interval_months: int = 1


@dataclass(frozen=True)
class Practitioner:
    id: object
    organisation_id: object
    start: date
    end: date | None = None
    leave: tuple = ()  # (first day, last day) pairs
    requirements: tuple = ()


class Period(NamedTuple):  # a tuple: thousands are made per page
    kind: str
    first: date  # first month
    last: date  # last month
    status: str
    reason: str = ""

    @property
    def label(self):
        return LABELS[self.status]


def _overlap(a1, a2, b1, b2):
    lo, hi = max(a1, b1), min(a2, b2)
    return (lo, hi) if lo <= hi else None


def employed_span(p, first_day, last_day):
    return _overlap(first_day, last_day, p.start, p.end or last_day)


def available_days(p, first_day, last_day):
    """Days between first_day and last_day (inclusive) when `p` was in post and not on leave."""
    span = employed_span(p, first_day, last_day)
    if span is None:
        return 0
    lo, hi = span
    on_leave = set()
    for start, end in p.leave:
        clipped = _overlap(lo, hi, start, end)
        if clipped:
            day = clipped[0]
            while day <= clipped[1]:
                on_leave.add(day)
                day += timedelta(days=1)
    return (hi - lo).days + 1 - len(on_leave)


def _not_expected_reason(p, first_day, last_day):
    span = employed_span(p, first_day, last_day)
    if span is None:
        return "Not in post"
    if p.start > first_day and (span[1] - span[0]).days + 1 < MIN_AVAILABLE_DAYS:
        return f"Joined on {p.start:%-d %b %Y}"
    if p.end and p.end < last_day and (span[1] - span[0]).days + 1 < MIN_AVAILABLE_DAYS:
        return f"Left on {p.end:%-d %b %Y}"
    return "On leave"


def _held_between(dates, first_day, last_day):
    i = bisect.bisect_left(dates, first_day)
    return i < len(dates) and dates[i] <= last_day


def requirement_periods(p, req, held, today, first_month, last_month):
    """The periods of `req` for `p` that overlap first_month..last_month, never past today's
    month. `held`: sorted dates of held sessions of req.kind that p attended."""
    current = month_start(today)
    last_month = min(month_start(last_month), current)
    anchor = month_start(p.start)
    begin = max(month_start(first_month), anchor)
    if p.end:
        last_month = min(last_month, month_start(p.end))
    if begin > last_month:
        return []
    n = req.interval_months
    index = months_apart(anchor, begin) // n
    periods = []
    while True:
        first = add_months(anchor, index * n)
        if first > last_month:
            break
        last = add_months(first, n - 1)
        first_day, last_day = first, month_end(last)
        if _held_between(held, first_day, min(last_day, today)):
            status, reason = MET, ""
        elif available_days(p, first_day, last_day) < MIN_AVAILABLE_DAYS:
            status, reason = NOT_EXPECTED, _not_expected_reason(p, first_day, last_day)
        elif last >= current:
            status, reason = NOT_YET_DUE, f"Due by {month_end(last):%-d %b %Y}"
        else:
            status, reason = MISSED, ""
        periods.append(Period(req.kind, first, last, status, reason))
        index += 1
    return periods


def practitioner_periods(p, held_by_kind, today, first_month, last_month):
    """Every requirement's periods for `p`. held_by_kind: {kind: sorted held dates}."""
    out = []
    for req in p.requirements:
        out += requirement_periods(
            p, req, held_by_kind.get(req.kind, []), today, first_month, last_month
        )
    return out


def month_cells(periods, months):
    """{month: {kind: Period}} — each month shows the period that contains it."""
    cells = {m: {} for m in months}
    for period in periods:
        for m in months:
            if period.first <= m <= period.last:
                cells[m][period.kind] = period
    return cells


def overall(periods_in_month):
    """One word for a practitioner's month across all requirements: the worst of them."""
    statuses = {p.status for p in periods_in_month}
    for status in (MISSED, NOT_YET_DUE, MET):
        if status in statuses:
            return status
    return NOT_EXPECTED


def month_cell(in_month, kind_labels):
    """A practitioner's month as the compliance matrix shows it: (overall status or None when
    nothing was required, and the detail beside it — what is missed or due, else why nothing
    was expected). `in_month`: the periods containing the month, in requirement order."""
    if not in_month:
        return None, ""
    detail = [
        f"{LABELS[x.status]}: {kind_labels[x.kind]}"
        for x in sorted(in_month, key=lambda x: x.kind)
        if x.status in (MISSED, NOT_YET_DUE)
    ]
    reason = next((x.reason for x in in_month if x.status == NOT_EXPECTED), "")
    return overall(in_month), "; ".join(detail) or reason


# --- rates ----------------------------------------------------------------------------------


@dataclass
class Tally:
    met: int = 0
    missed: int = 0
    not_yet_due: int = 0

    @property
    def due(self):
        return self.met + self.missed

    @property
    def rate(self):
        """Percentage met, to one place (half up); None when nothing was due."""
        if not self.due:
            return None
        return (Decimal(self.met * 100) / Decimal(self.due)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    def add(self, other):
        self.met += other.met
        self.missed += other.missed
        self.not_yet_due += other.not_yet_due
        return self


def tally(periods, first_month, last_month):
    """Count the periods that ended inside first_month..last_month (met, missed), and those
    still running (not yet due)."""
    t = Tally()
    for period in periods:
        if period.status == NOT_YET_DUE:
            t.not_yet_due += 1
        elif first_month <= period.last <= last_month:
            if period.status == MET:
                t.met += 1
            elif period.status == MISSED:
                t.missed += 1
    return t


@dataclass
class Rates:
    """Rolling rates over windows of complete months (e.g. 3 and 12)."""

    by_practitioner: dict = field(default_factory=dict)  # id -> {n: Tally}
    by_organisation: dict = field(default_factory=dict)  # organisation id -> {n: Tally}
    overall: dict = field(default_factory=dict)  # n -> Tally
    owed: dict = field(default_factory=dict)  # id -> sessions still owed this month


def rolling_rates(practitioners, held, today, windows=(3, 12)):
    """Rates per practitioner, organisation and overall. held: {practitioner id: {kind:
    sorted dates}}."""
    rates = Rates(overall={n: Tally() for n in windows})
    widest = max(windows)
    first_all, last_all = last_complete_months(today, widest)
    for p in practitioners:
        periods = practitioner_periods(p, held.get(p.id, {}), today, first_all, month_start(today))
        mine = {}
        for n in windows:
            first, last = last_complete_months(today, n)
            t = tally([x for x in periods if x.status != NOT_YET_DUE], first, last)
            mine[n] = t
            org = rates.by_organisation.setdefault(p.organisation_id, {m: Tally() for m in windows})
            org[n].add(t)
            rates.overall[n].add(t)
        rates.by_practitioner[p.id] = mine
        rates.owed[p.id] = sum(1 for x in periods if x.status == NOT_YET_DUE)
    return rates


def monthly_rates(practitioners, held, months, today):
    """[(month, Tally)] for each complete month in `months` over everyone (the chart)."""
    totals = {m: Tally() for m in months}
    if not months:
        return []
    for p in practitioners:
        periods = practitioner_periods(p, held.get(p.id, {}), today, months[0], months[-1])
        for period in periods:
            if period.last in totals and period.status in (MET, MISSED):
                t = totals[period.last]
                if period.status == MET:
                    t.met += 1
                else:
                    t.missed += 1
    current = month_start(today)
    return [(m, totals[m]) for m in months if m < current]


# --- fitness to practise --------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    label: str
    expiry: date
    horizon: int  # the nearest horizon (days) the expiry falls within

    @property
    def text(self):
        return f"{self.label} expires {self.expiry:%-d %b %Y} (within {self.horizon} days)"


@dataclass(frozen=True)
class Fitness:
    deployable: bool
    reasons: tuple = ()  # why not deployable
    alerts: tuple = ()  # expiries coming up


def horizon_band(today, expiry, horizons=STAFF_HORIZONS):
    """The smallest horizon that `expiry` falls within, or None (far off, or already past)."""
    if expiry is None or expiry < today:
        return None
    days = (expiry - today).days
    inside = [h for h in horizons if days <= h]
    return min(inside) if inside else None


def dbs_renewal_due(dbs_date, update_service):
    """A DBS check on the update service is checked continuously; otherwise it is renewed
    every DBS_RENEWAL_YEARS years."""
    if dbs_date is None or update_service:
        return None
    return shift_years(dbs_date, DBS_RENEWAL_YEARS)


def fitness(
    today,
    *,
    registration_expiry,
    dbs_date,
    dbs_update_service,
    needs_police_vetting=False,
    police_vetting_expiry=None,
):
    """Whether a practitioner may be deployed today, why not, and what expires soon. A date
    is valid through the day it names."""
    reasons, alerts = [], []

    def check(label, expiry, missing):
        if expiry is None:
            if missing:
                reasons.append(missing)
            return
        if expiry < today:
            reasons.append(f"{label} lapsed on {expiry:%-d %b %Y}")
            return
        band = horizon_band(today, expiry)
        if band is not None:
            alerts.append(Alert(label, expiry, band))

    check("Registration", registration_expiry, "No professional registration recorded")
    if dbs_date is None:
        reasons.append("No DBS check recorded")
    else:
        check("DBS check", dbs_renewal_due(dbs_date, dbs_update_service), None)
    if needs_police_vetting:
        check("Police vetting", police_vetting_expiry, "No police vetting recorded")
    return Fitness(deployable=not reasons, reasons=tuple(reasons), alerts=tuple(alerts))


# --- posts ----------------------------------------------------------------------------------


def gap_days(vacancy_start, today):
    """Days a post has stood vacant, counting the day it fell vacant as day 0."""
    return max(0, (today - vacancy_start).days)


def funding_at_risk(today, funding_end, horizon_days):
    """True when the money paying for a post ends within `horizon_days` (or has ended)."""
    return funding_end is not None and (funding_end - today).days <= horizon_days
