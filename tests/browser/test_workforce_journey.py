"""The supervision journey in a real browser, every page checked by axe: the supervisor logs a
group session with three attendees and a 1:1; the CVO manager sees compliance move and cannot
read the notes; the commissioner sees the figures without names."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from consortium import dates
from supervision.models import SessionKind, StaffMember, SupervisionSession
from tests.browser.conftest import assert_accessible, fill_date, login

pytestmark = pytest.mark.browser

PASSWORD = "journey-demo-password"
NOTES = "Journey notes: talked about a hard week in custody"


@pytest.fixture
def demo(live_server, demo_db):
    from django.core.cache import cache

    cache.clear()
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())
    today = timezone.localdate()
    with scopes_disabled():
        larkspur = list(
            StaffMember.objects.filter(
                organisation__name="Larkspur Women's Centre",
                clinical_supervisor__username="supervisor",
            ).order_by("last_name")[:3]
        )
        # Start the month clean for these three, so the journey's sessions are what moves
        # their compliance whatever day of the month it runs.
        SupervisionSession.objects.filter(
            attendees__in=larkspur,
            kind__in=[SessionKind.ONE_TO_ONE, SessionKind.GROUP],
            date__gte=dates.month_start(today),
        ).delete()
    return larkspur


def go(page, url):
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    assert_accessible(page)


def met_count(page):
    return page.locator("table .concord-status--met").count()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_supervisor_logs_sessions_and_others_see_only_what_they_may(page, live_server, demo):
    """The supervisor logs sessions and each other role sees only what it may: five sign-ins and
    some fifteen pages in a real browser, each scanned by axe."""
    first, second, third = demo
    detail_url = f"{live_server.url}/workforce/staff/{first.pk}/"

    login(page, live_server, "cvo1", PASSWORD)
    go(page, detail_url)
    met_before = met_count(page)
    go(page, f"{live_server.url}/workforce/compliance/")
    sign_out(page)

    login(page, live_server, "supervisor", PASSWORD)
    assert_accessible(page)
    go(page, f"{live_server.url}/workforce/sessions/")
    page.get_by_role("link", name="Log a group session").click()
    page.wait_for_load_state()
    assert_accessible(page)
    fill_date(page, "Date", timezone.localdate())
    for person in (first, second, third):
        page.get_by_label(f"{person.name}, Larkspur Women's Centre").check()
    page.get_by_label("Themes").fill("vicarious trauma, self-care")
    page.get_by_label("Confidential notes").fill(NOTES)
    page.get_by_label("Agreed action 1").fill("Share the self-care plan")
    fill_date(page, "Action 1 due", timezone.localdate())
    page.get_by_role("button", name="Log session").click()
    page.wait_for_load_state()
    assert "Clinical group on" in page.locator("h1").inner_text()
    assert NOTES in page.content()
    assert_accessible(page)
    group_url = page.url

    go(page, f"{live_server.url}/workforce/sessions/add/?kind=one_to_one")
    fill_date(page, "Date", timezone.localdate())
    page.get_by_label(f"{first.name}, Larkspur Women's Centre").check()
    page.get_by_label("Confidential notes").fill(NOTES + " (1:1)")
    page.get_by_role("button", name="Log session").click()
    page.wait_for_load_state()
    assert "Clinical 1:1 on" in page.locator("h1").inner_text()
    assert_accessible(page)
    go(page, f"{live_server.url}/workforce/compliance/")
    go(page, f"{live_server.url}/")
    sign_out(page)

    login(page, live_server, "cvo1", PASSWORD)
    go(page, detail_url)
    assert met_count(page) == met_before + 2  # this month's 1:1 and group are now met
    go(page, group_url)
    assert "vicarious trauma" in page.content()
    assert NOTES not in page.content()
    assert "readable only by the supervisor" in page.content()
    go(page, f"{live_server.url}/workforce/sessions/")
    assert NOTES not in page.content()
    sign_out(page)

    login(page, live_server, "commissioner", PASSWORD)
    assert "Workforce assurance" in page.content()
    assert_accessible(page)
    go(page, f"{live_server.url}/workforce/compliance/")
    text = page.content()
    assert "Individual practitioners are not named" in text
    assert "Last 3 months" in text and "%" in text
    assert first.last_name not in text and NOTES not in text
    go(page, f"{live_server.url}/workforce/posts/")
    assert page.problems == [], "\n".join(page.problems)
