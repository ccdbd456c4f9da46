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


@pytest.mark.django_db
def test_a_members_funding_ends_on_the_same_day_in_its_suggested_risk_and_posts_at_risk(demo_db):
    """Larkspur's posts are paid by the Eastmere grant, which runs three months beyond its line
    in the NHS allocation: the suggested risk and the posts-at-risk panel both say the grant's
    end."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from consortium.models import Organisation
    from consortium.suggestions import suggestions_for
    from supervision.models import Post
    from supervision.selectors import posts_at_risk

    lead = get_user_model().objects.get(username="lead")
    larkspur = Organisation.objects.get(name="Larkspur Women's Centre")
    today = timezone.localdate()
    ends = {end for _post, end in posts_at_risk(Post.objects.filter(organisation=larkspur), today)}
    (end,) = ends
    (suggestion,) = [
        s
        for s in suggestions_for(lead, today=today)
        if s.key == f"funding.short_of_funding:{larkspur.pk}"
    ]
    assert suggestion.evidence == f"Secured funding for {larkspur.name} runs to {end:%-d %B %Y}."
