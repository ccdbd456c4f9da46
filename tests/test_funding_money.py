"""The money module: exact splits to the penny and each allocation formula, against
hand-worked figures."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from funding import money
from funding.money import FEE, MEMBER, OVERHEAD, Member, Share, allocate, split


def amounts(lines):
    return [(line.name, line.kind, line.amount) for line in lines]


def test_money_rounds_half_up_to_the_penny():
    assert money.to_money("2.345") == D("2.35")
    assert money.to_money("2.344") == D("2.34")
    with pytest.raises(TypeError):
        money.to_money(2.5)


def test_100000_splits_over_three_equal_shares_to_the_penny():
    parts = split(D("100000.00"), [Share(k, D(1), k, i) for i, k in enumerate("CAB")])
    assert parts == {"A": D("33333.34"), "B": D("33333.33"), "C": D("33333.33")}
    assert sum(parts.values()) == D("100000.00")


def test_five_pence_over_seven_members_go_by_name():
    names = ["Gamma", "Alpha", "Eta", "Beta", "Zeta", "Delta", "Epsilon"]
    parts = split(D("0.05"), [Share(n, D(1), n, i) for i, n in enumerate(names)])
    assert sum(parts.values()) == D("0.05")
    winners = sorted(n for n, v in parts.items() if v == D("0.01"))
    assert winners == ["Alpha", "Beta", "Delta", "Epsilon", "Eta"]
    assert parts["Gamma"] == parts["Zeta"] == D("0.00")


def test_equal_remainders_go_to_the_larger_basis_then_name_then_id():
    # 999.99 by activity 10/20/30: A and C both have half a penny over; C's basis is larger.
    parts = split(D("999.99"), [Share("A", D(10)), Share("B", D(20)), Share("C", D(30))])
    assert parts == {"A": D("166.66"), "B": D("333.33"), "C": D("500.00")}
    # Same name and basis: the lower id wins.
    parts = split(D("0.01"), [Share("x", D(1), "Same", 2), Share("y", D(1), "Same", 1)])
    assert parts == {"x": D("0.00"), "y": D("0.01")}


def test_the_split_does_not_depend_on_the_order_given():
    shares = [Share(i, D(i % 4 + 1), f"Org {i}", i) for i in range(9)]
    forward = split(D("1234.57"), shares)
    backward = split(D("1234.57"), list(reversed(shares)))
    assert forward == backward
    assert sum(forward.values()) == D("1234.57")


def test_nonsensical_splits_are_refused():
    with pytest.raises(ValidationError):
        split(D("-1.00"), [Share("a", D(1))])
    with pytest.raises(ValidationError):
        split(D("1.00"), [Share("a", D(0))])
    with pytest.raises(ValidationError):
        split(D("1.00"), [])


MEMBERS = [Member(1, "Alpha", D("1.5")), Member(2, "Beta", D("1.0")), Member(3, "Gamma", D("0.5"))]


def test_equal_shares():
    lines = allocate(pot=D("100000.00"), formula=money.EQUAL, members=MEMBERS)
    assert amounts(lines) == [
        ("Alpha", MEMBER, D("33333.34")),
        ("Beta", MEMBER, D("33333.33")),
        ("Gamma", MEMBER, D("33333.33")),
    ]
    assert "÷ 3 equal shares" in lines[0].arithmetic


def test_by_funded_fte():
    lines = allocate(pot=D("10000.00"), formula=money.FTE, members=MEMBERS)
    assert [line.amount for line in lines] == [D("5000.00"), D("3333.33"), D("1666.67")]
    assert lines[0].basis["figure"] == "1.5" and lines[0].basis["total"] == "3.0"


def test_by_activity_and_by_verified_outcomes():
    members = [Member(1, "A", D(10)), Member(2, "B", D(20)), Member(3, "C", D(30))]
    lines = allocate(pot=D("999.99"), formula=money.ACTIVITY, members=members)
    assert [line.amount for line in lines] == [D("166.66"), D("333.33"), D("500.00")]
    lines = allocate(
        pot=D("500.00"),
        formula=money.OUTCOMES,
        members=[Member(1, "A", D(7)), Member(2, "B", D(0))],
    )
    assert [line.amount for line in lines] == [D("500.00"), D("0.00")]


def test_fixed_percentages():
    lines = allocate(
        pot=D("1000.01"),
        formula=money.FIXED,
        members=[Member(1, "A", D("33.33")), Member(2, "B", D("66.67"))],
    )
    assert [line.amount for line in lines] == [D("333.30"), D("666.71")]


def test_fixed_percentages_that_do_not_make_100_are_refused():
    with pytest.raises(ValidationError) as e:
        allocate(
            pot=D("1000.00"),
            formula=money.FIXED,
            members=[Member(1, "A", D("60")), Member(2, "B", D("30"))],
        )
    assert "add up to 90%; they must add up to exactly 100%" in e.value.messages[0]


def test_a_management_fee_plus_overheads_at_full_cost():
    # Pot £100,000; the lead's fee is 7% = £7,000; members' full costs are exactly the rest.
    lines = allocate(
        pot=D("100000.00"),
        formula=money.FULL_COST,
        fee_percent=D("7"),
        fee_org=(9, "Lead"),
        members=[
            Member(1, "Alpha", D("50000.00"), D("12")),
            Member(2, "Beta", D("33035.71"), D("12")),
        ],
    )
    assert amounts(lines) == [
        ("Lead", FEE, D("7000.00")),
        ("Alpha", MEMBER, D("50000.00")),
        ("Alpha", OVERHEAD, D("6000.00")),
        ("Beta", MEMBER, D("33035.71")),
        ("Beta", OVERHEAD, D("3964.29")),
    ]
    assert sum(line.amount for line in lines) == D("100000.00")
    assert lines[0].arithmetic.startswith("7% of £100,000.00 = £7,000.00")


def test_full_cost_recovery_scales_to_the_pot_when_costs_differ():
    lines = allocate(
        pot=D("1000.00"),
        formula=money.FULL_COST,
        members=[Member(1, "A", D("300"), D("10")), Member(2, "B", D("600"), D("0"))],
    )
    assert amounts(lines) == [
        ("A", MEMBER, D("322.58")),
        ("A", OVERHEAD, D("32.26")),
        ("B", MEMBER, D("645.16")),
        ("B", OVERHEAD, D("0.00")),
    ]
    assert "scaled" in lines[0].arithmetic


def test_fee_with_equal_shares_of_an_awkward_pot():
    lines = allocate(
        pot=D("0.05"),
        formula=money.EQUAL,
        fee_percent=D("10"),
        fee_org=(9, "Lead"),
        members=[Member(i, f"M{i}", D(1)) for i in range(1, 8)],
    )
    assert lines[0].amount == D("0.01")  # 10% of 5p rounds half up to 1p
    assert sum(line.amount for line in lines) == D("0.05")


def test_bad_allocations_are_refused():
    for kwargs in (
        {"pot": D("0"), "formula": money.EQUAL, "members": MEMBERS},
        {"pot": D("10"), "formula": money.EQUAL, "members": []},
        {"pot": D("10"), "formula": money.FTE, "members": [Member(1, "A", D("-1"))]},
        {"pot": D("10"), "formula": money.EQUAL, "members": MEMBERS, "fee_percent": D("100")},
        {"pot": D("10"), "formula": money.EQUAL, "members": MEMBERS, "fee_percent": D("5")},
        {"pot": D("10"), "formula": money.FTE, "members": [Member(1, "A", D("0"))]},
    ):
        with pytest.raises(ValidationError):
            allocate(**kwargs)
