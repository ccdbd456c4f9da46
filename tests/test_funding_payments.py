"""Payments: within the approved allocation, adjustments with reasons, the status workflow,
schedules, overdue flags and who sees what."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from funding import services
from funding.models import Payment
from sample import PRIVATE_B, make_allocation, make_stream, person

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 7, 15)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 7, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def allocation(world, lead):
    o = world.orgs
    stream = make_stream(world.home, o["commissioner"], "Home NHS stream")
    return make_allocation(
        stream,
        [
            (o["lead"], "12000.00", "fee"),
            (o["cvo_a"], "60000.00", "A"),
            (o["cvo_b"], "48000.00", "B"),
        ],
        by=lead,
    )


def schedule(lead, allocation, org, amount, due=TODAY, **kw):
    line = allocation.lines.filter(organisation=org).first() if allocation else None
    return services.payment_schedule(
        by=lead,
        payment=Payment(
            recipient=org,
            allocation_line=line,
            amount=D(amount),
            due_date=due,
            description=kw.pop("description", "Instalment"),
            **kw,
        ),
    )


def test_payments_stay_within_the_approved_allocation(world, lead, allocation):
    a = world.orgs["cvo_a"]
    schedule(lead, allocation, a, "50000.00")
    schedule(lead, allocation, a, "10000.00")
    with pytest.raises(ValidationError) as e:
        schedule(lead, allocation, a, "0.01")
    assert "more than the £60,000.00 the approved allocation supports (£0.00 left)" in str(e.value)
    assert Payment.objects.count() == 2


def test_an_adjustment_beyond_the_allocation_needs_a_reason_and_a_second_person(
    world, lead, admin_user, allocation
):
    a = world.orgs["cvo_a"]
    schedule(lead, allocation, a, "60000.00")
    with pytest.raises(ValidationError):
        schedule(lead, allocation, a, "500.00", is_adjustment=True)
    extra = schedule(
        lead, allocation, a, "500.00", is_adjustment=True, adjustment_reason="Extra court sessions"
    )
    with pytest.raises(ValidationError) as e:
        services.payment_approve(by=lead, payment=extra)
    assert "somebody else in the lead agency must approve it" in str(e.value)
    services.payment_approve(by=admin_user, payment=extra)
    assert Payment.objects.get(pk=extra.pk).status == "approved"


def test_a_payment_with_no_allocation_must_be_an_adjustment(world, lead):
    with pytest.raises(ValidationError) as e:
        schedule(lead, None, world.orgs["cvo_a"], "10.00")
    assert "must draw on an approved allocation" in str(e.value)


def test_a_payment_cannot_draw_on_another_members_line_or_a_draft(world, lead, allocation):
    line_b = allocation.lines.get(organisation=world.orgs["cvo_b"])
    with pytest.raises(ValidationError):
        services.payment_schedule(
            by=lead,
            payment=Payment(
                recipient=world.orgs["cvo_a"], allocation_line=line_b, amount=D("1"), due_date=TODAY
            ),
        )
    draft = make_allocation(
        make_stream(world.home, world.orgs["lead"], "Other"),
        [(world.orgs["cvo_a"], "10.00", "A")],
        approved=False,
    )
    with pytest.raises(ValidationError):
        schedule(lead, draft, world.orgs["cvo_a"], "1.00")


def test_negative_and_zero_amounts_are_refused(world, lead, allocation):
    for amount in ("0.00", "-5.00"):
        with pytest.raises(ValidationError):
            schedule(lead, allocation, world.orgs["cvo_a"], amount)


def test_the_workflow_scheduled_approved_paid_or_withheld(world, lead, allocation):
    a = world.orgs["cvo_a"]
    p = schedule(lead, allocation, a, "60000.00")
    with pytest.raises(ValidationError):
        services.payment_mark_paid(by=lead, payment=p, paid_on=TODAY, reference="X")
    services.payment_approve(by=lead, payment=p, reason="Invoice checked")
    with pytest.raises(ValidationError):
        services.payment_mark_paid(
            by=lead, payment=p, paid_on=TODAY + datetime.timedelta(days=1), reference="X"
        )
    with pytest.raises(ValidationError):
        services.payment_mark_paid(by=lead, payment=p, paid_on=TODAY, reference=" ")
    paid = services.payment_mark_paid(by=lead, payment=p, paid_on=TODAY, reference="BACS-1")
    assert (paid.status, paid.paid_on, paid.reference) == ("paid", TODAY, "BACS-1")
    assert paid.history.first().history_user == lead
    with pytest.raises(ValidationError):
        services.payment_withhold(by=lead, payment=paid, reason="too late")


def test_withholding_needs_a_reason_and_frees_the_allocation(world, lead, allocation):
    a = world.orgs["cvo_a"]
    p = schedule(lead, allocation, a, "60000.00")
    with pytest.raises(ValidationError):
        services.payment_withhold(by=lead, payment=p, reason="")
    services.payment_withhold(by=lead, payment=p, reason="Return not received")
    assert Payment.objects.get(pk=p.pk).withheld_reason == "Return not received"
    schedule(lead, allocation, a, "60000.00")  # the withheld one no longer counts


def test_a_generated_schedule_splits_exactly_and_respects_the_block_share(world, lead, allocation):
    payments = services.payment_schedule_generate(
        by=lead,
        allocation=allocation,
        organisation=world.orgs["cvo_b"],
        instalments=7,
        first_due=datetime.date(2026, 4, 30),
        share_percent=D("90"),
    )
    amounts = [p.amount for p in payments]
    assert sum(amounts) == D("43200.00")  # 90% of £48,000.00
    assert amounts == [D("6171.43")] * 6 + [D("6171.42")]
    assert [p.due_date for p in payments][:3] == [
        datetime.date(2026, 4, 30),
        datetime.date(2026, 5, 30),
        datetime.date(2026, 6, 30),
    ]
    with pytest.raises(ValidationError):  # the block share is all scheduled now
        services.payment_schedule_generate(
            by=lead,
            allocation=allocation,
            organisation=world.orgs["cvo_b"],
            instalments=1,
            first_due=TODAY,
            share_percent=D("90"),
        )


def test_only_the_lead_handles_payments(world, lead, cvo_a, commissioner, allocation):
    p = schedule(lead, allocation, world.orgs["cvo_a"], "10.00")
    for user in (cvo_a, commissioner):
        with pytest.raises(PermissionDenied):
            services.payment_approve(by=user, payment=p)
        with pytest.raises(PermissionDenied):
            schedule(user, allocation, world.orgs["cvo_a"], "10.00")


def test_a_stale_payment_edit_is_refused(client, world, lead, admin_user, allocation):
    p = schedule(lead, allocation, world.orgs["cvo_a"], "100.00")
    opened = p.version
    p.amount = D("200.00")
    services.payment_update(by=admin_user, payment=p, expected_version=opened)
    client.force_login(lead)
    response = client.post(
        reverse("funding:payment_edit", args=[p.pk]),
        {
            "recipient": world.orgs["cvo_a"].pk,
            "allocation_line": p.allocation_line_id,
            "description": "Mine",
            "due_date": TODAY.isoformat(),
            "amount": "300.00",
            "expected_version": opened,
        },
        follow=True,
    )
    assert "Somebody else saved this record" in response.content.decode()
    assert Payment.objects.get(pk=p.pk).amount == D("200.00")


def test_overdue_payments_owed_to_cvos_are_flagged_for_the_lead_and_that_cvo_only(
    client, world, lead, cvo_a, cvo_b, allocation
):
    schedule(lead, allocation, world.orgs["cvo_a"], "100.00", due=datetime.date(2026, 7, 1))
    schedule(lead, allocation, world.orgs["cvo_b"], "200.00", due=datetime.date(2026, 8, 1))
    client.force_login(lead)
    page = client.get("/").content.decode()
    assert "1 overdue payment owed" in page and "OVERDUE: £100.00 to CVO Alpha" in page
    client.force_login(cvo_a)
    page = client.get("/").content.decode()
    assert "OVERDUE: £100.00 to CVO Alpha" in page and "£200.00" not in page
    client.force_login(cvo_b)
    page = client.get("/").content.decode()
    assert "OVERDUE" not in page and "£200.00 to CVO Beta" in page
    listing = client.get(reverse("funding:payment_list")).content.decode()
    assert "£200.00" in listing and "£100.00" not in listing


def test_a_cvo_never_sees_another_cvos_payments(client, world, lead, cvo_a, cvo_b, allocation):
    p = schedule(lead, allocation, world.orgs["cvo_b"], "48000.00", description=PRIVATE_B)
    client.force_login(cvo_a)
    assert client.get(reverse("funding:payment_detail", args=[p.pk])).status_code == 404
    for url in (reverse("funding:payment_list"), reverse("funding:payment_list") + "?export=xlsx"):
        assert PRIVATE_B.encode() not in client.get(url).getvalue()
    client.force_login(cvo_b)
    assert PRIVATE_B in client.get(reverse("funding:payment_detail", args=[p.pk])).content.decode()


def test_the_payment_pages_work_for_the_lead(client, world, lead, allocation):
    client.force_login(lead)
    line = allocation.lines.get(organisation=world.orgs["cvo_a"])
    response = client.post(
        reverse("funding:payment_create"),
        {
            "recipient": world.orgs["cvo_a"].pk,
            "allocation_line": line.pk,
            "description": "July",
            "due_date": "2026-07-31",
            "amount": "70000.00",
        },
    )
    assert "more than the £60,000.00" in response.content.decode()
    response = client.post(
        reverse("funding:payment_create"),
        {
            "recipient": world.orgs["cvo_a"].pk,
            "allocation_line": line.pk,
            "description": "July",
            "due_date": "2026-07-31",
            "amount": "5000.00",
        },
    )
    p = Payment.objects.get()
    assert response.status_code == 302
    client.post(reverse("funding:payment_approve", args=[p.pk]), {"reason": ""})
    client.post(
        reverse("funding:payment_pay", args=[p.pk]),
        {"paid_on": "2026-07-15", "reference": "BACS-77"},
    )
    p.refresh_from_db()
    assert (p.status, p.reference) == ("paid", "BACS-77")
    assert client.get(f"/funding/payments/{p.pk}/nonsense/").status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_the_payment_list_and_dashboard_use_a_flat_number_of_queries(
    client, world, lead, allocation, django_assert_max_num_queries, n
):
    other = person("extra", world.home, world.orgs["lead"], "lead")
    for i in range(n):
        schedule(
            lead, allocation, world.orgs["cvo_a"], "1.00", due=datetime.date(2026, 7, 1 + i % 28)
        )
    client.force_login(other)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("funding:payment_list")).status_code == 200
    # The lead's dashboard: every app's panels (payment by results adds two; risks add the
    # risks needing attention and those Concord can see coming; the second-factor check and
    # the audit chain's daily head one each; "Your reminders" one per kind of reminder; the
    # assurance packs' panel two, and one count for a kind with more than ten to show, here
    # the overdue payments), flat in n. Stored compliance is brought up to the month once per
    # request however many panels read it; a member's secured funding is read from the
    # allocations and from the streams that pay its posts (one query each); the getting-started
    # checklist counts each kind of record it names until it is done, and then is
    # remembered for a day. 77 covers a cold cache and the first read of the month, when
    # stored compliance records that it is up to date (a savepoint, an insert and its
    # release).
    from django.core.cache import cache

    cache.clear()  # measured cold, whatever ran before
    with django_assert_max_num_queries(77):
        assert client.get("/").status_code == 200


def test_the_allocation_page_reconciles_payments_with_the_allocation(
    client, world, lead, admin_user, allocation
):
    a, b = world.orgs["cvo_a"], world.orgs["cvo_b"]
    paid = schedule(lead, allocation, a, "20000.00")
    services.payment_approve(by=lead, payment=paid)
    services.payment_mark_paid(by=lead, payment=paid, paid_on=TODAY, reference="R1")
    schedule(lead, allocation, a, "15000.00")
    withheld = schedule(lead, allocation, b, "1000.00")
    services.payment_withhold(by=lead, payment=withheld, reason="No return")
    schedule(lead, allocation, b, "50.00", is_adjustment=True, adjustment_reason="Mileage")
    rows = {r["name"]: r for r in services.reconciliation(allocation)}
    assert rows["CVO Alpha"] == {
        "name": "CVO Alpha",
        "allocated": D("60000.00"),
        "scheduled": D("15000.00"),
        "paid": D("20000.00"),
        "adjustments": D("0.00"),
        "left": D("25000.00"),
    }
    assert rows["CVO Beta"]["left"] == D("48000.00") and rows["CVO Beta"]["adjustments"] == D(
        "50.00"
    )
    client.force_login(lead)
    page = client.get(reverse("funding:allocation_detail", args=[allocation.pk])).content.decode()
    assert "£25,000.00" in page and "Left to schedule" in page
