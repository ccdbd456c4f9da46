"""Suggested risks from delivery and the workforce: returns late two periods running, and
lapsed registrations or DBS checks — each only for those who may see the evidence."""

import datetime

import pytest
import time_machine

from risks import selectors
from sample import StaffMemberFactory, make_agreements, make_period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC), tick=False):
        yield


def titles(user, organisation=None):
    return [s.title for s in selectors.open_suggestions(user, organisation=organisation)]


def test_returns_missing_two_periods_running_are_suggested(world, lead, cvo_a, cvo_b):
    o = world.orgs
    _contract, sub = make_agreements(world.home, o["commissioner"], o["lead"], o["cvo_a"], "7")
    make_period(sub, datetime.date(2026, 3, 1))
    make_period(sub, datetime.date(2026, 4, 1))
    expected = "CVO Alpha: returns for S-7 late two periods running"
    assert expected in titles(lead)
    assert expected in titles(cvo_a, o["cvo_a"])
    assert expected not in titles(cvo_b, o["cvo_b"])


def test_a_lapsed_registration_is_suggested_without_naming_the_practitioner(world, lead):
    StaffMemberFactory(
        consortium=world.home,
        organisation=world.orgs["cvo_b"],
        first_name="Zed",
        last_name="Lapsed",
        registration_expiry=datetime.date(2026, 5, 31),
    )
    found = [s for s in selectors.open_suggestions(lead) if "lapsed" in s.title]
    assert [s.title for s in found] == ["CVO Beta: registration or DBS check lapsed"]
    assert "Lapsed" not in found[0].evidence and "Zed" not in found[0].evidence


def single_post_sites(world, n):
    from sample import PostFactory, SiteFactory

    for i in range(n):
        site = SiteFactory(consortium=world.home, name=f"Borough court {i + 1}")
        post = PostFactory(consortium=world.home, organisation=world.orgs["cvo_a"])
        post.sites.add(site)


def test_suggestions_of_one_kind_make_one_line_with_the_list_behind_it(world, lead, client):
    from sample import make_register
    from tests.conftest import client_for

    single_post_sites(world, 3)
    groups = selectors.suggestion_groups(lead)
    (line,) = [g for g in groups if g.kind == "supervision.single_post"]
    assert line.title == "3 sites are covered by a single post"
    assert [s.title for s in line.suggestions] == [
        f"Borough court {i} is covered by a single post" for i in (1, 2, 3)
    ]
    assert not line.is_covered
    register = make_register(lead)
    page = client_for(client, lead).get("/risks/suggested/").content.decode()
    assert page.count('card__title">3 sites are covered by a single post') == 1
    assert "Borough court 2 is covered by a single post" in page  # behind the line
    assert f"/risks/registers/{register.pk}/add/?suggestion=supervision.single_post" in page


def test_a_kind_an_open_risk_covers_shows_as_covered_and_is_not_counted_as_new(world, lead, client):
    from sample import make_register, make_risk
    from tests.conftest import client_for

    single_post_sites(world, 2)
    register = make_register(lead)
    c = client_for(client, lead)
    # Opened from the line, one risk carries the whole kind.
    form = c.get(f"/risks/registers/{register.pk}/add/?suggestion=supervision.single_post")
    assert form.status_code == 200
    assert b"2 sites are covered by a single post" in form.content
    make_risk(
        register,
        lead,
        "A practitioner leaves a single-handed borough",
        category_name="Workforce",
        suggestion_key="supervision.single_post",
    )
    (line,) = [g for g in selectors.suggestion_groups(lead) if g.kind == "supervision.single_post"]
    assert line.is_covered and [r.title for r in line.covered_by] == [
        "A practitioner leaves a single-handed borough"
    ]
    page = c.get("/risks/suggested/").content.decode()
    assert "Covered by" in page and "A practitioner leaves a single-handed borough" in page
    dashboard = c.get("/").content.decode()
    assert "1 kind already covered by an open risk" in dashboard


def test_the_risk_settings_set_each_kinds_threshold(world, lead):
    from risks.services import current_settings
    from sample import make_register

    make_register(lead)  # stores the consortium's settings
    single_post_sites(world, 2)
    assert any(s.kind == "supervision.single_post" for s in selectors.open_suggestions(lead))
    row = current_settings(world.home.pk)
    row.single_post_sites = 3  # only a member with three or more such sites
    row.save()
    assert not any(s.kind == "supervision.single_post" for s in selectors.open_suggestions(lead))
    row.single_post_sites = 0  # never: single-handed posts are the model
    row.save()
    assert not any(s.kind == "supervision.single_post" for s in selectors.open_suggestions(lead))


def test_evidence_reads_as_plain_english_with_formatted_dates_and_counts(world, lead):
    import re

    o = world.orgs
    _contract, sub = make_agreements(world.home, o["commissioner"], o["lead"], o["cvo_a"], "7")
    make_period(sub, datetime.date(2026, 3, 1))
    make_period(sub, datetime.date(2026, 4, 1))
    (late,) = [s for s in selectors.open_suggestions(lead) if s.kind == "contracts.late_returns"]
    assert re.search(r"The returns due on \d{1,2} \w{3} 2026 and \d{1,2} \w{3} 2026", late.evidence)
    for s in selectors.open_suggestions(lead):
        assert not re.search(r"\d{4}-\d{2}-\d{2}", s.evidence), s.evidence
        assert "(s)" not in s.evidence and not re.search(r"\b\d+\.00\b", s.evidence), s.evidence
