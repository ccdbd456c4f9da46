"""Journeys through the demo in a real browser, each page checked by axe."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.consortium import DEMO_USERS
from sample import PASSWORD, ConsortiumWorld
from tests.browser.conftest import LOGIN_PATH, assert_accessible, login, path_of

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "journey-demo-password"
NAVY = "rgb(29, 53, 87)"


@pytest.fixture
def demo(live_server, demo_db):
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


def open_page(page, url):
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"


def assert_no_problems(page):
    assert page.problems == [], "\n".join(page.problems)


def nav_links(page):
    links = page.locator("nav#navigation a, ul.govuk-service-navigation__list a")
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]


def section_links(page):
    links = page.locator('nav[aria-label="Section"] a')
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_each_demo_user_signs_in_sees_their_dashboard_and_every_section(
    page, live_server, demo, username
):
    """Each demo user signs in and opens every section and page their menu offers: up to thirty
    pages of demo data in a real browser, each scanned by axe (about a quarter of a second a
    scan), so the lead's and the administrator's take the longest."""
    open_page(page, live_server.url + "/")
    assert path_of(page).startswith(LOGIN_PATH), "signed-out visitors are sent to sign in"
    # The built stylesheet is served and applied, not just linked.
    header_colour = page.locator(".concord-header").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert header_colour == NAVY
    assert_accessible(page)

    login(page, live_server, username, DEMO_PASSWORD)
    assert path_of(page) == "/"
    assert page.locator("h1").inner_text() == "What needs you now"
    assert_accessible(page)

    links = nav_links(page)
    assert links, "the main navigation lists the sections this user may open"
    for label, href in links:
        open_page(page, live_server.url + href)
        current = page.locator(".govuk-service-navigation__item--active a")
        assert current.inner_text().strip() == label, f"{label} is marked as the current section"
        assert_accessible(page)
        # Every page of the section, from its own navigation.
        for sub_label, sub_href in section_links(page):
            if sub_href == href:
                continue
            open_page(page, live_server.url + sub_href)
            here = page.locator('nav[aria-label="Section"] a[aria-current]')
            assert here.inner_text().strip() == sub_label, f"{sub_label} is marked as current"
            assert (
                page.locator(".govuk-service-navigation__item--active a").inner_text().strip()
                == label
            )
            assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert path_of(page).startswith(LOGIN_PATH)
    assert_accessible(page)
    open_page(page, live_server.url + "/")
    assert path_of(page).startswith(LOGIN_PATH), "signing out ends the session"
    assert_no_problems(page)


def test_wrong_password_shows_the_error_summary(page, live_server):
    """A wrong password shows GOV.UK's error summary, focused for screen readers."""
    ConsortiumWorld.build()
    login(page, live_server, "lead", PASSWORD + "-wrong")
    assert path_of(page).startswith(LOGIN_PATH)
    summary = page.locator(".govuk-error-summary")
    assert "There is a problem" in summary.inner_text()
    assert "Enter a correct username and password" in summary.inner_text()
    # GOV.UK's script moves focus to the summary so screen readers announce it.
    assert summary.evaluate("el => el === document.activeElement")
    assert_accessible(page)
    assert_no_problems(page)


def test_admin_opens_an_organisation_and_its_history(page, live_server, demo):
    """The administrator opens an organisation of the demo and its history: a few pages in a real
    browser, each scanned by axe."""
    login(page, live_server, "admin", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consortium").click()
    page.wait_for_load_state()
    assert_accessible(page)

    page.locator(".concord-results tbody a").first.click()
    page.wait_for_load_state()
    name = page.locator("h1").inner_text()
    assert "/organisations/" in path_of(page)
    assert_accessible(page)

    page.get_by_role("link", name="View history").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == name
    assert "History" in page.title()
    assert_accessible(page)
    assert_no_problems(page)
