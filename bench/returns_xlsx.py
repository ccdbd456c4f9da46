"""XLSX cost of Concord's return template and upload against openpyxl alone on the same cells.

    .venv/bin/python bench/returns_xlsx.py [--indicators 30] [--repeat 20] [--rows 60000]
                                           [--no-export]

Template: Concord's write_template (codes, names, definitions as comments, locked cells,
validation) vs a plain openpyxl workbook with the same values. Upload read: read_return
(container checks, one read-only pass giving formulas, their stored values and merged cells,
Decimal parsing) vs one openpyxl read-only pass over the same cells. Upload (parse + validate +
save): the service a person's upload runs, return_upload (row lock, permission, read, checks,
the figures written in bulk with their history, the event), alternately creating and updating
the figures, vs the same raw parse. Export: consortium.lists.xlsx_response (formula
neutralising) vs openpyxl write-only with the same rows (a returns list of --rows rows).

The upload is saved in the development database (or DATABASE_URL's), inside a transaction
that is rolled back: nothing stays. The database must be migrated.
"""

import argparse
import io
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")


def paired(ours, raw, repeat):
    """Medians of `ours` and `raw`, run alternately, so a busy machine slows both alike."""
    a, b = [], []
    for _ in range(repeat):
        for fn, times in ((ours, a), (raw, b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def read_raw(data, sheet):
    """One openpyxl read-only pass over a sheet's values: what an upload costs at the least."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    for _row in wb[sheet].iter_rows(values_only=True):
        pass
    wb.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--indicators", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--no-export", action="store_true", help="skip the list export")
    args = parser.parse_args()
    import django

    django.setup()
    from openpyxl import Workbook

    from contracts.xlsx import returns as rx

    rows = [
        rx.TemplateRow(
            f"IND_{i:02d}", f"Indicator {i}", "Count", "What counts. " * 10, Decimal(i), ""
        )
        for i in range(args.indicators)
    ]
    key = "CONCORD-RETURN-1-1"

    def concord_write():
        return rx.write_template(
            key=key, heading="Return", details=[("Subcontract", "S-1")], rows=rows
        )

    def raw_write():
        wb = Workbook()
        ws = wb.active
        ws.title = rx.SHEET
        for r, t in enumerate(rows, start=rx.FIRST_ROW):
            ws.cell(row=r, column=1, value=t.code)
            ws.cell(row=r, column=2, value=t.name)
            ws.cell(row=r, column=3, value=t.unit)
            ws.cell(row=r, column=4, value=t.value)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    data = concord_write()
    codes = [t.code for t in rows]

    def concord_read():
        parsed = rx.read_return(data, filename="r.xlsx", key=key, codes=codes)
        assert parsed.ok, parsed.problems

    def raw_read():
        read_raw(data, rx.SHEET)

    results = [
        ("template write", *paired(concord_write, raw_write, args.repeat)),
        ("upload read", *paired(concord_read, raw_read, args.repeat)),
        ("upload (parse+validate+save)", *upload_with_save(args.indicators, args.repeat)),
    ]
    if not args.no_export:
        results.append(export(args.rows))
    print(f"{'':28} {'Concord ms':>11} {'openpyxl ms':>12} {'ratio':>6}")
    for name, ours, raw in results:
        print(f"{name:28} {ours * 1000:11.1f} {raw * 1000:12.1f} {ours / raw:6.2f}")


class Rollback(Exception):
    pass


def upload_with_save(indicators, repeat):
    """The median times of return_upload on a draft return with `indicators` indicators (the
    test world's consortium, indicators added up to the count), rolled back afterwards, and of
    a raw openpyxl read-only parse of the same file."""
    from django.db import transaction
    from django_scopes import scope, scopes_disabled
    from openpyxl import load_workbook

    from contracts.services import returns as svc
    from contracts.xlsx import returns as rx
    from sample import (
        ConsortiumWorld,
        IndicatorFactory,
        build_money,
        build_returns,
    )

    result = {}
    try:
        with transaction.atomic(), scopes_disabled():
            world = ConsortiumWorld.build()
            build_money(world)
            build_returns(world)
            ret = world.returns["draft_a"]
            have = len(svc.indicators_for(ret.consortium_id))
            for n in range(max(0, indicators - have)):
                IndicatorFactory(consortium=ret.consortium, code=f"BENCH_{n:03d}", position=100 + n)
            rows = svc.indicators_for(ret.consortium_id)
            by = world.users["cvo_a"]
            files = [filled_template(svc, rx, ret, rows, bump) for bump in (0, 1)]
            turn = iter(range(10**9))

            def upload():
                data = files[next(turn) % 2]  # a change every time: every figure is written
                with scope(consortium=ret.consortium_id):  # as the middleware sets it
                    svc.return_upload(ret=ret, by=by, data=data, filename="r.xlsx")

            def raw_read():
                wb = load_workbook(io.BytesIO(files[0]), read_only=True)
                for _row in wb[rx.SHEET].iter_rows(values_only=True):
                    pass
                wb.close()

            upload()  # the first upload creates the figures; the timed ones update them
            result["times"] = paired(upload, raw_read, repeat)
            raise Rollback
    except Rollback:
        pass
    return result["times"]


def filled_template(svc, rx, ret, rows, bump):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(svc.template_bytes(ret)))
    ws = wb[rx.SHEET]
    for r in range(rx.FIRST_ROW, rx.FIRST_ROW + len(rows)):
        ws.cell(row=r, column=rx.VALUE_COL, value=r + bump)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export(n):
    from openpyxl import Workbook

    from consortium.xlsx import xlsx_response

    export_rows = [
        [
            f"S-{i:05d} Bench subcontract",
            f"Organisation {i % 400}",
            "January 2026",
            "2026-02-13",
            "Approved",
            "",
        ]
        for i in range(n)
    ]
    headers = ["Subcontract", "Subcontractor", "Period", "Due", "Status", "Late"]

    def concord_export():
        xlsx_response("x", headers, export_rows)

    def raw_export():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(headers)
        for r in export_rows:
            ws.append(r)
        wb.save(io.BytesIO())

    return (f"list export ({n} rows)", timed(concord_export, 1), timed(raw_export, 1))


if __name__ == "__main__":
    main()
