"""List downloads read their rows by chunks of primary keys, make each cell with a function
chosen once per column, and stream a workbook from a temporary file: the same headers and
values as the screen's table, only the rows the person may see, text kept as text."""

import datetime
import importlib
import io
import math
import re

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import load_workbook

from consortium import exports, xlsx
from consortium.columns import ConcordTable
from consortium.exports import export_plan
from consortium.lists import ConcordListView
from consortium.models import SecurityEvent
from consortium.views import SecurityLog
from consortium.xlsx import xlsx_response
from funding.models import Payment
from sample import (
    build_money,
    build_workforce,
    make_payment,
)
from supervision.models import StaffMember

TABLE_MODULES = (
    "consortium.tables",
    "funding.tables",
    "contracts.tables.agreements",
    "contracts.tables.outcomes",
    "contracts.tables.assurance",
    "contracts.tables.returns",
    "supervision.tables",
    "risks.tables",
)


def all_tables():
    for name in TABLE_MODULES:
        importlib.import_module(name)
    found, todo = [], [ConcordTable]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def list_views():
    """(url, view class) for every list in Concord."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "view_class", None)
                if view and issubclass(view, ConcordListView) and "<" not in str(p.pattern):
                    found.append(("/" + prefix + str(p.pattern), view))

    walk(get_resolver().url_patterns, "")
    return found


def old_export_xlsx(self):
    """The download as it was made before, cell by cell through django-tables2: the oracle."""
    filterset = self.get_filterset(self.get_filterset_class())
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else self.get_queryset()
    headers, rows = self.table_class(qs).export_rows()
    name = self.export_name or slugify(self.title) or "export"
    return xlsx_response(f"{name}-{timezone.localdate():%Y-%m-%d}", headers, rows, self.title)


def sheet(response):
    assert response.status_code == 200
    return [list(r) for r in load_workbook(io.BytesIO(response.getvalue())).active.values]


@pytest.mark.django_db
def test_every_table_in_concord_reads_its_download_from_a_plan_not_row_objects():
    tables = all_tables()
    assert len(tables) >= 18
    for table_class in tables:
        table = table_class(table_class._meta.model.objects.none())
        plan = export_plan(table)
        assert plan is not None, f"{table_class.__name__} would read whole rows cell by cell"
        assert plan.headers == table.export_headers()


@pytest.mark.django_db
def test_each_lists_download_holds_what_the_screens_table_holds(client, everything, monkeypatch):
    """Every list's streamed download, as each of five roles, holds what the row-by-row
    download it replaced held: up to 150 workbooks written and read back, in chunks of three
    rows."""
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 3)
    users = [everything.users[u] for u in ("admin", "lead", "cvo_a", "supervisor", "commissioner")]
    seen = set()
    views = list_views()
    assert len(views) >= 15
    for url, view in views:
        for user in users:
            client.force_login(user)
            if client.get(url).status_code != 200:
                continue
            fast = client.get(url + "?export=xlsx")
            with monkeypatch.context() as m:
                m.setattr(ConcordListView, "export_xlsx", old_export_xlsx)
                old = client.get(url + "?export=xlsx")
            fast_rows, old_rows = sheet(fast), sheet(old)
            if view is SecurityLog:
                # The first download is in the log by the time of the second, newest first.
                assert "Personal data exported" in old_rows.pop(1)
            assert fast_rows[0] == old_rows[0], (url, user.username)
            # Rows the list's ordering leaves tied may come in either order from two queries.
            assert sorted(fast_rows[1:], key=repr) == sorted(old_rows[1:], key=repr), (
                url,
                user.username,
            )
            if len(fast_rows) > 1:
                seen.add(view)
    # Every list had rows to compare for someone.
    assert seen == {view for _, view in views}


def payments(world, n, **kw):
    for i in range(n):
        make_payment(
            None,
            world.orgs["cvo_a"],
            f"{100 + i}.00",
            datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            consortium=world.home,
            **kw,
        )


def download(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        rows = sheet(response)
    chunk_reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and '"funding_payment"."id" IN (' in q["sql"]
    ]
    return rows, len(ctx.captured_queries), len(chunk_reads)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 5])
def test_a_download_of_n_rows_reads_them_in_chunks(client, world, lead, monkeypatch, n):
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 2)
    payments(world, n)
    client.force_login(lead)
    url = "/funding/payments/?export=xlsx"
    client.get(url)  # the session and the consortium settled
    rows, queries, chunk_reads = download(client, url)
    assert len(rows) == n + 1
    assert chunk_reads == math.ceil(n / 2)  # 1 for one row, 3 for five
    # The rest does not grow with the rows: one read of the primary keys, and the fixed
    # queries of any page (session, person, roles, the security log entry).
    fixed = queries - chunk_reads
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 1000)
    rows_once, queries_once, reads_once = download(client, url)
    assert rows_once == rows and reads_once == 1
    assert queries_once == fixed + 1


@pytest.mark.django_db
def test_the_order_of_the_list_is_kept_across_chunks(client, world, lead, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 2)
    payments(world, 7)
    client.force_login(lead)
    rows = sheet(client.get("/funding/payments/?export=xlsx"))
    due = rows[0].index("Due date")
    dates = [r[due] for r in rows[1:]]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) == 7


@pytest.mark.django_db
def test_text_that_looks_like_a_formula_reads_back_as_text(client, world, lead):
    payments(world, 1, description="=1+1", reference="#N/A")
    client.force_login(lead)
    response = client.get("/funding/payments/?export=xlsx")
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    headers = [c.value for c in ws[1]]
    payment = ws.cell(row=2, column=headers.index("Payment") + 1)
    reference = ws.cell(row=2, column=headers.index("Reference") + 1)
    assert (payment.value, payment.data_type) == ("=1+1", "s")
    assert (reference.value, reference.data_type) == ("#N/A", "s")
    assert all(c.font.b for c in ws[1])


@pytest.mark.django_db
def test_a_filtered_download_holds_only_the_filtered_rows(client, world, lead):
    payments(world, 3)
    payments(world, 2, status=Payment.Status.WITHHELD, withheld_reason="Late return")
    client.force_login(lead)
    rows = sheet(client.get("/funding/payments/?status=withheld&export=xlsx"))
    status = rows[0].index("Status")
    assert [r[status] for r in rows[1:]] == ["Withheld", "Withheld"]


@pytest.mark.django_db
def test_another_organisations_rows_are_never_downloaded(client, world, cvo_a, lead):
    build_money(world)
    client.force_login(lead)
    everyone = sheet(client.get("/funding/payments/?export=xlsx"))
    client.force_login(cvo_a)
    own = sheet(client.get("/funding/payments/?export=xlsx"))
    to = own[0].index("To")
    assert {r[to] for r in everyone[1:]} > {"CVO Alpha"}
    assert {r[to] for r in own[1:]} == {"CVO Alpha"}
    assert len(own) == len(Payment.objects.visible_to(cvo_a)) + 1


@pytest.mark.django_db
def test_a_download_streams_from_a_file_and_is_logged_with_its_row_count(world, lead):
    rows = ([i, f"Row {i}"] for i in range(5))  # a generator, read once
    response = xlsx_response("things-2026-01-01", ["Number", "Name"], rows, "Things")
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="things-2026-01-01.xlsx"'
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    file = response.file_to_stream
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    # As the test client does: closing a response must not close the test's connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert file.closed  # and, a temporary file, gone with it
    values = list(load_workbook(io.BytesIO(data)).active.values)
    assert values[0] == ("Number", "Name") and values[-1] == (4, "Row 4")
    event = SecurityEvent.objects.latest("id")
    assert event.detail == "Things: things-2026-01-01.xlsx, 5 rows"


@pytest.mark.django_db
def test_the_sessions_download_reads_attendees_as_values_one_query_a_chunk(
    client, world, monkeypatch
):
    """Attendees come from one values query per chunk, never from session objects and their
    prefetches; and only the attendees the reader may see are named."""
    from supervision.models import SupervisionSession

    wf = build_workforce(world)
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 2)
    cvo = wf.users["cvo_a"]
    client.force_login(cvo)
    url = "/workforce/sessions/?export=xlsx"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        rows = sheet(client.get(url))
    sessions = SupervisionSession.objects.visible_to(cvo)
    n = sessions.count()
    assert n >= 3 and len(rows) == n + 1
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if re.search(r'"supervision_supervisionsession"\."id" IN \(\d', q["sql"])
    ]
    # Per chunk: the sessions' own values, and their attendees' names.
    assert len(reads) == 2 * math.ceil(n / 2)
    assert not any('"supervision_supervisionsession"."created_at"' in q for q in reads)
    visible = {s.name for s in StaffMember.objects.visible_to(cvo)}
    named = {name for row in rows[1:] for name in row[3].split(", ") if name}
    assert named and named <= visible


@pytest.mark.django_db
def test_a_download_tells_the_page_that_asked_for_it_when_it_is_ready(client, world, lead):
    payments(world, 2)
    client.force_login(lead)
    url = "/funding/payments/?export=xlsx"
    asked = client.get(url + "&download_token=1764228000abc123")
    assert asked.cookies[xlsx.DOWNLOAD_COOKIE].value == "1764228000abc123"
    assert asked.cookies[xlsx.DOWNLOAD_COOKIE]["max-age"] == 120
    # Without a token, or with one that is not a plain token, no cookie.
    assert xlsx.DOWNLOAD_COOKIE not in client.get(url).cookies
    assert xlsx.DOWNLOAD_COOKIE not in client.get(url + "&download_token=a%3Bb").cookies
