"""Risks through their services: review dates by band, overdue flags on a frozen day,
acceptance, escalation round trip, the matrix a register keeps, bad input and stale edits."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from consortium.base import StaleEdit
from consortium.models import Event
from risks import services
from risks.models import Escalation, Risk, RiskAction, SwotAgreed, SwotItem
from sample import make_register, make_risk, make_swot, review

DAY = datetime.date(2026, 6, 15)
CUSTOM = [
    {"key": "low", "label": "Green", "from": 1, "colour": "green"},
    {"key": "moderate", "label": "Amber", "from": 5, "colour": "yellow"},
    {"key": "high", "label": "Red", "from": 10, "colour": "red"},
    {"key": "extreme", "label": "Black", "from": 20, "colour": "purple"},
]


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(
        datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


@pytest.mark.parametrize(
    "residual, band, days",
    [((5, 5), "extreme", 30), ((3, 4), "high", 60), ((2, 3), "moderate", 90), ((1, 2), "low", 180)],
)
def test_a_new_risk_is_due_for_review_by_its_residual_band(lead, residual, band, days):
    risk = make_risk(make_register(lead), lead, residual=residual, target=(1, 1))
    assert risk.residual_band == band
    assert risk.next_review == DAY + datetime.timedelta(days=days)
    assert risk.reference == "C-001"


def test_review_intervals_follow_the_consortiums_settings(lead, world):
    settings_row = services.settings_for(world.home.pk)
    settings_row.review_days_high = 14
    settings_row.save()
    risk = make_risk(make_register(lead), lead, residual=(3, 4))
    assert risk.next_review == datetime.date(2026, 6, 29)


def test_a_review_records_the_scores_and_sets_the_next_date_by_the_new_band(lead):
    risk = make_risk(make_register(lead), lead, residual=(3, 4), target=(1, 2))
    r = review(risk, lead, datetime.date(2026, 6, 10), (5, 4), "Prime contract not renewed")
    risk.refresh_from_db()
    assert (r.residual_score, risk.residual_score, risk.residual_band) == (20, 20, "extreme")
    assert r.next_review == risk.next_review == datetime.date(2026, 7, 10)
    event = Event.objects.get(verb="Risk reviewed")
    assert (event.by, event.reason) == (lead, "Prime contract not renewed")


def test_a_review_dated_in_the_future_is_refused(lead):
    risk = make_risk(make_register(lead), lead)
    with pytest.raises(ValidationError) as e:
        review(risk, lead, DAY + datetime.timedelta(days=1), (3, 3))
    assert e.value.message_dict["reviewed_on"] == ["A review cannot be dated in the future."]


def test_overdue_reviews_and_actions_are_counted_against_today(lead, world):
    register = make_register(lead)
    due = make_risk(register, lead, "Due", residual=(5, 5), target=(1, 1))
    make_risk(register, lead, "Fine", residual=(1, 1), target=(1, 1))
    services.action_add(
        by=lead, risk=due, description="Bid", owner=lead, due=datetime.date(2026, 7, 1)
    )
    assert not Risk.objects.review_overdue().exists()
    with time_machine.travel(datetime.datetime(2026, 7, 16, 9, 0, tzinfo=datetime.UTC), tick=False):
        assert timezone.localdate() == datetime.date(2026, 7, 16)
        assert list(Risk.objects.review_overdue()) == [due]
        assert RiskAction.objects.overdue().count() == 1
        due.refresh_from_db()
        assert due.review_overdue()


def test_a_target_worse_than_the_residual_needs_a_reason(lead):
    with pytest.raises(ValidationError) as e:
        make_risk(make_register(lead), lead, residual=(2, 2), target=(3, 3))
    assert "target_reason" in e.value.message_dict
    risk = make_risk(
        make_register(lead), lead, residual=(2, 2), target=(3, 3), target_reason="Accepting growth"
    )
    assert risk.target_score == 9


def test_a_score_outside_one_to_five_is_refused(lead):
    with pytest.raises(ValidationError) as e:
        make_risk(make_register(lead), lead, residual=(6, 2))
    assert e.value.message_dict["residual_likelihood"] == [
        "Give a likelihood from 1 (rare) to 5 (almost certain)."
    ]


def test_closing_a_risk_needs_a_reason(lead):
    risk = make_risk(make_register(lead), lead)
    with pytest.raises(ValidationError):
        services.risk_close(by=lead, risk=risk, reason=" ")
    closed = services.risk_close(by=lead, risk=risk, reason="Stream renewed for three years")
    assert closed.status == "closed"


def test_an_action_without_an_owner_is_refused(lead):
    risk = make_risk(make_register(lead), lead)
    with pytest.raises(ValidationError) as e:
        services.action_add(by=lead, risk=risk, description="x", owner=None, due=DAY)
    assert "owner" in e.value.message_dict


def test_a_stale_edit_of_a_risk_is_refused(lead):
    risk = make_risk(make_register(lead), lead)
    first, second = Risk.objects.get(pk=risk.pk), Risk.objects.get(pk=risk.pk)
    first.title = "First"
    services.risk_save(by=lead, risk=first, expected_version=1)
    second.title = "Second"
    with pytest.raises(StaleEdit):
        services.risk_save(by=lead, risk=second, expected_version=1)
    assert Risk.objects.get(pk=risk.pk).title == "First"


def test_an_acceptance_needs_an_expiry_and_lapses_after_it(lead):
    risk = make_risk(make_register(lead), lead, residual=(4, 4), category_name="Financial")
    assert list(Risk.objects.unaccepted_above_appetite()) == [risk]
    with pytest.raises(ValidationError) as e:
        services.risk_accept(by=lead, risk=risk, reason="Board accepts", expires=None)
    assert "expires" in e.value.message_dict
    acceptance = services.risk_accept(
        by=lead, risk=risk, reason="Board accepts", expires=datetime.date(2026, 9, 30)
    )
    assert (acceptance.score, acceptance.accepted_by) == (16, lead)
    assert not Risk.objects.unaccepted_above_appetite().exists()
    assert Risk.objects.above_appetite().count() == 1
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=datetime.UTC), tick=False):
        assert not acceptance.is_current()
        assert list(Risk.objects.unaccepted_above_appetite()) == [risk]


def test_an_acceptance_at_a_lower_score_does_not_cover_a_worse_one(lead):
    risk = make_risk(make_register(lead), lead, residual=(3, 4))
    services.risk_accept(by=lead, risk=risk, reason="ok", expires=datetime.date(2026, 12, 31))
    review(risk, lead, DAY, (4, 4), "Worse")
    assert list(Risk.objects.unaccepted_above_appetite()) == [risk]


def test_escalation_round_trip(lead, cvo_a, world):
    member = make_register(cvo_a, world.orgs["cvo_a"])
    risk = make_risk(member, cvo_a, "Single practitioner leaves", residual=(4, 4))
    with pytest.raises(PermissionDenied):
        services.escalation_decide(
            by=cvo_a,
            escalation=services.escalation_request(by=cvo_a, risk=risk, reason="Borough-wide"),
            accept=True,
            reason="self",
        )
    escalation = Escalation.objects.get()
    with pytest.raises(ValidationError):
        services.escalation_request(by=cvo_a, risk=risk, reason="again")
    decided = services.escalation_decide(
        by=lead, escalation=escalation, accept=True, reason="Affects the prime contract"
    )
    copy = decided.consortium_risk
    risk.refresh_from_db()
    assert risk.escalated_to == copy
    assert list(copy.escalated_from.all()) == [risk]
    assert copy.register.is_consortium and copy.owner == lead and risk.owner == cvo_a
    assert (copy.residual_score, copy.reference) == (16, "C-001")
    # Each keeps its own scores.
    review(copy, lead, DAY, (3, 4), "Consortium cover agreed")
    risk.refresh_from_db()
    assert (risk.residual_score, Risk.objects.get(pk=copy.pk).residual_score) == (16, 12)
    down = services.risk_deescalate(by=lead, risk=copy, reason="Member's cover in place")
    assert down.direction == "down"
    assert Risk.objects.get(pk=copy.pk).status == "closed"
    verbs = list(Event.objects.order_by("id").values_list("verb", flat=True))
    assert "Escalation requested" in verbs and "Escalation accepted" in verbs
    assert "Risk de-escalated" in verbs
    # De-escalated, it may go up again.
    again = services.escalation_request(by=cvo_a, risk=risk, reason="Cover failed")
    declined = services.escalation_decide(by=lead, escalation=again, accept=False, reason="No")
    assert declined.status == "declined" and declined.decision_reason == "No"


def test_an_old_register_keeps_the_bands_it_was_scored_under(lead, cvo_a, world):
    old = make_register(lead)
    risk = make_risk(old, lead, residual=(2, 2), target=(1, 1))
    assert risk.residual().label == "Moderate"
    services.matrix_revise(
        by=lead,
        likelihood_labels=["1", "2", "3", "4", "5"],
        consequence_labels=["a", "b", "c", "d", "e"],
        bands=CUSTOM,
        reason="Board adopted a stricter matrix",
    )
    risk.refresh_from_db()
    assert (risk.residual_band, risk.residual().label) == ("moderate", "Moderate")
    new_register = make_register(cvo_a, world.orgs["cvo_a"])
    fresh = make_risk(new_register, cvo_a, residual=(2, 2), target=(1, 1))
    assert (fresh.residual_band, fresh.residual().label) == ("low", "Green")
    services.register_adopt_matrix(by=lead, register=old, reason="Regrade on purpose")
    risk.refresh_from_db()
    assert (risk.residual_band, risk.residual().label) == ("low", "Green")


def test_an_agreed_swot_is_frozen_and_a_new_round_is_a_copy(lead):
    swot = make_swot(lead, items=[("threat", "Reorganisation", 40)])
    services.swot_agree(by=lead, analysis=swot)
    item = SwotItem.objects.get()
    item.statement = "changed"
    with pytest.raises(SwotAgreed):
        item.save()
    nxt = services.swot_new_round(
        by=lead,
        analysis=swot,
        title="2027",
        period_start=datetime.date(2027, 1, 1),
        period_end=datetime.date(2027, 3, 31),
    )
    assert nxt.status == "draft" and nxt.items.get().statement == "Reorganisation"


def test_consensus_override_needs_a_reason_and_only_the_lead(lead, cvo_a):
    swot = make_swot(lead, items=[("strength", "Leadership", 1)], sources=(10, 0, 0))
    item = swot.items.get()
    settings_row = services.settings_for(swot.consortium_id)
    assert item.consensus(settings_row) == "single"
    with pytest.raises(ValidationError):
        services.swot_item_override(by=lead, item=item, consensus="high", reason="")
    with pytest.raises(PermissionDenied):
        services.swot_item_override(by=cvo_a, item=item, consensus="high", reason="x")
    services.swot_item_override(by=lead, item=item, consensus="high", reason="Workshop agreed")
    assert item.consensus(settings_row) == "high"


def test_a_swot_threat_opens_a_linked_risk(lead):
    swot = make_swot(lead, items=[("threat", "Commissioners reorganise", 30)])
    threat = swot.items.get()
    risk = make_risk(make_register(lead), lead, threat.statement, swot_item=threat)
    assert list(threat.risks.all()) == [risk]
    assert risk.swot_item == threat


def test_an_opportunity_gets_an_action_even_once_the_swot_is_agreed(lead):
    swot = make_swot(lead, items=[("opportunity", "Liaison and diversion trials", 40)])
    services.swot_agree(by=lead, analysis=swot)
    item = swot.items.get()
    with pytest.raises(ValidationError) as e:
        services.swot_action_add(by=lead, item=item, description="Bid", owner=None, due=DAY)
    assert "owner" in e.value.message_dict
    action = services.swot_action_add(
        by=lead, item=item, description="Bid for the trial", owner=lead, due=DAY
    )
    assert list(item.actions.all()) == [action]


def test_acceptance_escalation_and_review_are_events_with_who_and_why(lead, cvo_a, world):
    risk = make_risk(make_register(cvo_a, world.orgs["cvo_a"]), cvo_a, residual=(4, 4))
    acceptance = services.risk_accept(
        by=cvo_a, risk=risk, reason="Board accepts", expires=datetime.date(2026, 12, 31)
    )
    r = review(risk, cvo_a, DAY, (4, 4), "Still high")
    escalation = services.escalation_request(by=cvo_a, risk=risk, reason="Borough-wide")
    for obj, why in (
        (acceptance, "Board accepts"),
        (r, "Still high"),
        (escalation, "Borough-wide"),
    ):
        row = obj.history.earliest()
        assert (row.history_user, row.history_change_reason) == (cvo_a, why)
    events = {e.verb: (e.by, e.reason) for e in Event.objects.all()}
    assert events["Risk accepted above appetite"] == (cvo_a, "Board accepts")
    assert events["Risk reviewed"] == (cvo_a, "Still high")
    assert events["Escalation requested"] == (cvo_a, "Borough-wide")
