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
