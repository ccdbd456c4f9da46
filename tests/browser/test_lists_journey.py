"""The lists people read most (and the compliance matrix), on the demo data, at desktop (1280 px) and phone (390 px)
widths: every column header can be seen, on the page or by scrolling the table's own region
(the page itself never scrolls sideways), and axe finds nothing. Screenshots go to
$CONCORD_SCREENSHOTS when it is set (docs/screens/ holds the committed ones)."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.conftest import assert_accessible, login

PASSWORD = "demo-journey-passphrase"
LISTS = [
    ("staff", "/workforce/staff/"),
    ("payments", "/funding/payments/"),
    ("allocations", "/funding/allocations/"),
    ("returns", "/returns/"),
    ("compliance", "/workforce/compliance/"),
]
WIDTHS = [1280, 390]


@pytest.fixture
def demo(live_server, demo_db):
    from django.core.cache import cache

    cache.clear()
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


def screenshot(page, name):
    folder = os.environ.get("CONCORD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def headers_out_of_reach(page):
    """Column headers that cannot be brought into view: each header is scrolled into view
    (inside its table's scrolling region) and must then lie within the window and show its
    whole text."""
    out = []
    width = page.viewport_size["width"]
    for th in page.locator("table thead th").all():
        th.scroll_into_view_if_needed()
        box = th.bounding_box()
        text = th.inner_text().strip()
        clipped = th.evaluate("el => el.scrollWidth > el.clientWidth + 1")
        if box is None or box["x"] < -1 or box["x"] + box["width"] > width + 1 or clipped:
            out.append(text)
    return out


def test_the_busiest_lists_show_every_column_at_desktop_and_phone_width(page, live_server, demo):
    """Five of the demo's busiest lists, each at desktop and at phone width, every column header
    scrolled into view and measured and every page scanned by axe: ten pages of demo data."""
    login(page, live_server, "lead", PASSWORD)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in LISTS:
            page.goto(live_server.url + path)
            page.wait_for_load_state()
            assert page.locator("table thead th").count() > 2, name
            page_scrolls = page.evaluate(
                "document.documentElement.scrollWidth > window.innerWidth + 1"
            )
            wide = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +
                  Math.round(e.getBoundingClientRect().right))"""
            )
            assert not page_scrolls, f"{name} at {width}px: the page scrolls sideways: {wide}"
            assert headers_out_of_reach(page) == [], f"{name} at {width}px"
            page.evaluate(
                "window.scrollTo(0, 0); "
                "document.querySelectorAll('.concord-table-wrap').forEach(w => w.scrollLeft = 0)"
            )
            screenshot(page, f"{name}-{width}")
            assert_accessible(page)
    assert page.problems == []


def test_the_filters_open_above_a_full_width_table(page, live_server, demo):
    """The payments list's MoJ filter opens above the full-width table, filters to overdue
    payments and the download says when it has come: three axe scans and an XLSX prepared."""
    login(page, live_server, "lead", PASSWORD)
    page.goto(live_server.url + "/funding/payments/")
    table = page.locator(".concord-table-wrap").first
    main = page.locator("main")
    # Closed, the table has the page's whole width.
    assert abs(table.bounding_box()["width"] - main.bounding_box()["width"]) < 2
    page.get_by_role("button", name="Show filter").click()
    assert page.get_by_label("Overdue").is_visible()
    assert abs(table.bounding_box()["width"] - main.bounding_box()["width"]) < 2
    assert_accessible(page)
    page.get_by_label("Overdue").select_option(label="Yes")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    rows = page.locator("table tbody tr").all_inner_texts()
    assert rows and all("Overdue" in r for r in rows)
    assert_accessible(page)
    # The download says it is being prepared, then that it has come.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    status = page.get_by_role("status").filter(has_text="spreadsheet")
    status.filter(has_text="is ready").wait_for(timeout=5000)
    assert_accessible(page)


def test_the_runway_and_statement_print_without_the_sites_furniture(page, live_server, demo):
    """The runway and the allocation statement, printed, leave out the header and navigation."""
    login(page, live_server, "lead", PASSWORD)
    for path in ("/funding/runway/", "/funding/statement/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state()
        page.emulate_media(media="print")
        assert not page.get_by_role("navigation", name="Main").is_visible()
        assert not page.locator("header").first.is_visible()
        assert page.locator("table").first.is_visible()
        assert page.locator("h1").is_visible()
        page.emulate_media(media="screen")


def test_the_pages_people_land_on_read_well_and_pass_axe(page, live_server, demo):
    """The lead's dashboard, a CVO's return form with its errors and the commissioner's report
    read well and pass axe: three sign-ins with a second factor, screenshots kept."""
    from django_scopes import scopes_disabled

    from contracts.models import CommissionerTemplate, PerformanceReturn

    with scopes_disabled():
        draft = (
            PerformanceReturn.objects.filter(
                status__in=["draft", "returned"],
                subcontract__cvo__role_assignments__user__username="cvo1",
            )
            .order_by("period__start")
            .first()
        )
        report = CommissionerTemplate.objects.order_by("pk").first()
    page.set_viewport_size({"width": 1280, "height": 900})

    login(page, live_server, "lead", PASSWORD)
    assert page.locator("h1").inner_text() == "What needs you now"
    screenshot(page, "dashboard-lead")
    assert_accessible(page)

    if draft is not None:
        page.context.clear_cookies()
        login(page, live_server, "cvo1", PASSWORD)
        page.goto(f"{live_server.url}/returns/{draft.pk}/edit/")
        for box in page.locator("input[name^='v_']").all()[:2]:
            box.fill("lots")
        page.get_by_role("button", name="Save and submit").click()
        page.wait_for_load_state()
        summary = page.locator(".govuk-error-summary")
        assert summary.is_visible() and page.title().startswith("Error: ")
        first = summary.locator("a").first
        target = first.get_attribute("href")
        first.click()
        assert page.evaluate("document.activeElement.id") == target.lstrip("#")
        screenshot(page, "return-form-errors")
        assert_accessible(page)

    page.context.clear_cookies()
    login(page, live_server, "commissioner", PASSWORD)
    page.get_by_role("link", name=f"{report.name}: figures by month").click()
    page.wait_for_load_state()
    assert page.get_by_role("columnheader", name="Period total").is_visible()
    screenshot(page, "commissioner-report")
    assert_accessible(page)
    assert page.problems == []
