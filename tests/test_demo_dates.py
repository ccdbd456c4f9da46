"""The demo's history carries the dates it would have had: returns sent in around their due
dates (most on time), approved a few days later by the lead."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from contracts.models import PerformanceReturn

pytestmark = pytest.mark.django_db


def test_it_dates_the_demo_returns_as_they_would_have_been_sent():
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
