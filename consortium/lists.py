"""One base table, one base filter set and one generic list view for every list in Concord:
scoped by the access policy, filterable, sortable, paginated and downloadable as XLSX."""

import datetime
import functools
import tempfile
from decimal import Decimal

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Prefetch
from django.db.models.base import ModelState
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.text import slugify
from django_filters.views import FilterView
from django_scopes import scopes_disabled
from django_tables2.columns import library
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.rows import BoundRow
from django_tables2.views import SingleTableMixin
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from consortium import security
from consortium.choices import ChoiceOrSearchFilter, search_field
from consortium.templatetags.concord import money

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
    if isinstance(value, datetime.date):
        return date_cell(ws, value)
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


def at_least(ws, cells, minimum, *, whole, title, error):
    """Excel's own check on the figures typed into `cells` (a range such as "D8:D20"): at
    least `minimum`, whole numbers only when `whole`, blanks allowed. Concord checks again when
    the file comes back; this only stops a slip as it is typed."""
    rule = DataValidation(
        type="whole" if whole else "decimal",
        operator="greaterThanOrEqual",
        formula1=str(minimum),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=error,
    )
    rule.add(cells)
    ws.add_data_validation(rule)


def xlsx_response(filename, headers, rows, title="Data"):
    """Write rows (any iterable, a generator included) into a write-only workbook and answer
    it as a download. Every download is written to the security log: exports carry personal
    data out of Concord."""
    return xlsx_download(
        filename, headers, lambda ws: ([text_cell(ws, v) for v in row] for row in rows), title
    )


def xlsx_download(filename, headers, make_rows, title="Data"):
    """The one way Concord sends a spreadsheet: `make_rows(ws)` gives rows of ready cells,
    appended to a write-only sheet as they come, the workbook saved to a temporary file on
    disk and sent from it in blocks (so memory stays flat whatever the row count); the file
    goes when the response is closed."""

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
    for row in make_rows(ws):
        ws.append(row)
        count += 1
    security.log(security.Kind.EXPORT, detail=f"{title}: {filename}.xlsx, {count} rows")
    file = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        wb.save(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = FileResponse(
        file, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE
    )
    response.block_size = SEND_BLOCK
    _say_ready(response)
    return response


def xlsx_file_response(data, filename):
    """A workbook already made in memory (a template, a pack) as a download named
    `filename`.xlsx."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    _say_ready(response)
    return response


DOWNLOAD_COOKIE = "concord_download"


def _say_ready(response):
    """Tell the page that asked for the download (frontend/concord.js) that the file is
    ready: the token its link carried comes back in a short-lived cookie it can read."""

    request = security.current_request()
    token = request.GET.get("download_token", "") if request is not None else ""
    if token and len(token) <= 40 and token.isalnum():
        response.set_cookie(
            DOWNLOAD_COOKIE, token, max_age=120, samesite="Lax", secure=request.is_secure()
        )


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


class ConcordTable(tables.Table):
    class Meta:
        attrs = {"class": "govuk-table"}
        template_name = "partials/_table.html"

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
        rows = [[_plain(row.get_cell_value(c.name)) for c in columns] for row in self.rows]
        return self.export_headers(), rows


def ordered_pks(queryset):
    """The primary keys of a list in its order, read once; rows the ordering leaves tied come
    by primary key, so a download's order does not depend on the query plan."""
    query = queryset.query
    order = list(query.order_by) or (
        list(queryset.model._meta.ordering) if query.default_ordering else []
    )
    if order and not {"pk", "-pk", "id", "-id"} & {o for o in order if isinstance(o, str)}:
        queryset = queryset.order_by(*order, "pk")
    return list(dict.fromkeys(queryset.prefetch_related(None).values_list("pk", flat=True)))


def rows_by_records(table, queryset, chunk=None):
    """A download's rows for a table without an export plan: whole rows read by chunks of
    primary keys, each cell through django-tables2."""
    chunk = chunk or EXPORT_CHUNK
    names = [c.name for c in table.exported_columns()]
    pks = ordered_pks(queryset)
    base = queryset.order_by()
    for start in range(0, len(pks), chunk):
        part = pks[start : start + chunk]
        records = {r.pk: r for r in base.filter(pk__in=part)}
        for pk in part:
            if pk in records:
                row = BoundRow(records[pk], table=table)
                yield [_plain(row.get_cell_value(n)) for n in names]


def _plain(value):
    if isinstance(value, str):
        return strip_tags(value).strip()
    return value


# --- downloads -----------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows read per query when a list is downloaded.
EXPORT_CHUNK = 2000
# Bytes sent per block of a download.
SEND_BLOCK = 64 * 1024


def _formula_guard(ws):
    """For text bound for a write-only sheet: the text, or a string cell when openpyxl would
    otherwise write it as a formula or an error."""

    def guard(text):
        if (text[:1] == "=" and len(text) > 1) or text in ERROR_TEXTS:
            cell = WriteOnlyCell(ws, value=text)
            cell.data_type = "s"
            return cell
        return text

    return guard


DATE_FORMAT = "d mmm yyyy"
DATETIME_FORMAT = "d mmm yyyy hh:mm"


def date_cell(ws, value):
    """A date or time as a real spreadsheet date for a write-only sheet, formatted as the
    pages write it ("28 Feb 2027", "28 Feb 2027 09:30"): aware times in local time, to the
    second (no microseconds: a spreadsheet cannot show them, and they read as noise)."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value.replace(microsecond=0))
        cell.number_format = DATETIME_FORMAT
        return cell
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def _finisher(ws):
    """The download's rule for any value a column gives: text without markup or surrounding
    space (a note beginning with "=" stays a note), empty text as an empty cell, numbers and
    dates as themselves (aware times in local time)."""
    guard = _formula_guard(ws)

    def finish(value):
        if value is None:
            return None
        if isinstance(value, str):
            if "<" in value:
                value = strip_tags(value)
            return guard(str(value).strip())
        if isinstance(value, datetime.date):
            return date_cell(ws, value)
        value = safe_cell_value(value)
        return guard(value) if isinstance(value, str) else value

    finish.ws = ws
    return finish


def stub_of(model, values):
    """A model instance carrying only `values` (field -> value, "a__b" for a related row's
    field): enough for the model's own methods and __str__ that read those fields, with no
    query."""
    obj = model.__new__(model)
    nested = {}
    for path, value in values.items():
        head, _, rest = path.partition("__")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            obj.__dict__[path] = value
    if nested:
        # Django reads a related row already at hand from _state.fields_cache.
        obj._state = ModelState()
        obj._state.fields_cache = {
            head: None
            if all(v is None for v in inner.values())
            else stub_of(model._meta.get_field(head).related_model, inner)
            for head, inner in nested.items()
        }
    return obj


class Export:
    """How one column of a ConcordTable reads in a download when its accessor alone cannot say,
    declared in the table's `export` mapping (column name -> Export). One of:

    Export("a__b"): read that ORM path; the cell is its value as the field shows it (a
        choice's label, a yes-or-no as "Yes" or "No").
    Export("a", "b__c", cell=fn): read those paths; the cell is fn(a, b__c) (fn(today, a, b__c)
        with `today=True`).
    Export("a", "b__c", stub=True): the cell the screen's table gives (its value_<name> or
        render_<name>(record), else the accessor's value) for a record carrying only those
        fields: for a value the model computes from its fields, or a related row's name.
    Export("a", by_value=True): the table's value_<name> or render_<name>(value) on that
        path's value.
    Export(record=True): the table's own value_<name>(record) on the rows themselves, read once
        per chunk with the list's select_related and prefetches (for lists of related things).
    Export("a", "b", many="things", cell=fn): a list of related things, read by one values
        query per chunk across the relation `many` in the related model's order; the cell is
        fn([(a, b), ...]) for each row's things.
    """

    def __init__(
        self,
        *paths,
        cell=None,
        today=False,
        stub=False,
        by_value=False,
        record=False,
        many=None,
    ):
        self.paths = tuple(paths)
        self.by_value = by_value
        self.cell = cell
        self.today = today
        self.stub = stub
        self.record = record
        self.many = many


def _field_at(model, path, relation=False):
    """The concrete field at the end of an ORM path through forward relations (a relation
    itself only with `relation`), or None."""
    parts = path.replace(".", "__").split("__")
    field = None
    for i, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if i < len(parts) - 1:
            if not (field.concrete and (field.many_to_one or field.one_to_one)):
                return None
            model = field.related_model
    if not field.concrete or (field.is_relation and not relation):
        return None
    return field


def _field_cell(field, bound, finish):
    """The function from a stored value of `field` to its cell, chosen once for a column."""
    column = bound.column
    empty = tuple(column.empty_values)

    def maybe_empty(fn):
        if not empty:
            return fn
        return lambda v: None if v in empty else fn(v)

    if field.choices:
        labels = {}
        for value, label in field.flatchoices:
            labels[value] = label
        shown = {v: (None if lab in empty else finish(str(lab))) for v, lab in labels.items()}

        def choice(v):
            if v in shown:
                return shown[v]
            return None if v in empty else finish(v)

        return choice
    if isinstance(column, YesNoColumn):
        yes, no = column.yesno
        return maybe_empty(lambda v: yes if v else no)
    if isinstance(column, (tables.DateColumn, tables.DateTimeColumn)):
        # Real spreadsheet dates, shown as the screen shows them (times to the minute, in
        # local time); no date shows the column's default, as its template does.
        none = None if None in empty else finish(str(conditional_escape(bound.default)))
        if isinstance(column, tables.DateTimeColumn):
            return lambda v: none if v is None else date_cell(finish.ws, v)
        return lambda v: none if v is None else date_cell(finish.ws, v)
    internal = field.get_internal_type()
    if internal in (
        "DateField",
        "DecimalField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "BigIntegerField",
        "AutoField",
        "BigAutoField",
    ):
        return _same  # None stays None; never empty text
    return maybe_empty(finish)


def _plain_column(table, bound):
    """Whether a column's download is its accessor's stored value, as the field shows it."""
    name = bound.name
    kind = type(table)
    own_value = getattr(kind, f"value_{name}", None)
    own_render = getattr(kind, f"render_{name}", None)
    if name == "status":
        if own_value is not ConcordTable.value_status:
            return False
    elif own_value is not None or own_render is not None:
        return False
    column = type(bound.column)
    return (
        (column.value is tables.Column.value and column.render is tables.Column.render)
        or column.value in (YesNoColumn.value, MoneyColumn.value)
        or (column.value is BaseLinkColumn.value and bound.column.text is None)
        or column in (tables.DateColumn, tables.DateTimeColumn, DateColumn, DateTimeColumn)
    )


class ExportPlan:
    """What a table's download reads and how each cell is made, decided once per column."""

    def __init__(self, table, columns):
        self.table = table
        self.columns = columns  # [(bound column, Export or None, field or None)]
        self.headers = [str(bound.header) for bound, _, _ in columns]
        paths = []
        for bound, export, _field in columns:
            if export is not None and export.many:
                continue  # read by a query of its own per chunk
            for p in export.paths if export else ():
                if p not in paths:
                    paths.append(p)
            guard = _guard_path(table, bound, export)
            if guard and guard not in paths:
                paths.append(guard)
            if export is None:
                p = _accessor_path(bound)
                if p not in paths:
                    paths.append(p)
        self.paths = paths
        self.needs_records = any(export and export.record for _, export, _ in columns)
        # {column index: (Export, {row pk: [values]})}, the lists refilled for each chunk.
        self.many = {
            k: (export, {})
            for k, (_, export, _) in enumerate(columns)
            if export is not None and export.many
        }

    def row_function(self, ws, today):
        """One function from a values row (pk first, then self.paths) and its record (or
        None) to the row's cells, put together once per download from each column's function
        so that a row costs one call per column that changes its value, and none for one
        that does not (a date, an amount)."""
        finish = _finisher(ws)
        index = {p: i + 1 for i, p in enumerate(self.paths)}
        names, cells = {}, []
        for k, (bound, export, field) in enumerate(self.columns):
            if export is not None and export.many:
                cell = export.cell
                names[f"f{k}"] = lambda things, cell=cell: finish(cell(things))
                names[f"m{k}"] = self.many[k][1]
                cells.append(f"f{k}(m{k}.get(v[0], ()))")
                continue
            if export is None:
                fn = _field_cell(field, bound, finish)
                at = index[_accessor_path(bound)]
                if fn is _same:
                    cells.append(f"v[{at}]")
                    continue
                call = f"f{k}(v[{at}])"
            elif export.record:
                fn = _record_maker(self.table, bound, finish)
                call = f"f{k}(r)"
            else:
                fn = _declared_cell(self.table, bound, export, field, finish, today)
                call = f"f{k}({', '.join(f'v[{index[p]}]' for p in export.paths)})"
                guard = index.get(_guard_path(self.table, bound, export))
                if guard is not None:
                    names[f"e{k}"] = tuple(bound.column.empty_values)
                    call = f"(None if v[{guard}] in e{k} else {call})"
            names[f"f{k}"] = fn
            cells.append(call)
        # Built only from column positions, never from data.
        return eval(f"lambda v, r: [{', '.join(cells)}]", names)  # noqa: S307

    def rows(self, queryset, ws, today, chunk=None):
        """Every row's cells: the primary keys once in the list's order, then the rows by
        chunks of primary keys, each chunk put back in that order."""
        chunk = chunk or EXPORT_CHUNK
        row = self.row_function(ws, today)
        pks = ordered_pks(queryset)
        base = queryset.order_by()
        values_base = base.prefetch_related(None)
        # The related things the screen's table shows: those its prefetch reads (the access
        # policy's, where the list narrows them), else all of them.
        shown = {
            p.prefetch_through: p.queryset
            for p in queryset._prefetch_related_lookups
            if isinstance(p, Prefetch) and p.queryset is not None
        }
        for start in range(0, len(pks), chunk):
            part = pks[start : start + chunk]
            found = {
                v[0]: v for v in values_base.filter(pk__in=part).values_list("pk", *self.paths)
            }
            records = {r.pk: r for r in base.filter(pk__in=part)} if self.needs_records else {}
            for export, found_many in self.many.values():
                self._read_many(part, export, found_many, shown)
            for pk in part:
                values = found.get(pk)
                if values is None:
                    continue
                yield row(values, records.get(pk))

    def _read_many(self, part, export, out, shown):
        """Fill `out` with {row pk: [values of export.paths]} for the chunk's rows, each row's
        things in the related model's own order, only those in `shown[export.many]` if given."""
        out.clear()
        model = self.table._meta.model
        related = model._meta.get_field(export.many).related_model
        order = [
            f"-{export.many}__{o[1:]}" if o.startswith("-") else f"{export.many}__{o}"
            for o in related._meta.ordering
        ]
        # One filter() call, so the relation is joined once; from the model afresh, not the
        # list's query, so a join the list's filters made across the relation cannot narrow
        # the things shown.
        condition = {f"{export.many}__isnull": False}
        if export.many in shown:
            condition = {f"{export.many}__in": shown[export.many].values("pk")}
        rows = (
            model._default_manager.filter(pk__in=part, **condition)
            .values_list("pk", *(f"{export.many}__{p}" for p in export.paths))
            .order_by(*order)
        )
        for pk, *values in rows:
            out.setdefault(pk, []).append(tuple(values))


def _accessor_path(bound):
    return str(bound.accessor).replace(".", "__")


def _guard_path(table, bound, export):
    """For a declared column whose empty values still count: the accessor's path, read to
    leave the cell empty as the screen does."""
    if export is None or export.record or not bound.column.empty_values:
        return None
    path = _accessor_path(bound)
    if export.cell is None and not export.stub and export.paths == (path,):
        return None
    return path


def _same(value):
    return value


def _record_maker(table, bound, finish):
    method = getattr(table, f"value_{bound.name}")
    accessor = tables.A(bound.accessor)
    empty = tuple(bound.column.empty_values)

    def make(record):
        if empty:
            try:
                value = accessor.resolve(record)
            except Exception:
                value = None
            if value in empty:
                return None
        return finish(method(record=record))

    return make


def _table_method(table, name):
    return getattr(table, f"value_{name}", None) or getattr(table, f"render_{name}", None)


def _declared_cell(table, bound, export, field, finish, today):
    model = table._meta.model
    paths = export.paths
    if export.stub:
        method = _table_method(table, bound.name)
        if method is not None and not any("__" in p for p in paths):
            new = model.__new__

            def flat(*values):
                record = new(model)
                record.__dict__.update(zip(paths, values, strict=True))
                return finish(method(record=record))

            return flat
        if method is not None:
            return lambda *values: finish(
                method(record=stub_of(model, dict(zip(paths, values, strict=True))))
            )
        accessor = tables.A(bound.accessor)
        return lambda *values: finish(
            accessor.resolve(stub_of(model, dict(zip(paths, values, strict=True))))
        )
    if export.by_value:
        method = _table_method(table, bound.name)
        return lambda value: finish(method(value=value))
    if export.cell is not None:
        cell = functools.partial(export.cell, today) if export.today else export.cell
        return lambda *values: finish(cell(*values))
    return _field_cell(field, bound, finish)


def export_plan(table):
    """The table's download plan, or None when a column can be read neither from its accessor
    nor from a declaration in the table's `export` (the download then reads whole rows)."""
    model = table._meta.model
    declared = getattr(table, "export", None) or {}
    columns = []
    for bound in table.columns:
        if bound.column.exclude_from_export:
            continue
        export = declared.get(bound.name)
        field = None
        if export is None:
            if not _plain_column(table, bound):
                return None
            field = _field_at(model, _accessor_path(bound))
            if field is None:
                return None
        elif export.many:
            pass
        elif not (export.record or export.stub or export.cell or export.by_value):
            if len(export.paths) != 1:
                return None
            field = _field_at(model, export.paths[0])
            if field is None:
                return None
        columns.append((bound, export, field))
    for bound, export, _ in columns:
        guard = _guard_path(table, bound, export)
        if guard and _field_at(model, guard, relation=True) is None:
            return None
    return ExportPlan(table, columns)


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
    # What the list says while it holds nothing at all (before any filter), as a GOV.UK empty
    # state naming the next step: "No <empty_noun> yet — <the step, linked>." The step is
    # `empty_next` (label, url name, access check), else the add action, for those its check
    # allows; `empty_hint` is said to everybody else (who takes the step, or when rows come).
    # `empty_text` replaces the whole sentence where "No … yet" would mislead.
    empty_noun = None
    # The key of the kind of record the list's rows can be imported as (consortium.imports):
    # the empty state offers the import too.
    import_kind = None
    empty_next = None
    empty_hint = ""
    empty_text = None

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
            return self.export_xlsx()
        return super().get(request, *args, **kwargs)

    def export_xlsx(self):
        """Every filtered row, in the table's order, as a download: read by chunks of primary
        keys through the access policy, each column's cells made by a function chosen once."""
        filterset = self.get_filterset(self.get_filterset_class())
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else self.get_queryset()
        table = self.table_class(qs)
        ordered = table.data.data
        name = self.export_name or slugify(self.title) or "export"
        filename = f"{name}-{timezone.localdate():%Y-%m-%d}"
        plan = export_plan(table)
        today = timezone.localdate()
        if plan is not None:
            return xlsx_download(
                filename, plan.headers, lambda ws: plan.rows(ordered, ws, today), self.title
            )
        headers, rows = table.export_headers(), rows_by_records(table, ordered)
        return xlsx_response(filename, headers, rows, self.title)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        query = self.request.GET.copy()
        query.pop("page", None)
        query["export"] = "xlsx"
        ctx["export_query"] = query.urlencode()
        ctx["actions"] = self.get_actions()
        table = ctx.get("table")
        paginator = getattr(table, "paginator", None)
        if paginator is not None and paginator.count == 0 and not self.get_queryset().exists():
            ctx["empty_state"] = self.get_empty_state()
        return ctx

    def get_empty_state(self):
        """The empty state of a list that holds nothing this person may see: its sentence,
        the next step's link for those who may take it, and the hint for the rest."""
        noun = self.empty_noun or str(self.model._meta.verbose_name_plural)
        state = {"text": self.empty_text or f"No {noun} yet", "links": [], "hint": ""}
        for label, url in self.get_empty_links():
            state["links"].append((label[:1].lower() + label[1:], url))
        if not state["links"]:
            state["hint"] = self.empty_hint
        return state

    def get_empty_links(self):
        """The next steps of an empty list: [(label, url)] that this person may take."""
        step = self.empty_next or self.add_action
        if step:
            label, url_name, allowed = step
            if allowed(self.request.user):
                return [(label, reverse(url_name)), *self.get_import_links()]
        return self.get_import_links()

    def get_import_links(self):
        # Imported here: the import kinds build their templates with this module's helpers.
        from consortium import imports

        kind = imports.KINDS.get(self.import_kind)
        if kind is None or not kind.check(self.request.user):
            return []
        return [
            ("import them from a spreadsheet", reverse("consortium:import_upload", args=[kind.key]))
        ]

    def get_actions(self):
        """Buttons above the list: [(label, url)]."""
        if self.add_action:
            label, url_name, allowed = self.add_action
            if allowed(self.request.user):
                return [(label, reverse(url_name))]
        return []
