"""Month arithmetic, in its one module."""

import datetime

from consortium import dates

d = datetime.date


def test_shift_months_keeps_the_day_or_takes_the_months_last():
    assert dates.shift_months(d(2026, 1, 31), 1) == d(2026, 2, 28)
    assert dates.shift_months(d(2026, 3, 15), -3) == d(2025, 12, 15)
    assert dates.shift_years(d(2024, 2, 29), 3) == d(2027, 2, 28)
    assert dates.shift_years(d(2027, 2, 28), -3) == d(2024, 2, 28)


def test_months_between_and_ranges():
    assert dates.add_months(d(2026, 11, 26), -12) == d(2025, 11, 1)
    assert dates.month_end(d(2024, 2, 3)) == d(2024, 2, 29)
    assert dates.whole_months_between(d(2026, 1, 15), d(2026, 4, 14)) == 2
    assert dates.whole_months_between(d(2026, 1, 15), d(2026, 4, 15)) == 3
    assert dates.whole_months_between(d(2026, 4, 15), d(2026, 1, 15)) == 0
    assert dates.month_range(d(2025, 11, 20), d(2026, 1, 3)) == [
        d(2025, 11, 1),
        d(2025, 12, 1),
        d(2026, 1, 1),
    ]
    assert dates.last_complete_months(d(2026, 3, 9), 3) == (d(2025, 12, 1), d(2026, 2, 1))


def test_a_date_reads_relative_to_today_in_working_days_or_days_late():
    import datetime

    from consortium.dates import relative

    today = datetime.date(2026, 11, 26)  # a Thursday
    assert relative(datetime.date(2026, 11, 13), today) == "13 days late"
    assert relative(datetime.date(2026, 11, 25), today) == "1 day late"
    assert relative(today, today) == "due today"
    assert relative(datetime.date(2026, 12, 2), today) == "due in 4 working days"
