"""Pages that do not grow with the data: the runway summarises posts at risk, the list behind
it is paged, and choice lists beyond a hundred options become a name search."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consortium.choices import CHOICE_LIMIT
from consortium.models import Membership, Organisation
from funding.models import FundingStream
from supervision import selectors
from supervision.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def wf(workforce_world):
    return workforce_world


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def stream_ending(wf, days):
    today = timezone.localdate()
    return FundingStream.objects.create(
        consortium=wf.home,
        funder=wf.orgs["commissioner"],
        name=f"Ends in {days}",
        amount=1000,
        start=today - timedelta(days=300),
        end=today + timedelta(days=days),
    )


def add_posts_at_risk(wf, n, orgs, days=(20, 60, 150)):
    streams = [stream_ending(wf, d) for d in days]
    for i in range(n):
        post = Post.objects.create(
            consortium=wf.home, organisation=orgs[i % len(orgs)], title=f"Extra post {i}"
        )
        post.funded_by.add(streams[i % len(streams)])


def new_members(wf, n, prefix="Member"):
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"{prefix} {i:03}", kind=Organisation.Kind.CVO) for i in range(n)
    )
    Membership.objects.bulk_create(
        Membership(consortium=wf.home, organisation=o, role=Membership.Role.SUBCONTRACTOR)
        for o in orgs
    )
    return orgs


def count_queries(client, url):
    """The queries of one request with the cache empty (figures kept in the cache until their
    inputs change would otherwise make a second request cheaper whatever the data)."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


# --- the runway's summary -------------------------------------------------------------------


def test_the_summary_counts_posts_by_member_and_month(wf):
    orgs = new_members(wf, 12)
    add_posts_at_risk(wf, 24, orgs, days=(20,))
    # One post of the first member whose funding has already ended counts as "earlier".
    late = Post.objects.create(consortium=wf.home, organisation=orgs[0], title="Late")
    late.funded_by.add(stream_ending(wf, -70))
    summary = selectors.posts_at_risk_summary(
        Post.objects.filter(consortium=wf.home), timezone.localdate(), shown=10
    )
    assert summary.total == 3 + 24 + 1
    assert summary.members[0][1] == orgs[0].name and summary.members[0][3] == 3
    assert summary.earlier in summary.members[0][2]
    assert summary.earlier < summary.months[-1]
    counts, total, how_many = summary.others
    # 14 members have posts at risk (CVO Alpha, the lead and the 12 new ones); 10 are shown.
    assert how_many == 4
    assert total == summary.total - sum(m[3] for m in summary.members)


def test_the_runway_summary_runs_the_same_queries_for_2_or_40_posts_at_risk(client, wf):
    client.force_login(wf.users["lead"])
    url = reverse("funding:runway")
    small, _ = count_queries(client, url)
    add_posts_at_risk(wf, 40, new_members(wf, 15))
    large, response = count_queries(client, url)
    assert large == small
    text = response.content.decode()
    assert "All 43 posts at risk" in text and "9 other members" in text
    assert "Extra post" not in text


def test_each_figure_opens_the_list_of_its_posts(client, wf):
    client.force_login(wf.users["lead"])
    text = client.get(reverse("funding:runway")).content.decode()
    end = timezone.localdate() + timedelta(days=60)
    first = end.replace(day=1)
    href = (
        f"{reverse('supervision:post_at_risk_list')}?organisation={wf.orgs['cvo_a'].pk}"
        f"&amp;ends_from={first.isoformat()}"
    )
    assert href in text
    link = href.replace("&amp;", "&")
    listed = client.get(link).content.decode()
    assert "Women&#x27;s liaison practitioner" in listed
    assert "Court liaison practitioner" in listed
    assert "Forensic mental health practitioner" not in listed  # the lead's post


# --- the list of posts at risk --------------------------------------------------------------


def test_the_list_of_posts_at_risk_is_paged_and_keeps_its_queries(client, wf):
    client.force_login(wf.users["lead"])
    url = reverse("supervision:post_at_risk_list")
    small, response = count_queries(client, url)
    assert "3 results" in response.content.decode()
    add_posts_at_risk(wf, 40, new_members(wf, 5))
    large, response = count_queries(client, url)
    assert large == small
    text = response.content.decode()
    assert "43 results" in text
    assert text.count('<tr class="govuk-table__row">') == 1 + 25
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count('<tr class="govuk-table__row">') == 1 + 18


@pytest.mark.parametrize("role", ["cvo_a", "supervisor", "commissioner", "practitioner"])
def test_only_those_who_see_post_funding_open_the_list(client, wf, role):
    response = get(client, wf.users[role], reverse("supervision:post_at_risk_list"))
    assert response.status_code == 404


def test_the_list_downloads(client, wf):
    response = get(
        client, wf.users["lead"], reverse("supervision:post_at_risk_list"), export="xlsx"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# --- choice lists beyond a hundred options --------------------------------------------------


def test_a_filter_over_a_hundred_organisations_becomes_a_name_search(client, wf):
    url = reverse("supervision:post_list")
    client.force_login(wf.users["lead"])
    text = client.get(url).content.decode()
    assert '<select name="organisation"' in text
    small, _ = count_queries(client, url)
    add_posts_at_risk(wf, 3, new_members(wf, CHOICE_LIMIT + 1, prefix="Borough"))
    large, response = count_queries(client, url)
    assert large == small
    text = response.content.decode()
    assert '<select name="organisation"' not in text
    assert '<input type="text" name="organisation"' in text
    assert "Borough 050" not in text
    found = client.get(url, {"organisation": "alph"}).content.decode()
    assert "2 results" in found and "Women&#x27;s liaison practitioner" in found
    # An id (as links carry) still picks exactly that organisation, and shows its name.
    by_id = client.get(url, {"organisation": wf.orgs["cvo_a"].pk}).content.decode()
    assert "2 results" in by_id and 'value="CVO Alpha"' in by_id


def test_the_name_search_matches_only_visible_organisations(client, wf):
    new_members(wf, CHOICE_LIMIT + 1)
    away_org = Organisation.objects.create(name="Elsewhere Alpha", kind=Organisation.Kind.CVO)
    Membership.objects.create(
        consortium=wf.away, organisation=away_org, role=Membership.Role.SUBCONTRACTOR
    )
    Post.objects.create(consortium=wf.away, organisation=away_org, title="Away post")
    client.force_login(wf.users["lead"])
    url = reverse("supervision:post_list")
    text = client.get(url, {"organisation": "Elsewhere"}).content.decode()
    assert "0 results" in text
    text = client.get(url, {"organisation": away_org.pk}).content.decode()
    assert "0 results" in text and "Away post" not in text
