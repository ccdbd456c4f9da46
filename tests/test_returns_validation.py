from decimal import Decimal as D

from contracts.validation.returns import PERCENTAGE, Rule, validate

RULES = [
    Rule("REF", "Referrals received", required=True),
    Rule(
        "REF_POLICE", "Referrals from police custody", breakdown_of="REF", breakdown_group="setting"
    ),
    Rule("REF_COURT", "Referrals from court", breakdown_of="REF", breakdown_group="setting"),
    Rule("SCR", "Screened", required=True, not_more_than="REF"),
    Rule("ASS", "Assessed", not_more_than="SCR"),
    Rule("DIV", "Diverted", not_more_than="ASS"),
    Rule("WOMEN", "Women referred", breakdown_of="REF"),
    Rule("YOUNG", "Young adults referred", breakdown_of="REF"),
    Rule("WAIT", "Waiting days", unit="days"),
    Rule("ENG_PCT", "Engaged at first appointment", unit=PERCENTAGE),
]


def good(**over):
    v = {
        "REF": D(40),
        "REF_POLICE": D(25),
        "REF_COURT": D(15),
        "SCR": D(38),
        "ASS": D(30),
        "DIV": D(12),
        "WOMEN": D(10),
        "YOUNG": D(8),
        "WAIT": D("3.5"),
        "ENG_PCT": D("62.5"),
    }
    v.update(over)
    return v


def texts(outcome):
    return [m.text for m in outcome.errors]


def test_a_consistent_return_passes_validation():
    outcome = validate(good(), RULES)
    assert outcome.ok and not outcome.warnings


def test_a_required_indicator_left_blank_is_an_error():
    outcome = validate(good(SCR=None), RULES)
    assert texts(outcome) == ["Enter a figure for Screened. Enter 0 if there were none."]


def test_an_optional_indicator_may_be_blank():
    assert validate(good(ASS=None, DIV=None, WAIT=None), RULES).ok


def test_a_negative_figure_is_an_error():
    outcome = validate(good(WOMEN=D(-2)), RULES)
    assert texts(outcome) == ["Women referred is -2: it cannot be negative. Enter 0 or more."]


def test_a_fraction_is_an_error_in_a_count_but_not_in_days():
    outcome = validate(good(DIV=D("2.5")), RULES)
    assert outcome.errors[0].code == "DIV"
    assert "whole number" in outcome.errors[0].text
    assert validate(good(WAIT=D("4.25")), RULES).ok


def test_a_percentage_over_100_is_an_error():
    outcome = validate(good(ENG_PCT=D("101")), RULES)
    assert [m.code for m in outcome.errors] == ["ENG_PCT"]
    assert "cannot be more than 100" in outcome.errors[0].text


def test_the_funnel_screened_not_more_than_referred():
    outcome = validate(good(SCR=D(41)), RULES)
    assert texts(outcome) == [
        "Screened is 41, more than Referrals received (40). Nobody reaches this "
        "stage without the one before it: check both figures."
    ]


def test_the_funnel_assessed_and_diverted():
    assert [m.code for m in validate(good(ASS=D(39)), RULES).errors] == ["ASS"]
    assert [m.code for m in validate(good(DIV=D(31)), RULES).errors] == ["DIV"]


def test_a_breakdown_cannot_exceed_its_total():
    outcome = validate(good(WOMEN=D(41)), RULES)
    assert [m.code for m in outcome.errors] == ["WOMEN"]
    assert "cannot exceed its total" in outcome.errors[0].text


def test_exclusive_breakdowns_cannot_add_up_to_more_than_the_total():
    outcome = validate(good(REF_POLICE=D(30), REF_COURT=D(15)), RULES)
    assert [m.code for m in outcome.errors] == ["REF"]
    assert "setting breakdown of Referrals received adds up to 45" in outcome.errors[0].text
    # Non-exclusive breakdowns (women, young adults) may overlap.
    assert validate(good(WOMEN=D(30), YOUNG=D(30)), RULES).ok


def test_relations_skip_figures_that_are_already_wrong():
    outcome = validate(good(REF=D(-1)), RULES)
    assert [m.code for m in outcome.errors] == ["REF"]


def test_figures_far_outside_history_are_warnings_not_errors():
    history = {"REF": [D(40), D(42), D(38), D(41)], "DIV": [D(6), D(7), D(5)]}
    outcome = validate(good(REF=D(400), REF_POLICE=D(25)), RULES, history)
    assert outcome.ok
    assert [m.code for m in outcome.warnings] == ["REF"]
    assert outcome.warnings[0].text == (
        "Referrals received: 400 is much higher than this service's usual 38–42 (its last 4 "
        "approved returns). Check it and confirm."
    )
    low = validate(good(DIV=D(2)), RULES, history)
    assert [m.code for m in low.warnings] == []  # usual 6 is small: 2 is within range


def test_far_below_history_warns_for_large_usual_figures():
    history = {"REF": [D(300), D(310), D(290)]}
    outcome = validate(good(), RULES, history)
    assert [m.code for m in outcome.warnings] == ["REF"]
    assert "is much lower than this service's usual 290–310" in outcome.warnings[0].text


def test_short_history_gives_no_warning():
    assert not validate(good(REF=D(400)), RULES, {"REF": [D(4), D(5)]}).warnings
