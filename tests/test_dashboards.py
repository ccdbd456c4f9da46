"""Dashboards put what is most urgent first: overdue and late, then due soon or expiring,
then information; and a panel that lists only some of its items says how many of how many."""

import datetime

import pytest
from lxml import html as lxml_html

from sample import build_money, make_payment


@pytest.mark.django_db
def test_the_leads_dashboard_puts_money_owed_late_first_then_the_rest_by_consequence(
    client, world, lead
):
    build_money(world)
    make_payment(world.money["alloc"], world.orgs["cvo_a"], "750.00", datetime.date(2026, 3, 1))
    client.force_login(lead)
    page = client.get("/").content.decode()
    doc = lxml_html.fromstring(page)
    today = [
        " ".join(li.text_content().split())
        for li in doc.xpath("//ol[contains(@class, 'concord-queue')]/li")
    ]
    # The world owes another payment late; the oldest is named.
    assert today[0].startswith("Money owed late 2 payments to members are overdue: £750.00 to ")
    assert "CVO Alpha, due 1 Mar 2026" in today[0]
    # Every panel below, collapsed to its title and count, in the same order.
    summaries = [" ".join(s.text_content().split()) for s in doc.xpath("//details/summary")]
    assert summaries[0] == "Payments to members due or overdue 2"
    # Collapsed, but for the getting-started checklist while the world's set-up is unfinished.
    opened = [
        " ".join(d.xpath("./summary")[0].text_content().split())
        for d in doc.xpath("//details")
        if d.get("open") is not None
    ]
    assert [t for t in opened if not t.startswith("Getting started")] == []


def test_panels_are_ordered_by_consequence_then_by_how_late_then_their_own_order(rf):
    from consortium import dashboard
    from consortium.dashboard import Consequence, Panel

    request = rf.get("/")
    request.user = None
    panels = [
        Panel(
            fn=lambda r: {"title": "Housekeeping", "count": 3},
            check=lambda user: True,
            order=1,
            consequence=Consequence.HOUSEKEEPING,
        ),
        Panel(
            fn=lambda r: {"title": "Waiting, 2 days", "count": 1, "late": 2},
            check=lambda user: True,
            order=2,
            consequence=Consequence.WAITING,
        ),
        Panel(
            fn=lambda r: {"title": "Waiting, 9 days", "count": 1, "late": 9},
            check=lambda user: True,
            order=3,
            consequence=Consequence.WAITING,
        ),
        Panel(
            fn=lambda r: {"title": "Paid on time", "count": 0, "consequence": Consequence.WAITING},
            check=lambda user: True,
            order=4,
            consequence=Consequence.MONEY_LATE,
        ),
        Panel(
            fn=lambda r: {"title": "Owed late", "count": 1},
            check=lambda user: True,
            order=5,
            consequence=Consequence.MONEY_LATE,
        ),
        Panel(fn=lambda r: None, check=lambda user: True, order=6),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dashboard, "PANELS", panels)
        queue = dashboard.queue_for(request)
    assert [s.data["title"] for s in queue] == [
        "Owed late",
        "Waiting, 9 days",
        "Waiting, 2 days",
        "Paid on time",
        "Housekeeping",
    ]
    # Only what holds something above housekeeping needs the person today.
    assert [s.headline for s in queue if s.needs_you] == [
        "Owed late: 1",
        "Waiting, 9 days: 1",
        "Waiting, 2 days: 1",
    ]


def test_a_panel_registered_with_only_a_check_and_order_is_information():
    from consortium import access, dashboard
    from consortium.dashboard import Consequence

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dashboard, "PANELS", [])

        @dashboard.panel(check=access.can_manage_setup, order=2)
        def getting_started(request):
            return {"title": "Getting started"}

        (registered,) = dashboard.PANELS
    assert registered.fn is getting_started and registered.order == 2
    assert registered.consequence == Consequence.INFORMATION


def test_panels_reminder_kinds_and_menu_entries_say_who_by_an_access_check():
    """Who sees a panel, gets a reminder or finds a menu entry is said one way: a check from
    an app's access module (the one its pages use), never a list of roles of its own."""
    from consortium import dashboard, navigation, reminders

    checks = [p.check for p in dashboard.PANELS]
    checks += [k.check for k in reminders.KINDS.values()]
    checks += [e.check for e in navigation.ENTRIES]
    assert len(checks) > 60
    # The menu's "Import" entry: anybody some import kind's own check allows.
    composed = {"consortium.importing.can_import"}
    outside = {
        f"{c.__module__}.{c.__qualname__}"
        for c in checks
        if not (c.__module__.endswith(".access") or ".access." in c.__module__)
    }
    assert outside == composed


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


@pytest.mark.django_db
def test_a_cvo_managers_next_return_opens_the_return_once_it_is_started(
    client, returns_world, cvo_a
):
    rw = returns_world
    import time_machine

    from sample import make_period, make_return

    sub = rw.money["sub_a"]
    with time_machine.travel(datetime.datetime(2026, 12, 7, 10, tzinfo=datetime.UTC), tick=False):
        period = make_period(sub, datetime.date(2026, 12, 1))
        client.force_login(cvo_a)
        page = client.get("/").content.decode()
        # Not started: the period's row on the performance page, where it starts.
        assert f"/performance/{sub.pk}/#period-{period.pk}" in page
        ret = make_return(sub, period)
        page = client.get("/").content.decode()
        assert f'href="{ret.get_absolute_url()}">Next return: ' in page
