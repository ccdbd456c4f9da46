"""A list download against openpyxl alone writing the same cells.

    .venv/bin/python bench/export_xlsx.py [--rows 60000] [--repeat 3] [--chunk 2000] [--old]

Builds --rows payments in a fresh test database (SQLite, or PostgreSQL when DATABASE_URL is
set), then times the payments list's download through the Django test client (the lead's view,
all rows) against an openpyxl write-only workbook of exactly the cells the download holds, saved
to a temporary file. Reports the median of --repeat runs of each, their ratio, and the peak of
Python memory during one download (tracemalloc, in a run of its own). With --old, also times
the download as it was made before: every cell through django-tables2.
"""

import argparse
import datetime
import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")
os.environ.setdefault("CONCORD_ENV", "development")
os.environ.setdefault("CONCORD_DEBUG", "false")
os.environ.setdefault("CONCORD_LOG_LEVEL", "ERROR")
# The download written while the request waits, however many rows (not prepared by a task).
os.environ.setdefault("CONCORD_DOWNLOAD_BACKGROUND_ROWS", str(10**9))


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build(rows):
    """The standard test world and `rows` payments from the home consortium to its members."""
    from django_scopes import scopes_disabled

    from funding.models import Payment
    from sample import ConsortiumWorld, PaymentFactory

    with scopes_disabled():
        world = ConsortiumWorld.build()
        rng = random.Random(1)
        members = [world.orgs[k] for k in ("cvo_a", "cvo_b", "lead")]
        today = datetime.date.today()
        payments = []
        for i in range(rows):
            due = today + datetime.timedelta(days=rng.randrange(-200, 200))
            status = rng.choice(["scheduled", "approved", "paid", "paid"])
            paid = status == "paid"
            payments.append(
                PaymentFactory.build(
                    consortium=world.home,
                    recipient=rng.choice(members),
                    allocation_line=None,
                    description=f"Instalment {i}",
                    due_date=due,
                    amount=Decimal(rng.randrange(100_00, 20_000_00)) / 100,
                    status=status,
                    paid_on=due if paid else None,
                    reference=f"BACS-{i}" if paid else "",
                    is_adjustment=i % 17 == 0,
                    adjustment_reason="Extra sessions" if i % 17 == 0 else "",
                )
            )
        Payment.objects.bulk_create(payments, batch_size=5000)
    return world


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--old", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one download")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment
    from openpyxl import Workbook, load_workbook

    from consortium import exports, lists

    exports.EXPORT_CHUNK = args.chunk
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        world = build(args.rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"{connection.vendor}: {args.rows} payments built in {time.perf_counter() - start:.1f} s"
        )
        from tests.conftest import VerifiedClient

        client = VerifiedClient()  # signed in past the second factor, as the tests are
        client.force_login(world.users["lead"])
        url = "/funding/payments/?export=xlsx"

        def concord():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            data = b"".join(response.streaming_content)
            response.close()
            return data

        data = concord()
        cells = list(load_workbook(io.BytesIO(data), read_only=True).active.values)
        assert len(cells) == args.rows + 1, len(cells)
        headers, body = cells[0], cells[1:]
        # The same cells as they were handed to openpyxl: dates as dates, not datetimes.
        body = [tuple(v.date() if isinstance(v, datetime.datetime) else v for v in r) for r in body]

        def raw():
            wb = Workbook(write_only=True)
            ws = wb.create_sheet()
            ws.append(headers)
            for r in body:
                ws.append(r)
            with tempfile.TemporaryFile() as f:
                wb.save(f)

        # Taken in turns, so that a busy machine slows both alike.
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(timed(concord, 1))
            theirs.append(timed(raw, 1))
        ours, theirs = statistics.median(ours), statistics.median(theirs)
        tracemalloc.start()
        concord()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        n_cells = args.rows * len(headers)
        print(f"{'':34} {'seconds':>8} {'ratio':>6}")
        print(f"{'Concord download (test client)':34} {ours:8.2f} {ours / theirs:6.2f}")
        print(f"{'openpyxl write-only, same cells':34} {theirs:8.2f} {1:6.2f}")
        if args.old:
            from tests.test_exports_streaming import old_export_xlsx

            lists.ConcordListView.export_xlsx = old_export_xlsx
            old = timed(concord, 1)
            tracemalloc.start()
            concord()
            _, old_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"{'before: cell by cell, in memory':34} {old:8.2f} {old / theirs:6.2f}")
            print(f"peak Python memory before: {old_peak / 2**20:.0f} MB")
        print(f"{n_cells} cells; peak Python memory during one download: {peak / 2**20:.1f} MB")
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            concord()
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(25)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
