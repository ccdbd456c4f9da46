"""The lead prepares an assurance pack and signs it off (naming what is missing); the
commissioner lands on the dashboard, opens the pack in one click and downloads it in the
next, and raises a query; the lead answers it. Every page is checked by axe."""

from io import StringIO

import pytest
from django.core.management import call_command

from contracts.forms.assurance import quarter_choices
from contracts.models import AssurancePack, PackQuery
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


def test_assurance_pack_journey(live_server, demo_db, page):
    """The lead prepares, writes and signs off a pack; the commissioner opens it from the
    dashboard, downloads the PDF and raises a query; the lead answers it: three sign-ins with a
    second factor, a dozen pages in a real browser each scanned by axe, and a PDF rendered."""
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())
    # The demo holds last quarter's pack and this quarter's draft: prepare the one before.
    value, label = quarter_choices()[1]

    sign_in_as(page, live_server, "lead")
    go(page, f"{live_server.url}/assurance/")
    page.get_by_role("link", name="Prepare a pack").click()
    assert_accessible(page)
    page.get_by_label("Contract").select_option(
        label="NHS-HJ-001 Liaison and diversion, north and east London"
    )
    page.get_by_label("Period").select_option(value=value)
    page.get_by_role("button", name="Prepare the draft").click()
    page.wait_for_load_state()
    assert "Draft prepared" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Write the narrative").click()
    page.get_by_label("Narrative").fill("=SUM(A1) Delivery held up; see the actions.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Sign off").click()
    page.wait_for_load_state()
    assert_accessible(page)
    confirm = page.get_by_label("I sign off with what is listed above still missing")
    if confirm.count():
        confirm.check()
    page.get_by_role("button", name="Sign off").click()
    page.wait_for_load_state()
    pack = AssurancePack.objects.get(state="signed_off")
    assert pack.digest in page.content()
    assert_accessible(page)

    sign_in_as(page, live_server, "commissioner")
    assert_accessible(page)
    # A line of the commissioner's day, one click from the dashboard.
    line = page.locator("ol.concord-queue li", has_text="waiting for your acknowledgement")
    assert pack.contract.reference in line.inner_text()
    line.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/assurance/{pack.pk}/")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name="Raise a query").click()
    assert_accessible(page)
    page.get_by_label("Question").fill("Why is one return still missing?")
    page.get_by_role("button", name="Raise the query").click()
    page.wait_for_load_state()
    assert "Why is one return still missing?" in page.content()
    assert_accessible(page)

    sign_in_as(page, live_server, "lead")
    assert_accessible(page)
    # The packs in hand are a line of the lead's day; the query is named in its panel below.
    assert "Assurance packs in hand" in page.locator("ol.concord-queue").inner_text()
    page.locator("summary", has_text="Assurance packs in hand").click()
    page.get_by_role("link", name=f"Query to answer on {pack}").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Answer this query").click()
    assert_accessible(page)
    page.get_by_label("Answer").fill("It came in on the due date; the next pack shows it.")
    page.get_by_role("button", name="Save the answer").click()
    page.wait_for_load_state()
    assert "It came in on the due date" in page.content()
    assert_accessible(page)
    query = PackQuery.objects.get(pack=pack, question="Why is one return still missing?")
    assert query.answered_by.username == "lead"
    assert AssurancePack.objects.get(pk=pack.pk).digest == pack.digest
