"""The payment rules by hand, and as properties (hypothesis): never above a cap, never
negative, always the sum of its lines."""

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.validation import outcomes as rules
from contracts.validation.outcomes import PaidLine, Rule

D = Decimal
DAY = datetime.date(2026, 5, 1)


def lines(*participants, events=None):
    events = events or [1] * len(participants)
    return [
        PaidLine(key=i, participant=p, events=e, when=DAY + datetime.timedelta(days=i))
        for i, (p, e) in enumerate(zip(participants, events, strict=True))
    ]


def test_binary_pays_the_tariff_once_per_participant():
    result = rules.payable(Rule("binary", D("250.00")), lines("a", "b", "a"))
    assert result.payable == D("500.00")
    assert result.lines == {0: D("250.00"), 1: D("250.00"), 2: D("0.00")}
    assert result.capped_by == []


def test_per_event_pays_each_event_up_to_the_cap_per_participant():
    rule = Rule("per_event", D("40.00"), cap_per_participant=3)
    result = rules.payable(rule, lines("a", "a", "b", events=[2, 2, 5]))
    # a: 2 + 1 (cap 3) events; b: 3 of 5 events.
    assert result.payable == D("240.00")
    assert result.lines == {0: D("80.00"), 1: D("40.00"), 2: D("120.00")}
    assert "above the cap of 3" in result.notes[-1]


def test_a_per_event_cap_of_one_pays_one_event_per_participant():
    rule = Rule("per_event", D("75.50"), cap_per_participant=1)
    assert rules.payable(rule, lines("a", "a", "b")).payable == D("151.00")


def test_a_cohort_that_just_meets_the_hurdle_is_paid_above_the_baseline():
    rule = Rule("cohort", D("300.00"), baseline_percent=D("30"), hurdle_percent=D("35"))
    # 35 of 100 achieved: rate 35% meets the hurdle; 35 − 30 = 5 above the baseline.
    result = rules.payable(rule, lines(*[f"p{i}" for i in range(35)]), cohort_size=100)
    assert result.payable == D("1500.00")
    assert sum(result.lines.values()) == D("1500.00")


def test_a_cohort_that_just_misses_the_hurdle_is_paid_nothing():
    rule = Rule("cohort", D("300.00"), baseline_percent=D("30"), hurdle_percent=D("35"))
    result = rules.payable(rule, lines(*[f"p{i}" for i in range(34)]), cohort_size=100)
    assert result.payable == D("0.00")
    assert "below the hurdle" in result.notes[0]


def test_a_cohort_baseline_of_a_fractional_count_pays_to_the_penny():
    rule = Rule("cohort", D("100.00"), baseline_percent=D("30"), hurdle_percent=D("30"))
    # 95 × 30% = 28.5 expected; 36 achieved: 7.5 × £100 = £750.00, spread over 36 lines.
    result = rules.payable(rule, lines(*[f"p{i}" for i in range(36)]), cohort_size=95)
    assert result.payable == D("750.00")
    assert sorted(set(result.lines.values())) == [D("20.83"), D("20.84")]
    assert sum(result.lines.values()) == D("750.00")


def test_the_period_cap_bites_and_the_lines_are_scaled_to_it():
    result = rules.payable(
        Rule("binary", D("250.00")), lines("a", "b", "c"), caps=[("period cap", D("500.00"))]
    )
    assert result.earned == D("750.00")
    assert result.payable == D("500.00")
    assert result.capped == D("250.00")
    assert result.capped_by == ["period cap"]
    assert sorted(result.lines.values()) == [D("166.66"), D("166.67"), D("166.67")]


def test_the_contract_cap_bites_after_the_period_cap():
    result = rules.payable(
        Rule("binary", D("100.00")),
        lines("a", "b", "c", "d"),
        caps=[("period cap", D("300.00")), ("contract cap", D("120.00"))],
    )
    assert result.payable == D("120.00")
    assert result.capped_by == ["period cap", "contract cap"]


def test_a_cap_already_used_up_pays_nothing_and_never_less():
    result = rules.payable(
        Rule("binary", D("100.00")), lines("a"), caps=[("contract cap", D("-20.00"))]
    )
    assert result.payable == D("0.00")
    assert result.lines == {0: D("0.00")}


def test_a_cap_with_room_to_spare_does_not_bite():
    result = rules.payable(
        Rule("binary", D("100.00")), lines("a"), caps=[("period cap", D("100.00"))]
    )
    assert result.payable == D("100.00")
    assert result.capped_by == []


def test_a_stated_share_pays_that_share_of_the_tariff():
    result = rules.payable(Rule("binary", D("250.00"), share_percent=D("60")), lines("a", "b"))
    assert result.payable == D("300.00")


def test_a_negative_tariff_is_refused():
    import pytest

    with pytest.raises(ValueError):
        rules.payable(Rule("binary", D("-1.00")), lines("a"))


def test_pseudonyms_are_keyed_per_consortium_and_ignore_spacing_and_case():
    k1 = rules.consortium_key("x" * 40, 1)
    k2 = rules.consortium_key("x" * 40, 2)
    assert rules.pseudonym(k1, "ab 123") == rules.pseudonym(k1, "AB123")
    assert rules.pseudonym(k1, "AB123") != rules.pseudonym(k2, "AB123")
    assert len(rules.pseudonym(k1, "AB123")) == 64
    assert rules.short_code("abcdef0123") == "ABCD-EF01"


def test_the_same_seed_draws_the_same_sample_whatever_the_order():
    ids = list(range(1, 101))
    first = rules.draw_sample(ids, 10, 42)
    assert first == rules.draw_sample(list(reversed(ids)), 10, 42)
    assert len(first) == 10
    assert first != rules.draw_sample(ids, 10, 43)


def test_a_line_with_an_outcome_before_engagement_says_what_to_do():
    facts = rules.LineFacts(DAY, DAY - datetime.timedelta(days=1), 1, "note")
    problems = rules.line_problems(
        facts,
        rule_kind="binary",
        valid_from=datetime.date(2026, 4, 1),
        valid_to=datetime.date(2027, 3, 31),
        window_days=28,
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    assert problems == [
        "The outcome date 30 Apr 2026 is before the engagement date 01 May 2026. Check both dates."
    ]


# --- properties ----------------------------------------------------------------------------

money = st.decimals(min_value=D("0"), max_value=D("5000"), places=2)
caps = st.lists(
    st.tuples(st.sampled_from(["period cap", "contract cap"]), st.one_of(st.none(), money)),
    max_size=2,
)


@st.composite
def claims(draw):
    kind = draw(st.sampled_from(["binary", "per_event", "cohort"]))
    n = draw(st.integers(min_value=0, max_value=40))
    people = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    rule = Rule(
        kind,
        draw(money),
        cap_per_participant=draw(st.integers(1, 4)),
        baseline_percent=draw(st.decimals(min_value=0, max_value=60, places=2)),
        hurdle_percent=draw(st.decimals(min_value=0, max_value=80, places=2)),
        share_percent=draw(st.sampled_from([D("100"), D("60"), D("33.33")])),
    )
    return (
        rule,
        lines(*[f"p{p}" for p in people], events=events),
        draw(caps),
        n + draw(st.integers(0, 40)),
    )


@settings(max_examples=300, deadline=None)
@given(claims())
def test_the_payable_amount_is_never_above_a_cap_never_negative_and_is_its_lines(claim):
    rule, paid_lines, cap_list, cohort = claim
    result = rules.payable(rule, paid_lines, caps=cap_list, cohort_size=cohort)
    assert result.payable >= 0
    assert all(v >= 0 for v in result.lines.values())
    assert sum(result.lines.values(), D("0.00")) == result.payable
    assert result.payable <= result.earned
    for _name, room in cap_list:
        if room is not None:
            assert result.payable <= max(room, D("0"))
    assert result.payable == result.payable.quantize(D("0.01"))


def test_production_refuses_to_start_without_a_long_pseudonym_key():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(
        os.environ,
        CONCORD_ENV="production",
        CONCORD_SECRET_KEY="s" * 60,
        CONCORD_ALLOWED_HOSTS="x.org",
        CONCORD_PSEUDONYM_KEY="too-short",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CONCORD_PSEUDONYM_KEY must be at least 32 characters" in result.stderr
