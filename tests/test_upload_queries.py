"""A template upload writes its rows in bulk, each with its history: the number of queries does
not grow with the number of rows in the file."""

import datetime
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from consortium.xlsx_guard import UploadInvalid
from contracts.models import Indicator, ReturnValue
from contracts.services import returns as svc
from contracts.xlsx import returns as rx
from sample import (
    IndicatorFactory,
    build_money,
    make_period,
    make_return,
)


@pytest.fixture
def rw(returns_world):
    return returns_world


def filled(ret, bump=0):
    """The return's template with a figure in every row (row number + bump) and a note."""
    wb = load_workbook(io.BytesIO(svc.template_bytes(ret)))
    ws = wb[rx.SHEET]
    for row in range(rx.FIRST_ROW, ws.max_row + 1):
        code = ws.cell(row=row, column=1).value
        if code and code != rx.NARRATIVE_LABEL:
            ws.cell(row=row, column=rx.VALUE_COL, value=row + bump)
            ws.cell(row=row, column=rx.NOTE_COL, value=f"note {row + bump}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload_queries(ret, user, data):
    by = type(user).objects.get(pk=user.pk)  # a fresh user: its roles are read each time
    with CaptureQueriesContext(connection) as ctx:
        svc.return_upload(ret=ret, by=by, data=data, filename="r.xlsx")
    return len(ctx.captured_queries)


def test_an_upload_runs_the_same_queries_for_3_rows_as_for_30(rw, cvo_a):
    home = rw.returns["draft_a"].consortium
    sub = rw.money["sub_a"]
    codes = list(
        Indicator.objects.filter(consortium=home, active=True).values_list("code", flat=True)
    )
    Indicator.objects.filter(consortium=home, code__in=codes[3:]).update(active=False)
    counts = {}
    for size, month in ((3, 7), (30, 8)):
        if size == 30:
            Indicator.objects.filter(consortium=home).update(active=True)
            for n in range(30 - len(codes)):
                IndicatorFactory(consortium=home, code=f"EXTRA_{n:02d}", position=100 + n)
        ret = make_return(sub, make_period(sub, datetime.date(2026, month, 1)), {}, status="draft")
        assert len(svc.indicators_for(home.pk)) == size
        created = upload_queries(ret, cvo_a, filled(ret))
        updated = upload_queries(ret, cvo_a, filled(ret, bump=1))
        counts[size] = (created, updated)
        # Every row written, each with a history row saying who uploaded it and why.
        stored = ReturnValue.objects.filter(ret=ret)
        assert stored.count() == size
        assert all(v.value == D(v.note.removeprefix("note ")) for v in stored)
        history = ReturnValue.history.filter(ret_id=ret.pk)
        assert history.filter(history_type="+").count() == size
        assert history.filter(history_type="~").count() == size
        assert set(history.values_list("history_user", "history_change_reason")) == {
            (cvo_a.pk, "Return uploaded")
        }
        assert set(stored.values_list("version", flat=True)) == {2}
    assert counts[3] == counts[30], counts


def test_a_refused_upload_writes_no_value_and_no_history(rw, cvo_a):
    ret = rw.returns["draft_a"]
    before = ReturnValue.history.filter(ret_id=ret.pk).count()
    wb = load_workbook(io.BytesIO(filled(ret)))
    wb[rx.SHEET].cell(row=rx.FIRST_ROW + 2, column=rx.VALUE_COL, value="about forty")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(UploadInvalid):
        svc.return_upload(ret=ret, by=cvo_a, data=buf.getvalue(), filename="r.xlsx")
    assert ReturnValue.history.filter(ret_id=ret.pk).count() == before
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == D(5)


# --- PbR claim evidence ---------------------------------------------------------------------


def evidence_file(claim, count, first=0):
    """Evidence for `count` participants, each with its own outcome day in the claim's
    quarter."""
    from contracts.services import outcomes as pbr
    from contracts.xlsx import outcomes as ex

    wb = load_workbook(io.BytesIO(pbr.template_bytes(claim)))
    ws = wb[ex.SHEET]
    for i in range(count):
        day = claim.period_start + datetime.timedelta(days=i)
        values = (f"CASE-{first + i:04d}", day, day + datetime.timedelta(days=1), 1, f"Letter {i}")
        for column, value in enumerate(values, start=1):
            ws.cell(row=ex.FIRST_ROW + i, column=column, value=value)
        ws.cell(row=ex.FIRST_ROW + i, column=ex.CODE_COL).value = None  # new participants
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_evidence_upload_runs_the_same_queries_for_3_lines_as_for_30(world):
    from contracts.models import ClaimLine, OutcomeMeasure
    from contracts.services import outcomes as pbr
    from sample import make_claim, make_measure

    build_money(world)
    lead, cvo_a = world.users["lead"], world.users["cvo_a"]
    measure = make_measure(
        world.money["contract"],
        [world.orgs["cvo_a"]],
        by=lead,
        code="EV1",
        rule=OutcomeMeasure.Rule.PER_EVENT,
        tariff=D("50.00"),
        cap_per_participant=3,
    )
    counts = {}
    for size, quarter in ((3, datetime.date(2026, 4, 1)), (30, datetime.date(2026, 7, 1))):
        claim = make_claim(measure, world.orgs["cvo_a"], quarter, [], by=cvo_a)
        fresh = [type(cvo_a).objects.get(pk=cvo_a.pk) for _ in range(2)]
        with CaptureQueriesContext(connection) as first:
            pbr.claim_upload(by=fresh[0], claim=claim, data=evidence_file(claim, size))
        # A second upload replaces the lines: each deletion keeps its history too.
        with CaptureQueriesContext(connection) as again:
            pbr.claim_upload(
                by=fresh[1],
                claim=claim,
                data=evidence_file(claim, size, first=1000),
                remove_lines=size,
            )
        counts[size] = (len(first.captured_queries), len(again.captured_queries))
        history = ClaimLine.history.filter(claim_id=claim.pk)
        assert ClaimLine.objects.filter(claim=claim).count() == size
        assert history.filter(history_type="+").count() == 2 * size
        assert history.filter(history_type="-").count() == size
        assert set(history.values_list("history_user", "history_change_reason")) == {
            (cvo_a.pk, "Evidence uploaded")
        }
    assert counts[3] == counts[30], counts
