"""Bad files still get a clear answer: Concord's own templates, damaged in hundreds of ways
(random bytes, and the kinds of broken sheet XML real files carry), are either read cleanly or
refused with a sentence, never a server error; and text that a spreadsheet would run as a
formula travels through a template and back exactly as it was typed."""

import io
import random
import re
import zipfile
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from consortium import xlsx_guard as guard
from contracts.xlsx import outcomes as ex
from contracts.xlsx import returns as rx

KEY = "R-0001-2026-04"
ROWS = [
    rx.TemplateRow("REF-MAG", "Referrals from magistrates' courts", "count", "Adults referred"),
    rx.TemplateRow("REF-POL", "Referrals from police custody", "count", "People referred"),
    rx.TemplateRow("ASSESSED", "=People assessed", "count", "+Assessed within 2 days"),
]
CODES = [r.code for r in ROWS]
SEED = 20261126


def return_template(rows=ROWS, narrative=""):
    return rx.write_template(
        key=KEY,
        heading="Return",
        details=[("Period", "April 2026")],
        rows=rows,
        narrative=narrative,
    )


def filled_return():
    wb = load_workbook(io.BytesIO(return_template()))
    ws = wb[rx.SHEET]
    for row, value in zip(range(rx.FIRST_ROW, rx.FIRST_ROW + 3), (12, 7, 5), strict=True):
        ws.cell(row=row, column=rx.VALUE_COL, value=value)
    ws.cell(row=rx.FIRST_ROW, column=rx.NOTE_COL, value="Two referrals came late")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def filled_evidence():
    data = ex.write_template(key="C-1", heading="Claim", details=[("Measure", "Housing")])
    wb = load_workbook(io.BytesIO(data))
    ws = wb[ex.SHEET]
    for i in range(5):
        row = ex.FIRST_ROW + i
        ws.cell(row=row, column=1, value=f"CASE-{i}")
        ws.cell(row=row, column=2, value="2026-04-02")
        ws.cell(row=row, column=3, value="2026-05-02")
        ws.cell(row=row, column=4, value=1)
        ws.cell(row=row, column=5, value=f"EV{i}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- mutations ------------------------------------------------------------------------------


def _entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def _zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in entries.items():
            zf.writestr(name, body)
    return buf.getvalue()


def flip_bytes(data, rnd):
    out = bytearray(data)
    for _ in range(rnd.randint(1, 12)):
        out[rnd.randrange(len(out))] = rnd.randrange(256)
    return bytes(out)


def truncate_file(data, rnd):
    return data[: rnd.randrange(len(data))]


XML_MUTATIONS = []


def xml_mutation(fn):
    XML_MUTATIONS.append(fn)
    return fn


@xml_mutation
def truncate_xml(body, rnd):
    return body[: rnd.randrange(1, len(body))]


@xml_mutation
def impossible_cell_type(body, rnd):
    kind = rnd.choice([b"x", b"e", b"b", b"d", b"inlineStr", b"str", b"s", b"n"])
    return re.sub(
        rb'<c r="([A-Z]+\d+)"', lambda m: m.group(0) + b' t="' + kind + b'"', body, count=1
    )


@xml_mutation
def broken_reference(body, rnd):
    bad = rnd.choice([b"ZZZZ0", b"A-1", b"", b"1A", b"XFE1048577", b"\xc3\xa9"])
    refs = re.findall(rb'r="[A-Z]+\d+"', body)
    if not refs:
        return body + b"<"
    target = rnd.choice(refs)
    return body.replace(target, b'r="' + bad + b'"', 1)


@xml_mutation
def garbage_value(body, rnd):
    junk = rnd.choice([b"abc", b"1e999999", b"-", b"NaN", b"\x00", b"99999999999", b"&bogus;"])
    return re.sub(rb"<v>[^<]*</v>", b"<v>" + junk + b"</v>", body, count=rnd.randint(1, 5))


@xml_mutation
def shared_string_out_of_range(body, rnd):
    index = str(rnd.choice([0, 5, 10**6, -1])).encode()
    return re.sub(
        rb't="inlineStr"><is><t>[^<]*</t></is>',
        b't="s"><v>' + index + b"</v>",
        body,
        count=rnd.randint(1, 20),
    )


@xml_mutation
def drop_a_chunk(body, rnd):
    start = rnd.randrange(len(body))
    return body[:start] + body[start + rnd.randint(1, 200) :]


@xml_mutation
def unbalance_tags(body, rnd):
    tag = rnd.choice([b"</row>", b"</c>", b"</sheetData>", b"</si>", b"</t>"])
    return body.replace(tag, b"", 1) if tag in body else body + tag


@xml_mutation
def huge_row_number(body, rnd):
    return re.sub(
        rb'<row r="\d+"',
        b'<row r="' + str(rnd.choice([0, -3, 10**9])).encode() + b'"',
        body,
        count=1,
    )


MUTATED_PARTS = (
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "xl/workbook.xml",
    "xl/styles.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
)


def mutate(data, rnd):
    """One random damage: raw bytes, a truncated file, a part removed, or a broken XML part."""
    roll = rnd.random()
    if roll < 0.15:
        return flip_bytes(data, rnd)
    if roll < 0.2:
        return truncate_file(data, rnd)
    entries = _entries(data)
    names = [n for n in MUTATED_PARTS if n in entries]
    if roll < 0.3:
        entries.pop(rnd.choice(names))  # e.g. missing shared strings
        return _zip(entries)
    for _ in range(rnd.randint(1, 3)):
        name = rnd.choice(names)
        entries[name] = rnd.choice(XML_MUTATIONS)(entries[name], rnd)
    return _zip(entries)


def clear_or_read(read, data):
    """The reader's answer: a refusal (with a sentence) or a result. Anything else fails."""
    try:
        return read(data)
    except guard.UploadRefused as e:
        assert str(e).endswith(".") and len(str(e)) > 20
        return e


# --- tests ----------------------------------------------------------------------------------


def test_the_undamaged_templates_read_cleanly():
    parsed = rx.read_return(filled_return(), key=KEY, codes=CODES)
    assert parsed.ok, parsed.problems
    assert parsed.values == {"REF-MAG": D(12), "REF-POL": D(7), "ASSESSED": D(5)}
    evidence = ex.read_evidence(filled_evidence(), key="C-1")
    assert not evidence.problems and len(evidence.rows) == 5


@pytest.mark.parametrize(
    "reader",
    [
        pytest.param(
            (filled_return, lambda d: rx.read_return(d, key=KEY, codes=CODES)), id="return"
        ),
        pytest.param((filled_evidence, lambda d: ex.read_evidence(d, key="C-1")), id="evidence"),
    ],
)
def test_a_damaged_workbook_is_read_cleanly_or_refused_never_an_error(reader):
    """Three hundred damaged copies of each kind of template are read or refused with a
    sentence, never a server error."""
    make, read = reader
    original = make()
    rnd = random.Random(SEED)
    outcomes = {"refused": 0, "read": 0}
    for _ in range(300):
        answer = clear_or_read(read, mutate(original, rnd))
        outcomes["refused" if isinstance(answer, guard.UploadRefused) else "read"] += 1
    # The mutations must really damage files: most are refused, some still read.
    assert outcomes["refused"] > 100, outcomes


@pytest.mark.parametrize("mutation", XML_MUTATIONS, ids=lambda f: f.__name__)
def test_each_kind_of_broken_sheet_xml_gets_a_clear_answer(mutation):
    original = filled_return()
    rnd = random.Random(SEED)
    for _ in range(25):
        entries = _entries(original)
        entries["xl/worksheets/sheet1.xml"] = mutation(entries["xl/worksheets/sheet1.xml"], rnd)
        clear_or_read(lambda d: rx.read_return(d, key=KEY, codes=CODES), _zip(entries))


def test_cells_pointing_at_missing_shared_strings_are_refused_with_a_sentence():
    # As Excel saves it, text lives in a shared-strings part; here the cells point at one
    # that is not in the file.
    entries = _entries(filled_return())
    sheet = entries["xl/worksheets/sheet1.xml"]
    entries["xl/worksheets/sheet1.xml"] = re.sub(
        rb't="inlineStr"><is><t>[^<]*</t></is>', b't="s"><v>7</v>', sheet
    )
    answer = clear_or_read(lambda d: rx.read_return(d, key=KEY, codes=CODES), _zip(entries))
    assert isinstance(answer, guard.UploadRefused) or not answer.ok


def test_text_that_looks_like_a_formula_survives_a_template_round_trip_exactly():
    rows = [
        rx.TemplateRow("REF-MAG", "=Referrals", "count", "", note="=SUM(A1:A9) is what we counted"),
        rx.TemplateRow("REF-POL", "+Police", "count", "", note="-5 on last month"),
        rx.TemplateRow("ASSESSED", "@Assessed", "count", "", note="#N/A"),
    ]
    data = return_template(rows, narrative='=HYPERLINK("http://example.invalid")')
    wb = load_workbook(io.BytesIO(data))
    ws = wb[rx.SHEET]
    texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type == "s" for c in texts), [
        (c.coordinate, c.data_type) for c in texts if c.data_type != "s"
    ]
    for row in range(rx.FIRST_ROW, rx.FIRST_ROW + 3):
        ws.cell(row=row, column=rx.VALUE_COL, value=1)
    buf = io.BytesIO()
    wb.save(buf)
    parsed = rx.read_return(buf.getvalue(), key=KEY, codes=CODES)
    assert parsed.ok, parsed.problems
    assert parsed.notes == {
        "REF-MAG": "=SUM(A1:A9) is what we counted",
        "REF-POL": "-5 on last month",
        "ASSESSED": "#N/A",
    }
    assert parsed.narrative == '=HYPERLINK("http://example.invalid")'


def test_a_real_formula_in_a_note_is_still_refused_with_its_row():
    wb = load_workbook(io.BytesIO(filled_return()))
    wb[rx.SHEET].cell(row=rx.FIRST_ROW, column=rx.NOTE_COL, value="=1+1")
    buf = io.BytesIO()
    wb.save(buf)
    parsed = rx.read_return(buf.getvalue(), key=KEY, codes=CODES)
    assert [(p.row, p.column) for p in parsed.problems] == [(rx.FIRST_ROW, "E")]


class FakeUpload(io.BytesIO):
    """An uploaded file as Django hands it over: its size is known before it is read."""

    def __init__(self, size):
        super().__init__(b"PK" + b"0" * 16)
        self.size = size


def test_the_size_message_gives_the_files_real_size():
    with pytest.raises(guard.UploadRefused) as refused:
        guard.read_upload(FakeUpload(37 * 1024 * 1024), max_bytes=2 * 1024 * 1024)
    assert "The file is 37.0 MB; the limit is 2.0 MB." in str(refused.value)
    assert guard.size_text(850) == "850 bytes"
    assert guard.size_text(12 * 1024) == "12 KB"


def test_a_figure_typed_as_text_in_the_template_is_read_by_the_forms_own_parser():
    wb = load_workbook(io.BytesIO(filled_return()))
    ws = wb[rx.SHEET]
    ws.cell(row=rx.FIRST_ROW, column=rx.VALUE_COL, value="1,000")
    ws.cell(row=rx.FIRST_ROW + 1, column=rx.VALUE_COL, value="1,5")
    ws.cell(row=rx.FIRST_ROW + 2, column=rx.VALUE_COL, value="1e6")
    buf = io.BytesIO()
    wb.save(buf)
    parsed = rx.read_return(buf.getvalue(), key=KEY, codes=CODES)
    assert parsed.values["REF-MAG"] == D(1000)
    problems = {p.row: str(p) for p in parsed.problems}
    assert "could mean two different figures" in problems[rx.FIRST_ROW + 1]
    assert "not as 1e6" in problems[rx.FIRST_ROW + 2]


def test_merged_cells_that_would_blank_a_figure_are_refused_with_their_row():
    wb = load_workbook(io.BytesIO(filled_return()))
    ws = wb[rx.SHEET]
    ws.merge_cells(
        start_row=rx.FIRST_ROW + 1, start_column=3, end_row=rx.FIRST_ROW + 1, end_column=4
    )
    buf = io.BytesIO()
    wb.save(buf)
    parsed = rx.read_return(buf.getvalue(), key=KEY, codes=CODES)
    (problem,) = [p for p in parsed.problems if "merged" in p.text]
    assert problem.row == rx.FIRST_ROW + 1 and "C8:D8" in problem.text
    # The template's own merged narrative box is fine.
    assert rx.read_return(filled_return(), key=KEY, codes=CODES).ok


def test_merged_cells_in_the_claim_evidence_are_refused_like_the_returns():
    # Merging D8:D9 keeps only D8: row 9's events would be read as blank, that is 1 event.
    wb = load_workbook(io.BytesIO(filled_evidence()))
    ws = wb[ex.SHEET]
    ws.cell(row=ex.FIRST_ROW + 1, column=4, value=3)
    ws.cell(row=ex.FIRST_ROW + 2, column=4, value=3)
    ws.merge_cells(
        start_row=ex.FIRST_ROW + 1, start_column=4, end_row=ex.FIRST_ROW + 2, end_column=4
    )
    buf = io.BytesIO()
    wb.save(buf)
    parsed = ex.read_evidence(buf.getvalue(), key="C-1")
    (problem,) = [p for p in parsed.problems if "merged" in p.text]
    assert problem.row == ex.FIRST_ROW + 1 and "D8:D9" in problem.text
    assert "Unmerge them" in problem.text
    # An unmerged sheet reads cleanly, with every event count as typed.
    clean = ex.read_evidence(filled_evidence(), key="C-1")
    assert not clean.problems and [r.events for r in clean.rows] == [1, 1, 1, 1, 1]
