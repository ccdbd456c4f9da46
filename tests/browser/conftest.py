"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server,
with every page checked by axe-core.

Later journeys reuse `login` and `assert_accessible`:

    from tests.browser.conftest import assert_accessible, login
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Everything axe can test automatically for WCAG 2.2 level AA (2.2 includes 2.1 and 2.0).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LOGIN_PATH = "/account/login/"
VERIFY_PATH = "/account/two-factor/"
SETUP_PATH = "/account/two-factor/set-up/"
RECOVERY_PATH = "/account/two-factor/recovery-codes/"
BUILT_CSS = Path(settings.BASE_DIR) / "static" / "build" / "concord.css"


def pytest_collection_modifyitems(config, items):
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    elif not BUILT_CSS.exists() or BUILT_CSS.stat().st_size < 1000:
        reason = "the front end is not built (run `npm ci && npm run build`)"
    if reason is None:
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    # CI must run the journeys, so a missing browser or build fails there instead of skipping.
    if os.environ.get("CI"):
        raise pytest.UsageError(f"Browser journeys cannot run: {reason}.")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every journey seeds users and signs in; the production hasher would spend most of the
    # run deliberately being slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all the journeys in this package.

    Playwright's sync API keeps an event loop running in the test thread, and Django refuses
    database calls from a thread with a running loop. DJANGO_ALLOW_ASYNC_UNSAFE lifts that only
    while the browser lives: set for the whole session, it would also reach the rest of the
    suite, where Django's deploy check rightly rejects it."""
    from playwright.sync_api import sync_playwright

    env = pytest.MonkeyPatch()
    env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        env.undo()


@pytest.fixture
def context(browser):
    # A new context per test: no cookies or storage carried from one user to the next.
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    # Script errors and failed requests (a missing stylesheet, script or icon) are kept on the
    # page for a journey to assert there were none.
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.problems = problems
    yield page


_axe = None


# Best-practice rules (not WCAG criteria) that the pages keep too: all content inside a
# landmark, and no table header cell without text.
BEST_PRACTICE = ["region", "empty-table-header"]


def assert_accessible(page, *, best_practice=False):
    """Fail listing each axe violation (id, help, targets) of WCAG 2.0–2.2 A and AA rules on the
    page as it stands now; with `best_practice`, of BEST_PRACTICE's rules too."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    if best_practice:
        more = _axe.run(
            page,
            options={
                "runOnly": {"type": "rule", "values": BEST_PRACTICE},
                "resultTypes": ["violations"],
            },
        )
        violations = violations + more.response["violations"]
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for v in violations:
            targets = "; ".join(" ".join(node["target"]) for node in v["nodes"])
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {targets}")
        pytest.fail("\n".join(lines), pytrace=False)


def login(page, live_server, username, password):
    """Sign in through the form (opening it first unless the page already shows it) and wait
    for the page it leads to. Where the person has a second factor, give a code from their
    authenticator; where their role needs one and they have none, set one up through the
    pages (scanning the key the page shows) and keep the recovery codes."""
    if not path_of(page).startswith(LOGIN_PATH):
        page.goto(live_server.url + LOGIN_PATH)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    path = path_of(page)
    if path.startswith(SETUP_PATH):
        set_up_authenticator(page)
    elif path.startswith(VERIFY_PATH):
        give_code(page, username)


def current_code(device):
    """The code `device` accepts now: each code works once, so after a sign-in in the same
    30 seconds this is the next window's code (accepted too: phones' clocks drift)."""
    import time

    from django_otp.oath import hotp

    device.refresh_from_db()
    while True:
        now = (int(time.time()) - device.t0) // device.step + device.drift
        t = max(now, device.last_t + 1)
        if t <= now + device.tolerance:
            return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"
        time.sleep(1)


def give_code(page, username):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    page.get_by_label("Code", exact=True).fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def set_up_authenticator(page):
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    app = TOTPDevice(key=base64.b32decode(secret).hex(), last_t=-1)
    app.refresh_from_db = lambda: None  # the app on the phone, not a row
    page.get_by_label("Code from the app").fill(current_code(app))
    page.get_by_role("button", name="Set up").click()
    page.wait_for_load_state()
    if path_of(page).startswith(RECOVERY_PATH):
        page.get_by_role("link", name="I have kept my codes: continue").click()
        page.wait_for_load_state()


def path_of(page):
    return re.sub(r"^https?://[^/]+", "", page.url)


def fill_date(page, legend, day):
    """Type a date into GOV.UK's day, month and year boxes, found by the fieldset's legend."""
    name = re.compile(rf"^{re.escape(legend)}( \(optional\))?$")
    group = page.get_by_role("group", name=name)
    group.get_by_label("Day", exact=True).fill(str(day.day))
    group.get_by_label("Month", exact=True).fill(str(day.month))
    group.get_by_label("Year", exact=True).fill(str(day.year))
