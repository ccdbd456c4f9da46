"""PbR pages: evidence upload (all or nothing, row by row), finding a line by its
reference, the claim page's money, the statement, exposure and the outcomes allocation."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from consortium.xlsx_guard import UploadInvalid
from contracts.services import outcomes as pbr
from contracts.xlsx import outcomes as evidence_xlsx
from sample import (
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
    assert "Checked 3 rows: 2 problems found, so nothing was saved" in html
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
    with pytest.raises(UploadInvalid) as e:
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


def statement_tables(html):
    """{caption: [[cell text]]} of the statement's tables, the measure summary's total row too."""
    from lxml import html as lxml_html

    doc = lxml_html.fromstring(html)
    return {
        " ".join(t.xpath("./caption")[0].text_content().split()): [
            [" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
            for tr in t.xpath("./tbody/tr")
        ]
        for t in doc.xpath("//table[caption]")
    }


def test_the_statement_sums_each_measure_first_and_pages_its_members(client, pw, monkeypatch):
    """Slow-ish: builds, approves and pays a claim, and reads the statement five times."""
    from contracts.views import outcomes as views

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
        eligible=6,
        engaged=4,
    )
    monkeypatch.setattr(views, "STATEMENT_MEMBERS_PER_PAGE", 1)
    client.force_login(lead)
    url = reverse("outcomes:pbr_statement")
    html = client.get(url, {"first": "2026-04-01"}).content.decode()
    found = statement_tables(html)
    # By measure: the member rows summed (the workbook's rows), then the total.
    export = client.get(url, {"first": "2026-04-01", "export": "xlsx"})
    ws = load_workbook(io.BytesIO(export.getvalue()), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))[1:]
    assert [r[:2] for r in rows] == [("MH28", "CVO Alpha"), ("MH28", "CVO Beta"), ("Total", None)]
    summed = [sum(r[i] for r in rows[:2]) for i in range(2, 10)]
    assert summed == list(rows[2][2:]) == [2, 5, 3, 0, 750, 0, 750, 750]
    figures = ["2", "5", "3", "0", "£750.00", "£0.00", "£750.00", "£750.00"]
    assert found["By measure"] == [["MH28, its members", "2", *figures], ["Total", *figures]]
    # The members a page at a time, with those members' participants.
    members = "By measure and member, rows 1 to 1 of 2"
    assert [r[:2] for r in found[members]] == [["MH28", "CVO Alpha"]]
    assert "Rows 1 to 1 of 2." in html and 'aria-label="Page 2"' in html
    (participants,) = [v for k, v in found.items() if k.startswith("Outcomes against")]
    assert [r[:4] for r in participants] == [["MH28", "CVO Alpha", "10", "8"]]
    html = client.get(url, {"first": "2026-04-01", "page": 2}).content.decode()
    found = statement_tables(html)
    assert [r[:2] for r in found["By measure and member, rows 2 to 2 of 2"]] == [
        ["MH28", "CVO Beta"]
    ]
    (participants,) = [v for k, v in found.items() if k.startswith("Outcomes against")]
    assert [r[:4] for r in participants] == [["MH28", "CVO Beta", "6", "4"]]
    # One measure's members; a measure not on the statement is ignored.
    html = client.get(url, {"first": "2026-04-01", "measure": "MH28"}).content.decode()
    assert "Only measure MH28’s members" in html
    html = client.get(url, {"first": "2026-04-01", "measure": "NOPE"}).content.decode()
    assert "Only measure" not in html and "Rows 1 to 1 of 2." in html


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
    figures = sel.exposure(lead, datetime.date(2026, 4, 1), datetime.date(2027, 3, 31))
    whole = figures.whole
    # Four quarterly periods × £1,000 period cap = £4,000, shared equally by two members.
    assert whole.pbr_max == D("4000.00")
    by_name = {r.name: r for r in figures.members}
    alpha = by_name["CVO Alpha"]
    assert (alpha.pbr_max, alpha.earned) == (D("2000.00"), D("500.00"))
    assert alpha.earned_percent == D("25.0")
    # Block income: CVO A's £60,000 line in the approved allocation of the stream.
    assert alpha.block == D("60000.00")
    assert alpha.share_percent == D("3.2")  # 2,000 ÷ 62,000
    assert whole.earned == D("500.00")


FY = (datetime.date(2026, 4, 1), datetime.date(2027, 3, 31))


def test_a_member_sees_the_same_exposure_as_the_lead_whoever_else_shares_the_measure(pw):
    """A CVO sees only its own claimant row of a measure; its part of the maximum is still
    divided between every member named on the measure, as the lead's is."""
    from contracts.selectors import outcomes as sel

    lead, a = pw.users["lead"], pw.users["cvo_a"]
    make_measure(
        pw.money["contract"],
        [(pw.orgs["cvo_a"], D("30")), (pw.orgs["cvo_b"], D("70"))],
        by=lead,
        code="SPLIT",
        attribution="shares",
        tariff=D("100.00"),
        period_cap=D("500.00"),
    )
    alpha = pw.orgs["cvo_a"].pk
    as_lead = sel.exposure(lead, *FY).member(alpha)
    as_member = sel.exposure(a, *FY).member(alpha)
    # MH28: £4,000 by engagement between two members = £2,000; SPLIT: 4 × £500 × 30% = £600.
    assert as_lead.pbr_max == as_member.pbr_max == D("2600.00")
    assert as_lead.block == as_member.block == D("60000.00")
    assert as_lead.share_percent == as_member.share_percent == D("4.2")
    assert not as_member.limited
    assert sel.exposure(a, *FY).notes == []


def test_a_commissioner_gets_no_share_of_income_rather_than_a_false_hundred_percent(client, pw):
    from contracts.selectors import outcomes as sel

    comm = pw.users["commissioner"]
    figures = sel.exposure(comm, *FY)
    alpha = figures.member(pw.orgs["cvo_a"].pk)
    assert alpha.pbr_max == D("2000.00")
    assert (alpha.block, alpha.share_percent) == (None, None)
    assert (figures.whole.block, figures.whole.share_percent) == (None, None)
    assert sel.BLOCK_HIDDEN in figures.notes
    client.force_login(comm)
    for url in (reverse("outcomes:exposure"), reverse("funding:runway"), reverse("dashboard")):
        html = client.get(url).content.decode()
        assert "100.0%" not in html, url
        assert "which you do not see" in html, url


def test_a_claim_page_says_how_the_claimed_and_the_verified_figures_were_worked_out(client, pw):
    a = pw.users["cvo_a"]
    claim = make_claim(
        pw.measure, pw.orgs["cvo_a"], Q1, [claim_line(f"H{i}", DAY) for i in range(3)], by=a
    )
    client.force_login(a)
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "£750.00" in html
    assert "How: claimed: 3 participants × £250.00." in html
    assert "0 participants" not in html
    pbr.claim_submit(by=a, claim=claim)
    client.force_login(pw.users["lead"])
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "How: claimed: 3 participants × £250.00; verified so far: 0 participants" in html


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


def test_of_two_people_saving_a_claims_counts_the_second_is_refused_and_changes_nothing(client, pw):
    a = pw.users["cvo_a"]
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [("CASE-1", DAY, DAY, 1, "Letter")], by=a)
    client.force_login(a)
    page = client.get(claim.get_absolute_url()).content.decode()
    opened = claim.version
    assert f'name="expected_version" value="{opened}"' in page
    url = reverse("outcomes:claim_counts", args=[claim.pk])
    first = client.post(
        url, {"eligible": "40", "engaged": "30", "expected_version": opened}, follow=True
    )
    assert "Participant counts saved." in first.content.decode()
    # The second person opened the page before the first saved.
    second = client.post(
        url, {"eligible": "90", "engaged": "80", "expected_version": opened}, follow=True
    )
    text = second.content.decode()
    assert "Somebody else saved this record after you opened it" in text
    assert "Participant counts saved." not in text
    claim.refresh_from_db()
    assert (claim.eligible, claim.engaged) == (40, 30)
    # The service refuses it the same way, whoever calls it.
    from consortium.base import StaleEdit

    with pytest.raises(StaleEdit):
        pbr.claim_save_counts(by=a, claim=claim, eligible=1, engaged=1, expected_version=opened)


def test_the_evidence_template_carries_the_lines_on_the_claim_by_their_codes_only(pw):
    a = pw.users["cvo_a"]
    claim = make_claim(
        pw.measure, pw.orgs["cvo_a"], Q1, [("CASE-1", DAY, DAY, 1, "Letter 1")], by=a
    )
    (line,) = claim.lines.all()
    ws = load_workbook(io.BytesIO(pbr.template_bytes(claim)))[evidence_xlsx.SHEET]
    row = [ws.cell(row=evidence_xlsx.FIRST_ROW, column=c).value for c in range(1, 7)]
    assert row[0] is None  # the case reference is never written back
    assert row[1].date() == DAY and row[2].date() == DAY
    assert row[3:] == [1, "Letter 1", line.code]
    assert "CASE-1" not in str([c.value for r in ws.iter_rows() for c in r])


def test_an_upload_keeps_the_lines_typed_in_by_hand_that_its_template_carries(pw):
    a = pw.users["cvo_a"]
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [("CASE-1", DAY, DAY, 1, "Letter 1"), ("CASE-2", DAY, DAY, 1, "Letter 2")],
        by=a,
    )
    by_hand = set(claim.lines.values_list("participant", "evidence_ref"))
    wb = load_workbook(io.BytesIO(pbr.template_bytes(claim)))
    ws = wb[evidence_xlsx.SHEET]
    for column, value in enumerate(("CASE-3", DAY, DAY, 1, "Letter 3"), start=1):
        ws.cell(row=evidence_xlsx.FIRST_ROW + 2, column=column, value=value)
    out = io.BytesIO()
    wb.save(out)
    assert pbr.claim_upload(by=a, claim=claim, data=out.getvalue(), filename="e.xlsx") == 3
    after = set(claim.lines.values_list("participant", "evidence_ref"))
    assert by_hand < after and len(after) == 3


def test_an_upload_that_would_remove_lines_says_how_many_and_asks_first(client, pw):
    a = pw.users["cvo_a"]
    claim = make_claim(pw.measure, pw.orgs["cvo_a"], Q1, [], by=a)
    # The template is downloaded while the claim is empty; two lines are then typed in.
    old = filled(claim, [("CASE-3", DAY, DAY, 1, "Letter 3")])
    for ref in ("CASE-1", "CASE-2"):
        pbr.line_add(
            by=a,
            claim=claim,
            reference=ref,
            engagement_date=DAY,
            outcome_date=DAY,
            evidence_ref="By hand",
        )
    before = sorted(claim.lines.values_list("participant", flat=True))
    codes = sorted(line.code for line in claim.lines.all())
    client.force_login(a)
    url = reverse("outcomes:claim_upload", args=[claim.pk])
    html = client.post(url, {"file": old}).content.decode()
    assert "would remove 2 lines that are on the claim but not in your spreadsheet" in html
    assert all(code in html for code in codes)
    assert "Remove the 2 lines on the claim that are not in my spreadsheet" in html
    assert sorted(claim.lines.values_list("participant", flat=True)) == before
    # Confirmed: the spreadsheet's rows replace the claim's lines.
    old.seek(0)
    response = client.post(url, {"file": old, "removing": "2", "confirm_removal": "on"})
    assert response.status_code == 302
    assert list(claim.lines.values_list("evidence_ref", flat=True)) == ["Letter 3"]


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


def test_a_payment_left_incomplete_is_refused_the_govuk_way_on_the_claim_page(client, pw):
    lead, a, comm = pw.users["lead"], pw.users["cvo_a"], pw.users["commissioner"]
    claim = make_claim(
        pw.measure,
        pw.orgs["cvo_a"],
        Q1,
        [claim_line("C1", DAY)],
        by=a,
        status="approved",
        verifier=lead,
        approver=comm,
    )
    client.force_login(lead)
    url = f"/pbr/claims/{claim.pk}/pay/"
    response = client.post(
        url, {"pay-paid_on_0": "31", "pay-paid_on_1": "2", "pay-paid_on_2": "2026"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.split("<title>")[1].startswith("Error: ")
    summary = html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    # Both problems at once, each linking to its own field (not the case-reference search).
    assert 'href="#id_pay-reference"' in summary and 'href="#id_pay-paid_on_0"' in summary
    assert 'id="id_pay-reference-error"' in html
    assert html.count('name="reference"') == 1  # the search by case reference only
    claim.refresh_from_db()
    assert claim.status == "approved"
