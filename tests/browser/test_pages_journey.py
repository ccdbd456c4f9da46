"""The lead's widest pages in the demo, at a phone's width and a desktop's: nothing but a
focusable scroll region is wider than the screen, every piece of content (the back link
included) sits in a landmark, and no table header is empty; an action's address opened on its
own answers a page like the 404."""

from io import StringIO

import pytest
from django.core.management import call_command

from contracts.models import AssurancePack
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "journey-demo-password"
WIDTHS = (390, 1280)


@pytest.fixture
def demo(live_server, demo_db):
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


def test_the_leads_widest_pages_fit_a_phone_and_keep_their_content_in_landmarks(
    page, live_server, demo
):
    """Eight pages at two widths, each scanned by axe twice (about 20 seconds)."""
    pack = AssurancePack.objects.order_by("pk").first()
    paths = [
        "/",
        pack.get_absolute_url(),
        "/risks/heat-map/",
        "/funding/runway/",
        "/funding/payments/",
        "/risks/suggested/",
        "/pbr/claims/",
        "/workforce/posts/",
    ]
    login(page, live_server, "lead", DEMO_PASSWORD)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.ok, path
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide} px wide at {width} px"
            assert_accessible(page, best_practice=True)
    # A page with a back link: the link is inside a landmark.
    page.goto(live_server.url + pack.get_absolute_url())
    back = page.locator(".govuk-back-link")
    assert back.count() == 1
    assert back.evaluate("a => a.closest('nav').getAttribute('aria-label')") == "Back"

    response = page.goto(live_server.url + f"/pbr/claims/{pack.pk}/pay/")
    assert response.status == 405
    assert page.locator("h1").inner_text() == "This address only takes a form"
    assert_accessible(page, best_practice=True)
    assert page.problems == [f"405 {live_server.url}/pbr/claims/{pack.pk}/pay/"]
