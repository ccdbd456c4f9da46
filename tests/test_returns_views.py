import datetime
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from contracts.models import PerformanceReturn, ReturnValue
from contracts.selectors import returns as sel
from sample import GOOD_VALUES, make_period, make_return

PRIVATE_B = "SENTINEL-B-PRIVATE"


@pytest.fixture
def rw(returns_world):
    return returns_world


def test_cvo_a_never_sees_cvo_b_returns(rw, client, cvo_a):
    client.force_login(cvo_a)
    page = client.get("/returns/").content.decode()
    assert "S-A" in page and "S-B" not in page
    export = client.get("/returns/?export=xlsx")
    ws = load_workbook(io.BytesIO(export.getvalue())).active
    refs = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert refs == {"S-A Subcontract A"}
    assert client.get(f"/returns/{rw.returns['approved_b'].pk}/").status_code == 404
    assert (
        client.get(
            f"/history/contracts.PerformanceReturn/{rw.returns['approved_b'].pk}/"
        ).status_code
        == 404
    )
    perf = client.get("/performance/").content.decode()
    assert "S-B" not in perf


def test_commissioner_reads_only_approved_returns_of_their_contracts(rw, client, commissioner):
    client.force_login(commissioner)
    assert client.get(f"/returns/{rw.returns['approved_a'].pk}/").status_code == 200
    for key in ("submitted_a", "draft_a", "approved_b"):
        assert client.get(f"/returns/{rw.returns[key].pk}/").status_code == 404
    visible = set(PerformanceReturn.objects.visible_to(commissioner).values_list("pk", flat=True))
    assert visible == {rw.returns["approved_a"].pk}


def test_commissioner_report_totals_match_the_returns(rw, client, commissioner):
    sub = rw.money["sub_a"]
    extra = make_return(
        sub,
        make_period(sub, datetime.date(2026, 7, 1)),
        {**GOOD_VALUES, "REF": 50, "DIV": 7},
        status="locked",
    )
    template = rw.returns["template"]
    lines, rets = sel.commissioner_report(
        template, commissioner, datetime.date(2026, 1, 1), datetime.date(2026, 12, 1)
    )
    assert {r.pk for r in rets} == {rw.returns["approved_a"].pk, extra.pk}
    figures = {line.label: line.value for line in lines}
    expected_ref = sum(
        ReturnValue.objects.filter(ret__in=rets, indicator__code="REF").values_list(
            "value", flat=True
        )
    )
    assert figures == {"Total referrals": D("90"), "Diversions": D("19")}
    assert figures["Total referrals"] == expected_ref
    assert lines[0].returns == sorted(
        [(rw.returns["approved_a"].pk, "S-A April 2026"), (extra.pk, "S-A July 2026")]
    )
    client.force_login(commissioner)
    page = client.get(f"/reports/{template.pk}/report/?first=2026-01-01&last=2026-12-01")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Total referrals" in html and ">90<" in html and PRIVATE_B not in html
    # A column per month and the period total; each figure links once, to its month's returns.
    head = html.split('id="commissioner-report"')[1].split("</thead>")[0]
    assert ">Apr 2026<" in head and ">Jul 2026<" in head and "Period total" in head
    row = html.split("Total referrals", 1)[1].split("</tr>")[0]
    assert row.count('href="#returns-2026-04"') == 1 and row.count('href="#returns-2026-07"') == 1
    assert 'id="returns-2026-07"' in html
    assert "Which months each member" in html and "Apr 2026, Jul 2026" in html
    xlsx = client.get(
        f"/reports/{template.pk}/report/?first=2026-01-01&last=2026-12-01&export=xlsx"
    )
    rows = list(load_workbook(io.BytesIO(xlsx.getvalue())).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("Activity", "Total referrals", 90, "REF")
    assert rows[2][:4] == ("Outcomes", "Diversions", 19, "DIV")
    assert "S-A April 2026" in rows[1][4]
    assert rows[0][5:] == ("April 2026", "July 2026")


def test_the_lead_maps_commissioner_fields(rw, client, lead, commissioner):
    template = rw.returns["template"]
    client.force_login(lead)
    r = client.post(
        f"/reports/{template.pk}/",
        {
            "group": "Outcomes",
            "label": "Engaged",
            "indicator": rw.returns["ind"]["ASS"].pk,
            "position": 3,
        },
    )
    assert r.status_code == 302
    assert template.fields.filter(label="Engaged").exists()
    client.force_login(commissioner)
    assert client.post(f"/reports/{template.pk}/", {"label": "x"}).status_code == 404


def test_cvo_fills_in_and_submits_through_the_form(rw, client, cvo_a):
    ret = rw.returns["draft_a"]
    client.force_login(cvo_a)
    data = {"expected_version": ret.version, "narrative": "Quiet", "submit": "1"}
    for code, v in GOOD_VALUES.items():
        data[f"v_{code}"] = v
    data["v_SCR"] = 99  # more than referred
    r = client.post(f"/returns/{ret.pk}/edit/", data)
    assert r.status_code == 200
    assert "Screened is 99, more than Referrals received (40)" in r.content.decode()
    data["v_SCR"] = 38
    data["expected_version"] = PerformanceReturn.objects.get(pk=ret.pk).version
    r = client.post(f"/returns/{ret.pk}/edit/", data)
    assert r.status_code == 302
    assert PerformanceReturn.objects.get(pk=ret.pk).status == "submitted"


def test_an_error_from_the_rules_sits_beside_its_figure_and_the_summary_links_to_it(
    rw, client, cvo_a
):
    ret = rw.returns["draft_a"]
    client.force_login(cvo_a)
    data = {"expected_version": ret.version, "narrative": "Quiet", "submit": "1"}
    data.update({f"v_{code}": v for code, v in GOOD_VALUES.items()})
    data["v_SCR"] = 99  # more than referred
    text = client.post(f"/returns/{ret.pk}/edit/", data).content.decode()
    assert text.split("<title>")[1].startswith("Error: ")
    summary = text.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert 'href="#id_v_SCR"' in summary and "Screened is 99" in summary
    assert 'id="id_v_SCR-error"' in text  # the message beside the figure too
    assert 'href="#id_narrative"' not in summary


def test_every_error_is_reported_in_one_round(rw, client, cvo_a):
    ret = rw.returns["draft_a"]
    client.force_login(cvo_a)
    data = {"expected_version": ret.version, "narrative": "Quiet", "submit": "1"}
    data.update({f"v_{code}": v for code, v in GOOD_VALUES.items()})
    data["v_REF"] = ""  # required, left blank
    data["v_ASS"] = "twelve"  # not a figure
    text = client.post(f"/returns/{ret.pk}/edit/", data).content.decode()
    summary = text.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    # Both at once: the figure that could not be read and the required one left blank.
    assert 'href="#id_v_ASS"' in summary and 'href="#id_v_REF"' in summary
    assert "Enter a figure for Referrals received" in summary
    assert PerformanceReturn.objects.get(pk=ret.pk).status == "draft"


def test_unusual_figures_are_a_warning_to_confirm_not_an_error(rw, client, cvo_a, lead):
    sub = rw.money["sub_a"]
    for month in (1, 2, 3):
        make_return(
            sub, make_period(sub, datetime.date(2025, month, 1)), GOOD_VALUES, status="approved"
        )
    ret = rw.returns["draft_a"]
    client.force_login(cvo_a)
    data = {"expected_version": ret.version, "narrative": "Busy month", "submit": "1"}
    data.update({f"v_{code}": v for code, v in GOOD_VALUES.items()})
    data.update(v_REF=400, v_REF_POLICE=300)
    page = client.get(f"/returns/{ret.pk}/edit/").content.decode()
    assert "confirm_warnings" not in page  # no confirm box until something is flagged
    r = client.post(f"/returns/{ret.pk}/edit/", data)
    text = r.content.decode()
    assert r.status_code == 200
    assert not text.split("<title>")[1].startswith("Error: ")
    assert "govuk-error-summary" not in text and "There is a problem" not in text
    assert "Check these figures" in text and 'href="#id_v_REF"' in text
    assert "is much higher than this service&#x27;s usual" in text
    assert 'name="confirm_warnings"' in text
    saved = PerformanceReturn.objects.get(pk=ret.pk)
    assert saved.status == "draft"
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == D(400)
    data.update(expected_version=saved.version, confirm_warnings="on")
    assert client.post(f"/returns/{ret.pk}/edit/", data).status_code == 302
    assert PerformanceReturn.objects.get(pk=ret.pk).status == "submitted"
    client.force_login(lead)
    review = client.get(f"/returns/{ret.pk}/").content.decode()
    assert "Unusual figures the submitter checked and confirmed" in review


def test_a_stale_form_is_refused(rw, client, cvo_a):
    ret = rw.returns["draft_a"]
    client.force_login(cvo_a)
    r = client.post(
        f"/returns/{ret.pk}/edit/", {"expected_version": ret.version - 1 or 99, "v_REF": 3}
    )
    assert r.status_code == 302 and r["Location"].endswith("/edit/")
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == D(5)


def test_upload_page_reports_problems_row_by_row(rw, client, cvo_a):
    from tests.test_returns_xlsx import filled, text_in_value

    ret = rw.returns["draft_a"]
    client.force_login(cvo_a)
    f = io.BytesIO(filled(ret, mutate=text_in_value))
    f.name = "return.xlsx"
    r = client.post(f"/returns/{ret.pk}/upload/", {"file": f})
    html = r.content.decode()
    assert "Checked 8 rows: 1 problem found, so nothing was saved" in html
    assert "&#x27;about forty&#x27; is not a number" in html


def test_lead_approves_and_cannot_edit(rw, client, lead):
    ret = rw.returns["submitted_a"]
    client.force_login(lead)
    assert client.get(f"/returns/{ret.pk}/edit/").status_code == 404
    client.post(f"/returns/{ret.pk}/approve/")
    assert PerformanceReturn.objects.get(pk=ret.pk).status == "approved"
    r = client.post(f"/returns/{ret.pk}/reopen/", {"reason": ""}, follow=True)
    assert "Give the reason for reopening" in r.content.decode()


def test_activity_by_member_feeds_the_allocation_formula(rw):
    got = sel.activity_by_member(
        rw.home, datetime.date(2026, 1, 1), datetime.date(2026, 12, 1), "REF"
    )
    assert got == {rw.orgs["cvo_a"].pk: D("40"), rw.orgs["cvo_b"].pk: D("40")}


def test_list_and_dashboard_query_counts_are_flat(rw, client, lead, django_assert_max_num_queries):
    client.force_login(lead)
    client.get("/returns/")
    client.get("/")
    sub = rw.money["sub_a"]
    for month in range(1, 13):
        make_return(
            sub, make_period(sub, datetime.date(2025, month, 1)), GOOD_VALUES, status="submitted"
        )
    with django_assert_max_num_queries(16):
        assert client.get("/returns/").status_code == 200
    # The dashboard, "Your reminders" (a fixed number of queries per kind) and the assurance
    # packs' panel included, measured with a cold cache (the runway and compliance computed),
    # and the Getting started checklist's counts (one query a count, however many rows).
    from django.core.cache import cache

    cache.clear()  # measured cold, whatever ran before
    with django_assert_max_num_queries(76):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/reports/{rw.returns['template'].pk}/report/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/performance/?first=2025-01-01&last=2026-12-01").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"/returns/{rw.returns['approved_a'].pk}/").status_code == 200


def test_performance_page_shows_chart_and_table(rw, client, lead):
    from contracts.services import returns as svc

    svc.target_set(
        period=rw.returns["periods_a"][0], indicator=rw.returns["ind"]["REF"], value=50, by=lead
    )
    client.force_login(lead)
    r = client.get("/performance/?indicator=REF&first=2026-01-01&last=2026-12-01")
    html = r.content.decode()
    assert "<svg" in html and "Below target" in html
    assert sel.rag(D(40), D(50), "higher") == "red"
    assert sel.rag(D(46), D(50), "higher") == "amber"
    assert sel.rag(D(3), D(4), "lower") == "green"


def test_a_month_with_a_target_and_no_figures_says_so_not_no_target(rw, client, lead):
    from contracts.models import PerformanceReturn
    from contracts.services import returns as svc

    approved = PerformanceReturn.objects.filter(status__in=PerformanceReturn.FROZEN)
    period = next(p for p in rw.returns["periods_a"] if not approved.filter(period=p).exists())
    svc.target_set(period=period, indicator=rw.returns["ind"]["REF"], value=30, by=lead)
    assert sel.rag(None, D(30), "higher") == "none"
    assert sel.rag(None, None, "higher") == "grey"
    client.force_login(lead)
    sub = period.subcontract_id
    html = client.get(f"/performance/{sub}/?indicator=REF&first=2025-01-01&last=2027-12-01")
    row = next(
        r
        for r in html.content.decode().split("<tr")
        if f"{period.start:%b %Y}" in r and ">30<" in r
    )
    assert "No figures" in row and "No target" not in row


def test_the_lead_sees_approved_activity_per_member(rw, client, lead, cvo_a):
    client.force_login(cvo_a)
    assert client.get("/performance/activity/").status_code == 404
    client.force_login(lead)
    r = client.get("/performance/activity/?indicator=REF&first=2026-01-01&last=2026-12-01")
    html = r.content.decode()
    assert "CVO Alpha" in html and "CVO Beta" in html and ">80<" in html
    x = client.get(
        "/performance/activity/?indicator=REF&first=2026-01-01&last=2026-12-01&export=xlsx"
    )
    rows = list(load_workbook(io.BytesIO(x.getvalue())).active.iter_rows(values_only=True))
    assert rows[1:] == [("CVO Alpha", 40), ("CVO Beta", 40)]


def test_late_returns_are_flagged_on_dashboards(rw, client, lead, cvo_a, cvo_b):
    import time_machine

    with time_machine.travel(datetime.datetime(2026, 8, 1, 12, tzinfo=datetime.UTC)):
        client.force_login(lead)
        html = client.get("/").content.decode()
        assert "Late returns" in html
        assert "S-A June 2026: 18 days late (due 14 Jul 2026), draft" in html
        assert "S-B June 2026: 18 days late (due 14 Jul 2026), not started" in html
        client.force_login(cvo_a)
        html = client.get("/").content.decode()
        assert "S-A June 2026: 18 days late (due 14 Jul 2026), draft" in html
        assert "S-B" not in html
        list_html = client.get("/returns/").content.decode()
        assert "Late" in list_html
    with time_machine.travel(datetime.datetime(2026, 7, 14, 12, tzinfo=datetime.UTC)):
        client.force_login(cvo_b)
        assert "No returns are late." in client.get("/").content.decode()


def test_approved_activity_starts_an_allocation_by_activity(rw, client, lead):
    import html as html_lib
    import re

    client.force_login(lead)
    page = client.get("/performance/activity/?indicator=REF&first=2026-01-01&last=2026-12-01")
    links = re.findall(r'href="([^"]*allocations/add/[^"]*)"', page.content.decode())
    assert len(links) == 1
    form = client.get(html_lib.unescape(links[0])).content.decode()
    a, b = rw.orgs["cvo_a"].pk, rw.orgs["cvo_b"].pk
    assert f'name="figure_{a}" value="40.00"' in form and f'name="figure_{b}" value="40.00"' in form
    assert re.search(r'<option value="activity" selected>', form)
    assert "Members&#x27; figures filled in from" in form


def _indicator_post(ind, **changes):
    data = {
        "code": ind.code,
        "name": ind.name,
        "definition": ind.definition,
        "unit": ind.unit,
        "aggregation": ind.aggregation,
        "direction": ind.direction,
        "logic_stage": ind.logic_stage,
        "pathway_stage": ind.pathway_stage,
        "breakdown_group": ind.breakdown_group,
        "position": ind.position,
        "active": "on",
        "expected_version": ind.version,
    }
    return {**data, **changes}


def test_a_stale_indicator_edit_is_refused_and_the_first_change_survives(
    rw, client, lead, admin_user
):
    from django.urls import reverse

    from contracts.models import Indicator

    ind = rw.returns["ind"]["REF"]
    url = reverse("returns:indicator_edit", args=[ind.pk])
    opened = _indicator_post(ind)
    client.force_login(admin_user)
    first = client.post(url, {**opened, "name": "Referrals received (first edit)"})
    assert first.status_code == 302
    client.force_login(lead)
    second = client.post(url, {**opened, "name": "Referrals (second edit)"}, follow=True)
    assert "Somebody else saved this record" in second.content.decode()
    assert Indicator.objects.get(pk=ind.pk).name == "Referrals received (first edit)"
    assert Indicator.objects.get(pk=ind.pk).version == ind.version + 1


def test_the_lead_reviews_each_figure_beside_last_month_last_year_and_the_target(rw, client, lead):
    from lxml import html as lxml_html

    from sample import TargetFactory

    sub = rw.money["sub_a"]
    ret = rw.returns["submitted_a"]  # May 2026; April 2026 is approved
    year_ago = make_period(sub, datetime.date(2025, 5, 1))
    make_return(sub, year_ago, {**GOOD_VALUES, "REF": 41}, status="approved")
    TargetFactory(period=ret.period, indicator=rw.returns["ind"]["REF"], value=D("45"))
    client.force_login(lead)
    doc = lxml_html.fromstring(client.get(ret.get_absolute_url()).content.decode())
    rows = {
        " ".join(tr.xpath("th")[0].text_content().split()): [
            " ".join(td.text_content().split()) for td in tr.xpath("td")
        ]
        for tr in doc.xpath("//table[caption='Figures']/tbody/tr")
    }
    # This month, the month before, the same month last year and the target, as counts.
    assert rows["Referrals received"][:4] == ["40", "40", "41", "45"]
    # Approving is on the same page.
    assert doc.xpath("//form[contains(@action, '/approve/')]//button[normalize-space()='Approve']")
