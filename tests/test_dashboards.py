"""Dashboards put what is most urgent first: overdue and late, then due soon or expiring,
then information; and a panel that lists only some of its items says how many of how many."""

import datetime
import re

import pytest

from sample import build_money, make_payment


@pytest.mark.django_db
def test_the_leads_dashboard_puts_overdue_first_then_due_soon_then_information(client, world, lead):
    build_money(world)
    make_payment(world.money["alloc"], world.orgs["cvo_a"], "750.00", datetime.date(2026, 3, 1))
    client.force_login(lead)
    page = client.get("/").content.decode()
    tones = re.findall(r'<section class="concord-panel(?: concord-panel--(\w+))?"', page)
    rank = {"danger": 0, "warning": 1, "": 2}
    assert tones and "danger" in tones
    assert [rank[t] for t in tones] == sorted(rank[t] for t in tones), tones


def test_a_panel_that_lists_some_of_its_items_says_how_many_of_how_many():
    from django.template.loader import render_to_string

    html = render_to_string(
        "partials/_panel.html",
        {
            "panel": {
                "title": "Returns late",
                "count": 22,
                "items": [(f"Return {i}", None) for i in range(5)],
                "link": ("/returns/", "See all late returns"),
            },
            "forloop": {"counter": 1},
        },
    )
    assert "5 of 22 shown" in html and "See all late returns" in html
