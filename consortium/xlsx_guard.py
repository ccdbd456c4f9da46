"""The guarded spreadsheet reader's generic parts, shared by every upload Concord takes back
(performance returns, PbR claim evidence, the set-up imports of consortium.importing).

Before openpyxl sees a byte: the size, that the file is a ZIP holding a plain (macro-free)
workbook, and the entry count and total uncompressed size (openpyxl has no decompression cap).
defusedxml is installed, which openpyxl uses against XML entity attacks. Workbooks open in
read-only mode.
"""

import io
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from openpyxl.worksheet._reader import WorkSheetParser

from consortium.numbers import plural

MACRO_MARKERS = (b"vbaproject", b"macroenabled", b"vbadata", b"activex")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UploadRefused(Exception):
    """The file is not one Concord will open. Nothing was read from it."""


class UploadInvalid(ValidationError):
    """The file was read, but some rows are wrong; nothing was written. `problems` are each
    row's (UploadProblem), `summary` the sentence the upload page shows above them."""

    def __init__(self, problems: list, rows_checked: int = 0):
        self.problems = problems
        self.rows_checked = rows_checked
        super().__init__([str(p) for p in problems[:50]])

    @property
    def summary(self):
        return (
            f"Checked {plural(self.rows_checked, 'row')}: {plural(len(self.problems), 'problem')} "
            "found, so nothing was saved. Correct them in the spreadsheet and upload it again."
        )


@dataclass
class UploadProblem:
    row: int | None
    column: str | None
    text: str

    def __str__(self):
        where = []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if not where:
            return self.text
        prefix = ", ".join(where)
        return f"{prefix[0].upper()}{prefix[1:]}: {self.text}"


def size_text(n):
    """A file size as a person reads it: 850 bytes, 12 KB, 3.4 MB."""
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:,.0f} KB"
    return f"{n / (1024 * 1024):,.1f} MB"


def too_large(size, max_bytes):
    return UploadRefused(
        f"The file is {size_text(size)}; the limit is {size_text(max_bytes)}. "
        "Upload the template without extra sheets or pictures."
    )


def read_upload(upload, *, max_bytes):
    """The bytes of an uploaded file, refused before reading if it is over the limit (the
    message gives the file's real size, which Django knows from the upload)."""
    if upload.size is not None and upload.size > max_bytes:
        raise too_large(upload.size, max_bytes)
    return upload.read(max_bytes + 1)


def check_container(data, filename="", *, what, max_bytes, max_uncompressed, max_entries=100):
    """Refuse anything that is not a plain, modest .xlsx before any XML parser sees it."""
    name = (filename or "").lower()
    if name and not name.endswith(".xlsx"):
        if name.endswith((".xlsm", ".xltm", ".xlam")):
            raise UploadRefused(
                "This file can contain macros (.xlsm). Save it as an Excel Workbook (.xlsx) "
                "and upload that."
            )
        raise UploadRefused(
            f"Upload the {what} as an Excel Workbook (.xlsx): the template you downloaded."
        )
    if not data:
        raise UploadRefused("The file is empty. Upload the filled-in template.")
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused(
            "This is not an Excel Workbook (.xlsx) file. Download the template, fill it in and "
            "upload it without converting it."
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as e:  # zipfile raises many kinds for a damaged archive
        raise UploadRefused(
            "The file is damaged and cannot be opened. Download a new template."
        ) from e
    if len(infos) > max_entries:
        raise UploadRefused(
            f"The file holds {len(infos)} parts; a {what} template has far fewer. "
            "Download a new template."
        )
    total = 0
    names = set()
    for info in infos:
        lower = info.filename.lower()
        if info.flag_bits & 0x1:
            raise UploadRefused("The file is encrypted or password-protected. Remove the password.")
        if lower.startswith("/") or ".." in lower.split("/"):
            raise UploadRefused(
                "The file is damaged and cannot be opened. Download a new template."
            )
        if any(m in lower.encode() for m in MACRO_MARKERS):
            raise UploadRefused(
                "The file contains macros or embedded code. Save it as an Excel Workbook "
                "(.xlsx) without macros and upload that."
            )
        total += info.file_size
        if total > max_uncompressed:
            raise UploadRefused(
                f"The file expands to far more data than a {what} template holds, so it was "
                "not opened. Download a new template."
            )
        names.add(lower)
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        raise UploadRefused(
            "This is not an Excel Workbook (.xlsx) file. Download the template, fill it in and "
            "upload it without converting it."
        )
    try:
        content_types = zf.read("[Content_Types].xml").lower()
    except Exception as e:  # zipfile and zlib raise many kinds for a damaged archive
        raise UploadRefused(
            "The file is damaged and cannot be opened. Download a new template."
        ) from e
    if any(m in content_types for m in MACRO_MARKERS):
        raise UploadRefused(
            "The file is a macro-enabled workbook. Save it as an Excel Workbook (.xlsx) "
            "without macros and upload that."
        )
    return len(infos), total


def open_workbook(data, *, data_only):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise UploadRefused(
            "The file could not be read as a workbook. Download a new template and fill it in."
        ) from e


@contextmanager
def readable(what):
    """Around reading a sheet's rows: openpyxl parses lazily, so a malformed sheet (a cell of an
    impossible type, a broken reference, truncated XML, a missing shared string) fails while
    the rows are read, not when the file is opened. Any such failure is the same clear
    refusal; a refusal raised inside passes through unchanged."""
    try:
        yield
    except UploadRefused:
        raise
    except Exception as e:  # openpyxl and the XML parser raise many kinds for a broken file
        raise UploadRefused(
            f"The {what} sheet could not be read: the file is damaged. Download a new template "
            "and fill it in."
        ) from e


def cell_text(v):
    if v is None:
        return ""
    return str(v).strip()


class _FormulaAndCachedValue(WorkSheetParser):
    """openpyxl's own sheet parser, reading each formula cell twice: as its formula (its value,
    as openpyxl gives it with data_only=False) and as the value the file stored when it was
    last calculated (as data_only=True gives it), so one pass serves both."""

    def parse_cell(self, element):
        before = self.col_counter
        cell = super().parse_cell(element)
        if cell["data_type"] == "f":
            after = self.col_counter
            self.col_counter, self.data_only = before, True
            try:
                cell["cached"] = super().parse_cell(element)["value"]
            finally:
                self.col_counter, self.data_only = after, False
        return cell


class SheetPass:
    """One worksheet of a workbook opened once in read-only mode, read in one pass.

    `rows()` yields (row number, values, cached) for each row the file holds, in order: values
    has `max_col` entries (a formula cell holds its formula text, as openpyxl reads it without
    data_only); cached is None for a row without formulas, else {column index: the value the
    file stored for that formula, or None}. After the last row, `merged` holds the sheet's
    merged ranges ("C7:D7"), which openpyxl's read-only worksheets do not report: merging
    blanks every cell but the first, so a reader must know.

    openpyxl has no public read-only API that gives a formula and its stored value together;
    this drives its sheet parser with the workbook's shared strings and date formats, as its
    read-only worksheet does (openpyxl is pinned; the upload tests cover the formula, cached
    value and merged-cell cases)."""

    def __init__(self, wb, ws, what):
        self._wb, self._ws, self.what = wb, ws, what
        self.merged = []

    def rows(self, *, max_col, max_row, too_many):
        wb, ws = self._wb, self._ws
        with readable(self.what), ws._get_source() as src:
            parser = _FormulaAndCachedValue(
                src,
                ws._shared_strings,
                data_only=False,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            last = 0
            for number, cells in parser.parse():
                if number <= last:
                    continue  # a row out of order: skipped, as openpyxl's read-only mode does
                if number > max_row:
                    raise UploadRefused(too_many)
                last = number
                values = [None] * max_col
                cached = None
                for cell in cells:
                    column = cell["column"]
                    if 0 < column <= max_col:
                        values[column - 1] = cell["value"]
                        if cell["data_type"] == "f":
                            if cached is None:
                                cached = {}
                            cached[column - 1] = cell.get("cached")
                yield number, values, cached
            if parser.merged_cells is not None:
                self.merged = [str(m.coord) for m in parser.merged_cells.mergeCell]


def merged_problems(merged, *, first_row, first_col, last_col, skip_rows=(), blanks):
    """The one guard against merged cells, for every template Concord takes back. Merging
    keeps only the first cell's content and blanks the rest, so a merge that reaches the
    typed-in table (from `first_row` down, columns `first_col` to `last_col`, 1-based) would
    lose what the person typed: each is a problem on its first row. `skip_rows`: rows the
    template merges itself (a narrative box); `blanks`: what a merge there blanks, as the
    message says it."""
    from openpyxl.utils.cell import range_boundaries

    problems = []
    for ref in merged:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if min_row == max_row and min_row in skip_rows:
            continue
        if max_row >= first_row and max_col >= first_col and min_col <= last_col:
            problems.append(
                UploadProblem(
                    min_row,
                    None,
                    f"cells {ref} are merged, which keeps only the first cell and blanks "
                    f"{blanks}. Unmerge them and check the figures.",
                )
            )
    return problems


@contextmanager
def one_sheet(data, name, *, what, missing):
    """The sheet called `name` of the workbook in `data`, opened once (read-only, formulas and
    their stored values together: see SheetPass); UploadRefused(missing) if there is none."""
    wb = open_workbook(data, data_only=False)
    try:
        if name not in wb.sheetnames:
            raise UploadRefused(missing)
        with readable(what):
            ws = wb[name]
        yield SheetPass(wb, ws, what)
    finally:
        wb.close()
