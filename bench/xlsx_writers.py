"""The two streaming workbook writers on the same cells, one writer a run.

    .venv/bin/python bench/xlsx_writers.py WRITER [--rows 60000]

WRITER is `openpyxl` (write-only mode, the cells Concord made for it: formula-like text as a
string cell, dates with their number format) or `xlsxwriter` (constant_memory mode, each value
written by its type). Rows look like the payments list's download (ten columns: text, amounts,
dates, a time). Time a writer from outside, with its start-up, e.g.

    farm-bench -n 5 --vs ".venv/bin/python bench/xlsx_writers.py openpyxl" \\
        -- .venv/bin/python bench/xlsx_writers.py xlsxwriter
"""

import argparse
import datetime
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADERS = [
    "Payment",
    "To",
    "Amount",
    "Due date",
    "Status",
    "Paid on",
    "Reference",
    "Adjustment",
    "Reason",
    "Changed",
]


def rows(n):
    start = datetime.date(2026, 1, 1)
    moment = datetime.datetime(2026, 1, 1, 9, 30)
    for i in range(n):
        due = start + datetime.timedelta(days=i % 400)
        yield [
            f"Instalment {i}" if i % 50 else "=1+1",
            ("CVO Alpha", "CVO Beta", "Riverside Minds")[i % 3],
            Decimal(100_00 + i) / 100,
            due,
            ("Scheduled", "Approved", "Paid")[i % 3],
            due if i % 3 == 2 else None,
            f"BACS-{i}" if i % 3 == 2 else "#N/A",
            "Yes" if i % 17 == 0 else "No",
            "Extra sessions" if i % 17 == 0 else None,
            moment + datetime.timedelta(minutes=i),
        ]


def with_openpyxl(n, file):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Payments")
    ws.append(HEADERS)

    def cell(v):
        if isinstance(v, datetime.datetime):
            c = WriteOnlyCell(ws, value=v)
            c.number_format = "d mmm yyyy hh:mm"
            return c
        if isinstance(v, datetime.date):
            c = WriteOnlyCell(ws, value=v)
            c.number_format = "d mmm yyyy"
            return c
        if isinstance(v, str) and (v.startswith("=") or v == "#N/A"):
            c = WriteOnlyCell(ws, value=v)
            c.data_type = "s"
            return c
        return v

    for r in rows(n):
        ws.append([cell(v) for v in r])
    wb.save(file)


def with_xlsxwriter(n, file):
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        file,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = wb.add_worksheet("Payments")
    formats = {
        datetime.datetime: wb.add_format({"num_format": "d mmm yyyy hh:mm"}),
        datetime.date: wb.add_format({"num_format": "d mmm yyyy"}),
    }
    ws.write_row(0, 0, HEADERS)
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    for i, r in enumerate(rows(n), start=1):
        for col, v in enumerate(r):
            if v is None:
                continue
            kind = type(v)
            if kind is str:
                write_string(i, col, v)
            elif kind is datetime.date or kind is datetime.datetime:
                write_datetime(i, col, v, formats[kind])
            else:
                write_number(i, col, v)
    wb.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("writer", choices=["openpyxl", "xlsxwriter"])
    parser.add_argument("--rows", type=int, default=60000)
    args = parser.parse_args()
    with tempfile.TemporaryFile(suffix=".xlsx") as file:
        (with_openpyxl if args.writer == "openpyxl" else with_xlsxwriter)(args.rows, file)


if __name__ == "__main__":
    main()
