"""The demo's history carries the dates it would have had: returns sent in around their due
dates (most on time) and approved a few days later by the lead, payments paid on or near
their due dates, sessions logged on the day they were held."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from consortium.models import Event
from contracts.models import PerformanceReturn
from funding.models import Payment
from supervision.models import Post, SupervisionSession

pytestmark = pytest.mark.django_db


def test_demo_returns_are_dated_as_they_would_have_been_sent(demo_db):
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    today = timezone.localdate()
    approved = list(
        PerformanceReturn.objects.filter(status="approved").select_related("period", "approved_by")
    )
    assert len(approved) >= 80  # two years of four CVOs' months

    on_time = [r for r in approved if timezone.localdate(r.submitted_at) <= r.period.due_date]
    assert len(on_time) >= 0.8 * len(approved)
    assert len(on_time) < len(approved)  # and a few late, as the story says
    assert all(r.submitted_at < r.approved_at for r in approved)
    assert all(r.approved_by.username == "lead" for r in approved)
    assert not [r for r in approved if timezone.localdate(r.submitted_at) == today]

    # The history rows and the events carry the same dates.
    ret = approved[0]
    stamps = {h.history_change_reason: h.history_date for h in ret.history.all()}
    assert stamps["Submitted"] == ret.submitted_at
    assert stamps["Approved"] == ret.approved_at

    # The demo users still sign in with the password given.
    assert all(r.approved_by.check_password("demo-password-for-tests") for r in approved[:1])

    # Payments: paid on or soon after the due date, a few late; one still overdue.
    paid = list(Payment.objects.filter(status="paid"))
    assert paid and all(p.due_date <= p.paid_on <= today for p in paid)
    prompt = [p for p in paid if (p.paid_on - p.due_date).days <= 1]
    assert 0.75 * len(paid) <= len(prompt) < len(paid)
    paid_event = Event.objects.filter(verb="Payment recorded as paid").first()
    assert timezone.localdate(paid_event.at) == Payment.objects.get(pk=paid_event.object_id).paid_on

    # Sessions: two years of them, each logged on the day it was held.
    sessions = list(SupervisionSession.objects.all())
    assert len(sessions) > 1000
    assert all(
        timezone.localdate(s.history.earliest().history_date) == s.date for s in sessions[:50]
    )
    assert Post.objects.filter(status="vacant").count() == 2  # the two vacancies of the story
