"""A list's download: what it reads and how each cell is made, decided once per column
(ExportPlan), with the tables' own declarations (Export) for columns their accessor cannot
say; rows read by chunks of primary keys through the access policy."""

import functools

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Prefetch
from django.db.models.base import ModelState
from django.utils.html import conditional_escape
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.rows import BoundRow

from consortium.columns import (
    ConcordTable,
    DateColumn,
    DateTimeColumn,
    MoneyColumn,
    YesNoColumn,
    plain,
)
from consortium.xlsx import date_cell, finisher

# Rows read per query when a list is downloaded.
EXPORT_CHUNK = 2000


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
                yield [plain(row.get_cell_value(n)) for n in names]


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
        finish = finisher(ws)
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
