import datetime as dt

import pytest

from consortium import dates

D = dt.date


@pytest.mark.parametrize(
    "period_end,n,expected",
    [
        # November 2026 ends on a Monday; ten working days later, no holidays in between.
        (D(2026, 11, 30), 10, D(2026, 12, 14)),
        # December 2026: 25th (Fri) Christmas, 26th (Sat) Boxing Day observed on Mon 28th,
        # 1 January 2027 (Fri) New Year's Day.
        (D(2026, 12, 31), 1, D(2027, 1, 4)),
        (D(2026, 12, 24), 1, D(2026, 12, 29)),
        (D(2026, 12, 24), 3, D(2026, 12, 31)),
        # December 2027: Christmas and Boxing Day fall on a weekend; both substitutes (27th, 28th).
        (D(2027, 12, 24), 1, D(2027, 12, 29)),
        # March 2027 ends on Wednesday 31st; Good Friday is 26 March, Easter Monday 29 March —
        # before the end, so not skipped; but March 2026's return: Good Friday 3 April and
        # Easter Monday 6 April 2026 both fall inside the window.
        (D(2026, 3, 31), 10, D(2026, 4, 16)),
        (D(2026, 3, 31), 3, D(2026, 4, 7)),
        # Late May and August bank holidays.
        (D(2026, 5, 22), 1, D(2026, 5, 26)),
        (D(2026, 8, 28), 1, D(2026, 9, 1)),
        # 2022 one-off: the state funeral (19 September) was a bank holiday.
        (D(2022, 9, 16), 1, D(2022, 9, 20)),
        (D(2026, 1, 31), 0, D(2026, 1, 31)),
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(period_end, n, expected):
    assert dates.due_date(period_end, n) == expected


def test_substitute_days_are_bank_holidays():
    assert dates.is_bank_holiday(D(2026, 12, 28))  # Boxing Day (observed)
    assert dates.is_bank_holiday(D(2027, 12, 27))  # Christmas Day (observed)
    assert not dates.is_working_day(D(2026, 12, 26))
    assert dates.is_working_day(D(2026, 12, 29))
    assert dates.is_bank_holiday(D(2026, 4, 3)) and dates.is_bank_holiday(D(2026, 4, 6))


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValueError):
        dates.add_working_days(D(2026, 1, 1), -1)


def test_working_days_between_two_dates_are_counted():
    assert dates.working_days_between(D(2026, 12, 24), D(2026, 12, 31)) == 3
    assert dates.working_days_between(D(2026, 12, 31), D(2026, 12, 24)) == 0


def test_month_and_quarter_periods_are_built_with_their_due_dates():
    months = dates.month_periods(D(2024, 1, 15), D(2024, 3, 2))
    assert months == [
        (D(2024, 1, 1), D(2024, 1, 31)),
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 3, 1), D(2024, 3, 31)),
    ]
    quarters = dates.quarter_periods(D(2025, 2, 1), D(2025, 7, 1))
    assert quarters == [
        (D(2025, 1, 1), D(2025, 3, 31)),
        (D(2025, 4, 1), D(2025, 6, 30)),
        (D(2025, 7, 1), D(2025, 9, 30)),
    ]
    assert dates.add_months(D(2025, 11, 30), 3) == D(2026, 2, 1)
