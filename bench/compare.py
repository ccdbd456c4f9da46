"""What the bench compares in one run, beside the page timings: Concord against the Django
admin, against openpyxl alone, and against itself with an empty cache.

* `admin_pairs`: a Concord list and the Django admin changelist of the same model, filter and
  page size (the admin's list_per_page, asked of the list with `per_page`), as the same
  person through the same server; the ratio list ÷ admin of p50s.
* `exports`: an XLSX export through the server (time to the last byte, the serving worker's
  peak memory) against openpyxl write-only writing the same cells (read back from the
  exported file with openpyxl read-only).
* `upload`: a return's template upload (parse, validate, save, in a transaction rolled back
  after each try) against one openpyxl read-only pass over the same file.
* `uncached`: pages and charts timed with the worker's cache emptied before each request.
"""

import io
import statistics
import time

from bench import server as srv
from bench.returns_xlsx import read_raw


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# --- Concord's lists against the admin's changelists ---------------------------------------

# (name, Concord list, admin changelist, model label); the same filter in each one's terms.
ADMIN_PAIRS = [
    ("payments", "/funding/payments/", "/admin/funding/payment/", "funding.Payment"),
    (
        "payments filtered (approved)",
        "/funding/payments/?status=approved",
        "/admin/funding/payment/?status__exact=approved",
        "funding.Payment",
    ),
    ("streams", "/funding/streams/", "/admin/funding/fundingstream/", "funding.FundingStream"),
    (
        "sessions",
        "/workforce/sessions/",
        "/admin/supervision/supervisionsession/",
        "supervision.SupervisionSession",
    ),
    ("staff", "/workforce/staff/", "/admin/supervision/staffmember/", "supervision.StaffMember"),
]


def with_query(path, **params):
    from urllib.parse import urlencode

    return f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"


def admin_pairs(port, cookies, repeat):
    """The admin user times both (the same rows); the lead times the list where the admin
    user may not open it."""
    from django.apps import apps
    from django.contrib import admin

    out = []
    for name, list_path, admin_path, label in ADMIN_PAIRS:
        model = apps.get_model(label)
        if model not in admin.site._registry:
            continue
        per_page = admin.site._registry[model].list_per_page
        path = with_query(list_path, per_page=per_page)
        list_role = "admin"
        status, *_ = srv.fetch(port, cookies["admin"], path)
        if status != 200:
            list_role = "lead"
        ours = srv.time_page(port, cookies[list_role], path, repeat, 1)
        theirs = srv.time_page(port, cookies["admin"], admin_path, repeat, 1)
        out.append(
            {
                "name": name,
                "list": path,
                "list_role": list_role,
                "admin": admin_path,
                "per_page": per_page,
                "list_p50_ms": ours["p50_ms"],
                "list_p95_ms": ours["p95_ms"],
                "list_bytes": ours["bytes"],
                "admin_p50_ms": theirs["p50_ms"],
                "admin_p95_ms": theirs["p95_ms"],
                "admin_bytes": theirs["bytes"],
                "ratio": round(ours["p50_ms"] / theirs["p50_ms"], 2),
            }
        )
    return out


# --- exports against openpyxl alone --------------------------------------------------------

# (key, role, URL builder)
EXPORTS = [
    ("payments xlsx", "lead", lambda n: "/funding/payments/?export=xlsx"),
    ("sessions xlsx", "lead", lambda n: "/workforce/sessions/?export=xlsx"),
    ("streams xlsx", "lead", lambda n: "/funding/streams/?export=xlsx"),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_cells(data):
    """Every sheet's rows of values, as openpyxl read-only reads them."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in book]
    book.close()
    return sheets


def raw_write(sheets):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(server, cookie, path, repeat):
    """Concord's export through the server vs openpyxl write-only on the same cells, and the
    peak memory of the worker that served it (peak resident size during the request, and
    how far it rose above the worker's size before)."""
    times, peaks, growths = [], [], []
    body, kind = b"", ""
    for _ in range(repeat):
        server.peak_reset()
        before = server.peaks()
        status, body, ms, kind = srv.fetch(server.port, cookie, path)
        if status != 200:
            raise SystemExit(f"{path} answered {status} through the server")
        after = server.peaks()
        times.append(ms)
        peaks.append(max(hwm for hwm, _ in after.values()))
        growths.append(max(hwm - before.get(pid, (0, hwm))[1] for pid, (hwm, _) in after.items()))
    result = {
        "path": path,
        "ms": round(statistics.median(times), 1),
        "peak_mb": round(max(peaks), 1),
        "growth_mb": round(max(growths), 1),
        "bytes": len(body),
        "content_type": kind,
    }
    if not kind.startswith(XLSX):
        result["note"] = "the response is not an XLSX file, so nothing was compared"
        return result
    sheets = read_cells(body)
    rows = sum(len(r) for _, r in sheets)
    cells = sum(len(row) for _, r in sheets for row in r)
    raw_ms = _median_ms(lambda: raw_write(sheets), max(1, repeat))
    result.update(
        rows=rows, cells=cells, raw_ms=round(raw_ms, 1), ratio=round(result["ms"] / raw_ms, 2)
    )
    return result


def exports(server, cookies, named, repeat):
    out = {}
    for key, role, url in EXPORTS:
        out[key] = {"role": role, **export(server, cookies[role], url(named), repeat)}
    return out


# --- the return template upload against a raw parse ----------------------------------------


def upload(named, repeat):
    """return_upload on the bench CVO's return, put back to draft and rolled back after each
    try, against a raw read of the same file."""
    from django.db import transaction
    from django_scopes import scopes_disabled

    from contracts.models import PerformanceReturn
    from contracts.services import returns as svc
    from contracts.xlsx import returns as rx

    if "return" not in named:
        return None
    ret, by = named["return"], named["users"]["cvo"]
    with scopes_disabled():
        data = svc.template_bytes(ret)
        rows = len(svc.indicators_for(ret.consortium_id))
        times = []
        for _ in range(repeat):
            with transaction.atomic():
                PerformanceReturn._base_manager.filter(pk=ret.pk).update(status="draft")
                fresh = PerformanceReturn._base_manager.get(pk=ret.pk)
                started = time.perf_counter()
                svc.return_upload(ret=fresh, by=by, data=data, filename="return.xlsx")
                times.append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
    ours = statistics.median(times)
    raw = _median_ms(lambda: read_raw(data, rx.SHEET), repeat)
    return {
        "rows": rows,
        "ms": round(ours, 1),
        "raw_ms": round(raw, 1),
        "ratio": round(ours / raw, 2),
    }


# --- with an empty cache -------------------------------------------------------------------

# (page name in run.PAGES, role)
UNCACHED = [("compliance matrix", "lead"), ("compliance chart", "lead"), ("runway chart", "lead")]


def uncached(port, cookies, urls, repeat):
    out = {}
    for page, role in UNCACHED:
        if (page, role) not in urls:
            continue
        out[page] = {
            "role": role,
            **srv.time_page(
                port, cookies[role], urls[page, role], repeat, 1, {"X-Bench-Clear-Cache": "1"}
            ),
        }
    return out
