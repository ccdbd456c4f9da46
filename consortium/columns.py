"""The columns every Concord table is made of, and the base table: dates as the pages write
them, yes-or-no as words, money as pounds and pence, states as GOV.UK tags."""

import datetime
from functools import cached_property

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, strip_tags
from django_tables2.columns import ManyToManyColumn, library
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import Accessor, signature

from consortium.templatetags.concord import money


@library.register
class DateColumn(tables.DateColumn):
    """django-tables2's date column, formatted by a call (the `date` filter's own formatting)
    rather than a template compiled again for every cell."""

    def __init__(self, format=None, short=True, *args, **kwargs):
        super().__init__(format, short, *args, **kwargs)
        self.date_format = format or ("SHORT_DATE_FORMAT" if short else "DATE_FORMAT")

    @classmethod
    def from_field(cls, field, **kwargs):
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            return cls(**kwargs)
        return None

    def render(self, value, bound_column, **kwargs):
        if not value:
            return bound_column.default
        return date_format(value, self.date_format)

    def value(self, value, bound_column, **kwargs):
        # Downloads hold the date itself, a real spreadsheet date (see date_cell).
        return value if value else bound_column.default


@library.register
class DateTimeColumn(tables.DateTimeColumn):
    """django-tables2's date-and-time column, in local time, formatted by a call."""

    def __init__(self, format=None, short=True, *args, **kwargs):
        super().__init__(format, short, *args, **kwargs)
        self.date_format = format or ("SHORT_DATETIME_FORMAT" if short else "DATETIME_FORMAT")

    def render(self, value, bound_column, **kwargs):
        if not value:
            return bound_column.default
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, self.date_format)

    def value(self, value, bound_column, **kwargs):
        # Downloads hold the time itself, a real spreadsheet date (see date_cell).
        return value if value else bound_column.default


@library.register
class YesNoColumn(tables.BooleanColumn):
    """Every yes-or-no field shows "Yes" or "No", on screen and in downloads (not ✔ and ✘,
    which a screen reader or a spreadsheet filter reads differently)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("yesno", "Yes,No")
        super().__init__(*args, **kwargs)

    def value(self, record, value, bound_column):
        return self.yesno[int(not self._get_bool_value(record, value, bound_column))]


class MoneyColumn(tables.Column):
    """An amount: pounds and pence on screen, the Decimal itself in downloads."""

    def render(self, value):

        return money(value)

    def value(self, value):
        return value


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


class CellPlan:
    """How one column's cells are made, worked out once per page rather than once per cell:
    the same steps as django-tables2's BoundRow.get_cell (a choice's label, the accessor's
    value, the column's default for an empty value, then its render function and link), with
    the render function's arguments read from its signature once, not for every cell."""

    ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")

    def __init__(self, bound_column, table):
        self.bound_column = bound_column
        self.table = table
        self.column = bound_column.column
        self.accessor = Accessor(bound_column.accessor)
        self.default = bound_column.default
        self.render = bound_column.render
        self.link = bound_column.link
        self.empty_values = self.column.empty_values
        self.many = isinstance(self.column, ManyToManyColumn)
        self.link_text = isinstance(self.column, BaseLinkColumn) and self.column.text is not None
        args, catch_all = signature(self.render)
        # None: the function takes every argument (**kwargs); False: one it asks for is never
        # given, so (as django-tables2 does) it is not called and the cell is None.
        self.args = None if catch_all else args
        if self.args and any(a not in self.ARGUMENTS for a in self.args):
            self.args = False
        self._displays = {}  # record class -> whether the accessor ends at a choice field

    def _shows_label(self, record, penultimate, remainder):
        key = (type(record), type(penultimate))
        if key not in self._displays:
            try:
                field = self.accessor.get_field(record)
            except FieldDoesNotExist:
                field = None
            self._displays[key] = bool(getattr(field, "choices", ())) and hasattr(
                penultimate, f"get_{remainder}_display"
            )
        return self._displays[key]

    def cell(self, row):
        record = row.record
        value = None
        penultimate, remainder = self.accessor.penultimate(record)
        if isinstance(penultimate, models.Model) and self._shows_label(
            record, penultimate, remainder
        ):
            value = getattr(penultimate, f"get_{remainder}_display")()
            remainder = None
        if remainder:
            try:
                value = self.accessor.resolve(record)
            except Exception:
                if self.link_text:
                    return self._render(row, None)
        if value in self.empty_values or (self.many and not value.exists()):
            return self.default
        return self._render(row, value)

    def _render(self, row, value):
        given = {
            "value": value,
            "record": row.record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": self.table,
        }
        if self.args is False:
            content = None
        elif self.args is None:
            content = self.render(**given)
        else:
            content = self.render(**{a: given[a] for a in self.args})
        return self.link(content, **given) if self.link else content


class PlannedRow:
    """A row of a page, its cells made by the table's CellPlans (what the list template
    reads: `row.items`, `row.record`)."""

    def __init__(self, row, plans):
        self.row = row
        self.plans = plans

    @property
    def record(self):
        return self.row.record

    def items(self):
        for plan in self.plans:
            yield plan.bound_column, plan.cell(self.row)


class ConcordTable(tables.Table):
    class Meta:
        attrs = {"class": "govuk-table"}
        template_name = "partials/_table.html"

    @cached_property
    def today(self):
        """The day the table is drawn for: read once, not once per cell."""
        return timezone.localdate()

    @property
    def paginated_rows(self):
        """This page's rows, each cell made by its column's CellPlan."""
        plans = [CellPlan(column, self) for column in self.columns]
        for row in super().paginated_rows:
            yield PlannedRow(row, plans)

    def render_status(self, record, value):
        """Every list's status column: a coloured tag on screen, the words in downloads."""
        return status_tag(getattr(record, "status", None), value)

    def value_status(self, value):
        return value

    # Column name -> Export, for the columns whose download cannot be read from their
    # accessor alone (see Export).
    export = {}

    def exported_columns(self):
        return [c for c in self.columns if c.column.exclude_from_export is False]

    def export_headers(self):
        return [str(c.header) for c in self.exported_columns()]

    def export_rows(self):
        """Column headers and plain values of every row (not only this page), cell by cell
        through django-tables2: what a download holds, and how a table without an export plan
        is downloaded."""
        columns = self.exported_columns()
        rows = [[plain(row.get_cell_value(c.name)) for c in columns] for row in self.rows]
        return self.export_headers(), rows


def plain(value):
    """A cell's value as a download holds it: text without markup or surrounding space."""
    if isinstance(value, str):
        return strip_tags(value).strip()
    return value
