"""Allocations: drafts, what-if previews, approval, immutability, versions and statements."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from funding import services
from funding.models import Allocation, AllocationLine, ApprovedIsFinal
from sample import PRIVATE_B, make_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(world):
    return make_stream(world.home, world.orgs["commissioner"], "Home NHS stream", "120000.00")


def draft(world, lead, stream, **kw):
    o = world.orgs
    allocation = Allocation(
        stream=stream,
        period_start=stream.start,
        period_end=stream.end,
        pot=kw.pop("pot", D("100000.00")),
        formula=kw.pop("formula", Allocation.Formula.EQUAL),
        fee_percent=kw.pop("fee_percent", D("10")),
        fee_organisation=o["lead"],
        inputs=kw.pop(
            "inputs", {str(o["cvo_a"].pk): {"figure": "1"}, str(o["cvo_b"].pk): {"figure": "1"}}
        ),
        **kw,
    )
    return services.allocation_save_draft(by=lead, allocation=allocation)


def test_a_draft_allocations_lines_sum_to_the_pot(world, lead, stream):
    allocation = draft(world, lead, stream)
    lines = {(line.organisation.name, line.kind): line.amount for line in allocation.lines.all()}
    assert lines == {
        ("Home Lead Agency", "management_fee"): D("10000.00"),
        ("CVO Alpha", "member"): D("45000.00"),
        ("CVO Beta", "member"): D("45000.00"),
    }
    assert allocation.prepared_by == lead
    assert allocation.history.first().history_user == lead


def test_an_approved_allocation_and_its_lines_never_change(world, lead, stream):
    allocation = services.allocation_approve(
        allocation=draft(world, lead, stream), by=lead, reason="Board agreed"
    )
    assert allocation.approved_by == lead
    assert allocation.history.first().history_change_reason == "Board agreed"
    allocation.pot = D("1.00")
    with pytest.raises(ApprovedIsFinal):
        allocation.save()
    with pytest.raises(ApprovedIsFinal):
        allocation.save_as(by=lead, reason="sneaky")
    line = allocation.lines.first()
    line.amount = D("0.00")
    with pytest.raises(ApprovedIsFinal):
        line.save()
    with pytest.raises(ApprovedIsFinal):
        line.delete()
    with pytest.raises(ApprovedIsFinal):
        Allocation.objects.get(pk=allocation.pk).delete()
    with pytest.raises(ValidationError):
        services.allocation_save_draft(by=lead, allocation=Allocation.objects.get(pk=allocation.pk))
    with pytest.raises(ValidationError):
        services.allocation_approve(allocation=allocation, by=lead)
    assert Allocation.objects.get(pk=allocation.pk).pot == D("100000.00")


def test_a_change_is_a_new_version_with_a_reason_and_both_stay(client, world, lead, stream):
    v1 = services.allocation_approve(allocation=draft(world, lead, stream), by=lead)
    with pytest.raises(ValidationError):
        services.allocation_revise(allocation=v1, by=lead, reason=" ")
    v2 = services.allocation_revise(allocation=v1, by=lead, reason="CVO Beta took on Eastmere")
    assert (v2.revision, v2.status, v2.reason) == (2, "draft", "CVO Beta took on Eastmere")
    with pytest.raises(ValidationError):  # one draft per pot
        services.allocation_revise(allocation=v1, by=lead, reason="again")
    o = world.orgs
    v2.inputs = {str(o["cvo_a"].pk): {"figure": "1"}, str(o["cvo_b"].pk): {"figure": "2"}}
    v2.formula = Allocation.Formula.ACTIVITY
    services.allocation_save_draft(by=lead, allocation=v2, expected_version=v2.version)
    services.allocation_approve(allocation=v2, by=lead)
    assert services.current_approved(v1).pk == v2.pk
    assert v1.lines.get(organisation=o["cvo_b"]).amount == D("45000.00")
    assert v2.lines.get(organisation=o["cvo_b"]).amount == D("60000.00")
    client.force_login(lead)
    page = client.get(reverse("funding:allocation_compare", args=[v1.pk, v2.pk])).content.decode()
    assert "£45,000.00" in page and "£60,000.00" in page and "£15,000.00" in page
    assert "CVO Beta took on Eastmere" in page
    with pytest.raises(ValidationError):  # only the latest version is revised
        services.allocation_revise(allocation=v1, by=lead, reason="old")


def test_overlapping_periods_of_one_pot_are_refused(world, lead, stream):
    draft(world, lead, stream)
    other = Allocation(
        stream=stream,
        period_start=stream.start + datetime.timedelta(days=30),
        period_end=stream.end,
        pot=D("10.00"),
        formula=Allocation.Formula.EQUAL,
        inputs={str(world.orgs["cvo_a"].pk): {"figure": "1"}},
    )
    with pytest.raises(ValidationError) as e:
        services.allocation_save_draft(by=lead, allocation=other)
    assert "must not overlap" in str(e.value)


def test_periods_outside_the_stream_and_nonsense_pots_are_refused(world, lead, stream):
    for kw in (
        {"period_start": stream.start - datetime.timedelta(days=1)},
        {"pot": D("-5.00")},
        {"period_end": stream.start - datetime.timedelta(days=2)},
    ):
        allocation = Allocation(
            stream=stream,
            period_start=kw.get("period_start", stream.start),
            period_end=kw.get("period_end", stream.end),
            pot=kw.get("pot", D("10.00")),
            formula=Allocation.Formula.EQUAL,
            inputs={str(world.orgs["cvo_a"].pk): {"figure": "1"}},
        )
        with pytest.raises(ValidationError):
            services.allocation_save_draft(by=lead, allocation=allocation)


def test_only_the_lead_drafts_and_approves(world, lead, cvo_a, commissioner, stream):
    allocation = draft(world, lead, stream)
    for person in (cvo_a, commissioner):
        with pytest.raises(PermissionDenied):
            services.allocation_approve(allocation=allocation, by=person)


def test_the_what_if_preview_writes_nothing(client, world, lead, stream):
    client.force_login(lead)
    o = world.orgs
    data = {
        "stream": stream.pk,
        "period_start": stream.start.isoformat(),
        "period_end": stream.end.isoformat(),
        "pot": "100000.00",
        "formula": "fte",
        "fee_percent": "0",
        f"figure_{o['cvo_a'].pk}": "2",
        f"figure_{o['cvo_b'].pk}": "1",
        "preview": "1",
    }
    response = client.post(reverse("funding:allocation_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "£66,666.67" in page and "£33,333.33" in page and "nothing has been saved" in page
    assert Allocation.objects.count() == 0 and AllocationLine.objects.count() == 0
    del data["preview"]
    response = client.post(reverse("funding:allocation_create"), data)
    assert response.status_code == 302
    assert Allocation.objects.get().lines.count() == 2


def test_a_stale_edit_of_a_draft_is_refused(client, world, lead, admin_user, stream):
    allocation = draft(world, lead, stream)
    opened = allocation.version
    services.allocation_save_draft(by=admin_user, allocation=allocation, expected_version=opened)
    client.force_login(lead)
    o = world.orgs
    response = client.post(
        reverse("funding:allocation_edit", args=[allocation.pk]),
        {
            "stream": stream.pk,
            "period_start": stream.start.isoformat(),
            "period_end": stream.end.isoformat(),
            "pot": "5.00",
            "formula": "equal",
            "fee_percent": "0",
            f"figure_{o['cvo_a'].pk}": "1",
            "expected_version": opened,
        },
        follow=True,
    )
    assert "Somebody else saved this record" in response.content.decode()
    assert Allocation.objects.get(pk=allocation.pk).pot == D("100000.00")


def _statement(client, user):
    client.force_login(user)
    return client.get(reverse("funding:statement")).content.decode()


def test_the_statement_is_open_book_unless_the_consortium_restricts_it(
    client, world, lead, cvo_a, cvo_b, stream
):
    o = world.orgs
    allocation = draft(
        world,
        lead,
        stream,
        formula=Allocation.Formula.FTE,
        inputs={str(o["cvo_a"].pk): {"figure": "1"}, str(o["cvo_b"].pk): {"figure": "3"}},
    )
    hidden = draft(
        world,
        lead,
        make_stream(world.home, o["lead"], "B only", "10.00"),
        pot=D("10.00"),
        fee_percent=D("0"),
        inputs={str(o["cvo_b"].pk): {"figure": "1"}},
    )
    services.allocation_approve(allocation=allocation, by=lead)
    services.allocation_approve(allocation=hidden, by=lead)
    page = _statement(client, cvo_a)
    assert "£22,500.00" in page and "£67,500.00" in page  # open book: every member's share
    assert "funded FTE 3" in page and "B only" not in page
    world.home.open_book_allocations = False
    world.home.save()
    page = _statement(client, cvo_a)
    assert "£22,500.00" in page and "£67,500.00" not in page
    detail = client.get(reverse("funding:allocation_detail", args=[allocation.pk]))
    assert "£67,500.00" not in detail.content.decode()
    assert client.get(reverse("funding:allocation_detail", args=[hidden.pk])).status_code == 404
    assert "£67,500.00" in _statement(client, cvo_b)


def test_cvos_never_see_drafts_and_supervisors_and_commissioners_see_no_allocations(
    client, world, lead, cvo_a, supervisor, commissioner, stream
):
    allocation = draft(world, lead, stream)
    for person in (cvo_a, supervisor, commissioner):
        client.force_login(person)
        url = reverse("funding:allocation_detail", args=[allocation.pk])
        assert client.get(url).status_code == 404
    client.force_login(lead)
    assert client.get(reverse("funding:allocation_detail", args=[allocation.pk])).status_code == 200


def test_history_pages_of_money_follow_the_access_policy(client, money_world):
    m = money_world.money
    for label, key in (
        ("funding.Payment", "pay_b"),
        ("contracts.Subcontract", "sub_b"),
        ("contracts.Variation", "variation_b"),
        ("funding.Allocation", "alloc_b_only"),
    ):
        url = reverse("history", args=[label, m[key].pk])
        for role in ("cvo_a", "supervisor", "commissioner"):
            client.force_login(money_world.users[role])
            assert client.get(url).status_code == 404, (role, label)
        client.force_login(money_world.users["cvo_b"])
        assert client.get(url).status_code == 200
        client.force_login(money_world.users["lead"])
        assert client.get(url).status_code == 200
    client.force_login(money_world.users["lead"])
    page = client.get(reverse("funding:payment_detail", args=[m["pay_b"].pk])).content.decode()
    assert PRIVATE_B in page  # the sentinel is really on the page the others must not open
