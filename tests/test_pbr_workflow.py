"""Claims through their workflow: double claims, separation of duties, sampling, caps,
payments reconciled with claims, the outcomes allocation figures and exposure."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from consortium.models import Role
from contracts.models import ClaimLine, MeasureInUse, PbRClaim
from contracts.services import outcomes as pbr
from funding import services as funding_services
from funding.models import Payment
from sample import build_money, claim_line, make_claim, make_measure, person

D = Decimal
Q1 = datetime.date(2026, 4, 1)
Q2 = datetime.date(2026, 7, 1)
DAY = datetime.date(2026, 4, 10)


@pytest.fixture
def pw(money_world):
    world = money_world
    world.measure = make_measure(
        world.money["contract"],
        [world.orgs["cvo_a"], world.orgs["cvo_b"]],
        by=world.users["lead"],
        code="MH28",
        tariff=D("250.00"),
    )
    return world


def people(w):
    return w.users["lead"], w.users["cvo_a"], w.users["cvo_b"], w.users["commissioner"]


def test_the_case_reference_is_never_stored_only_its_keyed_hash(pw):
    lead, a, _, _ = people(pw)
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [claim_line("NHS-998877", DAY)], by=a)
    line = claim.lines.get()
    assert "998877" not in line.participant
    assert line.participant == pbr.participant_hash(claim.consortium_id, "nhs 998877")
    assert not any("998877" in str(v) for row in ClaimLine.history.values() for v in row.values())


def test_the_same_participant_claimed_by_another_member_is_refused_without_naming_it(pw):
    lead, a, b, _ = people(pw)
    make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [claim_line("X1", DAY)], by=a)
    claim_b = make_claim(pw.measure, pw.orgs["cvo_b"], Q1, [], by=b)
    with pytest.raises(ValidationError) as e:
        pbr.line_add(
            by=b,
            claim=claim_b,
            reference="x 1",
            engagement_date=DAY,
            outcome_date=DAY,
            evidence_ref="note",
        )
    message = " ".join(e.value.messages)
    assert "already claimed for this measure and window by another member" in message
    assert "CVO Alpha" not in message


def test_the_same_participant_in_a_later_period_of_a_binary_measure_is_refused(pw):
    _, a, _, _ = people(pw)
    make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [claim_line("X1", DAY)], by=a)
    later = make_claim(pw.measure, pw.orgs["cvo_a"], Q2, [], by=a)
    with pytest.raises(ValidationError, match="never paid twice"):
        pbr.line_add(
            by=a,
            claim=later,
            reference="X1",
            engagement_date=Q2,
            outcome_date=Q2,
            evidence_ref="n",
        )


def test_a_refused_line_frees_its_participant_for_another_member(pw):
    lead, a, b, comm = people(pw)
    make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("X1", DAY), claim_line("X2", DAY)],
        by=a,
        status="verified",
        verifier=lead,
        refuse=["X1"],
    )
    claim_b = make_claim(pw.measure, pw.orgs["cvo_b"], Q1, [claim_line("X1", DAY)], by=b)
    assert claim_b.lines.count() == 1


def test_bad_lines_are_refused_with_a_message_that_says_what_to_do(pw):
    _, a, _, _ = people(pw)
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [], by=a)
    with pytest.raises(ValidationError) as e:
        pbr.line_add(
            by=a,
            claim=claim,
            reference="R",
            engagement_date=DAY,
            outcome_date=DAY + datetime.timedelta(days=40),
            evidence_ref="n",
        )
    assert e.value.messages == [
        "The outcome came 40 days after engagement; this measure counts outcomes within 28 "
        "days. Leave this participant out."
    ]
    with pytest.raises(ValidationError, match="outside this claim's period"):
        pbr.line_add(
            by=a,
            claim=claim,
            reference="R",
            engagement_date=Q2,
            outcome_date=Q2,
            evidence_ref="n",
        )


def test_a_member_that_may_not_claim_the_measure_is_told_to_ask_the_lead(pw):
    lead = pw.users["lead"]
    measure = make_measure(pw.money["contract"], [pw.orgs["cvo_a"]], by=lead, code="ONLYA")
    with pytest.raises(ValidationError, match="may not claim ONLYA"):
        pbr.claim_start(
            by=pw.users["cvo_b"], measure=measure, claimant=pw.orgs["cvo_b"], period_start=Q1
        )


def test_a_member_cannot_claim_for_another_member(pw):
    with pytest.raises(PermissionDenied):
        pbr.claim_start(
            by=pw.users["cvo_a"], measure=pw.measure, claimant=pw.orgs["cvo_b"], period_start=Q1
        )


def test_a_published_measure_is_frozen_and_changes_by_a_new_version(pw):
    lead = pw.users["lead"]
    pw.measure.tariff = D("1.00")
    with pytest.raises(MeasureInUse):
        pw.measure.save()
    new = pbr.measure_revise(by=lead, measure=pw.measure, reason="Tariff agreed for year 2")
    assert (new.revision, new.series, new.status) == (2, pw.measure.series, "draft")
    assert [c.organisation_id for c in new.claimants.all()] == [
        pw.orgs["cvo_a"].pk,
        pw.orgs["cvo_b"].pk,
    ]
    pbr.measure_publish(by=lead, measure=new)
    pw.measure.refresh_from_db()
    assert pw.measure.status == "retired"


def test_a_negative_tariff_or_cap_is_refused(pw):
    from sample import OutcomeMeasureFactory

    m = OutcomeMeasureFactory.build(contract=pw.money["contract"], tariff=D("-5"))
    with pytest.raises(ValidationError) as e:
        pbr.measure_save(by=pw.users["lead"], measure=m, claimants=[(pw.orgs["cvo_a"], None)])
    assert "tariff" in e.value.message_dict
    m = OutcomeMeasureFactory.build(contract=pw.money["contract"], period_cap=D("-1"))
    with pytest.raises(ValidationError) as e:
        pbr.measure_save(by=pw.users["lead"], measure=m, claimants=[(pw.orgs["cvo_a"], None)])
    assert "period_cap" in e.value.message_dict


def test_nobody_verifies_what_they_claimed(pw):
    lead = pw.users["lead"]
    own = make_measure(pw.money["contract"], [pw.orgs["lead"]], by=lead, code="OWN")
    claim = make_claim(
        own, pw.orgs["lead"], Q1, [claim_line("L1", DAY)], by=lead, status="submitted"
    )
    with pytest.raises(PermissionDenied):
        pbr.claim_verify_every_line(by=lead, claim=claim)
    colleague = person("lead2", pw.home, pw.orgs["lead"], Role.LEAD)
    pbr.claim_verify_every_line(by=colleague, claim=claim)


def test_the_leads_own_claims_are_verified_by_the_commissioner_when_the_consortium_says(pw):
    lead, _, _, comm = people(pw)
    pw.home.lead_work_approved_by = "commissioner"
    pw.home.save()
    colleague = person("lead2", pw.home, pw.orgs["lead"], Role.LEAD)
    own = make_measure(pw.money["contract"], [pw.orgs["lead"]], by=lead, code="OWN")
    claim = make_claim(
        own, pw.orgs["lead"], Q1, [claim_line("L1", DAY)], by=lead, status="submitted"
    )
    with pytest.raises(PermissionDenied):
        pbr.claim_verify_every_line(by=colleague, claim=claim)
    pbr.claim_verify_every_line(by=comm, claim=claim)


def test_only_the_commissioner_of_the_contract_approves_and_not_the_verifier(pw):
    lead, a, _, comm = people(pw)
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("X1", DAY)],
        by=a,
        status="verified",
        verifier=lead,
    )
    with pytest.raises(PermissionDenied):
        pbr.claim_approve(by=lead, claim=claim)
    with pytest.raises(PermissionDenied):
        pbr.claim_approve(by=a, claim=claim)
    approved = pbr.claim_approve(by=comm, claim=claim)
    assert approved.payable_amount == D("250.00")


def test_a_clean_sample_accepts_the_rest_and_is_reproducible_from_its_seed(pw):
    lead, a, _, comm = people(pw)
    refs = [claim_line(f"S{i}", DAY) for i in range(20)]
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        refs,
        by=a,
        status="verified",
        verifier=lead,
        sample=(5, 1234),
    )
    assert (claim.verification, claim.sample_size, claim.sample_seed) == ("sample", 5, 1234)
    sampled = sorted(claim.lines.filter(in_sample=True).values_list("pk", flat=True))
    from contracts.validation.outcomes import draw_sample

    assert sampled == draw_sample(claim.lines.values_list("pk", flat=True), 5, 1234)
    assert claim.lines.filter(status="verified").count() == 20
    assert "clean sample of 5 (seed 1234)" in claim.lines.filter(in_sample=False)[0].decision_note


def test_a_failed_sampled_line_means_every_line_must_be_verified(pw):
    lead, a, _, _ = people(pw)
    refs = [claim_line(f"S{i}", DAY) for i in range(10)]
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, refs, by=a, status="submitted")
    claim = pbr.claim_draw_sample(by=lead, claim=claim, size=3, seed=7)
    first = claim.lines.filter(in_sample=True).first()
    pbr.line_decide(by=lead, line=first, decision="refused", note="Appointment not attended.")
    claim.refresh_from_db()
    assert claim.verification == "all"
    for line in claim.lines.filter(status="pending", in_sample=True):
        pbr.line_decide(by=lead, line=line, decision="verified")
    with pytest.raises(ValidationError, match="7 lines are not checked yet"):
        pbr.claim_verify(by=lead, claim=claim)
    for line in claim.lines.filter(status="pending"):
        pbr.line_decide(by=lead, line=line, decision="verified")
    claim = pbr.claim_verify(by=lead, claim=claim)
    assert claim.lines.filter(status="verified").count() == 9
    refused = claim.lines.get(status="refused")
    assert (refused.decided_by, refused.decision_note) == (lead, "Appointment not attended.")


def test_a_queried_line_goes_back_to_the_member_and_returns_with_the_claim(pw):
    lead, a, _, _ = people(pw)
    claim = make_claim(
        pw.measure, pw.orgs["cvo_a"], Q1, [claim_line("Q1", DAY)], by=a, status="submitted"
    )
    pbr.claim_verify_every_line(by=lead, claim=claim)
    pbr.line_decide(by=lead, line=claim.lines.get(), decision="queried", note="Which service?")
    with pytest.raises(ValidationError, match="queried"):
        pbr.claim_verify(by=lead, claim=claim)
    claim = pbr.claim_return(by=lead, claim=claim, comments="Answer the query.")
    assert claim.status == "draft"
    claim = pbr.claim_submit(by=a, claim=claim)
    assert claim.lines.get().status == "pending"


def test_the_period_cap_is_shared_by_the_claims_of_a_period(pw):
    lead, a, b, comm = people(pw)
    measure = make_measure(
        pw.money["contract"],
        [pw.orgs["cvo_a"], pw.orgs["cvo_b"]],
        by=lead,
        code="CAP",
        tariff=D("100.00"),
        period_cap=D("250.00"),
        contract_cap=D("1000.00"),
    )
    first = make_claim(
        measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"A{i}", DAY) for i in range(2)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    second = make_claim(
        measure,
        pw.orgs["cvo_b"],
        Q1,
        [claim_line(f"B{i}", DAY) for i in range(2)],
        by=b,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    assert (first.payable_amount, first.caps_applied) == (D("200.00"), "")
    assert (second.earned_amount, second.payable_amount) == (D("200.00"), D("50.00"))
    assert second.caps_applied == "period cap"
    assert sum(second.lines.values_list("amount", flat=True)) == D("50.00")
    figures = pbr.figures(second)
    assert (figures["claimed"], figures["approved"], figures["capped"], figures["payable"]) == (
        D("200.00"),
        D("200.00"),
        D("150.00"),
        D("50.00"),
    )


def test_the_contract_cap_bites_across_periods(pw):
    lead, a, _, comm = people(pw)
    measure = make_measure(
        pw.money["contract"],
        [pw.orgs["cvo_a"]],
        by=lead,
        code="CC",
        tariff=D("100.00"),
        contract_cap=D("350.00"),
    )
    make_claim(
        measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"A{i}", DAY) for i in range(3)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    later = make_claim(
        measure,
        pw.orgs["cvo_a"],
        Q2,
        [claim_line(f"B{i}", Q2) for i in range(3)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    assert (later.payable_amount, later.caps_applied) == (D("50.00"), "contract cap")


def test_refused_lines_lower_the_verified_amount(pw):
    lead, a, _, comm = people(pw)
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"R{i}", DAY) for i in range(4)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
        refuse=["R0"],
    )
    figures = pbr.figures(claim)
    assert (figures["claimed_lines"], figures["verified_lines"]) == (4, 3)
    assert (figures["claimed"], figures["payable"]) == (D("1000.00"), D("750.00"))


def test_an_approved_claim_is_paid_by_a_payment_that_reconciles_with_it(pw):
    lead, a, _, comm = people(pw)
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"P{i}", DAY) for i in range(3)],
        by=a,
        status="paid",
        verifier=lead,
        approver=comm,
        payer=lead,
    )
    payment = claim.payment
    assert (claim.status, payment.amount, payment.status) == ("paid", D("750.00"), "paid")
    assert payment.basis == "results" and payment.recipient == pw.orgs["cvo_a"]
    assert pbr.supported_by_claims(payment) == D("750.00")


def test_a_results_payment_beyond_approved_claims_is_refused_unless_an_adjustment(pw):
    lead, a, _, comm = people(pw)
    make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("P1", DAY)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    too_much = Payment(recipient=pw.orgs["cvo_a"], basis="results", amount=D("250.01"), due_date=Q2)
    with pytest.raises(ValidationError, match="Approved claims support £250.00"):
        funding_services.payment_schedule(by=lead, payment=too_much)
    exact = Payment(recipient=pw.orgs["cvo_a"], basis="results", amount=D("250.00"), due_date=Q2)
    funding_services.payment_schedule(by=lead, payment=exact)
    extra = Payment(
        recipient=pw.orgs["cvo_a"],
        basis="results",
        amount=D("10.00"),
        due_date=Q2,
        is_adjustment=True,
        adjustment_reason="Late evidence accepted.",
    )
    extra = funding_services.payment_schedule(by=lead, payment=extra)
    with pytest.raises(ValidationError, match="somebody else"):
        funding_services.payment_approve(by=lead, payment=extra)


def test_approved_and_paid_claims_are_frozen(pw):
    from contracts.models import ClaimFrozen

    lead, a, _, comm = people(pw)
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("F1", DAY)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    claim.engaged = 99
    with pytest.raises(ClaimFrozen):
        claim.save()
    with pytest.raises(ClaimFrozen):
        ClaimLine.objects.filter(claim=claim).update(events=3)


def test_every_transition_records_who_and_why(pw):
    from consortium.models import Event

    lead, a, _, comm = people(pw)
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("E1", DAY)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    verbs = list(
        Event.objects.filter(object_model="contracts.PbRClaim", object_id=str(claim.pk))
        .order_by("id")
        .values_list("verb", "by__username")
    )
    assert verbs == [
        ("Claim started", "cvo_a"),
        ("Claim submitted", "cvo_a"),
        ("Claim verified", "lead"),
        ("Claim approved", "commissioner"),
    ]
    assert claim.history.count() >= 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL")
def test_two_racing_approvals_exactly_one_wins(world):
    from django.db import connections

    build_money(world)
    lead, a = world.users["lead"], world.users["cvo_a"]
    comm = world.users["commissioner"]
    comm2 = person("commissioner2", world.home, world.orgs["commissioner"], Role.COMMISSIONER)
    measure = make_measure(world.money["contract"], [world.orgs["cvo_a"]], by=lead, code="RACE")
    claim = make_claim(
        measure,
        world.orgs["cvo_a"],
        Q1,
        [claim_line("R1", DAY)],
        by=a,
        status="verified",
        verifier=lead,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user):
        from django_scopes import scopes_disabled

        try:
            with scopes_disabled():
                c = PbRClaim.objects.get(pk=claim.pk)
                barrier.wait()
                pbr.claim_approve(by=user, claim=c)
            outcomes.append("won")
        except Exception as e:  # noqa: BLE001
            outcomes.append(type(e).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(u,)) for u in (comm, comm2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ValidationError", "won"]
    assert PbRClaim.objects.get(pk=claim.pk).payable_amount == D("250.00")
    assert claim.history.filter(status="approved").count() == 1


def test_an_approved_claim_keeps_its_line_tallies_and_they_cannot_drift(pw):
    from contracts.models import ClaimFrozen
    from contracts.selectors import outcomes as sel

    lead, a, _, comm = people(pw)
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"T{i}", DAY) for i in range(5)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
        refuse=["T0"],
        engaged=10,
    )
    claim.refresh_from_db()
    stored = {name: getattr(claim, name) for name in claim.count_lines()}
    assert (
        stored
        == claim.count_lines()
        == {
            "lines_claimed": 5,
            "lines_verified": 4,
            "lines_refused": 1,
            "participants_claimed": 5,
            "participants_verified": 4,
        }
    )
    # Neither the lines nor the tallies change once approved.
    with pytest.raises(ClaimFrozen):
        ClaimLine.objects.filter(claim=claim).update(status="verified")
    claim.participants_verified = 5
    with pytest.raises(ClaimFrozen):
        claim.save()
    # The statement reads the kept tallies; they agree with counting the lines.
    (row,), total = sel.statement(lead, Q1, Q1)
    assert (row.claimed_lines, row.verified_lines, row.refused_lines) == (5, 4, 1)
    (achieved,) = sel.achieved_against_engaged(lead, Q1, Q1)
    assert (achieved["claimed"], achieved["verified"], achieved["engaged"]) == (5, 4, 10)
    # A claim approved before the tallies were kept is filled in by the data migration.
    import importlib

    from django.db.migrations.loader import MigrationLoader
    from django.db.models import QuerySet

    # As before the migration (a plain queryset: the model's own refuses to touch it).
    QuerySet(PbRClaim).filter(pk=claim.pk).update(lines_claimed=None)
    assert sel.statement(lead, Q1, Q1)[1].verified_lines == 4  # counted from the lines
    migration = importlib.import_module(
        "contracts.migrations.0005_claim_line_tallies_fixed_at_approval"
    )
    state = MigrationLoader(connection).project_state(
        ("contracts", "0005_claim_line_tallies_fixed_at_approval")
    )
    migration.fill_tallies(state.apps, None)
    claim.refresh_from_db()
    assert {name: getattr(claim, name) for name in stored} == stored


def test_exposure_changes_at_once_when_a_claim_is_approved(pw, client):
    """Exposure is kept in the cache until one of its inputs is written: the approval that
    adds to what a member has earned shows at once, on the selector and on the page."""
    from django.urls import reverse

    from contracts.selectors import outcomes as sel

    lead, a, _, comm = people(pw)
    first, last = Q1, datetime.date(2027, 3, 31)
    page = reverse("outcomes:exposure") + f"?first={first}&last={last}"
    client.force_login(lead)
    before = sel.exposure(lead, first, last)
    assert client.get(page).status_code == 200
    assert sel.exposure(lead, first, last).whole.earned == before.whole.earned  # kept
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("X1", DAY), claim_line("X2", DAY)],
        by=a,
        status="verified",
        verifier=lead,
    )
    pbr.claim_approve(by=comm, claim=claim)
    after = sel.exposure(lead, first, last)
    assert after.whole.earned == before.whole.earned + D("500.00")
    was = before.member(pw.orgs["cvo_a"].pk)
    assert after.member(pw.orgs["cvo_a"].pk).earned == (was.earned if was else 0) + D("500.00")
    assert "£500.00" in client.get(page).content.decode()
