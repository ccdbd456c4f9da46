"""Spreadsheets out of Concord: cells that keep text as text and dates as real dates, and
the one way a workbook is sent as a download (written to the security log).

Downloads are streamed with xlsxwriter in its constant-memory mode (each value written by its
type: text always as text, numbers as numbers, dates and times as real dates with their
format); it writes the same cells in about half the time of openpyxl's write-only mode, and
in half the memory (bench/xlsx_writers.py). Templates and other ordinary sheets are built
with openpyxl (`put`, `at_least`)."""

import datetime
import tempfile
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from openpyxl.worksheet.datavalidation import DataValidation

from consortium import security

# openpyxl writes a string that starts with "=" as a formula, and one of these as an error.
ERROR_TEXTS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def safe_cell_value(value):
    """A value fit for a spreadsheet cell: numbers and dates stay numbers and dates (aware
    times in local time; floats as exact decimals); text stays exactly the text."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or isinstance(value, (int, Decimal, datetime.date)):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return str(value)


def runs_as_formula(text):
    """Whether openpyxl would write this text as something other than text."""
    return isinstance(text, str) and (
        (len(text) > 1 and text.startswith("=")) or text in ERROR_TEXTS
    )


def text_cell(ws, value):
    """For a streamed sheet: `value` as its cell's value (a date as date_cell makes it; text
    is written as text whatever it begins with, so a note beginning with "=" stays a note)."""
    if isinstance(value, datetime.date):
        return date_cell(ws, value)
    return safe_cell_value(value)


def put(ws, row, column, value):
    """For an ordinary sheet: write `value` at (row, column), text always as text. Returns the
    cell."""
    cell = ws.cell(row=row, column=column, value=safe_cell_value(value))
    if runs_as_formula(cell.value):
        cell.data_type = "s"
    return cell


def at_least(ws, cells, minimum, *, whole, title, error):
    """Excel's own check on the figures typed into `cells` (a range such as "D8:D20"): at
    least `minimum`, whole numbers only when `whole`, blanks allowed. Concord checks again when
    the file comes back; this only stops a slip as it is typed."""
    rule = DataValidation(
        type="whole" if whole else "decimal",
        operator="greaterThanOrEqual",
        formula1=str(minimum),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=error,
    )
    rule.add(cells)
    ws.add_data_validation(rule)


def xlsx_response(filename, headers, rows, title="Data"):
    """Write rows (any iterable, a generator included) into a write-only workbook and answer
    it as a download. Every download is written to the security log: exports carry personal
    data out of Concord."""
    return xlsx_download(
        filename, headers, lambda ws: ([text_cell(ws, v) for v in row] for row in rows), title
    )


def xlsx_download(filename, headers, make_rows, title="Data"):
    """The one way Concord sends a spreadsheet: `make_rows(ws)` gives rows of ready cells,
    written as they come to a workbook in a temporary file on disk and sent from it in blocks
    (so memory stays flat whatever the row count); the file goes when the response is
    closed."""
    file = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        count = write_workbook(file, headers, make_rows, title)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    security.log(security.Kind.EXPORT, detail=f"{title}: {filename}.xlsx, {count} rows")
    response = FileResponse(
        file, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE
    )
    response.block_size = SEND_BLOCK
    _say_ready(response)
    return response


# Rows between two reports of progress.
PROGRESS_EVERY = 1000


def write_workbook(file, headers, make_rows, title="Data", progress=None):
    """Write a one-sheet workbook into `file` (open for writing, binary): a bold header row,
    then the rows of `make_rows(ws)` (lists of values: text, numbers, dates, None for an empty
    cell) written as they come, in constant memory. `progress(rows)` is called every
    PROGRESS_EVERY rows. Returns the number of rows."""
    wb = xlsxwriter.Workbook(file, WORKBOOK_OPTIONS)
    try:
        ws = wb.add_worksheet(sheet_title(title))
        bold = wb.add_format({"bold": True})
        for col, h in enumerate(headers):
            ws.write_string(0, col, str(safe_cell_value(h)), bold)
        date_format = wb.add_format({"num_format": DATE_FORMAT})
        time_format = wb.add_format({"num_format": DATETIME_FORMAT})
        write_string, write_number = ws.write_string, ws.write_number
        write_datetime = ws.write_datetime
        date, moment = datetime.date, datetime.datetime
        count = 0
        for row in make_rows(ws):
            count += 1
            # Each value by its type, the common ones first; the rest as _write_other says.
            for col, v in enumerate(row):
                if v is None:
                    continue
                kind = type(v)
                if kind is str:
                    if v:
                        write_string(count, col, v)
                elif kind is Decimal or kind is int or kind is float:
                    write_number(count, col, v)
                elif kind is date:
                    write_datetime(count, col, v, date_format)
                elif kind is moment and v.tzinfo is None:
                    write_datetime(count, col, v, time_format)
                else:
                    _write_other(ws, count, col, v, date_format, time_format)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    finally:
        wb.close()
    return count


WORKBOOK_OPTIONS = {
    # Rows go to a temporary file as they are written: memory stays flat.
    "constant_memory": True,
    # Text is text: never turned into a formula, a number or a link.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def _write_other(ws, row, col, value, date_format, time_format):
    """A value of a less common type: a subclass of text (safe HTML), yes or no, an aware
    time (in local time), anything else as its text."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, datetime.date)):
        value = safe_cell_value(value)
        if value:
            ws.write_string(row, col, str(value))
    elif isinstance(value, datetime.datetime):
        ws.write_datetime(row, col, date_cell(ws, value), time_format)
    elif isinstance(value, datetime.date):
        ws.write_datetime(row, col, value, date_format)
    else:
        ws.write_number(row, col, value)


def sheet_title(title):
    r"""A sheet name a spreadsheet accepts: at most 31 characters, none of []:*?/\."""
    name = "".join("-" if c in "[]:*?/\\" else c for c in str(title)).strip("'")[:31]
    return name or "Data"


def xlsx_file_response(data, filename):
    """A workbook already made in memory (a template, a pack) as a download named
    `filename`.xlsx."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    _say_ready(response)
    return response


DOWNLOAD_COOKIE = "concord_download"


def _say_ready(response):
    """Tell the page that asked for the download (frontend/concord.js) that the file is
    ready: the token its link carried comes back in a short-lived cookie it can read."""

    request = security.current_request()
    token = request.GET.get("download_token", "") if request is not None else ""
    if token and len(token) <= 40 and token.isalnum():
        response.set_cookie(
            DOWNLOAD_COOKIE, token, max_age=120, samesite="Lax", secure=request.is_secure()
        )


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Bytes sent per block of a download.
SEND_BLOCK = 64 * 1024


DATE_FORMAT = "d mmm yyyy"
DATETIME_FORMAT = "d mmm yyyy hh:mm"


def date_cell(ws, value):
    """A date or time for a streamed sheet, which writes it as a real spreadsheet date
    formatted as the pages write it ("28 Feb 2027", "28 Feb 2027 09:30"): aware times in
    local time, to the second (no microseconds: a spreadsheet cannot show them, and they read
    as noise)."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.replace(microsecond=0)
    return value


def finisher(ws):
    """The download's rule for any value a column gives: text without markup or surrounding
    space (a note beginning with "=" stays a note), empty text as an empty cell, numbers and
    dates as themselves (aware times in local time)."""

    def finish(value):
        if value is None:
            return None
        if isinstance(value, str):
            if "<" in value:
                value = strip_tags(value)
            return str(value).strip()
        if isinstance(value, datetime.date):
            return date_cell(ws, value)
        return safe_cell_value(value)

    finish.ws = ws
    return finish
