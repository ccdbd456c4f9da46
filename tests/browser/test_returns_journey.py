"""cvo1 downloads the return template, fills it in, uploads it, fixes an error and submits;
the lead returns it with a comment; cvo1 resubmits; the lead approves; the commissioner sees
it in their report. Every page is checked by axe."""

from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from contracts.models import CommissionerTemplate, PerformanceReturn, ReturnValue
from contracts.xlsx import returns as rx
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser
PASSWORD = "journey-demo-password"


def sign_in_as(page, live_server, username):
    page.context.clear_cookies()
    login(page, live_server, username, PASSWORD)


def go(page, url):
    response = page.goto(url)
    assert response is not None and response.ok, url
    assert_accessible(page)


def test_return_round_trip_journey(live_server, demo_db, page, tmp_path):
    """A return's round trip: the CVO downloads the template, fills it in, uploads and submits it,
    the lead returns it with comments and approves the correction, each signing in with a
    second factor: some twenty pages in a real browser, each scanned by axe."""
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())
    ret = PerformanceReturn.objects.get(
        status="draft", subcontract__cvo__name__startswith="Larkspur"
    )
    previous = (
        PerformanceReturn.objects.filter(subcontract=ret.subcontract, status="approved")
        .order_by("-period__start")
        .first()
    )
    usual = dict(ReturnValue.objects.filter(ret=previous).values_list("indicator__code", "value"))
    url = f"{live_server.url}/returns/{ret.pk}/"

    sign_in_as(page, live_server, "cvo1")
    go(page, f"{live_server.url}/returns/")
    go(page, f"{url}edit/")
    go(page, f"{live_server.url}/performance/{ret.subcontract_id}/")
    go(page, f"{live_server.url}/indicators/")
    go(page, url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the spreadsheet template (XLSX)").click()
    path = tmp_path / "template.xlsx"
    download.value.save_as(path)

    wb = load_workbook(path)
    ws = wb[rx.SHEET]
    for row in range(rx.FIRST_ROW, ws.max_row + 1):
        code = ws.cell(row=row, column=1).value
        if code in usual:
            ws.cell(row=row, column=rx.VALUE_COL, value=float(usual[code]))
    ws.cell(row=rx.FIRST_ROW, column=rx.VALUE_COL, value="lots")  # the error to fix
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    ws.cell(row=rx.FIRST_ROW, column=rx.VALUE_COL, value=float(usual["REF_TOTAL"]))
    good = tmp_path / "good.xlsx"
    wb.save(good)

    page.get_by_role("link", name="Upload a filled-in template").click()
    assert_accessible(page)
    page.get_by_label("Filled-in template (.xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert "'lots' is not a number" in page.locator("#upload-problems").inner_text()
    assert_accessible(page)
    assert ReturnValue.objects.filter(ret=ret, indicator__code="REF_TOTAL").first().value != -1

    page.get_by_label("Filled-in template (.xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert "every figure read" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the return").click()
    page.wait_for_load_state()
    assert page.locator("#return-status").inner_text() == "Submitted"
    assert_accessible(page)

    sign_in_as(page, live_server, "lead")
    go(page, url)
    page.get_by_label("Comments").fill("Please add a note on the custody referrals.")
    page.get_by_role("button", name="Return with comments").click()
    page.wait_for_load_state()
    assert page.locator("#return-status").inner_text() == "Returned for changes"
    assert_accessible(page)

    sign_in_as(page, live_server, "cvo1")
    go(page, url)
    assert "Please add a note on the custody referrals." in page.content()
    page.get_by_role("button", name="Submit the return").click()
    page.wait_for_load_state()
    assert page.locator("#return-status").inner_text() == "Submitted"

    sign_in_as(page, live_server, "lead")
    go(page, url)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert page.locator("#return-status").inner_text() == "Approved"
    assert_accessible(page)
    go(page, f"{live_server.url}/performance/")
    go(page, f"{live_server.url}/performance/{ret.subcontract_id}/periods/")
    first_indicator = ReturnValue.objects.filter(ret=ret).first().indicator_id
    go(page, f"{live_server.url}/indicators/{first_indicator}/")
    go(page, f"{live_server.url}/indicators/{first_indicator}/change/")
    go(page, f"{live_server.url}/reports/")
    go(page, f"{live_server.url}/reports/{CommissionerTemplate.objects.first().pk}/")
    go(page, f"{live_server.url}/history/contracts.PerformanceReturn/{ret.pk}/")

    sign_in_as(page, live_server, "commissioner")
    template = CommissionerTemplate.objects.get(commissioner__name__startswith="NHS")
    start = ret.period.start.isoformat()
    go(page, f"{live_server.url}/reports/{template.pk}/report/?first={start}&last={start}")
    report = page.locator("#commissioner-report").inner_text()
    assert f"{ret.period.start:%b %Y}" in report and "Period total" in report
    assert str(int(usual["REF_TOTAL"])) in report
    # Each figure links once, to the returns behind its month.
    behind = page.locator(f"#returns-{ret.period.start:%Y-%m}").locator(
        "xpath=following-sibling::ul[1]"
    )
    assert f"{ret.subcontract.reference} {ret.period}" in behind.inner_text()
    assert page.problems == [], "\n".join(page.problems)
