"""A large download in a real browser: prepared in the background, its progress shown, ready
on the page and the dashboard, failed with a way to try again — every page checked by axe."""

import datetime
import re

from django.utils import timezone

from consortium.models import PreparedDownload
from sample import PASSWORD, ConsortiumWorld, make_payment
from tests.browser.conftest import assert_accessible, login


def test_a_large_download_is_prepared_shown_and_fetched(page, live_server, settings):
    """Sign-in with a second factor set up, then six pages in a real browser, each scanned by
    axe, and a file downloaded."""
    settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS = 3
    w = ConsortiumWorld.build()
    for i in range(5):
        make_payment(
            None,
            w.orgs["cvo_a"],
            f"{100 + i}.00",
            datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            consortium=w.home,
        )
    login(page, live_server, "lead", PASSWORD)
    page.goto(live_server.url + "/funding/payments/")
    page.get_by_role("link", name="Prepare a spreadsheet (XLSX) to download").click()
    page.wait_for_load_state()
    assert page.locator("h2.govuk-panel__title").inner_text() == "Your file is ready"
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Download payments-")).click()
    assert download.value.suggested_filename.startswith("payments-")
    page.goto(live_server.url + "/")
    assert "Your file is ready: Payments" in page.locator("main").inner_text()
    assert_accessible(page)

    now = timezone.now()
    running = PreparedDownload.objects.create(
        consortium=w.home,
        user=w.users["lead"],
        title="Payments",
        path="/funding/payments/",
        query="export=xlsx&status=paid",
        filename="payments",
        status="running",
        rows_total=40000,
        rows_done=10000,
        started_at=now - datetime.timedelta(seconds=60),
        expires_at=now + datetime.timedelta(days=1),
    )
    page.goto(f"{live_server.url}/consortium/downloads/{running.pk}/")
    bar = page.get_by_label("Preparing the spreadsheet")
    assert bar.get_attribute("value") == "25"
    assert "25% done: 10000 of 40000 rows" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    # The page reads its progress again by itself, and shows the file when it is ready.
    PreparedDownload.objects.filter(pk=running.pk).update(rows_done=30000)
    page.get_by_role("status").filter(has_text="75% done: 30000 of 40000 rows").wait_for()
    assert bar.get_attribute("value") == "75" or bar.evaluate("el => el.value") == 75
    PreparedDownload.objects.filter(pk=running.pk).update(status="ready", rows_done=40000)
    heading = page.get_by_role("heading", name="Your file is ready")
    heading.wait_for()
    assert heading.evaluate("el => el === document.activeElement")
    assert_accessible(page)

    PreparedDownload.objects.filter(pk=running.pk).update(status="failed")
    page.goto(f"{live_server.url}/consortium/downloads/{running.pk}/")
    assert "The file could not be prepared" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Try again").click()
    page.wait_for_load_state()
    assert page.locator("h2.govuk-panel__title").inner_text() == "Your file is ready"
    assert page.problems == []
    for d in PreparedDownload.objects.all():
        d.file.delete()
