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
