"""The PbR claim evidence spreadsheet: the template Concord writes for a claim, and the
guarded reader (consortium.xlsx_guard) that takes it back, one line per row.

The case reference typed in column A is read only to be hashed (contracts.services.outcomes);
it is never stored. The template carries the claim's current lines, each by its short code
in column F (the reference is never written back): a row with a line code and no reference
stands for that line's participant, so the lines typed in by hand survive an upload. Dates are read as dates (a date cell, or text as YYYY-MM-DD or
DD/MM/YYYY); a formula anywhere is refused; text that a spreadsheet would treat as a formula
is refused too.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill, Protection

from consortium import xlsx_guard as guard
from consortium.xlsx import at_least, put
from consortium.xlsx_guard import UploadProblem, UploadRefused

SHEET = "Evidence"
KEY_LABEL = "Template key"
HEADERS = [
    "Case reference",
    "Engagement date",
    "Outcome date",
    "Events",
    "Evidence reference",
    "Line code",
]
CODE_COL = 6
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
TEMPLATE_ROWS = 500  # unlocked, formatted rows in a fresh template

MAX_BYTES = getattr(settings, "CLAIM_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
MAX_UNCOMPRESSED = getattr(settings, "CLAIM_UPLOAD_MAX_UNCOMPRESSED", 150 * 1024 * 1024)
MAX_LINES = 20000
MAX_COLS = 10
MAX_ROW = 1_048_576  # a sheet's last row: blank rows cost nothing, lines are counted
TOO_MANY = (
    f"The sheet has more than {MAX_LINES:,} lines. Split the claim's evidence, or ask the "
    "consortium lead."
)


@dataclass
class EvidenceRow:
    row: int
    reference: str
    engagement_date: datetime.date | None
    outcome_date: datetime.date | None
    events: int | None
    evidence_ref: str
    code: str = ""


@dataclass
class TemplateLine:
    """A line already on the claim, as the template shows it: by its short code."""

    code: str
    engagement_date: datetime.date
    outcome_date: datetime.date
    events: int
    evidence_ref: str


@dataclass
class ParsedEvidence:
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def rows_checked(self):
        return len(self.rows)


def write_template(*, key, heading, details, lines=()):
    """The evidence template for one claim, as bytes, carrying the claim's current `lines`
    (TemplateLine) with their line codes and room for more."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    bold = Font(bold=True)
    unlocked = Protection(locked=False)
    editable = PatternFill("solid", fgColor="FFF7D6")
    put(ws, 1, 1, heading).font = Font(bold=True, size=14)
    for r, (label, text) in enumerate(details[:3], start=2):
        put(ws, r, 1, label).font = bold
        put(ws, r, 2, text)
    ws.cell(row=5, column=1, value=KEY_LABEL).font = bold
    put(ws, 5, 2, key)
    for c, h in enumerate(HEADERS, start=1):
        ws.cell(row=HEADER_ROW, column=c, value=h).font = bold
    lines = list(lines)
    for r, line in enumerate(lines, start=FIRST_ROW):
        ws.cell(row=r, column=2, value=line.engagement_date)
        ws.cell(row=r, column=3, value=line.outcome_date)
        ws.cell(row=r, column=4, value=line.events)
        put(ws, r, 5, line.evidence_ref or None)
        put(ws, r, CODE_COL, line.code)
    last = FIRST_ROW + len(lines) + TEMPLATE_ROWS - 1
    for row in ws.iter_rows(min_row=FIRST_ROW, max_row=last, max_col=len(HEADERS)):
        for cell in row:
            cell.protection = unlocked
            cell.fill = editable
            if cell.column in (2, 3):
                cell.number_format = "yyyy-mm-dd"
            elif cell.column in (1, 5, CODE_COL):
                cell.number_format = "@"
    at_least(
        ws,
        f"D{FIRST_ROW}:D{last}",
        1,
        whole=True,
        title="Not a count",
        error="Enter the number of events: 1 or more.",
    )
    for col, width in zip("ABCDEF", (22, 16, 16, 10, 40, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _date(value, row, col, problems):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("="):
            problems.append(UploadProblem(row, col, "a date cannot be a formula. Type the date."))
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    problems.append(
        UploadProblem(
            row, col, f"'{str(value)[:20]}' is not a date. Enter it as YYYY-MM-DD or DD/MM/YYYY."
        )
    )
    return None


def _events(value, row, problems):
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    if isinstance(value, bool):
        problems.append(UploadProblem(row, "D", "enter the number of events: 1 or more."))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        problems.append(
            UploadProblem(
                row, "D", f"'{str(value)[:20]}' is not a number of events. Enter 1 or more."
            )
        )
        return None
    if not number.is_finite() or number != number.to_integral_value() or number < 1:
        problems.append(UploadProblem(row, "D", "the events must be a whole number, 1 or more."))
        return None
    return int(number)


def _reference(value, row, problems):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = guard.cell_text(value)
    if text.startswith(guard.FORMULA_STARTS[:1]):
        problems.append(UploadProblem(row, "A", "the case reference cannot be a formula."))
        return ""
    if len(text) > 64:
        problems.append(UploadProblem(row, "A", "the case reference is longer than 64 characters."))
        return ""
    return text


def read_evidence(data, *, filename="", key):
    """Read an uploaded evidence sheet. Raises UploadRefused for a file that must not be
    opened; otherwise returns its rows and the problems found in them (cell by cell)."""
    guard.check_container(
        data,
        filename,
        what="claim evidence",
        max_bytes=MAX_BYTES,
        max_uncompressed=MAX_UNCOMPRESSED,
    )
    missing = (
        f"The workbook has no sheet called '{SHEET}'. Upload the template Concord "
        "generated for this claim, with its sheet name unchanged."
    )
    out = ParsedEvidence()
    problems = out.problems
    found_key = None
    with guard.one_sheet(data, SHEET, what="evidence", missing=missing) as sheet:
        rows = sheet.rows(max_col=MAX_COLS, max_row=MAX_ROW, too_many=TOO_MANY)
        with guard.readable("evidence"):
            for i, cells, _ in rows:
                if i == 5:
                    found_key = guard.cell_text(cells[1])
                    continue
                if i <= HEADER_ROW:
                    continue
                if all(
                    c is None or (isinstance(c, str) and not c.strip()) for c in cells[:CODE_COL]
                ):
                    continue
                if len(out.rows) >= MAX_LINES:
                    raise UploadRefused(TOO_MANY)
                reference = _reference(cells[0], i, problems)
                code = guard.cell_text(cells[CODE_COL - 1]).upper()
                if not reference and not code and not any(p.row == i for p in problems[-1:]):
                    problems.append(
                        UploadProblem(i, "A", "enter the participant's case reference.")
                    )
                evidence = guard.cell_text(cells[4])
                if evidence.startswith(guard.FORMULA_STARTS):
                    problems.append(
                        UploadProblem(
                            i, "E", "the evidence reference cannot start with =, +, - or @."
                        )
                    )
                    evidence = ""
                out.rows.append(
                    EvidenceRow(
                        row=i,
                        reference=reference,
                        engagement_date=_date(cells[1], i, "B", problems),
                        outcome_date=_date(cells[2], i, "C", problems),
                        events=_events(cells[3], i, problems),
                        evidence_ref=evidence,
                        code=code,
                    )
                )
        problems.extend(
            guard.merged_problems(
                sheet.merged,
                first_row=FIRST_ROW,
                first_col=1,
                last_col=len(HEADERS),
                blanks="a reference, a date or a number of events",
            )
        )
    if found_key != key:
        problems.insert(
            0,
            UploadProblem(
                5,
                "B",
                "this template belongs to a different claim. Download the template from "
                "this claim's page."
                if found_key
                else "the template key is missing. Upload the template Concord generated "
                "for this claim, without moving its rows.",
            ),
        )
    if not out.rows and not problems:
        problems.append(
            UploadProblem(None, None, "The sheet has no lines. Fill in one row per line.")
        )
    problems.sort(key=lambda p: p.row or 0)
    return out
