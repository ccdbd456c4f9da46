"""The risks journey in a real browser, every page checked by axe: cvo1 records a risk and
asks to escalate it; the lead accepts it, reviews it and sees the heat map move; the
commissioner sees the consortium register and heat map but not cvo2's register; the lead
opens a risk from a SWOT threat."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from risks.models import RiskRegister
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser

PASSWORD = "journey-demo-password"
TITLE = "Larkspur's only custody practitioner retires"


@pytest.fixture
def demo(live_server, demo_db):
    from django.core.cache import cache

    cache.clear()
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())
    with scopes_disabled():
        return {
            "consortium": RiskRegister.objects.get(organisation__isnull=True).pk,
            "recovery": RiskRegister.objects.get(
                organisation__name="Clearwater Recovery Service"
            ).pk,
        }


def go(page, url):
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    assert_accessible(page)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def submit(page, name):
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    assert_accessible(page)


def cell(page, likelihood, consequence):
    """The count in one cell of the heat map (0 when it has no link)."""
    td = (
        page.locator("table.concord-heatmap tbody tr")
        .nth(5 - likelihood)
        .locator("td")
        .nth(consequence - 1)
    )
    link = td.locator("a")
    return int(link.inner_text().split()[0]) if link.count() else 0


def test_a_member_escalates_a_risk_the_lead_reviews_it_and_the_commissioner_sees_it(
    page, live_server, demo
):
    """A member records and escalates a risk, the lead reviews it and the commissioner sees it:
    three sign-ins and some fifteen pages in a real browser, each scanned by axe."""
    base = live_server.url
    login(page, live_server, "cvo1", PASSWORD)
    assert_accessible(page)
    go(page, f"{base}/risks/")
    page.get_by_role("link", name="Larkspur Women's Centre risk register").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="Add a risk").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Cause", exact=True).fill("One practitioner covers the custody suite")
    page.get_by_label("Event", exact=True).fill("She retires in the spring")
    page.get_by_label("Effect", exact=True).fill("Nobody sees women in custody")
    page.get_by_label("Category", exact=True).select_option(label="Workforce")
    page.get_by_label("Owner", exact=True).select_option(label="Cara Bennett")
    for kind, (lk, c) in {"Inherent": (5, 4), "Residual": (4, 4), "Target": (2, 3)}.items():
        page.get_by_label(f"{kind} likelihood", exact=True).select_option(value=str(lk))
        page.get_by_label(f"{kind} consequence", exact=True).select_option(value=str(c))
    submit(page, "Save the risk")
    assert TITLE in page.locator("h1").inner_text()
    assert "escalation threshold" in page.content()
    page.get_by_role("link", name="Ask to escalate").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Reason").fill("Custody cover is a consortium commitment")
    submit(page, "Ask to escalate")
    assert "Escalation waiting for the lead" in page.content()
    sign_out(page)

    login(page, live_server, "lead", PASSWORD)
    assert_accessible(page)
    go(page, f"{base}/risks/heat-map/?register={demo['consortium']}")
    before_high, before_moderate = cell(page, 4, 4), cell(page, 2, 4)
    go(page, f"{base}/")
    # Escalations are a line of the lead's day; each is named in its panel, one line below.
    assert (
        "escalated risks waiting for your decision" in page.locator("ol.concord-queue").inner_text()
    )
    page.locator("summary", has_text="Risks needing attention").click()
    page.get_by_role(
        "link", name=f"Escalation waiting: LWC-004 {TITLE} (Larkspur Women's Centre)"
    ).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Accept onto the consortium register").check()
    page.get_by_label("Reason").fill("Agreed: the consortium funds custody cover")
    submit(page, "Record the decision")
    assert "Escalated from" in page.content() and TITLE in page.content()
    go(page, f"{base}/risks/heat-map/?register={demo['consortium']}")
    assert cell(page, 4, 4) == before_high + 1
    page.go_back()
    page.wait_for_load_state()
    page.get_by_role("link", name="Review", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Residual likelihood now").select_option(value="2")
    page.get_by_label("What changed").fill("Bank practitioner agreed for custody")
    submit(page, "Record the review")
    assert "Review recorded." in page.content()
    go(page, f"{base}/risks/heat-map/?register={demo['consortium']}")
    assert (cell(page, 4, 4), cell(page, 2, 4)) == (before_high, before_moderate + 1)
    sign_out(page)

    login(page, live_server, "commissioner", PASSWORD)
    assert_accessible(page)
    go(page, f"{base}/risks/registers/{demo['consortium']}/")
    assert TITLE in page.content()
    go(page, f"{base}/risks/heat-map/")
    assert "Consortium risk register" in page.content()
    response = page.goto(f"{base}/risks/registers/{demo['recovery']}/")
    assert response.status == 404
    page.problems.clear()  # the 404 above was expected
    go(page, f"{base}/risks/list/")
    assert "Clearwater" not in page.locator("table").inner_text()
    sign_out(page)

    login(page, live_server, "lead", PASSWORD)
    go(page, f"{base}/risks/swot/")
    page.get_by_role("link", name="Partnership SWOT: interviews, documents and workshop").click()
    page.wait_for_load_state()
    assert_accessible(page)
    # The demo already opened a risk from this threat: it links to the risk instead.
    assert (
        page.get_by_role(
            "link", name="Open a risk from “Commissioners reorganise, with differing agendas”"
        ).count()
        == 0
    )
    page.get_by_role(
        "link", name="Open a risk from “Patchy links with NHS trusts across London”"
    ).click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert "Opened from the SWOT threat" in page.content()
    page.get_by_label("Cause", exact=True).fill("Each trust has its own referral route")
    page.get_by_label("Effect", exact=True).fill("Diverted people wait longer for treatment")
    page.get_by_label("Category", exact=True).select_option(label="Partnership")
    page.get_by_label("Owner", exact=True).select_option(label="Lena Marsh")
    for kind, (lk, c) in {"Inherent": (3, 3), "Residual": (3, 2), "Target": (2, 2)}.items():
        page.get_by_label(f"{kind} likelihood", exact=True).select_option(value=str(lk))
        page.get_by_label(f"{kind} consequence", exact=True).select_option(value=str(c))
    submit(page, "Save the risk")
    assert "From the SWOT" in page.content()
    assert "Patchy links with NHS trusts across London" in page.content()
    page.get_by_role("link", name="Threats: Patchy links with NHS trusts across London").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.problems == [], "\n".join(page.problems)
