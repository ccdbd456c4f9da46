from django import template

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
    text, label = str(error), str(label or "")
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
