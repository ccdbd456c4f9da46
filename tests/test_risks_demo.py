"""The demo's risks: the consortium SWOT from the partnership study, fifteen consortium risks
with a year of reviews dated as they happened, members' registers with one risk escalated,
and suggested risks drawn from the demo's own conditions."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from risks import selectors, services
from risks.models import Escalation, Risk, RiskRegister, RiskReview, SwotAnalysis

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_swot_registers_reviews_and_suggestions(demo_db):
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    today = timezone.localdate()
    consortium = RiskRegister.objects.get(organisation__isnull=True)
    own = Risk.objects.filter(register=consortium, escalated_from__isnull=True)
    assert own.count() == 15
    assert Risk.objects.filter(register=consortium, escalated_from__isnull=False).count() == 1
    assert RiskRegister.objects.filter(organisation__isnull=False).count() == 4
    assert Escalation.objects.filter(status="requested").count() == 1
    assert list(own.review_overdue(today).values_list("reference", flat=True)) == [
        "C-002",
        "C-005",
    ]
    reviews = RiskReview.objects.filter(risk__register=consortium)
    assert reviews.count() >= 60
    assert all(r.reviewed_on <= today for r in reviews)
    # History carries the review's own date.
    review = reviews.order_by("reviewed_on").first()
    assert timezone.localdate(review.history.earliest().history_date) == review.reviewed_on
    assert (today - review.reviewed_on).days > 250

    swot = SwotAnalysis.objects.get(status="agreed")
    settings_row = services.settings_for(swot.consortium_id)
    levels = [i.consensus(settings_row) for i in swot.items.all()]
    assert levels.count("high") == 3 and "reasonable" in levels and "single" in levels
    assert swot.items.filter(quadrant="threat").count() == 7

    lead = User.objects.get(username="lead")
    titles = [s.title for s in selectors.open_suggestions(lead)]
    assert any("has been vacant more than 60 days" in t for t in titles)
    assert any("is covered by a single post" in t for t in titles)
    assert any("Payments owed to" in t for t in titles)
    assert any("has less than 12 months' funding secured" in t for t in titles)
    cvo1 = User.objects.get(username="cvo1")
    mine = selectors.open_suggestions(cvo1, organisation=selectors.own_organisation(cvo1))
    assert mine and all("Clearwater" not in s.title for s in mine)
