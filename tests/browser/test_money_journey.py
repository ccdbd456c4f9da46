"""The money journey: the lead records a stream, a subcontract and an allocation, approves it,
schedules and records a payment; the CVO signs in and sees its statement and the payment.
Every page on the way is checked by axe."""

import datetime

import pytest
from django.utils import timezone

from sample import PASSWORD, ConsortiumWorld
from tests.browser.conftest import assert_accessible, fill_date, login

pytestmark = pytest.mark.browser


def go(page, name):
    """Open a page from the navigation: a section of the main navigation, or a page within
    one of the sections."""
    main = page.get_by_role("navigation", name="Main")
    target = main.get_by_role("link", name=name, exact=True)
    if target.count() == 0:
        for section in main.get_by_role("link").all_inner_texts():
            main.get_by_role("link", name=section.strip(), exact=True).click()
            page.wait_for_load_state()
            target = page.get_by_role("navigation", name="Section").get_by_role(
                "link", name=name, exact=True
            )
            if target.count():
                break
            main = page.get_by_role("navigation", name="Main")
    target.click()
    page.wait_for_load_state()
    assert_accessible(page)


def submit(page, label):
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 0, page.locator("main").inner_text()
    assert_accessible(page)


def test_lead_allocates_and_pays_and_the_cvo_sees_it(page, live_server):
    """The money journey from a new stream to a paid payment, signed in as the lead and then as a
    CVO: some twenty forms and pages in a real browser, each scanned by axe."""
    ConsortiumWorld.build()
    today = timezone.localdate()
    start = today - datetime.timedelta(days=10)
    end = start + datetime.timedelta(days=364)

    login(page, live_server, "lead", PASSWORD)
    go(page, "Funding streams")
    page.get_by_role("link", name="Add a funding stream").click()
    assert_accessible(page)
    page.get_by_label("Funder").select_option(label="Home Commissioner")
    page.get_by_label("Name", exact=True).fill("Liaison and diversion prime")
    page.get_by_label("Kind").select_option(label="Contract")
    page.get_by_label("Amount").fill("120000.00")
    fill_date(page, "Start", start)
    fill_date(page, "End", end)
    submit(page, "Save")
    assert page.locator("h1").inner_text() == "Liaison and diversion prime"

    go(page, "Subcontracts")
    page.get_by_role("link", name="Add a subcontract").click()
    assert_accessible(page)
    page.get_by_label("Lead", exact=True).select_option(label="Home Lead Agency")
    page.get_by_label("Subcontractor").select_option(label="CVO Alpha")
    page.get_by_label("Reference").fill("SC-01")
    page.get_by_label("Title").fill("Court liaison")
    page.get_by_label("Original value").fill("54000.00")
    fill_date(page, "Start", start)
    fill_date(page, "End", end)
    page.get_by_label("Funding streams").select_option(label="Liaison and diversion prime")
    submit(page, "Save")
    assert "SC-01 Court liaison" in page.locator("h1").inner_text()

    go(page, "Allocations")
    page.get_by_role("link", name="Start an allocation").click()
    assert_accessible(page)
    page.get_by_label("Stream").select_option(label="Liaison and diversion prime")
    fill_date(page, "Period start", start)
    fill_date(page, "Period end", end)
    page.get_by_label("Pot").fill("100000.00")
    page.get_by_label("Formula").select_option(label="Equal shares")
    page.get_by_label("Management fee %").fill("10")
    page.get_by_label("Fee organisation").select_option(label="Home Lead Agency")
    page.get_by_label("CVO Alpha: figure").fill("1")
    page.get_by_label("CVO Beta: figure").fill("1")
    submit(page, "Preview (what if)")
    assert "£45,000.00" in page.locator("main").inner_text()
    submit(page, "Save the draft")
    page.get_by_role("link", name="Approve").click()
    assert_accessible(page)
    submit(page, "Approve")
    assert "Approved" in page.locator("main").inner_text()

    page.get_by_role("link", name="Schedule payments").click()
    assert_accessible(page)
    page.get_by_label("Member").select_option(label="CVO Alpha")
    page.get_by_label("Instalments", exact=True).fill("1")
    fill_date(page, "First payment due", today)
    submit(page, "Schedule payments")
    page.locator(".concord-results tbody a").first.click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="Approve").click()
    submit(page, "Approve")
    page.get_by_role("link", name="Record as paid").click()
    assert_accessible(page)
    page.get_by_label("Remittance reference").fill("BACS-0001")
    submit(page, "Record as paid")
    assert "Paid" in page.locator("main").inner_text()

    go(page, "Runway")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    login(page, live_server, "cvo_a", PASSWORD)
    assert_accessible(page)
    assert "Your allocation" in page.locator("main").inner_text()
    go(page, "Allocation statement")
    text = page.locator("main").inner_text()
    assert "£45,000.00" in text and "CVO Beta" in text  # open book by default
    go(page, "Payments")
    text = page.locator("main").inner_text()
    assert "£45,000.00" in text and "BACS-0001" in text
    go(page, "Subcontracts")
    page.get_by_role("link", name="SC-01").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "£45,000.00" in page.locator("main").inner_text()  # its payments, on its subcontract
