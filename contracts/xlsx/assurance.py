"""An assurance pack as a workbook: a cover sheet with the digest, narrative and actions, and
one sheet per section. Every text is stored as text, never as a formula."""

import io
import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

NUMBER = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")
MAX_CELL = 32767


def _cell(ws, value, bold=False, numeric=False):
    # Figures in section tables are stored as text in the snapshot ("1234.50"): write them as
    # numbers. Everything else written is text, and stays text.
    if numeric and isinstance(value, str) and NUMBER.match(value):
        value = Decimal(value)
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    c = WriteOnlyCell(ws, value=value[:MAX_CELL] if isinstance(value, str) else value)
    if isinstance(value, str):
        c.data_type = "s"  # a text starting with "=" stays text
    if bold:
        c.font = Font(bold=True)
    return c


def _sheet_title(n, title, used):
    base = re.sub(r"[\[\]:*?/\\]", " ", f"{n} {title}")[:31].strip()
    name, i = base, 2
    while name in used:
        name = f"{base[:28]} {i}"
        i += 1
    used.add(name)
    return name


def missing_text(missing):
    text = "\n".join(missing["lines"]) or "Nothing was missing."
    if missing["limited"]:
        text += "\n(Only what concerns your organisation is shown.)"
    return text


def pack_workbook(pack, snapshot, digest, *, missing=None, summary=None) -> bytes:
    """`missing`: what the lead confirmed was missing at sign-off, as the reader may see it
    (`AssurancePack.missing_at_sign_off`); `summary`: the executive summary
    (`contracts.selectors.assurance.pack_summary`), a line per section on the cover."""
    wb = Workbook(write_only=True)
    cover = wb.create_sheet("Cover")
    meta = snapshot.get("meta", {})
    contract = meta.get("contract", {})
    rows = [
        ("Assurance pack", f"{contract.get('reference', '')} {contract.get('title', '')}"),
        ("Consortium", meta.get("consortium", "")),
        ("Commissioner", contract.get("commissioner", "")),
        ("Period", f"{pack.period_start:%-d %b %Y} to {pack.period_end:%-d %b %Y}"),
        ("Version", pack.revision),
        ("State", pack.get_state_display()),
        ("Figures taken", meta.get("figures_at", "")),
        ("SHA-256 digest", digest or "Draft: no digest until signed off"),
    ]
    head = meta.get("audit_head")
    if head:
        rows.append(
            (
                "Audit chain head",
                f"{head['day']}, as the figures were taken: link {head['link']}, {head['hash']}",
            )
        )
    if pack.signed_off_at:
        rows.append(("Signed off", pack.signed_off_at.isoformat()))
    if missing is not None:
        rows.append(("Signed off with these missing", missing_text(missing)))
    if pack.acknowledged_at:
        rows.append(("Acknowledged", pack.acknowledged_at.isoformat()))
    for label, value in rows:
        cover.append([_cell(cover, label, bold=True), _cell(cover, value)])
    if summary:
        cover.append([])
        cover.append([_cell(cover, h, bold=True) for h in ("Section", "In short", "RAG")])
        for s in summary["sections"]:
            cover.append(
                [_cell(cover, s["title"]), _cell(cover, s["text"]), _cell(cover, s["rag_label"])]
            )
    cover.append([])
    cover.append(
        [_cell(cover, "Narrative", bold=True), _cell(cover, snapshot.get("narrative", ""))]
    )
    cover.append([])
    cover.append(
        [_cell(cover, h, bold=True) for h in ("Action", "Owner", "Due", "Status", "Carried")]
    )
    for a in snapshot.get("actions", []):
        cover.append(
            [
                _cell(cover, a["text"]),
                _cell(cover, a["owner"]),
                _cell(cover, a["due"] or ""),
                _cell(cover, a["status"]),
                _cell(cover, "Yes" if a["carried"] else "No"),
            ]
        )
    used = {"Cover"}
    for n, section in enumerate(snapshot.get("sections", []), start=1):
        ws = wb.create_sheet(_sheet_title(n, section["title"], used))
        ws.append([_cell(ws, section["title"], bold=True)])
        for line in section.get("summary", []):
            ws.append([_cell(ws, line)])
        tables = [t for t in section.get("tables", []) if t["rows"]]
        if not tables:
            ws.append([_cell(ws, section.get("empty", ""))])
        for t in tables:
            ws.append([])
            if t.get("caption"):
                ws.append([_cell(ws, t["caption"], bold=True)])
            ws.append([_cell(ws, c, bold=True) for c in t["columns"]])
            for row in t["rows"]:
                ws.append([_cell(ws, v, numeric=True) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
