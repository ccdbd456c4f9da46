from django import template

register = template.Library()


@register.inclusion_tag("partials/_error_summary.html")
def error_summary(*forms):
    forms = [f for f in forms if f is not None and f.errors]
    return {"forms": forms}


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
