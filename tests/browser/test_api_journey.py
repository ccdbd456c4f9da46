"""The API key journey: a CVO manager makes a key in their sign-in settings (after a fresh
code), copies it from the page that shows it once, their case system uses it, and they revoke
it; the API's docs page runs under the content security policy. Each page is scanned by axe
and must fit a phone."""

import json
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser.conftest import assert_accessible, give_code, login, path_of

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "journey-password"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(live_server, demo_db):
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


def call(live_server, path, key):
    request = urllib.request.Request(
        live_server.url + path, headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def fits(page, width):
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{path_of(page)} is {wide} px wide at {width} px"


def test_a_manager_makes_a_key_uses_it_and_revokes_it(page, live_server, demo):
    """Five pages at phone width, each scanned by axe, and three API calls (about 15 s)."""
    refused = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.set_viewport_size(PHONE)
    login(page, live_server, "cvo1", DEMO_PASSWORD)
    page.goto(live_server.url + "/account/security/")
    page.get_by_role("link", name="API keys").first.click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="Make an API key").click()
    page.wait_for_load_state()
    if path_of(page).startswith("/account/two-factor/"):
        give_code(page, "cvo1")
    assert page.locator("h1").inner_text() == "Make an API key"
    assert_accessible(page)
    fits(page, PHONE["width"])
    page.get_by_label("Name").fill("Case system")
    page.get_by_label("Fill in and submit performance returns").check()
    page.get_by_label("Read what you can see").check()
    page.get_by_role("button", name="Make the key").click()
    page.wait_for_load_state()
    key = page.locator("#api-key").inner_text().strip()
    assert key.startswith("concord_")
    assert page.get_by_text("Copy it now").is_visible()
    assert_accessible(page)
    fits(page, PHONE["width"])

    status, body = call(live_server, "/api/v1/returns", key)
    assert status == 200 and body["items"]
    page.goto(live_server.url + "/account/api-keys/")
    assert key not in page.content()
    assert page.get_by_text(key[:12]).count() == 1
    assert_accessible(page)
    fits(page, PHONE["width"])

    page.get_by_role("button", name="Revoke Case system").click()
    page.wait_for_load_state()
    assert page.get_by_text("Revoked").count() >= 1
    status, body = call(live_server, "/api/v1/returns", key)
    assert status == 401 and body["title"] == "An API key is needed"

    page.goto(live_server.url + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".opblock").count() >= 25
    assert refused == [], refused
