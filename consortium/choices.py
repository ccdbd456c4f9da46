"""Choice lists that stay short: a select while there are at most CHOICE_LIMIT options, a
text box matching by name beyond that (a national consortium has hundreds of organisations,
and a select of 400 options is slow to send and hard to use with a screen reader or a
keyboard).

The field accepts either a choice's id (what the select sends, and what a link such as the
runway's figures carries) or text (what the text box sends). Which of the two the page shows
is decided only when it is drawn, with the one query that reads the options, so a download
or a submitted form reads no options at all.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html
from django_scopes.forms import SafeModelChoiceField

CHOICE_LIMIT = 100


def search_field(model):
    """The field a typed name is matched against, or None when the model has no name."""
    names = {f.name for f in model._meta.get_fields()}
    if "name" in names:
        return "name"
    if "organisation" in names:
        return "organisation__name"
    if {"first_name", "last_name"} <= names:
        return ("first_name", "last_name")
    return None


def name_matches(model, text):
    fields = search_field(model)
    if isinstance(fields, tuple):
        q = Q()
        for word in text.split():
            q &= Q(**{f"{fields[0]}__icontains": word}) | Q(**{f"{fields[1]}__icontains": word})
        return q
    return Q(**{f"{fields}__icontains": text})


class ChoiceOrSearchInput(forms.Widget):
    """A select over `options` (a callable returning the queryset) while there are at most
    CHOICE_LIMIT of them, otherwise a text input. An id given to the text input shows as the
    choice's name."""

    def __init__(self, options, empty_label="Any", label=str, attrs=None):
        super().__init__(attrs)
        self.options = options
        self.empty_label = empty_label
        self.label = label

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.options = self.options
        return copy

    def render(self, name, value, attrs=None, renderer=None):
        qs = self.options()
        found = list(qs[: CHOICE_LIMIT + 1])
        attrs = {**self.attrs, **(attrs or {})}
        css = [
            c for c in attrs.get("class", "").split() if c not in ("govuk-select", "govuk-input")
        ]
        if len(found) <= CHOICE_LIMIT:
            attrs["class"] = " ".join(["govuk-select", *css])
            choices = [("", self.empty_label or ""), *((o.pk, self.label(o)) for o in found)]
            return forms.Select(choices=choices).render(name, value, attrs, renderer)
        text = "" if value is None else str(value)
        if text.isdigit():
            chosen = qs.filter(pk=int(text)).first()
            text = self.label(chosen) if chosen is not None else text
        attrs["class"] = " ".join(["govuk-input", *css])
        attrs.setdefault("autocomplete", "off")
        attrs.setdefault("spellcheck", "false")
        box = forms.TextInput().render(name, text, attrs, renderer)
        return format_html(
            '{}<div class="govuk-hint govuk-!-margin-top-1 govuk-!-margin-bottom-0">'
            "Type part of the name ({} to choose from).</div>",
            box,
            f"{len(found) - 1}+" if len(found) > CHOICE_LIMIT else len(found),
        )

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return value.strip() if isinstance(value, str) else value


class ChoiceOrSearchFilter(django_filters.Filter):
    """A list filter over a relation: an id picks that choice, text any choice whose name
    contains it. Only choices in `options` (the person's visible ones) ever match."""

    field_class = forms.CharField

    def __init__(self, *args, options, **kwargs):
        self.options = options
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            field = super().field
            field.widget = ChoiceOrSearchInput(lambda: self.options(self.get_request()))
            field.max_length = 200
        return self._field

    def get_request(self):
        return getattr(getattr(self, "parent", None), "request", None)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        options = self.options(self.get_request())
        if str(value).isdigit():
            chosen = options.filter(pk=int(value))
        else:
            chosen = options.filter(name_matches(options.model, value))
        return qs.filter(**{f"{self.field_name}__in": chosen.values("pk")})


class ChoiceOrSearchField(SafeModelChoiceField):
    """A form's choice of one record: a select while there are at most CHOICE_LIMIT
    choices, otherwise a text box where the name is typed (an exact name, or text only one
    name contains)."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, **kwargs)
        self.widget = ChoiceOrSearchInput(
            lambda: self.queryset,
            empty_label=self.empty_label,
            label=lambda o: self.label_from_instance(o),
        )

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.widget = ChoiceOrSearchInput(
            lambda: copy.queryset,
            empty_label=copy.empty_label,
            label=lambda o: copy.label_from_instance(o),
        )
        copy.widget.attrs = dict(self.widget.attrs)
        return copy

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if text.isdigit():
            return super().to_python(text)
        field = search_field(self.queryset.model)
        if field is None or isinstance(field, tuple):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        exact = list(self.queryset.filter(**{f"{field}__iexact": text})[:2])
        if len(exact) == 1:
            return exact[0]
        found = exact or list(self.queryset.filter(name_matches(self.queryset.model, text))[:2])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(
                f"No choice is called “{text}”: check the spelling, or type part of the name.",
                code="invalid_choice",
            )
        raise ValidationError(
            f"More than one choice matches “{text}”: type more of the name.",
            code="invalid_choice",
        )
