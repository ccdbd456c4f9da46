"""Money: funding streams, allocations with their lines, and payments. Approval and payment
go through funding.services whenever the acting person is known."""

import datetime
from decimal import Decimal

import factory

from consortium import dates
from consortium.models import Organisation
from funding import services
from funding.models import Allocation, AllocationLine, FundingStream, Payment
from sample.consortium import ConsortiumFactory, OrganisationFactory


class FundingStreamFactory(factory.django.DjangoModelFactory):
    """A twelve-month contract from 1 April."""

    class Meta:
        model = FundingStream

    consortium = factory.SubFactory(ConsortiumFactory)
    funder = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.COMMISSIONER)
    name = factory.Sequence(lambda n: f"Stream {n}")
    kind = FundingStream.Kind.CONTRACT
    amount = Decimal("120000.00")
    start = datetime.date(2026, 4, 1)
    end = factory.LazyAttribute(lambda s: dates.shift_months(s.start, 12) - datetime.timedelta(1))
    status = FundingStream.Status.SECURED


class AllocationFactory(factory.django.DjangoModelFactory):
    """A draft allocation of the whole stream for its whole period."""

    class Meta:
        model = Allocation

    stream = factory.SubFactory(FundingStreamFactory)
    consortium = factory.SelfAttribute("stream.consortium")
    period_start = factory.SelfAttribute("stream.start")
    period_end = factory.SelfAttribute("stream.end")
    pot = factory.SelfAttribute("stream.amount")
    formula = Allocation.Formula.FIXED
    revision = 1
    inputs = factory.Dict({})
    status = Allocation.Status.DRAFT


class AllocationLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllocationLine

    allocation = factory.SubFactory(AllocationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    amount = Decimal("1000.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    """A scheduled payment; the consortium and recipient follow its allocation line."""

    class Meta:
        model = Payment

    allocation_line = None
    consortium = factory.LazyAttribute(
        lambda p: p.allocation_line.allocation.consortium if p.allocation_line else None
    )
    recipient = factory.LazyAttribute(
        lambda p: p.allocation_line.organisation if p.allocation_line else None
    )
    description = ""
    due_date = datetime.date(2026, 5, 1)
    amount = Decimal("1000.00")
    status = Payment.Status.SCHEDULED


def make_stream(consortium, funder, name="Stream", amount="120000.00", start=None, end=None, **kw):
    return FundingStreamFactory(
        consortium=consortium,
        funder=funder,
        name=name,
        amount=Decimal(amount),
        start=start or datetime.date(2026, 4, 1),
        end=end or datetime.date(2027, 3, 31),
        **kw,
    )


def make_allocation(stream, lines, *, approved=True, revision=1, by=None, pot=None):
    """An allocation of the whole stream with `lines` = [(organisation, amount, arithmetic)],
    approved through the service by `by` (when `by` is given)."""
    total = sum((Decimal(a) for _, a, _ in lines), Decimal("0"))
    allocation = AllocationFactory(
        stream=stream,
        pot=pot or total,
        revision=revision,
        inputs={str(o.pk): {"figure": "1"} for o, _, _ in lines},
    )
    for org, amount, words in lines:
        AllocationLineFactory(
            allocation=allocation, organisation=org, amount=Decimal(amount), arithmetic=words
        )
    if approved and by is not None:
        allocation = services.allocation_approve(allocation=allocation, by=by)
    elif approved:
        allocation.status = Allocation.Status.APPROVED
        allocation.save()
    return allocation


def make_payment(allocation, org, amount, due, *, by=None, **kw):
    """A payment to `org` from its line in `allocation`. With `by`, it is scheduled through the
    service, and a `status` of approved or paid (with `paid_on` and `reference`) is reached
    through the service too."""
    line = allocation.lines.filter(organisation=org).first() if allocation else None
    if by is None:
        return PaymentFactory(
            consortium=(allocation.consortium if allocation else kw.pop("consortium")),
            recipient=org,
            allocation_line=line,
            amount=Decimal(amount),
            due_date=due,
            **kw,
        )
    status = kw.pop("status", Payment.Status.SCHEDULED)
    paid_on, reference = kw.pop("paid_on", None), kw.pop("reference", "")
    payment = PaymentFactory.build(
        recipient=org, allocation_line=line, amount=Decimal(amount), due_date=due, **kw
    )
    payment = services.payment_schedule(by=by, payment=payment)
    if status in (Payment.Status.APPROVED, Payment.Status.PAID):
        payment = services.payment_approve(by=by, payment=payment)
    if status == Payment.Status.PAID:
        payment = services.payment_mark_paid(
            by=by, payment=payment, paid_on=paid_on or due, reference=reference or "BACS"
        )
    return payment
