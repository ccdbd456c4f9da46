"""One figure, every view: PbR exposure on the demo agrees on every page that shows it (the
exposure page, the runway band, the allocation and PbR statements, the dashboards and a draft
pack), for
every role allowed to see it, or the role's view says it is limited and why."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from consortium import dates
from contracts.models import AssurancePack
from contracts.selectors import outcomes as sel
from contracts.services import assurance as packs

LARKSPUR = "Larkspur Women's Centre"
WHOLE = "The consortium"
SHARE_LINE = re.compile(
    r"^(?P<name>.+?): (?:(?P<share>[\d.]+)% of income depends on outcomes|share of income not "
    r"worked out) \(at most (?P<max>£[\d,.]+)\)"
)


def number(text):
    """A cell as a figure: money and percentages as Decimal, "Not shown" and "—" as None."""
    text = " ".join(text.split())
    if text in ("", "—", "Not shown"):
        return None
    return Decimal(text.replace("£", "").replace(",", "").rstrip("%"))


def text_of(node):
    return " ".join(node.text_content().split())


def table_rows(table):
    """{who: {"block", "max", "share"}} from an exposure table, whatever its column order."""
    headers = [text_of(th) for th in table.xpath(".//thead//th")]
    keys = {}
    for i, h in enumerate(headers):
        if h.startswith("Block income"):
            keys[i] = "block"
        elif h.startswith("Most outcomes can earn"):
            keys[i] = "max"
        elif h.startswith("Share"):
            keys[i] = "share"
    rows = {}
    for tr in table.xpath(".//tbody/tr"):
        cells = [text_of(c) for c in tr.xpath("./th|./td")]
        if len(cells) < len(headers):
            continue
        rows[cells[0]] = {k: number(cells[i]) for i, k in keys.items()}
    return rows


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    content = response.content.decode()
    return content, lxml_html.fromstring(content)


def exposure_page(client, query=""):
    content, doc = page(client, reverse("outcomes:exposure") + query)
    return content, table_rows(doc.get_element_by_id("exposure"))


def section_table(client, url, title_start):
    """The rows of the section (runway band, statement) whose heading starts with
    `title_start`, and the page's text."""
    content, doc = page(client, url)
    for h2 in doc.xpath("//h2"):
        if text_of(h2).startswith(title_start):
            table = doc.xpath(f"//table[@aria-labelledby='{h2.get('id')}']")
            return content, table_rows(table[0]) if table else {}
    raise AssertionError(f"no section {title_start!r} on {url}")


def dashboard(client):
    content, doc = page(client, reverse("dashboard"))
    # Each panel is collapsed to its heading; its figures are in the same <details>.
    heading = [h for h in doc.xpath("//h3") if text_of(h) == "Payment by results exposure"]
    assert heading, "the dashboard has no exposure panel"
    section = heading[0].xpath("ancestor::details[1]")[0]
    rows = {}
    for li in section.xpath(".//li"):
        found = SHARE_LINE.match(text_of(li))
        if found:
            rows[found["name"]] = {
                "max": number(found["max"]),
                "share": number(found["share"] or ""),
            }
    return text_of(section), rows


def pack_exposure(client, pack):
    content, doc = page(client, pack.get_absolute_url())
    for table in doc.xpath("//table"):
        caption = table.xpath("./caption")
        if caption and text_of(caption[0]) == "Exposure across the consortium":
            return content, table_rows(table)
    raise AssertionError("the pack shows no exposure")


def agrees(reading, truth, where):
    for key, value in reading.items():
        assert value == truth[key], f"{where}: {key} {value} but the lead's page says {truth[key]}"


def says_limited(content, where):
    assert sel.BLOCK_HIDDEN in content, f"{where} does not say why"


@pytest.fixture
def demo_users(demo_db):
    users = get_user_model().objects.in_bulk(
        ["admin", "lead", "cvo1", "commissioner"], field_name="username"
    )
    return users


def test_exposure_agrees_on_every_page_for_every_role(client, demo_users):
    """Seeds the demo (about a minute, once per worker) and reads about twenty pages."""
    users = demo_users
    client.force_login(users["lead"])
    _, truth = exposure_page(client)
    assert {WHOLE, LARKSPUR} <= set(truth)
    # The figure the selector gives, and the README's formula over it.
    first, last = dates.financial_year(timezone.localdate())
    figures = sel.exposure(users["lead"], first, last)
    larkspur = next(r for r in figures.members if r.name == LARKSPUR)
    assert truth[LARKSPUR] == {
        "block": larkspur.block,
        "max": larkspur.pbr_max,
        "share": (larkspur.pbr_max * 100 / (larkspur.block + larkspur.pbr_max)).quantize(
            Decimal("0.1")
        ),
    }

    # The lead and the administrator: the consortium and every member, on every page.
    for name in ("lead", "admin"):
        client.force_login(users[name])
        readings = {
            "exposure page": exposure_page(client)[1],
            "runway": section_table(client, reverse("funding:runway"), "Income at risk")[1],
            "allocation statement": section_table(
                client, reverse("funding:statement"), "Income that depends on outcomes"
            )[1],
            "PbR statement": section_table(
                client, reverse("outcomes:pbr_statement"), "Income that depends on outcomes"
            )[1],
            "dashboard": dashboard(client)[1],
        }
        for where, rows in readings.items():
            assert WHOLE in rows, f"{name}'s {where} has no consortium row"
            for who, reading in rows.items():
                agrees(reading, truth[who], f"{name}'s {where}, {who}")

    # Larkspur's manager: its own row, the same as the lead's.
    client.force_login(users["cvo1"])
    for where, rows in {
        "exposure page": exposure_page(client)[1],
        "allocation statement": section_table(
            client, reverse("funding:statement"), "Income that depends on outcomes"
        )[1],
        "PbR statement": section_table(
            client, reverse("outcomes:pbr_statement"), "Income that depends on outcomes"
        )[1],
        "dashboard": dashboard(client)[1],
    }.items():
        assert set(rows) == {LARKSPUR}, f"cvo1's {where}: {sorted(rows)}"
        agrees(rows[LARKSPUR], truth[LARKSPUR], f"cvo1's {where}")

    # The commissioner sees no allocations: no block income and no share, and each page says
    # why; the most outcomes can earn is over the contracts it commissions (all Larkspur's).
    client.force_login(users["commissioner"])
    for where, (content, rows) in {
        "exposure page": exposure_page(client),
        "runway": section_table(client, reverse("funding:runway"), "Income at risk"),
        "PbR statement": section_table(
            client, reverse("outcomes:pbr_statement"), "Income that depends on outcomes"
        ),
        "dashboard": dashboard(client),
    }.items():
        says_limited(content, f"the commissioner's {where}")
        assert "100.0%" not in content
        for who, reading in rows.items():
            assert reading.get("block") is None and reading["share"] is None, (where, who)
        if LARKSPUR in rows:
            assert rows[LARKSPUR]["max"] == truth[LARKSPUR]["max"], where
        if WHOLE in rows:
            assert sel.MEASURES_LIMITED in content, where


def test_the_pack_shows_the_exposure_of_its_own_period(client, demo_users):
    """Seeds the demo (about a minute, once per worker) and takes a draft pack's figures."""
    users = demo_users
    lead = users["lead"]
    pack = (
        AssurancePack.objects.visible_to(lead)
        .filter(state=AssurancePack.State.DRAFT)
        .order_by("-period_start")
        .first()
    )
    assert pack is not None, "the demo has a draft pack"
    packs.pack_refresh(pack=pack, by=lead)
    query = f"?first={pack.period_start:%Y-%m-%d}&last={pack.period_end:%Y-%m-%d}"
    for name in ("lead", "admin"):
        client.force_login(users[name])
        _, truth = exposure_page(client, query)
        _, rows = pack_exposure(client, pack)
        assert WHOLE in rows and LARKSPUR in rows
        for who, reading in rows.items():
            agrees(reading, truth[who], f"{name}'s pack, {who}")
