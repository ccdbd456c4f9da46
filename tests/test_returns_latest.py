"""Each subcontract's latest approved return (LatestReturn) follows the returns' approval, lock
and reopening in the same transaction, and the red-indicator suggestion reads it."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import transaction

from consortium.suggestions import suggestions_for
from contracts.models import LatestReturn
from contracts.services import returns as svc

TODAY = datetime.date(2026, 7, 20)


@pytest.fixture
def rw(returns_world):
    return returns_world


def latest_of(sub):
    return LatestReturn.objects.filter(subcontract=sub).values_list("ret_id", flat=True).first()


def red(user, sub):
    return [
        s.title
        for s in suggestions_for(user, today=TODAY)
        if s.key.startswith(f"contracts.indicator_red:{sub.pk}:")
    ]


def test_it_holds_each_subcontracts_latest_approved_return(rw):
    m, r = rw.money, rw.returns
    assert latest_of(m["sub_a"]) == r["approved_a"].pk
    assert latest_of(m["sub_b"]) == r["approved_b"].pk
    assert latest_of(m["away_sub"]) == r["away_return"].pk


def test_it_follows_approval_lock_and_reopening(rw, lead):
    sub, r = rw.money["sub_a"], rw.returns
    april, may = r["approved_a"], r["submitted_a"]
    svc.return_approve(ret=may, by=lead)
    assert latest_of(sub) == may.pk
    svc.return_lock(ret=may, by=lead)
    assert latest_of(sub) == may.pk
    svc.return_reopen(ret=may, by=lead, reason="A figure was wrong")
    assert latest_of(sub) == april.pk
    svc.return_reopen(ret=april, by=lead, reason="Another figure was wrong")
    assert latest_of(sub) is None


def test_a_failed_approval_leaves_it_as_it_was(rw, lead):
    sub, r = rw.money["sub_a"], rw.returns
    with pytest.raises(RuntimeError), transaction.atomic():
        svc.return_approve(ret=r["submitted_a"], by=lead)
        raise RuntimeError
    assert latest_of(sub) == r["approved_a"].pk


def test_the_red_indicator_suggestion_reads_the_latest_approved_return(rw, lead):
    """Sets targets, approves and reopens through the services, reading every suggestion
    source three times."""
    sub, r, ind = rw.money["sub_a"], rw.returns, rw.returns["ind"]["REF"]
    april, may = r["approved_a"], r["submitted_a"]
    # REF is 40 in both months: red against 100 in April, not against 45 in May.
    svc.target_set(period=april.period, indicator=ind, value=D(100), by=lead)
    svc.target_set(period=may.period, indicator=ind, value=D(45), by=lead)
    assert len(red(lead, sub)) == 1
    assert "red against target" in red(lead, sub)[0]
    svc.return_approve(ret=may, by=lead)
    assert red(lead, sub) == []
    svc.return_reopen(ret=may, by=lead, reason="A figure was wrong")
    assert len(red(lead, sub)) == 1
