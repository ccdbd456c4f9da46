import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from consortium.base import StaleEdit
from consortium.models import Consortium, Event, Role, RoleAssignment
from contracts.models import PerformanceReturn, Restatement, ReturnLocked, ReturnValue
from contracts.services import returns as svc
from sample import GOOD_VALUES, make_return, person

S = PerformanceReturn.Status


@pytest.fixture
def rw(returns_world):
    return returns_world


def dvals(values):
    return {k: (None if v is None else D(str(v))) for k, v in values.items()}


def fresh(ret):
    return PerformanceReturn.objects.get(pk=ret.pk)


def test_cvo_saves_a_draft_and_submits(rw, cvo_a):
    ret = rw.returns["draft_a"]
    svc.return_save_draft(
        ret=ret,
        by=cvo_a,
        values=dvals(GOOD_VALUES),
        notes={"DIV": "Two in court"},
        narrative="Busy month",
    )
    ret = fresh(ret)
    assert ret.narrative == "Busy month"
    assert ReturnValue.objects.get(ret=ret, indicator__code="DIV").note == "Two in court"
    assert ReturnValue.objects.get(ret=ret, indicator__code="WAIT").value == D("3.50")
    svc.return_submit(ret=ret, by=cvo_a)
    ret = fresh(ret)
    assert ret.status == S.SUBMITTED and ret.submitted_by == cvo_a
    assert Event.objects.filter(verb="Return submitted", object_id=str(ret.pk)).exists()


def test_submit_runs_the_rules_and_names_the_indicator(rw, cvo_a):
    ret = rw.returns["draft_a"]
    with pytest.raises(ValidationError) as e:
        svc.return_submit(ret=ret, by=cvo_a)
    assert "Enter a figure for Screened. Enter 0 if there were none." in e.value.messages
    assert fresh(ret).status == S.DRAFT


def test_warnings_must_be_confirmed(rw, cvo_a):
    sub = rw.money["sub_a"]
    from sample import make_period

    for month in (1, 2, 3):
        p = make_period(sub, datetime.date(2025, month, 1))
        make_return(sub, p, GOOD_VALUES, status="approved")
    ret = rw.returns["draft_a"]
    svc.return_save_draft(
        ret=ret, by=cvo_a, values=dvals({**GOOD_VALUES, "REF": 400, "REF_POLICE": 300})
    )
    with pytest.raises(ValidationError) as e:
        svc.return_submit(ret=ret, by=cvo_a)
    assert e.value.error_list[0].code == "warnings"
    assert "is much higher than this service's usual" in e.value.messages[0]
    svc.return_submit(ret=ret, by=cvo_a, confirm_warnings=True)
    assert fresh(ret).status == S.SUBMITTED and fresh(ret).warnings_confirmed


def test_only_the_subcontractors_people_edit_and_submit(rw, cvo_b, lead, commissioner, supervisor):
    ret = rw.returns["draft_a"]
    for user in (cvo_b, lead, commissioner, supervisor):
        with pytest.raises(PermissionDenied):
            svc.return_save_draft(ret=ret, by=user, values={"REF": D(1)})
        with pytest.raises(PermissionDenied):
            svc.return_submit(ret=ret, by=user)


def test_only_the_lead_approves_or_returns(rw, cvo_a, cvo_b, commissioner, supervisor, lead):
    ret = rw.returns["submitted_a"]
    for user in (cvo_a, cvo_b, commissioner, supervisor):
        with pytest.raises(PermissionDenied):
            svc.return_approve(ret=ret, by=user)
        with pytest.raises(PermissionDenied):
            svc.return_return(ret=ret, by=user, comments="no")
    svc.return_approve(ret=ret, by=lead)
    assert fresh(ret).status == S.APPROVED and fresh(ret).approved_by == lead


def test_the_full_cycle_with_return_and_resubmit(rw, cvo_a, lead):
    ret = rw.returns["draft_a"]
    svc.return_save_draft(ret=ret, by=cvo_a, values=dvals(GOOD_VALUES))
    svc.return_submit(ret=ret, by=cvo_a)
    with pytest.raises(ValidationError):
        svc.return_return(ret=ret, by=lead, comments="  ")
    svc.return_return(ret=ret, by=lead, comments="Check diversions against the court list")
    ret = fresh(ret)
    assert ret.status == S.RETURNED and ret.lead_comments.startswith("Check diversions")
    svc.return_save_draft(ret=ret, by=cvo_a, values={"DIV": D(11)})
    svc.return_submit(ret=ret, by=cvo_a)
    assert fresh(ret).status == S.SUBMITTED
    svc.return_approve(ret=ret, by=lead)
    svc.return_lock(ret=ret, by=lead)
    assert fresh(ret).status == S.LOCKED
    verbs = list(Event.objects.filter(object_id=str(ret.pk)).values_list("verb", flat=True))
    assert {
        "Return returned with comments",
        "Return resubmitted",
        "Return approved",
        "Return locked",
    } <= set(verbs)


def test_submitted_returns_cannot_be_edited(rw, cvo_a):
    with pytest.raises(ValidationError) as e:
        svc.return_save_draft(ret=rw.returns["submitted_a"], by=cvo_a, values={"REF": D(1)})
    assert "ask the consortium lead to return it" in e.value.messages[0]


def test_nobody_approves_what_they_submitted(rw, lead):
    # The lead agency delivers part of the service itself and its lead person submits.
    o = rw.orgs
    from sample import make_agreements, make_period

    _, own = make_agreements(rw.home, o["commissioner"], o["lead"], o["lead"], "OWN")
    ret = make_return(own, make_period(own, datetime.date(2026, 4, 1)), GOOD_VALUES)
    svc.return_submit(ret=ret, by=lead)
    with pytest.raises(PermissionDenied, match="You submitted this return"):
        svc.return_approve(ret=ret, by=lead)
    colleague = person("lead2", rw.home, o["lead"], Role.LEAD)
    svc.return_approve(ret=ret, by=colleague)
    assert fresh(ret).status == S.APPROVED


def test_lead_work_approved_by_the_commissioner_when_the_consortium_says_so(rw, lead, commissioner):
    o = rw.orgs
    Consortium.objects.filter(pk=rw.home.pk).update(lead_work_approved_by="commissioner")
    from sample import make_agreements, make_period

    _, own = make_agreements(rw.home, o["commissioner"], o["lead"], o["lead"], "OWN")
    ret = make_return(own, make_period(own, datetime.date(2026, 4, 1)), GOOD_VALUES)
    svc.return_submit(ret=ret, by=lead)
    colleague = person("lead2", rw.home, o["lead"], Role.LEAD)
    with pytest.raises(PermissionDenied):
        svc.return_approve(ret=fresh(ret), by=colleague)
    svc.return_approve(ret=fresh(ret), by=commissioner)
    assert fresh(ret).status == S.APPROVED


# --- locked means locked ------------------------------------------------------------------


def test_an_approved_return_cannot_be_saved_directly(rw):
    ret = fresh(rw.returns["approved_a"])
    ret.narrative = "changed"
    with pytest.raises(ReturnLocked, match="The consortium lead can reopen it"):
        ret.save()
    with pytest.raises(ReturnLocked):
        ret.delete()


def test_its_values_cannot_be_saved_or_deleted(rw):
    rv = ReturnValue.objects.filter(ret=rw.returns["approved_a"]).first()
    rv.value = D(999)
    with pytest.raises(ReturnLocked):
        rv.save()
    with pytest.raises(ReturnLocked):
        rv.delete()


def test_bulk_updates_cannot_reach_frozen_returns(rw):
    with pytest.raises(ReturnLocked):
        PerformanceReturn.objects.all().update(narrative="bulk")
    with pytest.raises(ReturnLocked):
        ReturnValue.objects.all().update(value=D(1))
    with pytest.raises(ReturnLocked):
        ReturnValue.objects.filter(ret=rw.returns["approved_a"]).delete()
    rvs = list(ReturnValue.objects.filter(ret=rw.returns["approved_a"]))
    for rv in rvs:
        rv.value = D(0)
    with pytest.raises(ReturnLocked), transaction.atomic():
        ReturnValue.objects.bulk_update(rvs, ["value"])
    assert ReturnValue.objects.get(ret=rw.returns["approved_a"], indicator__code="REF").value == D(
        40
    )
    # Drafts are unaffected.
    assert PerformanceReturn.objects.filter(status="draft").update(narrative="ok") == 1


def test_the_form_path_refuses_a_frozen_return(rw, cvo_a):
    with pytest.raises(ReturnLocked):
        svc.return_save_draft(ret=rw.returns["approved_a"], by=cvo_a, values={"REF": D(1)})


def test_reopen_needs_the_lead_and_a_reason_and_keeps_a_restatement_log(rw, lead, cvo_a, cvo_b):
    ret = rw.returns["approved_a"]
    with pytest.raises(ValidationError):
        svc.return_reopen(ret=ret, by=lead, reason=" ")
    with pytest.raises(PermissionDenied):
        svc.return_reopen(ret=ret, by=cvo_a, reason="I want to")
    svc.return_reopen(ret=ret, by=lead, reason="Court list showed two more diversions")
    ret = fresh(ret)
    assert ret.status == S.DRAFT and ret.times_reopened == 1
    last = ret.history.first()
    assert last.history_change_reason == "Reopened: Court list showed two more diversions"
    assert last.history_user == lead
    svc.return_save_draft(ret=ret, by=cvo_a, values={"DIV": D(14)})
    svc.return_submit(ret=ret, by=cvo_a)
    svc.return_approve(ret=ret, by=lead)
    r = Restatement.objects.get(ret=ret)
    assert r.changes() == [("DIV", "12.00", "14.00")]
    assert r.reopened_by == lead and r.reapproved_at is not None


def test_a_stale_edit_is_refused(rw, cvo_a):
    ret = rw.returns["draft_a"]
    opened_at = fresh(ret).version
    svc.return_save_draft(ret=ret, by=cvo_a, values={"REF": D(6)}, expected_version=opened_at)
    with pytest.raises(StaleEdit):
        svc.return_save_draft(ret=ret, by=cvo_a, values={"REF": D(7)}, expected_version=opened_at)
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == D(6)


def test_racing_transitions_exactly_one_wins(rw, lead):
    # Two reviewers opened the same submitted return; each acts on their own stale copy.
    colleague = person("lead2", rw.home, rw.orgs["lead"], Role.LEAD)
    first, second = fresh(rw.returns["submitted_a"]), fresh(rw.returns["submitted_a"])
    svc.return_approve(ret=first, by=lead)
    with pytest.raises(ValidationError, match="approved, not submitted"):
        svc.return_return(ret=second, by=colleague, comments="Too late")
    assert fresh(first).status == S.APPROVED


def test_racing_submit_and_return_exactly_one_wins(rw, cvo_a, lead):
    ret = rw.returns["draft_a"]
    svc.return_save_draft(ret=ret, by=cvo_a, values=dvals(GOOD_VALUES))
    a, b = fresh(ret), fresh(ret)
    svc.return_submit(ret=a, by=cvo_a)
    with pytest.raises(ValidationError, match="already been submitted"):
        svc.return_submit(ret=b, by=cvo_a)
    assert PerformanceReturn.objects.get(pk=ret.pk).version == fresh(a).version


def test_one_return_per_subcontract_and_period(rw):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_return(rw.money["sub_a"], rw.returns["periods_a"][0])


def test_periods_get_working_day_due_dates(rw, lead, cvo_a):
    sub = rw.money["sub_a"]
    made = svc.periods_create(
        subcontract=sub, by=lead, first=datetime.date(2026, 11, 1), last=datetime.date(2027, 1, 31)
    )
    assert [(p.start, p.due_date) for p in made] == [
        (datetime.date(2026, 11, 1), datetime.date(2026, 12, 14)),
        (datetime.date(2026, 12, 1), datetime.date(2027, 1, 15)),
        (datetime.date(2027, 1, 1), datetime.date(2027, 2, 12)),
    ]
    with pytest.raises(PermissionDenied):
        svc.periods_create(subcontract=sub, by=cvo_a)


def test_late_is_judged_against_the_due_date(rw):
    ret = rw.returns["draft_a"]  # June 2026: due 14 July 2026
    assert ret.period.due_date == datetime.date(2026, 7, 14)
    assert not ret.is_late(today=datetime.date(2026, 7, 14))
    assert ret.is_late(today=datetime.date(2026, 7, 15))


def test_targets_are_set_by_the_lead(rw, lead, cvo_a):
    p = rw.returns["periods_a"][0]
    t = svc.target_set(period=p, indicator=rw.returns["ind"]["REF"], value="45", by=lead)
    assert t.value == D("45")
    with pytest.raises(PermissionDenied):
        svc.target_set(period=p, indicator=rw.returns["ind"]["REF"], value="1", by=cvo_a)
    with pytest.raises(ValidationError):
        svc.target_set(period=p, indicator=rw.returns["ind"]["REF"], value="-1", by=lead)


def test_role_assignment_import_is_used(rw):
    assert RoleAssignment.objects.exists()
