"""The performance return spreadsheet: the template Concord writes, and the guarded reader
that takes it back.

The reader trusts nothing. Before openpyxl sees a byte it checks the size, that the file is a
ZIP holding a plain (macro-free) workbook, and the entry count and total uncompressed size
(openpyxl has no decompression cap). defusedxml is installed, which openpyxl uses against XML
entity attacks. The workbook is read in read-only mode; a formula is accepted only if the file
carries its calculated value; numbers become Decimal(str(value)). Problems are reported per
row and cell, and the caller writes nothing unless there are none.
"""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection

from consortium import xlsx_guard as guard
from consortium.numbers import parse_decimal
from consortium.xlsx import at_least, put
from consortium.xlsx_guard import UploadProblem, UploadRefused  # noqa: F401

SHEET = "Return"
KEY_LABEL = "Template key"
HEADERS = ["Code", "Indicator", "Unit", "Value", "Note"]
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
NARRATIVE_LABEL = "Narrative"
VALUE_COL, NOTE_COL = 4, 5

MAX_BYTES = getattr(settings, "RETURN_UPLOAD_MAX_BYTES", 2 * 1024 * 1024)
MAX_UNCOMPRESSED = getattr(settings, "RETURN_UPLOAD_MAX_UNCOMPRESSED", 20 * 1024 * 1024)
MAX_ENTRIES = 100
MAX_ROWS = 1000
TOO_MANY_ROWS = (
    f"The sheet has more than {MAX_ROWS} rows; a return template has one row per indicator. "
    "Download a new template."
)
MAX_COLS = 30
# One limit wherever the text is typed (the form, the template) and kept: the template's cells
# hold up to 32,767 characters, far more.
NOTE_MAX = 2000
NARRATIVE_MAX = 5000


@dataclass
class TemplateRow:
    code: str
    name: str
    unit: str
    definition: str
    value: Decimal | None = None
    note: str = ""


@dataclass
class ParsedReturn:
    values: dict = field(default_factory=dict)  # code -> Decimal | None
    notes: dict = field(default_factory=dict)  # code -> str
    narrative: str = ""
    rows_checked: int = 0
    problems: list = field(default_factory=list)
    narrative_row: int | None = None
    rows: dict = field(default_factory=dict)  # code -> the row it was read from
    rounded: list = field(default_factory=list)  # UploadProblem: figures read as shown

    @property
    def ok(self):
        return not self.problems


# --- writing --------------------------------------------------------------------------------


def write_template(*, key, heading, details, rows, narrative=""):
    """The return template as bytes. `details` is [(label, text)] shown above the table.

    Everything but the value, note and narrative cells is locked (sheet protection, no
    password: it stops accidents, it is not a security control — the reader checks codes and
    the key anyway)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    unlocked = Protection(locked=False)
    editable = PatternFill("solid", fgColor="FFF7D6")
    bold = Font(bold=True)
    put(ws, 1, 1, heading).font = Font(bold=True, size=14)
    r = 2
    for lab, text in details[:3]:
        put(ws, r, 1, lab).font = bold
        put(ws, r, 2, text)
        r += 1
    ws.cell(row=5, column=1, value=KEY_LABEL).font = bold
    put(ws, 5, 2, key)
    for c, h in enumerate(HEADERS, start=1):
        ws.cell(row=HEADER_ROW, column=c, value=h).font = bold
    row = FIRST_ROW
    for t in rows:
        put(ws, row, 1, t.code)
        name = put(ws, row, 2, t.name)
        if t.definition:
            name.comment = Comment(t.definition, "Concord", width=320, height=160)
        put(ws, row, 3, t.unit)
        v = ws.cell(row=row, column=VALUE_COL, value=t.value)
        n = put(ws, row, NOTE_COL, t.note or None)
        for cell in (v, n):
            cell.protection = unlocked
            cell.fill = editable
        row += 1
    last = row - 1
    if rows:
        at_least(
            ws,
            f"D{FIRST_ROW}:D{last}",
            0,
            whole=False,
            title="Not a figure",
            error="Enter a number, 0 or more.",
        )
    row += 1
    ws.cell(row=row, column=1, value=NARRATIVE_LABEL).font = bold
    nar = put(ws, row, 2, narrative or None)
    nar.protection = unlocked
    nar.fill = editable
    nar.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
    ws.row_dimensions[row].height = 90
    for col, width in zip("ABCDE", (22, 60, 12, 12, 40), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- reading --------------------------------------------------------------------------------


def check_container(data, filename=""):
    """Refuse anything that is not a plain, modest .xlsx before any XML parser sees it."""
    return guard.check_container(
        data,
        filename,
        what="return",
        max_bytes=MAX_BYTES,
        max_uncompressed=MAX_UNCOMPRESSED,
        max_entries=MAX_ENTRIES,
    )


_text = guard.cell_text


def _shown(number, row, col, rounded):
    """A number cell's figure as the spreadsheet shows it. A spreadsheet keeps 15 significant
    digits; binary arithmetic (0.1 + 0.2) can leave digits beyond them in the file
    (0.30000000000000004). Those are read as the figure shown, and `rounded` says so by row;
    any other figure is read exactly as the file holds it."""
    exact = Decimal(str(number))
    if not isinstance(number, float) or exact.as_tuple().exponent >= -2:
        return exact
    shown = Decimal(f"{number:.15g}")
    if shown == exact or shown.as_tuple().exponent < -2:
        return exact
    rounded.append(
        UploadProblem(
            row, col, f"the file holds {exact:f}; read as {shown:f}, the figure the sheet shows."
        )
    )
    return shown


def _number(raw, cached, row, problems, col="D", *, formula=False, rounded=None):
    """The figure in a value cell, or None if blank; a problem is recorded if it is not one.
    `formula`: the cell holds a formula (its type in the file, not how its text begins).
    `rounded`: where a figure read as shown rather than as stored is noted (see _shown)."""
    value = raw
    if formula:
        if cached is None:
            problems.append(
                UploadProblem(
                    row,
                    col,
                    "this cell holds a formula with no calculated value. Type the figure "
                    "instead of a formula (or open and save the file in Excel first).",
                )
            )
            return None
        value = cached
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(UploadProblem(row, col, f"'{value}' is not a number. Enter a figure."))
        return None
    if isinstance(value, (int, float, Decimal)):
        d = _shown(value, row, col, [] if rounded is None else rounded)
        if not d.is_finite():
            problems.append(UploadProblem(row, col, "this is not a finite number. Enter a figure."))
            return None
        return d
    if isinstance(value, str):
        # Typed as text: read the way a form reads it (one parser), or refused saying why.
        try:
            return parse_decimal(value, negative=True)
        except ValidationError as e:
            shown = value.strip()[:40]
            problems.append(
                UploadProblem(
                    row, col, f"'{shown}' is not a number Concord can read. {e.messages[0]}"
                )
            )
            return None
    problems.append(
        UploadProblem(row, col, "this cell holds a date or another kind of value. Enter a figure.")
    )
    return None


def read_return(data, *, filename="", key, codes):
    """Read an uploaded return. `key` is the template key this return's template carries;
    `codes` the indicator codes expected, in order. Raises UploadRefused for a file that must
    not be opened; returns ParsedReturn with `problems` for one that can be read but is
    wrong. The workbook is opened once and its sheet read in one pass (guard.one_sheet)."""
    check_container(data, filename)
    missing = (
        f"The workbook has no sheet called '{SHEET}'. Upload the template Concord generated, "
        "with its sheet name unchanged."
    )
    with guard.one_sheet(data, SHEET, what="return", missing=missing) as sheet:
        rows = sheet.rows(max_col=MAX_COLS, max_row=MAX_ROWS, too_many=TOO_MANY_ROWS)
        with guard.readable("return"):
            parsed = _parse(rows, key, codes)
        parsed.problems.extend(
            guard.merged_problems(
                sheet.merged,
                first_row=FIRST_ROW,
                first_col=VALUE_COL,
                last_col=NOTE_COL,
                skip_rows=(parsed.narrative_row,),
                blanks="a figure or a note",
            )
        )
    return parsed


def _parse(rows, key, codes):
    """One pass over the sheet's rows (guard.SheetPass.rows): the key, then the table up to the
    narrative. Codes are looked up in a set prepared once."""
    out = ParsedReturn()
    expected = list(codes)
    known = set(expected)
    seen = {}
    found_key = None
    narrative_row = None
    for i, cells, cached in rows:
        first = _text(cells[0])
        if i <= HEADER_ROW:
            if i == 5 and first == KEY_LABEL:
                found_key = _text(cells[1])
            continue
        if narrative_row is not None:
            continue  # below the narrative: not part of the return
        formulas = cached or {}
        if first == NARRATIVE_LABEL:
            narrative_row = i
            _read_narrative(out, i, cells, formulas)
        elif first or any(v is not None and _text(v) != "" for v in cells):
            out.rows_checked += 1
            if _row_is_known(out, i, first, known, seen):
                seen[first] = i
                _read_figure_row(out, i, first, cells, formulas)
    _check_key(out, found_key, key)
    out.problems += [
        UploadProblem(
            None,
            None,
            f"The row for {code} is missing. Download a new template; do not delete rows.",
        )
        for code in expected
        if code not in seen
    ]
    if narrative_row is None:
        out.narrative = ""
    out.narrative_row = narrative_row
    return out


def _read_narrative(out, i, cells, formulas):
    out.narrative = _text(cells[1])
    if len(out.narrative) > NARRATIVE_MAX:
        out.problems.append(
            UploadProblem(
                i,
                "B",
                f"the narrative is {len(out.narrative):,} characters; it must be "
                f"{NARRATIVE_MAX:,} or fewer.",
            )
        )
    if 1 in formulas:
        out.problems.append(
            UploadProblem(i, "B", "the narrative cannot be a formula. Type plain text.")
        )


def _row_is_known(out, i, first, known, seen):
    """Is row `i` one of the return's indicators, met for the first time? If not, say why."""
    if first not in known:
        out.problems.append(
            UploadProblem(
                i,
                "A",
                f"'{first[:40]}' is not an indicator code in this return. Do not add or "
                "rename rows: download a new template.",
            )
        )
        return False
    if first in seen:
        out.problems.append(
            UploadProblem(
                i, "A", f"{first} appears twice (also row {seen[first]}). Delete the copy."
            )
        )
        return False
    return True


def _read_figure_row(out, i, code, cells, formulas):
    """An indicator's figure (column C) and note (column E)."""
    out.rows[code] = i
    out.values[code] = _number(
        cells[VALUE_COL - 1],
        formulas.get(VALUE_COL - 1),
        i,
        out.problems,
        formula=VALUE_COL - 1 in formulas,
        rounded=out.rounded,
    )
    note_text = _text(cells[NOTE_COL - 1])
    if NOTE_COL - 1 in formulas:
        out.problems.append(UploadProblem(i, "E", "a note cannot be a formula. Type plain text."))
    elif len(note_text) > NOTE_MAX:
        out.problems.append(
            UploadProblem(
                i,
                "E",
                f"the note is {len(note_text):,} characters; it must be {NOTE_MAX:,} or fewer.",
            )
        )
    else:
        out.notes[code] = note_text


def _check_key(out, found_key, key):
    """The template key (row 5) must be this return's: said first among the problems."""
    if found_key is None:
        out.problems.insert(
            0,
            UploadProblem(
                5,
                "B",
                "the template key is missing. Upload the template Concord generated for this "
                "return, without moving its rows.",
            ),
        )
    elif found_key != key:
        out.problems.insert(
            0,
            UploadProblem(
                5,
                "B",
                "this template belongs to a different subcontract or period. Download the "
                "template from this return's page.",
            ),
        )
