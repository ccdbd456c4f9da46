"""Each role's dashboard in the demo is a work queue: the most consequential item first, the
top within one screen, the whole page short, and accessible at desktop and phone widths."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser.conftest import assert_accessible, login, path_of

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "journey-demo-password"
SCREEN = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(live_server, demo_db):
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())


# Who, what the first line of their day must be (its tag and words in it), and how many
# screens at 1280 x 800 the whole dashboard may take.
FIRST = {
    # An overdue payment owed to a member comes before everything else.
    "lead": ("Money owed late", "payment to a member is overdue: £9,660.00 to Clearwater", 2),
    # The member who is owed it sees it first too.
    "cvo2": ("Money owed late", "payment to you is overdue: £9,660.00", 2),
    # People who missed supervision last month come before this month's sessions.
    "supervisor": ("Waiting for you", "missed supervision last month", 1.5),
    # The commissioner's funding falls away with no decision made.
    "commissioner": ("Ending without a decision", "Funding runway", 2),
}


@pytest.mark.parametrize("username", list(FIRST))
def test_each_dashboard_puts_the_most_consequential_item_first_within_one_screen(
    page, live_server, demo, username
):
    """Signs in to the demo (the demo is restored for each role: about 15 seconds) and scans the dashboard
    with axe at two widths."""
    tag, words, screens = FIRST[username]
    page.set_viewport_size(SCREEN)
    login(page, live_server, username, DEMO_PASSWORD)
    assert path_of(page) == "/"
    today = page.locator("ol.concord-queue > li")
    assert today.count() >= 1
    first = " ".join(today.first.inner_text().split())
    assert first.startswith(tag) and words in first, first
    # The whole of today's list is on the first screen.
    bottom = page.locator("#today-heading").evaluate(
        "h => h.closest('section').getBoundingClientRect().bottom"
    )
    assert bottom <= SCREEN["height"], f"today's list ends at {bottom} px"
    # Everything else is one line a panel, closed (but the commissioner's own reports).
    kept_open = 1 if username == "commissioner" else 0
    assert page.locator("details[open]").count() == kept_open
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= screens * SCREEN["height"], f"{username}'s dashboard is {height} px tall"
    assert_accessible(page, best_practice=True)
    # Each line opens to its panel.
    page.locator("details summary").first.click()
    assert page.locator("details[open]").count() == kept_open + 1
    assert_accessible(page, best_practice=True)

    page.set_viewport_size(PHONE)
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard is {width} px wide at 390 px"
    assert_accessible(page, best_practice=True)
    assert page.problems == [], "\n".join(page.problems)
