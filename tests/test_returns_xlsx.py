"""The XLSX round trip and hostile uploads: each refused with a clear message, nothing
written. Fixture files are real .xlsx workbooks built here from the downloaded template."""

import io
import zipfile
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from consortium.xlsx_guard import UploadInvalid
from contracts.models import PerformanceReturn, ReturnValue
from contracts.services import returns as svc
from contracts.xlsx import returns as rx
from sample import GOOD_VALUES


@pytest.fixture
def rw(returns_world):
    return returns_world


def template(ret):
    return svc.template_bytes(ret)


def filled(ret, values=None, notes=None, narrative="All figures from the case system", mutate=None):
    wb = load_workbook(io.BytesIO(template(ret)))
    ws = wb[rx.SHEET]
    values = GOOD_VALUES if values is None else values
    for row in range(rx.FIRST_ROW, ws.max_row + 1):
        code = ws.cell(row=row, column=1).value
        if code in values:
            ws.cell(row=row, column=rx.VALUE_COL, value=values[code])
        if notes and code in notes:
            ws.cell(row=row, column=rx.NOTE_COL, value=notes[code])
        if code == rx.NARRATIVE_LABEL:
            ws.cell(row=row, column=2, value=narrative)
    if mutate:
        mutate(wb, ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def snapshot(ret):
    r = PerformanceReturn.objects.get(pk=ret.pk)
    return (
        r.version,
        r.narrative,
        sorted(ReturnValue.objects.filter(ret=ret).values_list("indicator__code", "value", "note")),
    )


def test_the_template_carries_codes_names_definitions_and_locks(rw):
    ret = rw.returns["draft_a"]
    wb = load_workbook(io.BytesIO(template(ret)))
    ws = wb[rx.SHEET]
    assert ws.protection.sheet is True
    assert ws.cell(row=5, column=2).value == svc.template_key(ret)
    first = rx.FIRST_ROW
    assert ws.cell(row=first, column=1).value == "REF"
    assert ws.cell(row=first, column=2).value == "Referrals received"
    assert "what counts and what does not" in ws.cell(row=first, column=2).comment.text
    assert ws.cell(row=first, column=1).protection.locked is True
    assert ws.cell(row=first, column=rx.VALUE_COL).protection.locked is False
    assert ws.cell(row=first, column=rx.VALUE_COL).value == 5  # the draft's current figure


def test_round_trip_gives_identical_values(rw, cvo_a):
    ret = rw.returns["draft_a"]
    notes = {"DIV": "Two via the crown court", "WAIT": "=not a formula"}
    data = filled(ret, notes={"DIV": notes["DIV"]}, narrative="Steady month")
    parsed = svc.return_upload(ret=ret, by=cvo_a, data=data, filename="return.xlsx")
    assert parsed.rows_checked == 8
    stored = {
        code: value
        for code, value in ReturnValue.objects.filter(ret=ret).values_list(
            "indicator__code", "value"
        )
    }
    assert stored == {k: D(str(v)) for k, v in GOOD_VALUES.items()}
    assert ReturnValue.objects.get(ret=ret, indicator__code="DIV").note == notes["DIV"]
    assert PerformanceReturn.objects.get(pk=ret.pk).narrative == "Steady month"
    # And the template downloaded again carries the same figures back out.
    wb = load_workbook(io.BytesIO(template(PerformanceReturn.objects.get(pk=ret.pk))))
    ws = wb[rx.SHEET]
    out = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=rx.VALUE_COL).value
        for r in range(rx.FIRST_ROW, rx.FIRST_ROW + 8)
    }
    assert {k: D(str(v)) for k, v in out.items()} == stored


def test_decimals_are_read_exactly(rw, cvo_a):
    ret = rw.returns["draft_a"]
    # A float with binary noise is stored as the spreadsheet shows it, and read as that.
    data = filled(ret, values={**GOOD_VALUES, "WAIT": 0.1 + 0.2})
    svc.return_upload(ret=ret, by=cvo_a, data=data, filename="r.xlsx")
    assert ReturnValue.objects.get(ret=ret, indicator__code="WAIT").value == D("0.30")
    data = filled(ret, values={**GOOD_VALUES, "WAIT": 2.35})
    svc.return_upload(ret=ret, by=cvo_a, data=data, filename="r.xlsx")
    assert ReturnValue.objects.get(ret=ret, indicator__code="WAIT").value == D("2.35")


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buf.getvalue()


def rewrite_zip(data, change):
    """Copy an .xlsx zip, letting `change(name, content)` return new content or None to drop."""
    src = zipfile.ZipFile(io.BytesIO(data))
    entries = {}
    for info in src.infolist():
        out = change(info.filename, src.read(info.filename))
        if out is not None:
            entries[info.filename] = out
    return entries


def with_entries(data, extra):
    entries = rewrite_zip(data, lambda n, c: c)
    entries.update(extra)
    return zip_bytes(entries)


def formula_without_value(wb, ws):
    ws.cell(row=rx.FIRST_ROW, column=rx.VALUE_COL, value="=10+30")


def text_in_value(wb, ws):
    ws.cell(row=rx.FIRST_ROW + 3, column=rx.VALUE_COL, value="about forty")


def unknown_row(wb, ws):
    ws.cell(row=rx.FIRST_ROW + 1, column=1, value="MADE_UP")


def duplicate_row(wb, ws):
    ws.cell(row=rx.FIRST_ROW + 1, column=1, value="REF")


def deleted_row(wb, ws):
    for c in range(1, 6):
        ws.cell(row=rx.FIRST_ROW + 2, column=c).value = None


def wrong_key(wb, ws):
    ws.cell(row=5, column=2, value="CONCORD-RETURN-999-999")


def renamed_sheet(wb, ws):
    ws.title = "Sheet1"


def date_in_value(wb, ws):
    import datetime

    ws.cell(row=rx.FIRST_ROW, column=rx.VALUE_COL, value=datetime.date(2026, 1, 1))


def bool_in_value(wb, ws):
    ws.cell(row=rx.FIRST_ROW, column=rx.VALUE_COL, value=True)


def formula_note(wb, ws):
    ws.cell(row=rx.FIRST_ROW, column=rx.NOTE_COL, value='=HYPERLINK("http://x")')


def many_rows(wb, ws):
    for r in range(rx.FIRST_ROW + 20, rx.FIRST_ROW + 20 + rx.MAX_ROWS):
        ws.cell(row=r, column=1, value="X")


HOSTILE = {
    # name: (build(ret) -> (bytes, filename), expected text in the message)
    "macro-enabled name": (lambda r: (filled(r), "return.xlsm"), "macros (.xlsm)"),
    "csv name": (lambda r: (b"REF,40\n", "return.csv"), "Excel Workbook (.xlsx)"),
    "empty file": (lambda r: (b"", "return.xlsx"), "The file is empty"),
    "not a zip": (
        lambda r: (b"<html>not a workbook</html>", "return.xlsx"),
        "not an Excel Workbook",
    ),
    "too big": (lambda r: (b"PK" + b"0" * (rx.MAX_BYTES + 1), "return.xlsx"), "the limit is"),
    "vba project inside": (
        lambda r: (with_entries(filled(r), {"xl/vbaProject.bin": b"\x00" * 64}), "return.xlsx"),
        "macros or embedded code",
    ),
    "macro content type": (
        lambda r: (
            zip_bytes(
                rewrite_zip(
                    filled(r),
                    lambda n, c: (
                        c.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
                        if n == "[Content_Types].xml"
                        else c
                    ),
                )
            ),
            "return.xlsx",
        ),
        "macro-enabled workbook",
    ),
    "zip bomb": (
        lambda r: (
            with_entries(filled(r), {"xl/media/padding.bin": b"\x00" * (rx.MAX_UNCOMPRESSED + 1)}),
            "return.xlsx",
        ),
        "expands to far more data",
    ),
    "too many entries": (
        lambda r: (
            with_entries(filled(r), {f"xl/extra/{i}.xml": b"<a/>" for i in range(rx.MAX_ENTRIES)}),
            "return.xlsx",
        ),
        "parts",
    ),
    "zip without a workbook": (
        lambda r: (zip_bytes({"hello.txt": b"hi"}), "return.xlsx"),
        "not an Excel Workbook",
    ),
    "path traversal entry": (
        lambda r: (with_entries(filled(r), {"../../evil.xml": b"<a/>"}), "return.xlsx"),
        "damaged",
    ),
    "broken workbook xml": (
        lambda r: (
            zip_bytes(
                rewrite_zip(filled(r), lambda n, c: b"<broken" if n == "xl/workbook.xml" else c)
            ),
            "return.xlsx",
        ),
        "could not be read as a workbook",
    ),
    "xml entity bomb": (
        lambda r: (
            zip_bytes(
                rewrite_zip(
                    filled(r),
                    lambda n, c: (
                        (
                            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                            + c.split(b"?>", 1)[-1].replace(b"<sheetData>", b"<sheetData>&lol2;", 1)
                        )
                        if n == "xl/worksheets/sheet1.xml"
                        else c
                    ),
                )
            ),
            "return.xlsx",
        ),
        "could not be read as a workbook",
    ),
    "renamed sheet": (lambda r: (filled(r, mutate=renamed_sheet), "r.xlsx"), "no sheet called"),
    "formula without a value": (
        lambda r: (filled(r, mutate=formula_without_value), "r.xlsx"),
        "Row 7, column D: this cell holds a formula with no calculated value",
    ),
    "text in a value cell": (
        lambda r: (filled(r, mutate=text_in_value), "r.xlsx"),
        "Row 10, column D: 'about forty' is not a number",
    ),
    "unknown indicator row": (
        lambda r: (filled(r, mutate=unknown_row), "r.xlsx"),
        "'MADE_UP' is not an indicator code",
    ),
    "duplicated indicator row": (
        lambda r: (filled(r, mutate=duplicate_row), "r.xlsx"),
        "REF appears twice",
    ),
    "deleted indicator row": (
        lambda r: (filled(r, mutate=deleted_row), "r.xlsx"),
        "The row for REF_COURT is missing",
    ),
    "another return's template": (
        lambda r: (filled(r, mutate=wrong_key), "r.xlsx"),
        "belongs to a different subcontract or period",
    ),
    "date in a value cell": (
        lambda r: (filled(r, mutate=date_in_value), "r.xlsx"),
        "a date or another kind of value",
    ),
    "boolean in a value cell": (
        lambda r: (filled(r, mutate=bool_in_value), "r.xlsx"),
        "is not a number",
    ),
    "formula in a note": (
        lambda r: (filled(r, mutate=formula_note), "r.xlsx"),
        "a note cannot be a formula",
    ),
    "a million rows": (lambda r: (filled(r, mutate=many_rows), "r.xlsx"), "more than 1000 rows"),
    "too many decimal places": (
        lambda r: (filled(r, values={**GOOD_VALUES, "WAIT": "3.125"}), "r.xlsx"),
        "more than two decimal places",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_uploads_are_refused_and_nothing_is_written(rw, cvo_a, case):
    ret = rw.returns["draft_a"]
    before = snapshot(ret)
    build, expected = HOSTILE[case]
    data, filename = build(ret)
    with pytest.raises((rx.UploadRefused, UploadInvalid)) as e:
        svc.return_upload(ret=ret, by=cvo_a, data=data, filename=filename)
    message = str(e.value) if isinstance(e.value, rx.UploadRefused) else " ".join(e.value.messages)
    assert expected in message
    assert snapshot(ret) == before


def test_a_formula_with_a_cached_value_is_accepted(rw, cvo_a):
    ret = rw.returns["draft_a"]
    data = filled(ret, mutate=formula_without_value)

    def add_cached_value(name, content):
        if name == "xl/worksheets/sheet1.xml":
            return content.replace(b"<f>10+30</f><v></v>", b"<f>10+30</f><v>40</v>").replace(
                b"<f>10+30</f></c>", b"<f>10+30</f><v>40</v></c>"
            )
        return content

    data = zip_bytes(rewrite_zip(data, add_cached_value))
    svc.return_upload(ret=ret, by=cvo_a, data=data, filename="r.xlsx")
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == D(40)


def test_uploading_to_a_submitted_or_approved_return_is_refused(rw, cvo_a):
    from django.core.exceptions import ValidationError

    from contracts.models import ReturnLocked

    for key, exc in (("submitted_a", ValidationError), ("approved_a", ReturnLocked)):
        ret = rw.returns[key]
        before = snapshot(ret)
        with pytest.raises(exc):
            svc.return_upload(ret=ret, by=cvo_a, data=filled(ret), filename="r.xlsx")
        assert snapshot(ret) == before


def test_another_cvo_cannot_upload(rw, cvo_b):
    from django.core.exceptions import PermissionDenied

    ret = rw.returns["draft_a"]
    with pytest.raises(PermissionDenied):
        svc.return_upload(ret=ret, by=cvo_b, data=filled(ret), filename="r.xlsx")


def test_binary_noise_in_a_figure_is_read_as_the_sheet_shows_it_and_said_so(rw, cvo_a):
    # Excel stores =0.1+0.2 as 0.30000000000000004 and shows 0.3.
    ret = rw.returns["draft_a"]
    data = filled(ret, values={**GOOD_VALUES, "WAIT": 0.3})

    def noise(name, content):
        if name == "xl/worksheets/sheet1.xml":
            assert content.count(b"<v>0.3</v>") == 1
            return content.replace(b"<v>0.3</v>", b"<v>0.30000000000000004</v>")
        return content

    parsed = svc.return_upload(
        ret=ret, by=cvo_a, data=zip_bytes(rewrite_zip(data, noise)), filename="r.xlsx"
    )
    assert ReturnValue.objects.get(ret=ret, indicator__code="WAIT").value == D("0.30")
    (note,) = parsed.rounded
    assert note.row == rx.FIRST_ROW + 7 and note.column == "D"
    assert "the file holds 0.30000000000000004; read as 0.3" in str(note)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (99999999999, "is 99,999,999,999, more than a return can hold (9,999,999)"),
        ("0.305", "is 0.305, which has more than two decimal places"),
    ],
)
def test_a_figure_a_return_cannot_hold_is_refused_with_its_row(rw, cvo_a, value, expected):
    ret = rw.returns["draft_a"]
    before = snapshot(ret)
    data = filled(ret, values={**GOOD_VALUES, "REF": value})
    with pytest.raises(UploadInvalid) as e:
        svc.return_upload(ret=ret, by=cvo_a, data=data, filename="r.xlsx")
    (problem,) = e.value.problems
    assert problem.row == rx.FIRST_ROW and problem.column == "D"
    assert f"Referrals received {expected}" in str(problem)
    assert snapshot(ret) == before
    # The form's draft save goes through the same rule.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        svc.return_save_draft(ret=ret, by=cvo_a, values={"REF": D(str(value))})
    assert snapshot(ret) == before
