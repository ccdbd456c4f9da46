"""One format everywhere: every page a person can reach from their dashboard, as every demo
role, reads dates as "28 Feb 2027", counts as whole numbers and plurals as words — no ISO
dates in the text, no "payment(s)", no "214.00" people."""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from consortium.numbers import count, plural
from demo.consortium import DEMO_USERS
from tests.conftest import client_for

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
MAYBE_PLURAL = re.compile(r"\w\(s\)")
# A figure with ".00" that is not money (money is written "£1,234.00").
COUNT_WITH_PENCE = re.compile(r"(?<![£\d,.])(?<!£-)\d[\d,]*\.00\b(?!\s*%)")
DOUBLED = re.compile(r"\b(\w[\w ]{2,40}?) \1\b")
# Pages the crawl does not follow: downloads, sign-out, the Django admin, actions.
SKIP = re.compile(
    r"(\.xlsx|\.pdf|\.csv|/download|/export|logout|/account/|/admin/|/two-factor|/history/|\?page=)"
)
MOST_PAGES = 120


def text_of(doc):
    for bad in doc.xpath("//script|//style|//template|//*[@hidden]"):
        bad.drop_tree()
    return " ".join(doc.text_content().split())


def findings(text):
    found = []
    for name, pattern in (
        ("ISO date", ISO_DATE),
        ("'(s)' plural", MAYBE_PLURAL),
        ("count with .00", COUNT_WITH_PENCE),
    ):
        for m in pattern.finditer(text):
            found.append(f"{name}: …{text[max(0, m.start() - 50) : m.end() + 30]}…")
    return found


def crawl(client, start="/"):
    """{path: [findings]} over the pages reachable from `start` by links, breadth first."""
    seen, queue, out = {start}, deque([start]), {}
    while queue and len(out) < MOST_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        doc = lxml_html.fromstring(response.content.decode())
        for href in doc.xpath("//a/@href"):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(href):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            # One page of each kind of list filter is enough.
            key = parts.path if parts.query else target
            if key not in seen:
                seen.add(key)
                queue.append(target)
        problems = findings(text_of(doc))
        if problems:
            out[path] = problems
    return out


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_every_page_a_role_reaches_uses_one_format(client, demo_db, username):
    """Crawls up to MOST_PAGES pages of the demo as one role (a few seconds a role)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    found = crawl(client_for(client, user))
    report = "\n".join(f"{path}\n  " + "\n  ".join(p[:5]) for path, p in found.items())
    assert not found, f"{len(found)} pages break the format:\n{report}"


def test_counts_and_plurals_read_as_words():
    assert plural(1, "payment") == "1 payment"
    assert plural(2, "payment") == "2 payments"
    assert plural(1204, "person", "people") == "1,204 people"
    from decimal import Decimal

    assert count(Decimal("214.00")) == "214"
    assert count(Decimal("1204")) == "1,204"
    assert count(Decimal("2.50")) == "2.5"


@pytest.mark.django_db
def test_downloads_hold_dates_and_times_as_real_spreadsheet_dates_to_the_second(
    client, world, admin_user
):
    import datetime
    import io

    from openpyxl import load_workbook

    client_for(client, admin_user)
    client.get("/consortium/organisations/?export=xlsx")  # a download: a line in the log
    response = client.get("/consortium/security-log/?export=xlsx")
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    first = next(ws.iter_rows(min_row=2, max_row=2))
    when = first[0]
    assert isinstance(when.value, datetime.datetime) and when.value.microsecond == 0
    assert when.number_format == "d mmm yyyy hh:mm"
