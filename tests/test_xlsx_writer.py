"""The streaming workbook writer (xlsxwriter, constant memory): text stays text, numbers
numbers, dates real dates in the pages' formats, and memory does not grow with the rows."""

import datetime
import io
import tracemalloc
import zoneinfo
from decimal import Decimal

from django.utils.safestring import mark_safe
from openpyxl import load_workbook

from consortium.xlsx import sheet_title, write_workbook

LONDON = zoneinfo.ZoneInfo("Europe/London")


def written(headers, rows, title="Things"):
    file = io.BytesIO()
    count = write_workbook(file, headers, lambda ws: iter(rows), title)
    file.seek(0)
    return count, load_workbook(file)


def test_each_value_is_written_by_its_type_and_text_always_as_text():
    rows = [
        [
            "=1+1",
            "#N/A",
            "+44 20 7946 0000",
            "0012",
            "https://example.org",
            mark_safe("Safe text"),
            Decimal("1234.56"),
            7,
            datetime.date(2027, 2, 28),
            datetime.datetime(2027, 2, 28, 9, 30, 15),
            datetime.datetime(2027, 7, 1, 8, 30, tzinfo=datetime.UTC),
            True,
            None,
            "",
        ]
    ]
    count, wb = written([f"h{i}" for i in range(14)], rows)
    ws = wb.active
    assert count == 1 and ws.title == "Things"
    cells = list(ws.iter_rows(min_row=2, max_row=2, max_col=14))[0]
    texts = cells[:6]
    assert [c.value for c in texts] == [
        "=1+1",
        "#N/A",
        "+44 20 7946 0000",
        "0012",
        "https://example.org",
        "Safe text",
    ]
    assert all(c.data_type == "s" for c in texts) and not ws._hyperlinks
    assert (cells[6].value, cells[7].value) == (1234.56, 7)
    assert (cells[8].value, cells[8].number_format) == (
        datetime.datetime(2027, 2, 28),
        "d mmm yyyy",
    )
    assert (cells[9].value, cells[9].number_format) == (
        datetime.datetime(2027, 2, 28, 9, 30, 15),
        "d mmm yyyy hh:mm",
    )
    # An aware time in London's time (summer: an hour ahead of UTC).
    assert cells[10].value == datetime.datetime(2027, 7, 1, 9, 30)
    assert cells[11].value == "Yes"
    assert cells[12].value is None and cells[13].value is None
    assert all(c.font.b for c in ws[1])


def test_a_sheet_title_is_one_a_spreadsheet_accepts():
    assert sheet_title("Returns: late / due [2027]") == "Returns- late - due -2027-"
    assert sheet_title("A" * 40) == "A" * 31
    assert sheet_title("") == "Data"


def test_memory_stays_flat_whatever_the_row_count():
    """Writes 21,000 rows under tracemalloc (about 2 s)."""

    def peak(n):
        rows = ([f"Row {i}", Decimal(i) / 100, datetime.date(2027, 1, 1)] for i in range(n))
        tracemalloc.start()
        write_workbook(io.BytesIO(), ["Name", "Amount", "Due"], lambda ws: rows)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(1_000), peak(20_000)
    # Twenty times the rows; the workbook itself (the zipped file, here in memory) grows, the
    # rest does not.
    assert large < small + 2 * 2**20, (small, large)
