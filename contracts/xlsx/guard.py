"""The guarded spreadsheet reader's generic parts, shared by every upload Concord takes back
(performance returns, PbR claim evidence).

Before openpyxl sees a byte: the size, that the file is a ZIP holding a plain (macro-free)
workbook, and the entry count and total uncompressed size (openpyxl has no decompression cap).
defusedxml is installed, which openpyxl uses against XML entity attacks. Workbooks open in
read-only mode.
"""

import io
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

from openpyxl import load_workbook

MACRO_MARKERS = (b"vbaproject", b"macroenabled", b"vbadata", b"activex")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UploadRefused(Exception):
    """The file is not one Concord will open. Nothing was read from it."""


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


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def merged_ranges(data, sheet_name):
    """The merged ranges ("C7:D7") of the sheet called `sheet_name`, read from the file's XML
    (openpyxl's read-only mode does not report them). Merging blanks every cell but the
    first, so a reader must know. Empty if the sheet cannot be found."""
    from defusedxml import ElementTree

    with readable("workbook"), zipfile.ZipFile(io.BytesIO(data)) as zf:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = None
        for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
            if sheet.get("name") == sheet_name:
                rid = sheet.get(f"{{{_NS['r']}}}id")
                for rel in rels.iterfind("rel:Relationship", _NS):
                    if rel.get("Id") == rid:
                        target = rel.get("Target", "")
        if not target:
            return []
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheet_xml = ElementTree.fromstring(zf.read(path))
        return [m.get("ref", "") for m in sheet_xml.iterfind("m:mergeCells/m:mergeCell", _NS)]
