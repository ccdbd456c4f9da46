"""One base filter set and one generic list view for every list in Concord: scoped by the
access policy, filterable, sortable, paginated and downloadable as XLSX (consortium.exports)."""

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django_filters.views import FilterView
from django_scopes import scopes_disabled
from django_tables2.views import SingleTableMixin

from consortium import downloads, importing
from consortium.choices import ChoiceOrSearchFilter, search_field
from consortium.exports import export_plan, rows_by_records
from consortium.xlsx import text_cell, xlsx_download


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


def asks_for_download(request):
    """Whether a page is asked for as its download (`?export=xlsx`) rather than as the page."""
    return request.GET.get("export") == "xlsx"


def download_query(request):
    """The page's own query (its filters, not its page number) asking for its download."""
    query = request.GET.copy()
    query.pop("page", None)
    query["export"] = "xlsx"
    return query.urlencode()


def scoped(model):
    """A filter's choice queryset, limited to what the requesting user may see."""

    def queryset(request):
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user)

    return queryset


class BoundedCountPaginator(Paginator):
    """A paginator that counts only as far as it needs to: to one row past `at_most`, or one
    row past the page asked for, whichever is further. A list of hundreds of thousands of
    rows then costs a count of about a thousand, and the page says "more than 1,000" instead
    of an exact figure that every request would recount. What is counted is the list's own
    filtered, access-checked rows as they are now, so the figure is right after any change."""

    at_most = 1000

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.limit = self.at_most + 1

    def page(self, number):
        try:
            asked = max(int(number), 1)
        except (TypeError, ValueError):
            asked = 1
        if "count" not in self.__dict__:
            self.limit = max(self.limit, asked * self.per_page + 1)
        return super().page(number)

    @cached_property
    def count(self):
        rows = self.object_list
        # A table's rows (django-tables2) wrap its data, which wraps the queryset.
        while not hasattr(rows, "query") and hasattr(rows, "data"):
            rows = rows.data
        if hasattr(rows, "query"):
            return rows.order_by()[: self.limit].count()
        return min(len(rows), self.limit)

    @property
    def more(self):
        """Whether there may be more rows than `count` (at least `count` there are)."""
        return self.count >= self.limit

    @property
    def at_least(self):
        """With `more`: the figure the list is known to be larger than."""
        return self.limit - 1


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
    # The key of the kind of record the list's rows can be imported as (consortium.importing):
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
        if asks_for_download(request):
            return self.export_xlsx()
        return super().get(request, *args, **kwargs)

    def export_xlsx(self):
        """Every filtered row, in the table's order, as a download: read by chunks of primary
        keys through the access policy, each column's cells made by a function chosen once.
        A download of more rows than settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS is prepared by
        a task instead (consortium.downloads), and the page shows its progress."""
        filename, headers, make_rows, rows = self.export_parts()
        if rows > settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS:
            return downloads.start(self.request, title=self.title, filename=filename, rows=rows)
        return xlsx_download(filename, headers, make_rows, self.title)

    def export_parts(self):
        """(file name, headers, make_rows(ws), row count) of this list's download."""
        filterset = self.get_filterset(self.get_filterset_class())
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else self.get_queryset()
        table = self.table_class(qs)
        ordered = table.data.data
        name = self.export_name or slugify(self.title) or "export"
        filename = f"{name}-{timezone.localdate():%Y-%m-%d}"
        plan = export_plan(table)
        today = timezone.localdate()
        rows = ordered.count()
        if plan is not None:
            return filename, plan.headers, lambda ws: plan.rows(ordered, ws, today), rows
        headers, records = table.export_headers(), rows_by_records(table, ordered)
        return (
            filename,
            headers,
            lambda ws: ([text_cell(ws, v) for v in row] for row in records),
            rows,
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        ctx["export_query"] = download_query(self.request)
        ctx["actions"] = self.get_actions()
        table = ctx.get("table")
        paginator = getattr(table, "paginator", None)
        # A large download opens its progress page instead of arriving as a file. A list not
        # counted that far may be either: its link lets the download decide (None).
        threshold = settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS
        if paginator is None:
            ctx["export_in_background"] = False
        elif getattr(paginator, "more", False):
            ctx["export_in_background"] = True if paginator.at_least >= threshold else None
        else:
            ctx["export_in_background"] = paginator.count > threshold
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
        kind = importing.KINDS.get(self.import_kind)
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
