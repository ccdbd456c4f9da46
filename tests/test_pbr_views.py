"""PbR pages: evidence upload (all or nothing, row by row), finding a line by its
reference, the claim page's money, the statement, exposure and the outcomes allocation."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from contracts.services import outcomes as pbr
from contracts.xlsx import outcomes as evidence_xlsx
from tests.factories import (
    claim_line,
    make_claim,
    make_measure,
)

D = Decimal
Q1 = datetime.date(2026, 4, 1)
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
        period_cap=D("1000.00"),
    )
    return world


def filled(claim, rows):
    wb = load_workbook(io.BytesIO(pbr.template_bytes(claim)))
    ws = wb[evidence_xlsx.SHEET]
    for i, row in enumerate(rows):
        for j, value in enumerate(row, start=1):
            ws.cell(row=evidence_xlsx.FIRST_ROW + i, column=j, value=value)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "evidence.xlsx"
    return out


def test_an_upload_with_one_bad_row_saves_nothing_and_says_which_row(client, pw):
    a = pw.users["cvo_a"]
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [], by=a)
    client.force_login(a)
    url = reverse("outcomes:claim_upload", args=[claim.pk])
    bad = filled(
        claim,
        [
            ("CASE-1", DAY, DAY + datetime.timedelta(days=3), 1, "Letter 1"),
            ("CASE-2", DAY, DAY - datetime.timedelta(days=1), 1, "Letter 2"),
            ("CASE-3", "=TODAY()", DAY, 1, "Letter 3"),
        ],
    )
    response = client.post(url, {"file": bad})
    html = response.content.decode()
    assert "Checked 3 rows: 2 problem(s) found, so nothing was saved" in html
    assert "is before the engagement date" in html and "a date cannot be a formula" in html
    assert claim.lines.count() == 0
    good = filled(claim, [("CASE-1", DAY, DAY, 1, "Letter 1"), ("CASE-2", DAY, DAY, 1, "L2")])
    response = client.post(url, {"file": good})
    assert response.status_code == 302
    assert claim.lines.count() == 2


def test_an_upload_repeating_a_participant_or_claimed_elsewhere_is_refused(client, pw):
    b = pw.users["cvo_b"]
    make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [claim_line("TAKEN", DAY)], by=pw.users["cvo_a"])
    claim = make_claim(pw.measure, pw.orgs["cvo_b"], Q1, [], by=b)
    data = filled(
        claim,
        [("dup 1", DAY, DAY, 1, "a"), ("DUP-1", DAY, DAY, 1, "b"), ("taken", DAY, DAY, 1, "c")],
    ).getvalue()
    with pytest.raises(pbr.UploadInvalid) as e:
        pbr.claim_upload(by=b, claim=claim, data=data, filename="e.xlsx")
    texts = [str(p) for p in e.value.problems]
    assert any(t.startswith("Row 8, column A:") and "appears twice" in t for t in texts)
    assert any(t.startswith("Row 9, column A:") and "by another member" in t for t in texts)


def test_a_line_is_found_by_typing_its_reference_and_the_reference_is_not_shown(client, pw):
    a = pw.users["cvo_a"]
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [claim_line("NHS-4455", DAY)], by=a)
    client.force_login(a)
    html = client.get(claim.get_absolute_url(), {"reference": "nhs 4455"}).content.decode()
    code = claim.lines.get().code
    assert f"Found: participant {code}" in html
    assert "4455" not in html.replace("nhs 4455", "").replace("nhs+4455", "")


def test_the_claim_page_shows_claimed_verified_approved_capped_and_payable(client, pw):
    lead, a, comm = pw.users["lead"], pw.users["cvo_a"], pw.users["commissioner"]
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"C{i}", DAY) for i in range(6)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
        refuse=["C0"],
    )
    client.force_login(comm)
    html = client.get(claim.get_absolute_url()).content.decode()
    # 6 claimed (£1,500), 5 verified (£1,250), the period cap of £1,000 bit.
    for text in ("£1,500.00", "£1,250.00", "£250.00", "£1,000.00", "period cap"):
        assert text in html


def test_the_statement_adds_up_by_measure_and_member_and_exports(client, pw):
    lead, a, b, comm = (pw.users[k] for k in ("lead", "cvo_a", "cvo_b", "commissioner"))
    make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"A{i}", DAY) for i in range(3)],
        by=a,
        status="paid",
        verifier=lead,
        approver=comm,
        payer=lead,
        eligible=10,
        engaged=8,
    )
    make_claim(
        pw.measure,
        pw.orgs["cvo_b"],
        Q1,
        [claim_line(f"B{i}", DAY) for i in range(2)],
        by=b,
        status="submitted",
    )
    client.force_login(lead)
    html = client.get(reverse("outcomes:pbr_statement"), {"first": "2026-04-01"}).content.decode()
    assert "£750.00" in html
    export = client.get(
        reverse("outcomes:pbr_statement"), {"first": "2026-04-01", "export": "xlsx"}
    )
    ws = load_workbook(io.BytesIO(export.getvalue()), read_only=True).active
    rows = [tuple(c for c in r) for r in ws.iter_rows(values_only=True)]
    assert rows[1][:3] == ("MH28", "CVO Alpha", 1)
    assert rows[1][6:] == (750, 0, 750, 750)
    assert rows[2][:4] == ("MH28", "CVO Beta", 1, 2)
    client.force_login(a)
    html = client.get(reverse("outcomes:pbr_statement"), {"first": "2026-04-01"}).content.decode()
    assert "CVO Beta" not in html


def test_the_outcomes_allocation_takes_its_figures_from_approved_claims(client, pw):
    lead, a, b, comm = (pw.users[k] for k in ("lead", "cvo_a", "cvo_b", "commissioner"))
    make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"A{i}", DAY) for i in range(3)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
        refuse=["A2"],
    )
    make_claim(
        pw.measure,
        pw.orgs["cvo_b"],
        Q1,
        [claim_line("B0", DAY)],
        by=b,
        status="verified",
        verifier=lead,
    )
    client.force_login(lead)
    response = client.get(reverse("outcomes:allocation_figures"), {"first": "2026-04-01"})
    start = response.context["start_query"]
    assert f"figure_{pw.orgs['cvo_a'].pk}=2" in start
    assert f"figure_{pw.orgs['cvo_b'].pk}" not in start
    assert "formula=outcomes" in start
    form = client.get(reverse("funding:allocation_create") + "?" + start).context["form"]
    assert D(form.initial[f"figure_{pw.orgs['cvo_a'].pk}"]) == D("2")


def test_exposure_is_the_most_outcomes_can_earn_over_expected_income(pw):
    from contracts.selectors import outcomes as sel

    lead, a, comm = pw.users["lead"], pw.users["cvo_a"], pw.users["commissioner"]
    make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"A{i}", DAY) for i in range(2)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    whole, members = sel.exposure(lead, datetime.date(2026, 4, 1), datetime.date(2027, 3, 31))
    # Four quarterly periods × £1,000 period cap = £4,000, shared equally by two members.
    assert whole.pbr_max == D("4000.00")
    by_name = {r.name: r for r in members}
    alpha = by_name["CVO Alpha"]
    assert (alpha.pbr_max, alpha.earned) == (D("2000.00"), D("500.00"))
    assert alpha.earned_percent == D("25.0")
    # Block income: CVO A's £60,000 line in the approved allocation of the stream.
    assert alpha.block == D("60000.00")
    assert alpha.share_percent == D("3.2")  # 2,000 ÷ 62,000
    assert whole.earned == D("500.00")


def test_pbr_pages_keep_a_constant_number_of_queries(client, pw, django_assert_max_num_queries):
    lead, a, comm = pw.users["lead"], pw.users["cvo_a"], pw.users["commissioner"]
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"A{i}", DAY) for i in range(30)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    client.force_login(lead)
    for url in (
        reverse("outcomes:claim_list"),
        claim.get_absolute_url(),
        reverse("outcomes:pbr_statement"),
        reverse("outcomes:exposure"),
    ):
        with django_assert_max_num_queries(40):
            assert client.get(url).status_code == 200


def test_the_runway_names_the_members_most_at_risk_and_the_statement_every_member(
    client, pw, monkeypatch
):
    from contracts.dashboard import outcomes as dashboard

    monkeypatch.setattr(dashboard, "RUNWAY_MEMBERS", 1)
    client.force_login(pw.users["lead"])
    runway = client.get(reverse("funding:runway")).content.decode()
    assert "The 1 members of 2 with the largest share of their income at risk." in runway
    assert "Every member, in the allocation statement" in runway
    members = [r for r in ("CVO Alpha", "CVO Beta") if f">{r}</td>" in runway]
    assert len(members) == 1
    statement = client.get(reverse("funding:statement")).content.decode()
    assert all(f">{r}</td>" in statement for r in ("CVO Alpha", "CVO Beta"))


@pytest.mark.django_db
def test_a_cohort_pays_fractions_of_a_participant_and_the_approved_page_says_how(client, pw):
    """49 lines through the claim services (about 3 s)."""
    lead, a, comm = pw.users["lead"], pw.users["cvo_a"], pw.users["commissioner"]
    cohort = make_measure(
        pw.money["contract"],
        [pw.orgs["cvo_a"]],
        by=lead,
        code="COH",
        rule="cohort",
        tariff=D("400.00"),
        baseline_percent=D("35"),
        hurdle_percent=D("35"),
        window_days=None,
    )
    claim = make_claim(
        cohort,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line(f"K{i}", DAY) for i in range(49)],
        by=a,
        engaged=121,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    # 35% of 121 is 42.35 expected; 49 achieved is 6.65 above it: 6.65 × £400 = £2,660.00.
    assert claim.payable_amount == D("2660.00")
    client.force_login(comm)
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "£2,660.00" in html
    assert (
        "How: 49 of 121 achieved (40.50%, hurdle 35.00% met); 6.65 above the baseline of "
        "35.00% × £400.00." in html
    )
