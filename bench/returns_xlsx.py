"""XLSX cost of Concord's return template and upload against openpyxl alone on the same cells.

    .venv/bin/python bench/returns_xlsx.py [--indicators 30] [--repeat 20] [--rows 60000]

Template: Concord's write_template (codes, names, definitions as comments, locked cells,
validation) vs a plain openpyxl workbook with the same values. Upload: read_return (container
checks, two read-only passes for formulas and their cached values, Decimal parsing) vs one
openpyxl read-only pass over the same cells. Export: consortium.lists.xlsx_response (formula
neutralising) vs openpyxl write-only with the same rows (a returns list of --rows rows).
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
    args = parser.parse_args()
    import django

    django.setup()
    from openpyxl import Workbook

    from consortium.lists import xlsx_response
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

    export_rows = [
        [
            f"S-{i:05d} Bench subcontract",
            f"Organisation {i % 400}",
            "January 2026",
            "2026-02-13",
            "Approved",
            "",
        ]
        for i in range(args.rows)
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

    results = [
        ("template write", timed(concord_write, args.repeat), timed(raw_write, args.repeat)),
        ("upload read", timed(concord_read, args.repeat), timed(raw_read, args.repeat)),
        (f"list export ({args.rows} rows)", timed(concord_export, 1), timed(raw_export, 1)),
    ]
    print(f"{'':28} {'Concord ms':>11} {'openpyxl ms':>12} {'ratio':>6}")
    for name, ours, raw in results:
        print(f"{name:28} {ours * 1000:11.1f} {raw * 1000:12.1f} {ours / raw:6.2f}")


if __name__ == "__main__":
    main()
