"""The sessions list counts only as far as its page needs (consortium.lists.BoundedCountPaginator):
the figure it shows is exact up to the largest download made at once, "more than" beyond, always
over what the access policy lets this person see, and right as soon as a session changes."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from consortium.lists import BoundedCountPaginator
from sample import session, staff
from supervision.models import SessionKind, SupervisionSession

URL = reverse("supervision:session_list")


@pytest.fixture
def wf(workforce_world):
    return workforce_world


def results(client, user, **params):
    client.force_login(user)
    page = client.get(URL, params).content.decode()
    return re.search(r"(More than [\d,]+ results|\d+ results?)", page).group(1), page


def said(n):
    return f"{n} result" if n == 1 else f"{n} results"


def visible(user, **filters):
    return SupervisionSession.objects.visible_to(user).filter(**filters).count()


@pytest.mark.django_db
def test_it_counts_what_the_access_policy_shows_and_moves_when_a_session_is_logged(client, wf):
    cvo_a, cvo_b, sup = wf.users["cvo_a"], wf.users["cvo_b"], wf.users["supervisor"]
    before_a, before_b = visible(cvo_a), visible(cvo_b)
    assert results(client, cvo_a)[0] == said(before_a)
    assert results(client, cvo_b)[0] == said(before_b)

    session(wf.home, sup, [wf.extra["staff"]["a1"]], days_ago=1)

    assert results(client, cvo_a)[0] == said(before_a + 1)
    assert results(client, cvo_b)[0] == said(before_b)  # not cvo_b's to see


@pytest.mark.django_db
def test_it_follows_the_filters_and_a_changed_session(client, wf):
    cvo_a = wf.users["cvo_a"]
    held = visible(cvo_a, status="held")
    assert results(client, cvo_a, status="held")[0] == said(held)
    changed = SupervisionSession.objects.visible_to(cvo_a).filter(status="held").first()
    changed.status, changed.status_reason = "cancelled", "Supervisor unwell"
    changed.save()
    assert results(client, cvo_a, status="held")[0] == said(held - 1)
    cancelled = visible(cvo_a, status="cancelled")
    assert results(client, cvo_a, status="cancelled")[0] == said(cancelled)


def grow(wf, n):
    sup = wf.users["supervisor"]
    for i in range(n):
        s = staff(wf.home, wf.orgs["cvo_a"], f"Extra{i}", f"Person{i}", None, sup)
        session(wf.home, sup, [s], days_ago=5 + i)
        session(wf.home, sup, [s], kind=SessionKind.GROUP, days_ago=40 + i)


@pytest.mark.django_db
def test_past_what_it_counts_it_says_more_than_and_still_offers_every_row(
    client, wf, settings, monkeypatch
):
    """Slow-ish: logs thirty sessions through the service to pass a page of 25."""
    cvo_a = wf.users["cvo_a"]
    grow(wf, 15)
    total = visible(cvo_a)
    assert 26 < total <= 50
    monkeypatch.setattr(BoundedCountPaginator, "at_most", 3)
    shown, page = results(client, cvo_a)
    # Page 1 of 25 is counted to one row past itself.
    assert shown == "More than 25 results"
    # Not counted far enough to know whether the download is prepared in the background.
    assert "Download them all as a spreadsheet (XLSX)" in page
    assert 'aria-label="Page 2"' in page and 'rel="next"' in page
    assert 'aria-label="Page 3"' not in page  # not counted that far

    # The second page is counted one row past itself too, and lists the rest.
    shown, page = results(client, cvo_a, page=2)
    assert shown == said(total)
    assert page.count('class="govuk-table__row"') - 1 == total - 25

    # The download is not bounded: every row the person may see.
    client.force_login(cvo_a)
    response = client.get(URL, {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.getvalue()), read_only=True).active.values)
    assert len(rows) - 1 == total

    # Known to be past the largest direct download: it is prepared in the background.
    settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS = 20
    assert "Prepare a spreadsheet (XLSX) to download" in results(client, cvo_a)[1]


@pytest.mark.django_db
def test_the_paginator_counts_no_further_than_it_needs(wf, monkeypatch, django_assert_num_queries):
    grow(wf, 2)
    monkeypatch.setattr(BoundedCountPaginator, "at_most", 3)
    qs = SupervisionSession.objects.order_by("-date", "-id")
    total = qs.count()
    assert total > 6
    paginator = BoundedCountPaginator(qs, 2)
    with django_assert_num_queries(1):
        page = paginator.page(1)
    assert (paginator.count, paginator.more, paginator.at_least) == (4, True, 3)
    assert page.has_next() and len(page.object_list) == 2

    paginator = BoundedCountPaginator(qs, 2)
    paginator.page(-(-total // 2))  # the last page: counted one row past it, so to the end
    assert (paginator.count, paginator.more) == (total, False)

    everything = BoundedCountPaginator(list(qs), 100)
    assert (everything.count, everything.more) == (4, True)
