"""Periods and working days, in one place.

A working day is Monday to Friday and not a bank holiday in England and Wales (the `holidays`
package's UK calendar with subdivision ENG, which includes substitute days such as
"Boxing Day (observed)" and one-off holidays such as state funerals).
"""

import datetime
from functools import lru_cache

import holidays


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


def month_end(day):
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def add_months(day, months):
    """The first of the month `months` after day's month."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_periods(first, last):
    """(start, end) for each calendar month from first's month to last's month inclusive."""
    start = first.replace(day=1)
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
