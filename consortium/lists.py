"""One base table, one base filter set and one generic list view for every list in Concord:
scoped by the access policy, filterable, sortable, paginated and downloadable as XLSX."""

import datetime
import io
from decimal import Decimal

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify
from django_filters.views import FilterView
from django_scopes import scopes_disabled
from django_tables2.columns import library
from django_tables2.views import SingleTableMixin
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

# openpyxl writes a string that starts with "=" as a formula, and one of these as an error.
ERROR_TEXTS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def safe_cell_value(value):
    """A value fit for a spreadsheet cell: numbers and dates stay numbers and dates (aware
    times in local time; floats as exact decimals); text stays exactly the text."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or isinstance(value, (int, Decimal, datetime.date)):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return str(value)


def runs_as_formula(text):
    """Whether openpyxl would write this text as something other than text."""
    return isinstance(text, str) and (
        (len(text) > 1 and text.startswith("=")) or text in ERROR_TEXTS
    )


def text_cell(ws, value):
    """For a write-only sheet: `value` as a cell, with text that would become a formula or an
    error written as a string cell instead (a note beginning with "=" stays a note)."""
    value = safe_cell_value(value)
    if runs_as_formula(value):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def put(ws, row, column, value):
    """For an ordinary sheet: write `value` at (row, column), text always as text. Returns the
    cell."""
    cell = ws.cell(row=row, column=column, value=safe_cell_value(value))
    if runs_as_formula(cell.value):
        cell.data_type = "s"
    return cell


def xlsx_response(filename, headers, rows, title="Data"):
    """Stream rows into a write-only workbook and answer it as a download. Every download is
    written to the security log: exports carry personal data out of Concord."""
    from consortium import security

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=safe_cell_value(h))
        if runs_as_formula(c.value):
            c.data_type = "s"
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    count = 0
    for row in rows:
        ws.append([text_cell(ws, v) for v in row])
        count += 1
    security.log(security.Kind.EXPORT, detail=f"{title}: {filename}.xlsx, {count} rows")
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


@library.register
class YesNoColumn(tables.BooleanColumn):
    """Every yes-or-no field shows "Yes" or "No", on screen and in downloads (not ✔ and ✘,
    which a screen reader or a spreadsheet filter reads differently)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("yesno", "Yes,No")
        super().__init__(*args, **kwargs)

    def value(self, record, value, bound_column):
        return self.yesno[int(not self._get_bool_value(record, value, bound_column))]


# GOV.UK tag colours for the states records pass through, by their stored value.
STATUS_COLOURS = {
    **dict.fromkeys(
        "approved paid secured published verified locked active filled done held accepted "
        "acknowledged signed_off".split(),
        "green",
    ),
    **dict.fromkeys("submitted scheduled pending requested open".split(), "blue"),
    **dict.fromkeys(
        "returned queried bid_submitted pending_renewal rescheduled partial".split(), "yellow"
    ),
    **dict.fromkeys("withheld rejected refused declined vacant overdue".split(), "red"),
    **dict.fromkeys(
        "draft expired cancelled retired closed superseded ended terminated".split(), "grey"
    ),
}


def status_tag(code, text):
    """A state as a coloured GOV.UK tag, with its words (colour is never the only cue)."""
    colour = STATUS_COLOURS.get(code)
    css = f"govuk-tag govuk-tag--{colour}" if colour else "govuk-tag"
    return format_html('<strong class="{}">{}</strong>', css, text)


class ConcordTable(tables.Table):
    class Meta:
        attrs = {"class": "govuk-table"}
        template_name = "partials/_table.html"

    def render_status(self, record, value):
        """Every list's status column: a coloured tag on screen, the words in downloads."""
        return status_tag(getattr(record, "status", None), value)

    def value_status(self, value):
        return value

    def export_rows(self):
        """Column headers and plain values of every row (not only this page)."""
        columns = [c for c in self.columns if c.column.exclude_from_export is False]
        headers = [str(c.header) for c in columns]
        rows = []
        for row in self.rows:
            rows.append([_plain(row.get_cell_value(c.name)) for c in columns])
        return headers, rows


def _plain(value):
    from django.utils.html import strip_tags

    if isinstance(value, str):
        return strip_tags(value).strip()
    return value


class ConcordFilterSet(django_filters.FilterSet):
    """Base filter set. Every choice filter over a consortium-owned model lists only what the
    requesting user may see, whether declared or generated from Meta.fields."""

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        # Building a filter resolves lookups against the model: no rows are read, so the
        # consortium fence is not needed here. Choice querysets are scoped in __init__.
        with scopes_disabled():
            return super().filter_for_field(field, field_name, lookup_expr)

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        for f in self.filters.values():
            qs = getattr(f, "queryset", None)
            model = getattr(qs, "model", None)
            if model is not None and hasattr(model, "Access"):
                f.queryset = scoped(model)
        searchable_choices(self)
        # Every filter is optional, so the labels do not say "(optional)".
        self.form.is_filter = True
        for field in self.form.fields.values():
            if hasattr(field, "empty_label") and field.empty_label is not None:
                field.empty_label = "Any"
            if getattr(field, "choices", None) and not hasattr(field, "queryset"):
                # One "Any" at the top, whatever django-filter and the model each added.
                choices = [c for c in field.choices if c[0] not in ("", None, "unknown")]
                # django-filter's choice fields add their own empty choice (now "Any").
                has_own = getattr(field, "empty_label", None) is not None
                field.choices = choices if has_own else [("", "Any"), *choices]
            widget = field.widget
            if isinstance(widget, django_filters.widgets.BooleanWidget) or (
                type(widget).__name__ == "NullBooleanSelect"
            ):
                widget.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]
            if isinstance(field, forms.DateField):
                # A picker is fine for a range in a filter.
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"
            kind = type(widget).__name__.lower()
            widget.attrs.setdefault("class", "govuk-select" if "select" in kind else "govuk-input")


def searchable_choices(filterset):
    """Every choice of one related record becomes a select-or-search filter: the options
    stay a select up to a hundred and become a name search beyond (consortium.choices)."""
    from consortium.choices import ChoiceOrSearchFilter, search_field

    for name, f in list(filterset.filters.items()):
        if type(f) is not django_filters.ModelChoiceFilter:
            continue
        model = getattr(f.get_queryset(filterset.request), "model", None)
        if model is None or search_field(model) is None:
            continue
        replacement = ChoiceOrSearchFilter(
            field_name=f.field_name, label=f.label, options=f.get_queryset
        )
        replacement.model, replacement.parent = f.model, filterset
        filterset.filters[name] = replacement


def scoped(model):
    """A filter's choice queryset, limited to what the requesting user may see."""

    def queryset(request):
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user)

    return queryset


class ConcordListView(LoginRequiredMixin, SingleTableMixin, FilterView):
    """A scoped, filtered, sortable, paginated list; `?export=xlsx` downloads all filtered
    rows. Subclasses set model, table_class, filterset_class, title; may override
    get_base_queryset for select_related."""

    template_name = "partials/list_page.html"
    title = ""
    table_pagination = {"per_page": 25}
    export_name = None
    # Who may open the list at all (others get 404): an access check, fn(user) -> bool, from
    # the access.py of the app that owns the list (access.signed_in when every signed-in
    # person may). The list's navigation entry uses the same check.
    readers = None
    # The list's "add" button: (label, url name, an access check).
    add_action = None

    def get_base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        return self.get_base_queryset().visible_to(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get(self, request, *args, **kwargs):
        if self.readers is not None and not type(self).readers(request.user):
            raise Http404("Not found")
        if request.GET.get("export") == "xlsx":
            filterset = self.get_filterset(self.get_filterset_class())
            qs = (
                filterset.qs if filterset.is_bound and filterset.is_valid() else self.get_queryset()
            )
            table = self.table_class(qs)
            headers, rows = table.export_rows()
            name = self.export_name or slugify(self.title) or "export"
            return xlsx_response(
                f"{name}-{timezone.localdate():%Y-%m-%d}", headers, rows, self.title
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        query = self.request.GET.copy()
        query.pop("page", None)
        query["export"] = "xlsx"
        ctx["export_query"] = query.urlencode()
        ctx["actions"] = self.get_actions()
        return ctx

    def get_actions(self):
        """Buttons above the list: [(label, url)]."""
        if self.add_action:
            label, url_name, allowed = self.add_action
            if allowed(self.request.user):
                return [(label, reverse(url_name))]
        return []
