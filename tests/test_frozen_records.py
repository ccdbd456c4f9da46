"""One frozen-record guard: approved allocations and returns, their lines and values, refuse
every write path (save, delete, bulk writes, the admin) except an explicit transition."""

from decimal import Decimal as D

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from contracts.models import PerformanceReturn, ReturnLocked, ReturnValue
from contracts.services import returns as svc
from funding import services
from funding.models import Allocation, AllocationLine, ApprovedIsFinal
from sample import make_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def rw(returns_world):
    return returns_world


@pytest.fixture
def approved_allocation(world, lead):
    o = world.orgs
    stream = make_stream(world.home, o["commissioner"], "Home NHS stream", "120000.00")
    allocation = services.allocation_save_draft(
        by=lead,
        allocation=Allocation(
            stream=stream,
            period_start=stream.start,
            period_end=stream.end,
            pot=D("1000.00"),
            formula=Allocation.Formula.EQUAL,
            inputs={str(o["cvo_a"].pk): {"figure": "1"}, str(o["cvo_b"].pk): {"figure": "1"}},
        ),
    )
    return services.allocation_approve(allocation=allocation, by=lead)


def test_bulk_writes_to_the_lines_of_an_approved_allocation_are_refused(approved_allocation):
    lines = AllocationLine.objects.filter(allocation=approved_allocation)
    with pytest.raises(ApprovedIsFinal):
        lines.update(amount=D("1.00"))
    with pytest.raises(ApprovedIsFinal):
        lines.delete()
    with pytest.raises(ApprovedIsFinal):
        Allocation.objects.filter(pk=approved_allocation.pk).update(pot=D("1.00"))
    assert {line.amount for line in lines} == {D("500.00")}


def test_frozen_is_judged_by_the_stored_state_not_the_one_in_memory(rw):
    ret = PerformanceReturn.objects.get(pk=rw.returns["approved_a"].pk)
    ret.status = PerformanceReturn.Status.DRAFT
    with pytest.raises(ReturnLocked, match="This return is approved"):
        ret.save()


def test_a_transition_returns_the_fresh_return_and_leaves_the_callers_alone(rw, lead):
    mine = PerformanceReturn.objects.get(pk=rw.returns["approved_a"].pk)
    reopened = svc.return_reopen(ret=mine, by=lead, reason="Court list corrected")
    assert reopened.status == PerformanceReturn.Status.DRAFT
    assert reopened.version == mine.version + 1
    assert mine.status == PerformanceReturn.Status.APPROVED


def test_the_admin_shows_frozen_records_read_only(rw, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    approved = rw.returns["approved_a"]
    draft = rw.returns["draft_a"]
    returns_admin = site._registry[PerformanceReturn]
    values_admin = site._registry[ReturnValue]
    assert not returns_admin.has_change_permission(request, approved)
    assert not returns_admin.has_delete_permission(request, approved)
    assert returns_admin.has_change_permission(request, draft)
    value = ReturnValue.objects.filter(ret=approved).first()
    assert not values_admin.has_change_permission(request, value)
    assert not values_admin.has_delete_permission(request, value)
