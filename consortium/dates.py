"""Months, periods and working days: the helpers Concord's modules use for month arithmetic (a
month's first and last day, months apart, reporting periods, due dates) rather than working it
out by hand.

A working day is Monday to Friday and not a bank holiday in England and Wales (the `holidays`
package's UK calendar with subdivision ENG, which includes substitute days such as
"Boxing Day (observed)" and one-off holidays such as state funerals).
"""

import calendar
import datetime
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=64)
def _bank_holidays(year):
    return frozenset(holidays.UK(subdiv="ENG", years=[year]).keys())


def is_bank_holiday(day):
    return day in _bank_holidays(day.year)


def is_working_day(day):
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(day, n):
    """The date `n` working days after `day` (day itself is not counted)."""
    if n < 0:
        raise ValueError("n must not be negative")
    current = day
    counted = 0
    while counted < n:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def working_days_between(start, end):
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    count = 0
    current = start
    while current < end:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def month_start(day):
    return day.replace(day=1)


# Compliance walks months for every practitioner; these are cached for that.
@lru_cache(maxsize=4096)
def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@lru_cache(maxsize=4096)
def add_months(day, months):
    """The first of the month `months` after day's month."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def shift_months(day, months):
    """The same day of the month `months` on (the month's last day where it is shorter)."""
    first = add_months(day, months)
    return first.replace(day=min(day.day, month_end(first).day))


def shift_years(day, years):
    """The same day `years` on (28 February for 29 February in a common year)."""
    return shift_months(day, 12 * years)


@lru_cache(maxsize=4096)
def months_apart(a, b):
    """Calendar months from a's month to b's month (negative when b's is earlier)."""
    return (b.year - a.year) * 12 + b.month - a.month


def whole_months_between(a, b):
    """Complete months from a to b (0 when b is before a)."""
    months = months_apart(a, b) - (1 if b.day < a.day else 0)
    return max(months, 0)


def month_range(first, last):
    """Month starts from `first`'s month to `last`'s month inclusive."""
    first = month_start(first)
    return [add_months(first, i) for i in range(months_apart(first, last) + 1)]


def last_complete_months(today, n):
    """The first and last month of the `n` complete months before today's month."""
    last = add_months(month_start(today), -1)
    return add_months(last, -(n - 1)), last


def end_of_day(day):
    """The last moment of `day` in Concord's time zone (for "as at" a date)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def start_of_next_day(day):
    """The first moment after `day` in Concord's time zone (for "before the end of a day")."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )


def month_periods(first, last):
    """(start, end) for each calendar month from first's month to last's month inclusive."""
    start = month_start(first)
    out = []
    while start <= last:
        out.append((start, month_end(start)))
        start = add_months(start, 1)
    return out


def quarter_periods(first, last):
    """(start, end) for each calendar quarter (Jan–Mar, Apr–Jun, …) touching first..last."""
    start = first.replace(month=(first.month - 1) // 3 * 3 + 1, day=1)
    out = []
    while start <= last:
        out.append((start, month_end(add_months(start, 2))))
        start = add_months(start, 3)
    return out


def due_date(period_end, working_days):
    """When a return for a period ending `period_end` is due: that many working days later."""
    return add_working_days(period_end, working_days)


def financial_year(day):
    """(1 April, 31 March) of the UK financial year that `day` falls in."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return datetime.date(start_year, 4, 1), datetime.date(start_year + 1, 3, 31)


def relative(day, today):
    """A date as a person weighs it: "13 days late", "due today", "due in 4 working days"."""
    if day < today:
        late = (today - day).days
        return f"{late} day{'s' if late != 1 else ''} late"
    if day == today:
        return "due today"
    n = working_days_between(today, day)
    return f"due in {n} working day{'s' if n != 1 else ''}"


def day_text(day):
    """A date as every page, email, PDF and workbook label writes it: "28 Feb 2027"."""
    return f"{day:%-d %b %Y}" if day else "—"
