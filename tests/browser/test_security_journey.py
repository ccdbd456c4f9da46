"""The security journeys: the lead signs in with a one-time code and approves a payment; the
administrator reads the security log; a person whose role needs a second factor sets one up
at their first sign-in. Every page on the way is checked by axe, and the content security
policy refuses nothing the pages need."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from funding.models import Payment
from sample import PASSWORD, ConsortiumWorld
from tests.browser.conftest import (
    LOGIN_PATH,
    SETUP_PATH,
    VERIFY_PATH,
    assert_accessible,
    current_code,
    path_of,
)

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "journey-password"


@pytest.fixture
def demo(live_server, demo_db):
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


def watch_csp(page):
    """Collect the console's reports of anything the content security policy refused."""
    refused = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return refused


def password(page, live_server, username, secret):
    page.goto(live_server.url + LOGIN_PATH)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_the_lead_signs_in_with_a_one_time_code_and_approves_a_payment(page, live_server, demo):
    """The lead signs in with a one-time code and approves a payment, giving a fresh code: several
    pages in a real browser, each scanned by axe."""
    refused = watch_csp(page)
    with scopes_disabled():
        payment = Payment.objects.filter(status=Payment.Status.SCHEDULED).order_by("due_date")[0]
        device = TOTPDevice.objects.get(user__username="lead", confirmed=True)

    password(page, live_server, "lead", DEMO_PASSWORD)
    assert path_of(page).startswith(VERIFY_PATH)
    assert page.locator("h1").inner_text() == "Enter your code"
    assert_accessible(page)
    # A wrong code first: refused with the error summary.
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert "That code is not right" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    with scopes_disabled():
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    page.get_by_label("Code", exact=True).fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert path_of(page) == "/"

    page.goto(f"{live_server.url}/funding/payments/{payment.pk}/")
    assert_accessible(page)
    page.get_by_role("link", name="Approve", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 0
    with scopes_disabled():
        payment.refresh_from_db()
    assert payment.status == Payment.Status.APPROVED
    assert refused == []
    assert page.problems == []


def test_the_administrator_reads_the_security_log(page, live_server, demo):
    """The administrator reads, filters and downloads the security log: several pages in a real
    browser, each scanned by axe."""
    refused = watch_csp(page)
    # Something to read: a failed sign-in of the lead's.
    password(page, live_server, "lead", "not-the-password")
    with scopes_disabled():
        device = TOTPDevice.objects.get(user__username="admin", confirmed=True)
    password(page, live_server, "admin", DEMO_PASSWORD)
    page.get_by_label("Code", exact=True).fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()

    main = page.get_by_role("navigation", name="Main")
    main.get_by_role("link", name="Consortium", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("navigation", name="Section").get_by_role(
        "link", name="Security log", exact=True
    ).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Security log"
    assert_accessible(page)
    table = page.locator("table").inner_text()
    assert "Sign-in failed" in table and "lead" in table
    assert "Second factor accepted" in table

    # The filters open above the list, which keeps the page's whole width.
    assert not page.get_by_label("Kind").is_visible()
    page.get_by_role("button", name="Show filter").click()
    page.get_by_label("Kind").select_option(label="Sign-in failed")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert_accessible(page)
    rows = page.locator("table tbody tr")
    assert rows.count() >= 1
    assert all("Sign-in failed" in t for t in rows.all_inner_texts())
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    assert download.value.suggested_filename.startswith("security-log-")
    assert refused == []


def test_a_lead_without_a_second_factor_sets_one_up_at_first_sign_in(page, live_server):
    """A lead without a second factor sets one up at first sign-in and keeps the recovery codes:
    several pages in a real browser, each scanned by axe."""
    refused = watch_csp(page)
    ConsortiumWorld.build()
    password(page, live_server, "lead", PASSWORD)
    assert path_of(page).startswith(SETUP_PATH)
    assert_accessible(page)
    # The QR code is drawn (inline SVG is allowed by the policy) and the key is shown.
    assert page.locator(".concord-qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    import base64

    app = TOTPDevice(key=base64.b32decode(secret).hex(), last_t=-1)
    app.refresh_from_db = lambda: None
    page.get_by_label("Code from the app").fill(current_code(app))
    page.get_by_role("button", name="Set up").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Your recovery codes"
    assert page.locator("#recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have kept my codes: continue").click()
    page.wait_for_load_state()
    assert path_of(page) == "/"
    page.get_by_role("link", name="Sign-in settings").click()
    page.wait_for_load_state()
    assert "10 unused recovery codes" in page.locator("main").inner_text()
    assert_accessible(page)
    assert refused == []
