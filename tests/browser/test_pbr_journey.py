"""cvo1 uploads a claim's evidence with one bad row, fixes it and submits; the lead draws a
sample, refuses a sampled line (so checks every line) and verifies; the commissioner
approves; the lead records the payment; cvo2 sees none of it. Every page is checked by axe."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from contracts.models import PbRClaim
from contracts.xlsx import outcomes as ox
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser
PASSWORD = "journey-demo-password"


def sign_in_as(page, live_server, username):
    page.context.clear_cookies()
    login(page, live_server, username, PASSWORD)


def go(page, url, ok=True):
    response = page.goto(url)
    assert response is not None
    if ok:
        assert response.ok, url
        assert_accessible(page)
    return response


def test_pbr_claim_journey(live_server, demo_db, page, tmp_path):
    """A claim from start to payment: the CVO replaces the claim's lines with the evidence
    spreadsheet (agreeing to the lines it removes), the lead verifies a sample and the
    commissioner approves, each signing in with a second factor: some twenty pages in a real
    browser, each scanned by axe."""
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())
    claim = PbRClaim.objects.get(
        status="draft", measure__code="MH28", claimant__name__startswith="Larkspur"
    )
    url = f"{live_server.url}/pbr/claims/{claim.pk}/"
    day = max(claim.period_start, claim.measure.valid_from) + datetime.timedelta(days=3)

    sign_in_as(page, live_server, "cvo1")
    go(page, f"{live_server.url}/pbr/claims/")
    go(page, f"{live_server.url}/pbr/statement/")
    go(page, f"{live_server.url}/pbr/exposure/")
    go(page, url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the evidence template (XLSX)").click()
    path = tmp_path / "template.xlsx"
    download.value.save_as(path)
    wb = load_workbook(path)
    ws = wb[ox.SHEET]
    # The template holds the lines already on the claim; this spreadsheet replaces them.
    kept = claim.lines.count()
    assert kept and ws.max_row >= ox.FIRST_ROW + kept - 1
    for row in ws.iter_rows(min_row=ox.FIRST_ROW):
        for cell in row:
            cell.value = None
    rows = [
        (f"JOURNEY-{i}", day, day + datetime.timedelta(days=2), 1, f"Letter {i}") for i in range(4)
    ]
    for i, row in enumerate(rows):
        for j, value in enumerate(row, start=1):
            ws.cell(row=ox.FIRST_ROW + i, column=j, value=value)
    ws.cell(row=ox.FIRST_ROW + 2, column=3, value=day - datetime.timedelta(days=1))  # the error
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    ws.cell(row=ox.FIRST_ROW + 2, column=3, value=day + datetime.timedelta(days=2))
    good = tmp_path / "good.xlsx"
    wb.save(good)

    page.get_by_role("link", name="Upload the evidence").click()
    assert_accessible(page)
    page.get_by_label("Evidence spreadsheet (.xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    problems = page.locator("#upload-problems").inner_text()
    assert "is before the engagement date" in problems and "9" in problems
    assert_accessible(page)
    page.get_by_label("Evidence spreadsheet (.xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    # Nothing is removed until the manager agrees to it, and chooses the file again.
    assert claim.lines.count() == kept
    assert_accessible(page)
    page.get_by_label(
        f"Remove the {kept} lines on the claim that are not in my spreadsheet"
    ).check()
    page.get_by_label("Evidence spreadsheet (.xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert "every line read" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the claim").click()
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "Submitted"
    assert_accessible(page)

    sign_in_as(page, live_server, "lead")
    go(page, url)
    page.get_by_label("Sample size (lines)").fill("2")
    page.get_by_label("Seed (optional)", exact=True).fill("31")
    page.get_by_role("button", name="Draw the sample").click()
    page.wait_for_load_state()
    assert "seed 31" in page.locator("#sample").inner_text()
    assert_accessible(page)
    claim.refresh_from_db()
    first, second = list(claim.lines.filter(in_sample=True).order_by("pk"))
    page.locator(f"#decision-{first.pk}").select_option("refused")
    page.locator(f"#note-{first.pk}").fill("The letter is from the wrong service.")
    page.get_by_role("button", name=f"Record for {first.code}").click()
    page.wait_for_load_state()
    assert "Every line must be verified" in page.locator("#sample").inner_text()
    assert_accessible(page)
    for line in claim.lines.exclude(pk=first.pk).order_by("pk"):
        page.get_by_role("button", name=f"Record for {line.code}").click()
        page.wait_for_load_state()
    page.get_by_role("button", name="Complete verification").click()
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "Verified"
    assert_accessible(page)

    sign_in_as(page, live_server, "commissioner")
    go(page, f"{live_server.url}/")
    go(page, url)
    page.get_by_role("button", name="Approve the claim").click()
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "Approved"
    assert page.locator("#claim-payable").inner_text() == "£750.00"
    assert_accessible(page)

    sign_in_as(page, live_server, "lead")
    go(page, url)
    page.get_by_label("Remittance reference").fill("BACS-JOURNEY-1")
    page.get_by_role("button", name="Record the payment of £750.00").click()
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "Paid"
    assert_accessible(page)
    claim.refresh_from_db()
    assert claim.payment.amount == claim.payable_amount

    sign_in_as(page, live_server, "cvo2")
    assert go(page, url, ok=False).status == 404
    go(page, f"{live_server.url}/pbr/claims/")
    assert "Larkspur" not in page.content()
    go(page, f"{live_server.url}/pbr/statement/")
    assert "Larkspur" not in page.content()
