"""The demo's money matches the design brief and seeding twice changes nothing."""

import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from contracts.models import Contract, Subcontract, Variation
from funding.models import Allocation, AllocationLine, FundingStream, Payment

pytestmark = pytest.mark.django_db
MODELS = (FundingStream, Allocation, AllocationLine, Payment, Contract, Subcontract, Variation)


def test_the_demo_money_is_believable_and_idempotent(demo_db):
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    counts = [m.objects.count() for m in MODELS]
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    assert [m.objects.count() for m in MODELS] == counts

    streams = list(FundingStream.objects.select_related("funder"))
    total = sum(s.amount for s in streams if s.status != "bid_submitted")
    assert D("1800000") <= total <= D("2200000")
    probation = sum(s.amount for s in streams if s.funder.kind == "probation")
    assert D("0.28") <= probation / total <= D("0.38")  # probation about a third
    short = [s for s in streams if (s.end - s.start).days <= 366]
    assert len(short) > len(streams) / 2  # most streams 12 months or shorter

    allocation = Allocation.objects.get(status="approved")
    lines = list(allocation.lines.all())
    assert sum(line.amount for line in lines) == allocation.pot
    assert any(line.kind == "management_fee" for line in lines)
    assert Subcontract.objects.values("cvo").distinct().count() == 4
    overdue = [p for p in Payment.objects.select_related("recipient") if p.is_overdue()]
    assert len(overdue) == 1 and overdue[0].recipient.kind == "cvo"
