"""Figures and money as people type them: read exactly, or refused with a message that says
what to type — the same in every form and every upload."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from consortium.numbers import MoneyField, NumberField, parse_decimal


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1000", D("1000")),
        ("1,000.50", D("1000.50")),
        ("£1,000.50", D("1000.50")),
        (" £ 12,345,678.9 ", D("12345678.9")),
        ("0.5", D("0.5")),
        ("1\u00a0000", D("1000")),  # a non-breaking space pasted from a document
        ("", None),
    ],
)
def test_amounts_typed_the_usual_ways_are_read_exactly(typed, read):
    assert parse_decimal(typed, places=2, money=True) == read


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1e6", "in full, like 1,000.50"),
        ("1,000.005", "to the penny"),
        ("£-5", "0 or more"),
        ("-5", "0 or more"),
        ("١٢٣", "digits 0 to 9"),
        ("１２", "digits 0 to 9"),
        ("1,5", "could mean two different figures"),
        ("12,34", "could mean two different figures"),
        ("1,00", "could mean two different figures"),
        ("10,00,000", "in figures"),
        ("five", "in figures"),
        ("1.2.3", "in figures"),
        ("5£", "like 1,000.50"),
        ("NaN", "in figures"),
        ("Infinity", "in figures"),
    ],
)
def test_amounts_that_could_be_misread_are_refused_saying_what_to_type(typed, says):
    with pytest.raises(ValidationError) as refused:
        parse_decimal(typed, places=2, money=True)
    assert says in refused.value.messages[0]


def test_a_negative_amount_where_one_is_allowed_takes_its_minus_before_the_pound():
    assert parse_decimal("-£5.00", places=2, money=True, negative=True) == D("-5.00")
    assert parse_decimal("-5", places=2, money=True, negative=True) == D("-5")
    with pytest.raises(ValidationError, match="before the £"):
        parse_decimal("£-5", places=2, money=True, negative=True)


def test_a_figure_refuses_a_pound_sign_and_whole_numbers_refuse_decimals():
    with pytest.raises(ValidationError, match="without £"):
        parse_decimal("£5")
    with pytest.raises(ValidationError, match="whole number"):
        parse_decimal("2.5", places=0)


@given(st.decimals(min_value=0, max_value=D("999999999999.99"), places=2))
def test_every_amount_written_with_thousands_separators_reads_back_exactly(amount):
    assert parse_decimal(f"£{amount:,.2f}", places=2, money=True) == amount
    assert parse_decimal(f"{amount:.2f}", places=2, money=True) == amount


def test_the_money_field_is_a_text_box_for_decimals_with_a_pound_prefix():
    field = MoneyField()
    attrs = field.widget_attrs(field.widget)
    assert field.widget.input_type == "text"
    assert attrs["inputmode"] == "decimal" and "step" not in attrs
    assert field.prefix == "£"
    assert field.clean("1,000.50") == D("1000.50")
    with pytest.raises(ValidationError, match="to the penny"):
        field.clean("1,000.005")
    assert field.prepare_value(D("1234.5")) == "1,234.50"


def test_a_number_field_with_a_minimum_of_zero_refuses_negatives_in_words():
    field = NumberField(min_value=0, max_digits=5, decimal_places=2)
    with pytest.raises(ValidationError, match="0 or more"):
        field.clean("-1")
    with pytest.raises(ValidationError):
        field.clean("1234.5")  # more digits than the field keeps
