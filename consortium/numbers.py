"""Figures and money as people type them, read exactly or refused with a message that says
what to type. One parser for every form and every upload.

Accepted: `1000`, `1,000`, `1,000.50`, `£1,000.50` (money), `-5` where a figure may be
negative. Refused: exponents (`1e6`), digits other than 0–9, commas anywhere but between
thousands (`1,5` — is it one and a half, or fifteen?), more decimal places than the field
keeps (`1,000.005` for money), a pound sign on a figure or in the wrong place (`£-5`).
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

_SHAPE = re.compile(r"^(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$", re.ASCII)


def parse_decimal(text, *, places=None, money=False, negative=False):
    """`text` as a Decimal, or None when blank. Raises ValidationError whose message says
    what to type. `places`: the most decimal places allowed; `money`: a leading £ is allowed
    and the examples are amounts; `negative`: a leading minus is allowed."""
    if text is None:
        return None
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int) and not isinstance(text, bool):
        return Decimal(text)
    raw = str(text).strip()
    if not raw:
        return None
    example = "1,000.50" if money else "1,250"
    kind = "an amount" if money else "a number"
    value = re.sub(r"\s", "", raw)  # spaces, including non-breaking ones pasted from elsewhere
    if money:
        if value.startswith("£-") and negative:
            raise ValidationError("Put the minus sign before the £, like -£5.00.", code="pound")
        if value.startswith("£"):
            value = value[1:]
        elif value.startswith("-£"):
            value = "-" + value[2:]
    if "£" in value:
        raise ValidationError(
            f"Enter {kind} like {example}" + ("." if money else ", without £."), code="pound"
        )
    if not value.isascii():
        raise ValidationError(
            f"Enter {kind} using the digits 0 to 9, like {example}.", code="digits"
        )
    if re.fullmatch(r"-?[\d,.]+[eE][+-]?\d+", value):
        raise ValidationError(f"Enter {kind} in full, like {example}, not as 1e6.", code="exponent")
    match = _SHAPE.match(value)
    if not match:
        if "," in value and "." not in value and re.match(r"^-?\d+,\d{1,2}$", value):
            raise ValidationError(
                f"Use a full stop for decimals and commas only between thousands, like "
                f"{example}. '{raw}' could mean two different figures.",
                code="ambiguous",
            )
        raise ValidationError(f"Enter {kind} in figures, like {example}.", code="invalid")
    sign, whole, fraction = match.groups()
    if sign and not negative:
        raise ValidationError(f"Enter {kind} of 0 or more, like {example}.", code="negative")
    if places is not None and fraction and len(fraction) > places:
        if money and places == 2:
            message = (
                f"Enter the amount to the penny, like {example}: no more than 2 decimal places."
            )
        elif places == 0:
            message = "Enter a whole number, like 12."
        else:
            message = f"Enter no more than {places} decimal places."
        raise ValidationError(message, code="places")
    return Decimal(f"{sign or ''}{whole.replace(',', '')}" + (f".{fraction}" if fraction else ""))


class NumberField(forms.DecimalField):
    """A figure typed as text: read by parse_decimal, then checked for range and size."""

    money = False

    def __init__(self, *args, negative=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.negative = (
            negative
            if negative is not None
            else self.min_value is None or Decimal(self.min_value) < 0
        )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # A text box: browsers' number boxes change values on scroll and refuse commas.
        attrs.pop("step", None)
        attrs.pop("min", None)
        attrs.pop("max", None)
        attrs.update(inputmode="decimal", spellcheck="false", autocomplete="off")
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_decimal(
            value, places=self.decimal_places, money=self.money, negative=self.negative
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            if self.money:
                return f"{value:,.2f}"
            return f"{value.normalize():f}"  # 12, not 12.00; 1.3, not 1.30
        return value


class MoneyField(NumberField):
    """An amount in pounds: shown with a £ prefix, to the penny."""

    money = True
    widget = forms.TextInput
    prefix = "£"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 14)
        super().__init__(*args, **kwargs)


NumberField.widget = forms.TextInput


def plural(n, singular, many=None):
    """ "1 payment", "3 payments", "1,204 people": a count as a whole number and the word
    that agrees with it (`many` where adding an s is wrong)."""
    word = singular if n == 1 else (many or f"{singular}s")
    return f"{n:,} {word}"


def count(value):
    """A count as people write it: "214", "1,204" — never "214.00"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, (int, Decimal)) and value == int(value):
        return f"{int(value):,}"
    return f"{Decimal(str(value)).normalize():,f}"
