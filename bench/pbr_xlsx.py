"""The cost of reading a PbR evidence upload against openpyxl alone on the same file.

    .venv/bin/python bench/pbr_xlsx.py [--lines 10000] [--repeat 5]

Raw: one openpyxl read-only pass over the cells (values only). Concord: read_evidence (ZIP
container checks, one read-only pass, dates, events and text checked per cell) and then what
the upload service does to each row before writing (the line rules, the keyed hash of the
reference, the window, duplicates within the file). The target is ≤ 3× raw.
"""

import argparse
import datetime
import io
import os
import statistics
import sys
import time
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from openpyxl import load_workbook

    from contracts.validation import outcomes as rules
    from contracts.xlsx import outcomes as ox

    start = datetime.date(2026, 4, 1)
    template = ox.write_template(key="PBR-1-1-20260401", heading="Bench", details=[])
    wb = load_workbook(io.BytesIO(template))
    ws = wb[ox.SHEET]
    for i in range(args.lines):
        day = start + datetime.timedelta(days=i % 60)
        r = ox.FIRST_ROW + i
        ws.cell(row=r, column=1, value=f"CASE-{i:06d}")
        ws.cell(row=r, column=2, value=day)
        ws.cell(row=r, column=3, value=day + datetime.timedelta(days=5))
        ws.cell(row=r, column=4, value=1)
        ws.cell(row=r, column=5, value=f"Letter {i}")
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    key = rules.consortium_key("bench-master-key-bench-master-key", 1)

    def raw():
        book = load_workbook(io.BytesIO(data), read_only=True)
        n = sum(1 for _ in book[ox.SHEET].iter_rows(values_only=True, max_col=5))
        book.close()
        return n

    def concord():
        parsed = ox.read_evidence(data, filename="e.xlsx", key="PBR-1-1-20260401")
        assert not parsed.problems, parsed.problems[:3]
        seen = set()
        for row in parsed.rows:
            facts = rules.LineFacts(
                row.engagement_date, row.outcome_date, row.events, row.evidence_ref
            )
            assert not rules.line_problems(
                facts,
                rule_kind="binary",
                valid_from=start,
                valid_to=datetime.date(2027, 3, 31),
                window_days=28,
                period_start=start,
                period_end=datetime.date(2026, 6, 30),
            )
            seen.add(
                (
                    rules.window_key("binary", period_start=start, outcome_date=None),
                    rules.pseudonym(key, row.reference),
                )
            )
        assert len(seen) == args.lines

    raw_s = timed(raw, args.repeat)
    concord_s = timed(concord, args.repeat)
    print(f"file: {len(data) / 1024:,.0f} KB, {args.lines:,} lines")
    print(f"openpyxl read-only, values only: {raw_s * 1000:,.0f} ms")
    print(f"Concord read + per-line checks + keyed hash: {concord_s * 1000:,.0f} ms")
    print(f"ratio: {concord_s / raw_s:.2f}×")


if __name__ == "__main__":
    main()
