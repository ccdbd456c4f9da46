"""A practitioner in a real browser, every page checked by axe: they sign in, open their own
record and their supervision, read the notes of a session they attended, and another
practitioner's session answers 404."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from supervision.models import StaffMember, SupervisionSession
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser

PASSWORD = "journey-demo-password"


@pytest.fixture
def demo(live_server, demo_db):
    from django.core.cache import cache

    cache.clear()
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())
    with scopes_disabled():
        mine = StaffMember.objects.get(user__username="practitioner")
        attended = SupervisionSession.objects.filter(attendees=mine).exclude(note=None)
        not_attended = SupervisionSession.objects.exclude(attendees=mine).exclude(note=None).first()
        return mine, attended.order_by("-date").first(), not_attended


def test_a_practitioner_reads_their_own_notes_and_no_one_elses(page, live_server, demo):
    """A practitioner signs in and reads their own notes and no one else's: a few pages in a real
    browser, each scanned by axe."""
    mine, session, other = demo
    login(page, live_server, "practitioner", PASSWORD)
    assert_accessible(page)
    page.get_by_role("link", name="Your work").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.get_by_role("heading", name="My supervision").is_visible()
    page.get_by_role("link", name=str(session)).first.click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.get_by_role("heading", name="Confidential notes").is_visible()
    assert page.locator(".govuk-inset-text").count() == 1

    response = page.goto(f"{live_server.url}{other.get_absolute_url()}")
    assert response.status == 404
    assert_accessible(page)

    response = page.goto(f"{live_server.url}/workforce/my/record/")
    assert response.ok
    assert mine.name in page.content()
    assert_accessible(page)
