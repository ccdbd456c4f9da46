"""The GOV.UK date input: day, month and year in three boxes, wherever a person types a date,
with GOV.UK's messages. A date written as YYYY-MM-DD under the field's own name (a link, a
filter, a script) is read too."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

PARTS = ("day", "month", "year")


class GovukDateInput(forms.MultiWidget):
    template_name = "django/forms/widgets/govuk_date.html"

    def __init__(self, attrs=None):
        box = {"class": "govuk-input govuk-date-input__input", "inputmode": "numeric"}
        widgets = {
            "day": forms.TextInput(attrs={**box, "class": box["class"] + " govuk-input--width-2"}),
            "month": forms.TextInput(
                attrs={**box, "class": box["class"] + " govuk-input--width-2"}
            ),
            "year": forms.TextInput(attrs={**box, "class": box["class"] + " govuk-input--width-4"}),
        }
        super().__init__(widgets, attrs)

    def id_for_label(self, id_):
        # The error summary links to the first box, the day.
        return f"{id_}_0" if id_ else id_

    def decompress(self, value):
        if isinstance(value, dict):  # what was typed, shown again as typed
            return [value.get(part) for part in PARTS]
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str):
            try:
                d = datetime.date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
            return [d.day, d.month, d.year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(p not in (None, "") for p in parts) and data.get(name):
            return data.get(name)  # YYYY-MM-DD under the field's own name
        return dict(zip(PARTS, parts, strict=True))

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    has_error = False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for sub, part in zip(context["widget"]["subwidgets"], PARTS, strict=True):
            sub["part"] = part
            # The fieldset carries the hint and the error; each box its own label.
            sub["attrs"].pop("aria-describedby", None)
            css = self.widgets[PARTS.index(part)].attrs["class"]
            sub["attrs"]["class"] = css + (" govuk-input--error" if self.has_error else "")
        return context


class GovukDateField(forms.DateField):
    widget = GovukDateInput

    def __init__(self, *args, **kwargs):
        kwargs.pop("input_formats", None)
        super().__init__(*args, **kwargs)

    def _label(self):
        return str(self.label or "Date")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(
                    f"{self._label()} must be a real date", code="invalid"
                ) from None
        parts = {k: str(value.get(k) or "").strip() for k in PARTS}
        if not any(parts.values()):
            return None
        label = self._label()
        missing = [k for k in PARTS if not parts[k]]
        if missing:
            raise ValidationError(
                f"{label} must include a {' and a '.join(missing)}", code="incomplete"
            )
        if not all(p.isascii() and p.isdigit() for p in parts.values()):
            raise ValidationError(f"{label} must be a real date", code="invalid")
        if len(parts["year"]) != 4:
            raise ValidationError(f"{label} year must include 4 numbers", code="year")
        try:
            return datetime.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            raise ValidationError(f"{label} must be a real date", code="invalid") from None
