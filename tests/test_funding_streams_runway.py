"""Funding streams, expiry horizons and the runway against hand-worked figures."""

import datetime
from decimal import Decimal as D
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from funding import runway
from funding.models import FundingStream
from sample import make_allocation, make_stream

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _today():
    from django.core.cache import cache

    cache.clear()  # the runway is cached by its figures; each test starts afresh
    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, 0), tick=False):
        yield


def ending_in(world, days, name=None, **kw):
    return make_stream(
        world.home,
        world.orgs["commissioner"],
        name or f"Ends in {days}",
        start=datetime.date(2025, 1, 1),
        end=TODAY + datetime.timedelta(days=days),
        **kw,
    )


def test_expiry_horizons_default_to_180_90_30(world):
    horizons = {d: ending_in(world, d).horizon() for d in (0, 20, 30, 31, 60, 90, 150, 180, 181)}
    assert horizons == {
        0: 30,
        20: 30,
        30: 30,
        31: 90,
        60: 90,
        90: 90,
        150: 180,
        180: 180,
        181: None,
    }
    assert ending_in(world, -1).horizon() is None
    assert ending_in(world, 10, status=FundingStream.Status.ENDED).horizon() is None


def test_expiry_horizons_are_configurable(world, settings):
    settings.CONCORD_EXPIRY_HORIZONS = [60, 14]
    assert [ending_in(world, d).horizon() for d in (10, 40, 100)] == [14, 60, None]


def test_streams_expiring_show_on_the_lead_dashboard_and_the_list(client, world, lead, supervisor):
    ending_in(world, 20, "Borough grant")
    ending_in(world, 400, "Long trust grant")
    client.force_login(lead)
    page = client.get("/").content.decode()
    assert "Borough grant" in page and "within 30 days" in page and "Long trust grant" not in page
    listing = client.get(reverse("funding:stream_list")).content.decode()
    assert "Ends within 30 days" in listing
    client.force_login(supervisor)
    assert "Borough grant" not in client.get("/").content.decode()
    assert client.get(reverse("funding:stream_list")).status_code == 404


def test_stream_creation_refuses_bad_input(client, world, lead):
    client.force_login(lead)
    data = {
        "funder": world.orgs["commissioner"].pk,
        "name": "New grant",
        "kind": "grant",
        "amount": "-1.00",
        "start": "2026-04-01",
        "end": "2026-03-01",
        "status": "secured",
        "notice_period_days": "0",
    }
    page = client.post(reverse("funding:stream_create"), data).content.decode()
    assert "govuk-error-summary" in page and not FundingStream.objects.exists()
    data.update(amount="1000.00", end="2027-03-31")
    assert client.post(reverse("funding:stream_create"), data).status_code == 302
    stream = FundingStream.objects.get()
    assert stream.amount == D("1000.00") and stream.consortium == world.home


def hand_worked(world):
    # £100 a day for January to June (181 days); a second funder £100 a day for March–April.
    make_stream(
        world.home,
        world.orgs["commissioner"],
        "NHS",
        "18100.00",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 6, 30),
    )
    make_stream(
        world.home,
        world.orgs["lead"],
        "Trust",
        "6100.00",
        start=datetime.date(2026, 3, 1),
        end=datetime.date(2026, 4, 30),
    )
    make_stream(
        world.home,
        world.orgs["lead"],
        "Bid",
        "99999.00",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2028, 1, 1),
        status=FundingStream.Status.BID_SUBMITTED,
    )


def test_the_runway_matches_hand_worked_figures(world, lead):
    hand_worked(world)
    data = runway.consortium_runway(lead)
    assert data.totals[:7] == [
        D("3100.00"),
        D("2800.00"),
        D("6200.00"),
        D("6000.00"),
        D("3100.00"),
        D("3000.00"),
        D("0.00"),
    ]
    assert [f[0] for f in data.funders] == ["Home Commissioner", "Home Lead Agency"]
    assert data.funders[0][2] == D("18100.00") and data.funders[1][2] == D("6100.00")
    assert data.runs_out == datetime.date(2026, 6, 30)
    assert data.months_secured == 5 and data.short


def test_the_runway_headlines_the_first_cliff_not_only_the_end(client, world, lead):
    hand_worked(world)
    data = runway.consortium_runway(lead)
    cliff = data.first_cliff
    # April's £6,000 falls to £3,100 in May when the trust's money ends: 48%, well before
    # the last money ends in June.
    assert cliff.month == datetime.date(2026, 5, 1)
    assert (cliff.before, cliff.after, cliff.percent) == (D("6000.00"), D("3100.00"), 48)
    assert cliff.funders == ["Home Lead Agency"]
    assert cliff.sentence() == (
        "From May 2026 secured income falls by 48%, from £6,000.00 to £3,100.00 a month as "
        "Home Lead Agency money ends or falls."
    )
    client.force_login(lead)
    assert cliff.sentence() in client.get(reverse("funding:runway")).content.decode().replace(
        "&#x27;", "'"
    )
    assert "From May 2026 secured income falls by 48%" in client.get("/").content.decode()


def test_a_funder_keeps_its_colour_whatever_its_rank():
    assert runway.funder_colour("NHS England") == runway.funder_colour("NHS England")
    assert len({runway.funder_colour(f"Funder {i}") for i in range(40)}) > 3


def test_a_member_runway_spreads_its_allocation(world, lead):
    stream = make_stream(
        world.home,
        world.orgs["commissioner"],
        "NHS",
        "36500.00",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
    )
    make_allocation(
        stream, [(world.orgs["cvo_a"], "3650.00", "A"), (world.orgs["cvo_b"], "32850.00", "B")]
    )
    data = runway.member_runway(lead, world.orgs["cvo_a"])
    assert data.totals[0] == D("310.00") and data.totals[1] == D("280.00")
    assert sum(data.totals) == D("3650.00")
    assert data.runs_out == datetime.date(2026, 12, 31) and data.months_secured == 11


def test_the_runway_page_chart_and_spreadsheet_carry_the_same_figures(client, world, lead):
    hand_worked(world)
    client.force_login(lead)
    page = client.get(reverse("funding:runway")).content.decode()
    assert "Less than 12 months secured" in page and "£6,200.00" in page and "30 June 2026" in page
    chart = client.get(reverse("funding:runway_chart"))
    assert chart["Content-Type"] == "image/svg+xml" and b"<svg" in chart.content
    svg = chart.content.decode()
    assert "<title>Secured funding for the consortium</title>" in svg
    assert "Home Commissioner" in svg and "Home Lead Agency" in svg and "£ per month" in svg
    xlsx = client.get(reverse("funding:runway") + "?export=xlsx")
    rows = list(load_workbook(__import__("io").BytesIO(xlsx.getvalue())).active.values)
    assert rows[0] == ("Month", "Home Commissioner", "Home Lead Agency", "Total")
    assert rows[3][1:] == (3100, 3100, 6200)
    member = client.get(reverse("funding:runway") + f"?member={world.orgs['cvo_a'].pk}")
    assert "Secured funding for CVO Alpha" in member.content.decode()


def test_the_chart_is_cached_by_its_figures(world, lead):
    hand_worked(world)
    data = runway.consortium_runway(lead)
    with mock.patch.object(runway, "_draw", return_value="<svg></svg>") as draw:
        runway.chart_svg(data)
        runway.chart_svg(runway.consortium_runway(lead))
    assert draw.call_count <= 1


def test_a_commissioner_sees_only_the_streams_they_fund(client, world, commissioner, cvo_a):
    hand_worked(world)
    data = runway.consortium_runway(commissioner)
    assert [f[0] for f in data.funders] == ["Home Commissioner"]
    client.force_login(commissioner)
    page = client.get(reverse("funding:stream_list")).content.decode()
    assert "NHS" in page and "Trust" not in page
    client.force_login(cvo_a)
    assert client.get(reverse("funding:runway")).status_code == 404
    assert (
        client.get(reverse("funding:runway") + f"?member={world.orgs['cvo_a'].pk}").status_code
        == 404
    )


@pytest.mark.parametrize("n", [3, 40])
def test_stream_list_and_runway_queries_stay_flat(
    client, world, lead, django_assert_max_num_queries, n
):
    for i in range(n):
        ending_in(world, 10 + i, f"Stream {i}")
    client.force_login(lead)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("funding:stream_list")).status_code == 200
    # The runway, with its income-at-risk section (the exposure's figure version, then its
    # figures, cold); flat in n.
    with django_assert_max_num_queries(12):
        assert client.get(reverse("funding:runway")).status_code == 200
