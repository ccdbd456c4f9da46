"""Compliance arithmetic against months worked by hand. Today is 10 June 2026 throughout, so
June is running (not yet due) and the complete months end with May."""

from datetime import date
from decimal import Decimal

from supervision import compliance as c

TODAY = date(2026, 6, 10)
ONE = c.Requirement("one_to_one")
GROUP = c.Requirement("group")
PEER = c.Requirement("peer")
JAN, FEB, MAR, APR, MAY, JUN = (date(2026, m, 1) for m in range(1, 7))


def statuses(p, held, first=JAN, last=JUN):
    return {
        (x.kind, x.first): x.status for x in c.practitioner_periods(p, held, TODAY, first, last)
    }


def test_monthly_one_to_ones_are_met_missed_or_not_yet_due():
    p = c.Practitioner(1, "org", start=date(2026, 1, 1), requirements=(ONE,))
    held = {
        "one_to_one": [date(2026, 1, 15), date(2026, 2, 20), date(2026, 4, 5), date(2026, 5, 31)]
    }
    periods = c.practitioner_periods(p, held, TODAY, JAN, JUN)
    assert [(x.first, x.status) for x in periods] == [
        (JAN, c.MET),
        (FEB, c.MET),
        (MAR, c.MISSED),
        (APR, c.MET),
        (MAY, c.MET),
        (JUN, c.NOT_YET_DUE),
    ]
    assert periods[-1].reason == "Due by 30 Jun 2026"
    rates = c.rolling_rates([p], {1: held}, TODAY)
    # 3 months = Mar, Apr, May: 2 met of 3. 12 months = Jun 2025..May 2026: in post from Jan,
    # so 5 periods, 4 met.
    assert rates.by_practitioner[1][3].rate == Decimal("66.7")
    assert (rates.by_practitioner[1][12].met, rates.by_practitioner[1][12].missed) == (4, 1)
    assert rates.by_practitioner[1][12].rate == Decimal("80.0")
    assert rates.owed[1] == 1


def test_a_session_held_this_month_meets_this_month_and_a_future_date_does_not_count():
    p = c.Practitioner(1, "org", start=date(2026, 5, 1), requirements=(ONE,))
    assert statuses(p, {"one_to_one": [date(2026, 6, 3)]})[("one_to_one", JUN)] == c.MET
    assert statuses(p, {"one_to_one": [date(2026, 6, 20)]})[("one_to_one", JUN)] == c.NOT_YET_DUE


def test_someone_who_joined_late_in_the_month_owes_nothing_that_month():
    # Joined 20 March: 12 days in post in March (< 14), so March is not expected.
    late = c.Practitioner(1, "org", start=date(2026, 3, 20), requirements=(ONE,))
    periods = c.practitioner_periods(late, {}, TODAY, JAN, MAY)
    assert [(x.first, x.status) for x in periods] == [
        (MAR, c.NOT_EXPECTED),
        (APR, c.MISSED),
        (MAY, c.MISSED),
    ]
    assert periods[0].reason == "Joined on 20 Mar 2026"
    # Joined 18 March: 14 days in post, so March is due (and was missed).
    earlier = c.Practitioner(2, "org", start=date(2026, 3, 18), requirements=(ONE,))
    assert statuses(earlier, {}, MAR, MAR)[("one_to_one", MAR)] == c.MISSED
    # A session held in the short first month still counts as met.
    assert statuses(late, {"one_to_one": [date(2026, 3, 25)]})[("one_to_one", MAR)] == c.MET
    rates = c.rolling_rates([late], {}, TODAY)
    assert (rates.by_practitioner[1][3].met, rates.by_practitioner[1][3].missed) == (0, 2)


def test_someone_on_leave_owes_nothing_while_away():
    whole_month = c.Practitioner(
        1,
        "org",
        start=date(2025, 1, 1),
        leave=((date(2026, 4, 1), date(2026, 4, 30)),),
        requirements=(ONE,),
    )
    periods = c.practitioner_periods(whole_month, {}, TODAY, APR, APR)
    assert periods[0].status == c.NOT_EXPECTED and periods[0].reason == "On leave"
    # Back on 21 April: 10 days available (< 14), still not expected.
    back_21st = c.Practitioner(
        2,
        "org",
        start=date(2025, 1, 1),
        leave=((date(2026, 3, 15), date(2026, 4, 20)),),
        requirements=(ONE,),
    )
    assert statuses(back_21st, {}, MAR, APR) == {
        ("one_to_one", MAR): c.MISSED,  # 14 days before the leave began
        ("one_to_one", APR): c.NOT_EXPECTED,
    }
    # Away 20–30 April: 19 days available, so April is due.
    short = c.Practitioner(
        3,
        "org",
        start=date(2025, 1, 1),
        leave=((date(2026, 4, 20), date(2026, 4, 30)),),
        requirements=(ONE,),
    )
    assert statuses(short, {}, APR, APR)[("one_to_one", APR)] == c.MISSED
    # The leave month drops out of the rate: Mar (missed) and May (met) over three months.
    rates = c.rolling_rates([whole_month], {1: {"one_to_one": [date(2026, 5, 2)]}}, TODAY)
    t = rates.by_practitioner[1][3]
    assert (t.met, t.missed, t.rate) == (1, 1, Decimal("50.0"))


def test_one_to_one_group_and_peer_sessions_are_counted_separately():
    p = c.Practitioner(1, "org", start=date(2026, 4, 1), requirements=(ONE, GROUP, PEER))
    held = {
        "one_to_one": [date(2026, 4, 2), date(2026, 5, 7)],
        "group": [date(2026, 4, 16)],
        "peer": [date(2026, 4, 28), date(2026, 5, 26)],
    }
    assert statuses(p, held, APR, MAY) == {
        ("group", APR): c.MET,
        ("group", MAY): c.MISSED,
        ("one_to_one", APR): c.MET,
        ("one_to_one", MAY): c.MET,
        ("peer", APR): c.MET,
        ("peer", MAY): c.MET,
    }
    periods = c.practitioner_periods(p, held, TODAY, APR, JUN)
    cells = c.month_cells(periods, [APR, MAY, JUN])
    assert [c.overall(cells[m].values()) for m in (APR, MAY, JUN)] == [
        c.MET,
        c.MISSED,
        c.NOT_YET_DUE,
    ]
    # Three months (Mar–May): 5 met of 6 due (March is before they started).
    t = c.rolling_rates([p], {1: held}, TODAY).by_practitioner[1][3]
    assert (t.met, t.missed, t.rate) == (5, 1, Decimal("83.3"))


def test_a_requirement_every_three_months_runs_from_the_start_month():
    p = c.Practitioner(1, "org", start=date(2026, 1, 15), requirements=(c.Requirement("line", 3),))
    periods = c.practitioner_periods(p, {"line": [date(2026, 2, 1)]}, TODAY, JAN, JUN)
    assert [(x.first, x.last, x.status) for x in periods] == [
        (JAN, MAR, c.MET),
        (APR, JUN, c.NOT_YET_DUE),
    ]


def test_organisation_and_consortium_rates_pool_the_periods():
    # Org A: one person met 3 of 3, another 1 of 3. Org B: 0 of 2 (joined 1 April).
    a1 = c.Practitioner("a1", "A", start=date(2025, 1, 1), requirements=(ONE,))
    a2 = c.Practitioner("a2", "A", start=date(2025, 1, 1), requirements=(ONE,))
    b1 = c.Practitioner("b1", "B", start=date(2026, 4, 1), requirements=(ONE,))
    held = {
        "a1": {"one_to_one": [date(2026, 3, 3), date(2026, 4, 3), date(2026, 5, 3)]},
        "a2": {"one_to_one": [date(2026, 4, 9)]},
    }
    rates = c.rolling_rates([a1, a2, b1], held, TODAY)
    assert rates.by_organisation["A"][3].rate == Decimal("66.7")  # 4 of 6
    assert rates.by_organisation["B"][3].rate == Decimal("0.0")  # 0 of 2
    assert (rates.overall[3].met, rates.overall[3].due) == (4, 8)
    assert rates.overall[3].rate == Decimal("50.0")
    # Twelve months (Jun 2025–May 2026): a1 3 of 12, a2 1 of 12, b1 0 of 2.
    assert (rates.overall[12].met, rates.overall[12].due) == (4, 26)
    assert rates.overall[12].rate == Decimal("15.4")


def test_nothing_due_means_no_rate():
    p = c.Practitioner(1, "org", start=date(2026, 6, 1), requirements=(ONE,))
    rates = c.rolling_rates([p], {}, TODAY)
    assert rates.by_practitioner[1][3].rate is None
    assert rates.owed[1] == 1


def test_someone_who_left_is_not_expected_after_leaving():
    p = c.Practitioner(1, "org", start=date(2025, 1, 1), end=date(2026, 4, 10), requirements=(ONE,))
    periods = c.practitioner_periods(p, {}, TODAY, MAR, JUN)
    assert [(x.first, x.status, x.reason) for x in periods] == [
        (MAR, c.MISSED, ""),
        (APR, c.NOT_EXPECTED, "Left on 10 Apr 2026"),
    ]


def test_monthly_rates_for_the_chart_leave_out_the_running_month():
    p = c.Practitioner(1, "org", start=date(2026, 4, 1), requirements=(ONE,))
    out = c.monthly_rates([p], {1: {"one_to_one": [date(2026, 4, 2)]}}, [APR, MAY, JUN], TODAY)
    assert [(m, t.rate) for m, t in out] == [(APR, Decimal("100.0")), (MAY, Decimal("0.0"))]


# --- fitness to practise --------------------------------------------------------------------


def fit(**kwargs):
    base = {"registration_expiry": date(2027, 1, 1), "dbs_date": date(2025, 1, 1)}
    base.setdefault("dbs_update_service", False)
    return c.fitness(TODAY, **{**base, **kwargs})


def test_a_lapsed_registration_makes_someone_not_deployable():
    f = fit(registration_expiry=date(2026, 6, 9))
    assert not f.deployable
    assert f.reasons == ("Registration lapsed on 9 Jun 2026",)
    assert fit(registration_expiry=None).reasons == ("No professional registration recorded",)


def test_registration_expiry_horizons_are_90_and_30_days():
    assert fit(registration_expiry=TODAY).deployable  # valid through the day it names
    assert [a.horizon for a in fit(registration_expiry=TODAY).alerts] == [30]
    assert [a.horizon for a in fit(registration_expiry=date(2026, 7, 10)).alerts] == [30]
    assert [a.horizon for a in fit(registration_expiry=date(2026, 7, 11)).alerts] == [90]
    assert [a.horizon for a in fit(registration_expiry=date(2026, 9, 8)).alerts] == [90]
    assert fit(registration_expiry=date(2026, 9, 9)).alerts == ()
    assert fit(registration_expiry=date(2026, 7, 11)).alerts[0].text == (
        "Registration expires 11 Jul 2026 (within 90 days)"
    )


def test_dbs_checks_are_renewed_every_three_years_unless_on_the_update_service():
    assert fit(dbs_date=date(2023, 6, 10)).deployable
    assert fit(dbs_date=date(2023, 6, 10)).alerts[0].horizon == 30
    assert fit(dbs_date=date(2023, 6, 9)).reasons == ("DBS check lapsed on 9 Jun 2026",)
    assert fit(dbs_date=date(2020, 1, 1), dbs_update_service=True).deployable
    assert fit(dbs_date=None).reasons == ("No DBS check recorded",)
    assert c.dbs_renewal_due(date(2024, 2, 29), False) == date(2027, 2, 28)


def test_police_vetting_matters_only_for_custody_work():
    assert fit(police_vetting_expiry=date(2020, 1, 1)).deployable
    f = fit(needs_police_vetting=True, police_vetting_expiry=date(2026, 5, 1))
    assert f.reasons == ("Police vetting lapsed on 1 May 2026",)


def test_gap_days_and_funding_risk():
    assert c.gap_days(date(2026, 5, 1), TODAY) == 40
    assert c.gap_days(TODAY, TODAY) == 0
    assert c.funding_at_risk(TODAY, date(2026, 12, 7), 180)  # 180 days away
    assert not c.funding_at_risk(TODAY, date(2026, 12, 8), 180)
    assert c.funding_at_risk(TODAY, date(2026, 1, 1), 180)  # already ended
    assert not c.funding_at_risk(TODAY, None, 180)
