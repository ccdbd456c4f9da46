from django import template

from consortium.dates import day_text
from consortium.numbers import count as count_text

register = template.Library()


@register.inclusion_tag("partials/_error_summary.html")
def error_summary(*forms):
    forms = [f for f in forms if f is not None and f.errors]
    return {"forms": forms}


@register.simple_tag(takes_context=True)
def error_prefix(context):
    """'Error: ' at the start of the page title when any form on the page has errors (GOV.UK:
    a screen reader announces the title first)."""
    from django.forms import BaseForm, BaseFormSet

    for value in context.flatten().values():
        if isinstance(value, (BaseForm, BaseFormSet)) and value.is_bound and not value.is_valid():
            return "Error: "
    return ""


@register.filter
def named_for(error, label):
    """An error as the summary lists it: prefixed with its field's label unless the message
    already names the field ("Start must be a real date", "Enter the start")."""
    from django.utils.html import strip_tags

    # The summary's line is itself a link to the field: a link in the message stays beside
    # the field only.
    text, label = strip_tags(str(error)), str(label or "")
    if not label or label.lower() in text.lower():
        return text
    return f"{label}: {text}"


@register.inclusion_tag("partials/_form_fields.html")
def form_fields(form):
    return {"form": form}


@register.filter
def money(value):
    """£1,234.56 — money is shown with two places and thousands separators."""
    if value is None or value == "":
        return "—"
    from decimal import Decimal

    value = Decimal(value)
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


@register.simple_tag(takes_context=True)
def passkey_config(context):
    """What the passkey script needs (its endpoints, the CSRF token), as a JSON data block:
    <script type="application/json"> is never executed, so the content security policy
    allows it."""
    from django.utils.html import json_script
    from django_otp_webauthn.templatetags.otp_webauthn import get_configuration

    return json_script(get_configuration(context["request"]), "otp_webauthn_config")


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or an empty list when it is not there."""
    return (mapping or {}).get(key, [])


@register.filter
def day(value):
    """28 Feb 2027 — a date, or a date kept as ISO text in a snapshot, as every page shows it."""
    import datetime

    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return day_text(value)


@register.filter
def count(value):
    """214 — a count as a whole number, never 214.00."""

    return count_text(value)


@register.filter
def shown(value):
    """A stored snapshot's cell as the page shows it: ISO dates as 28 Feb 2027, figures kept
    as decimal text as whole numbers where whole (214.00 is 214)."""
    import re

    if value is None:
        return "—"
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T[\d:.+]+Z?)?", value):
            return day(value)
        if re.fullmatch(r"-?\d+\.\d+", value):
            return count(value)
    return value


@register.filter
def shown_table(table):
    """A snapshot's table as the page shows it: (headers, rows), money columns (headed "(£)")
    written as money and headed without the sign, every other cell through `shown`."""
    columns = table.get("columns", [])
    is_money = ["(£)" in c for c in columns]
    headers = [c.replace(" (£)", "") for c in columns]
    rows = []
    for row in table.get("rows", []):
        rows.append(
            [
                money(v) if is_money[i] and isinstance(v, str) and _is_figure(v) else shown(v)
                for i, v in enumerate(row)
            ]
        )
    return headers, rows


def _is_figure(text):
    import re

    return bool(re.fullmatch(r"-?\d+(\.\d+)?", text))
