"""Risk pages for each person: who reads which register and SWOT, the heat map and its
drill-through, the list export, SWOT → risk, suggested risks and their dismissal."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from risks import services
from risks.models import Risk, SuggestionDismissal
from sample import (
    PostFactory,
    build_risks,
    make_allocation,
    make_register,
    make_risk,
    make_stream,
    review,
)
from sample.risks import PRIVATE_B
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def risks(world):
    return build_risks(world)


def test_a_cvo_never_reads_another_members_register(client, world, risks, cvo_a):
    c = client_for(client, cvo_a)
    assert c.get(f"/risks/registers/{risks['reg_b'].pk}/").status_code == 404
    assert c.get(f"/risks/risks/{risks['risk_b'].pk}/").status_code == 404
    for url in ("/risks/", "/risks/list/", "/risks/list/?export=xlsx", "/risks/heat-map/"):
        response = c.get(url)
        assert response.status_code == 200
        assert PRIVATE_B.encode() not in response.getvalue()
    # Their own and the consortium's they read.
    assert c.get(f"/risks/registers/{risks['reg_a'].pk}/").status_code == 200
    assert c.get(f"/risks/risks/{risks['risk_c'].pk}/").status_code == 200
    # …and cannot add to the consortium's.
    assert c.get(f"/risks/registers/{risks['consortium'].pk}/add/").status_code == 404


def test_a_commissioner_reads_the_consortium_register_only(client, risks, commissioner):
    c = client_for(client, commissioner)
    page = c.get(f"/risks/registers/{risks['consortium'].pk}/")
    assert page.status_code == 200 and b"Consortium funding fragility" in page.content
    assert c.get(f"/risks/registers/{risks['reg_a'].pk}/").status_code == 404
    listed = c.get("/risks/list/").content.decode()
    assert "Consortium funding fragility" in listed and "A&#x27;s single" not in listed
    assert c.get("/risks/suggested/").status_code == 404


def test_a_supervisor_sees_nothing_of_risks(client, risks, supervisor):
    c = client_for(client, supervisor)
    for url in ("/risks/", "/risks/list/", "/risks/heat-map/", "/risks/swot/"):
        assert c.get(url).status_code == 404
    assert b"/risks/" not in c.get("/").content


def test_the_consortium_swot_is_read_by_members_once_agreed(client, risks, cvo_a, commissioner):
    for user in (cvo_a, commissioner):
        c = client_for(client, user)
        assert c.get(f"/risks/swot/{risks['swot'].pk}/").status_code == 200
        assert c.get(f"/risks/swot/{risks['swot_draft'].pk}/").status_code == 404
        assert c.get(f"/risks/swot/{risks['swot_b'].pk}/").status_code == 404


def test_a_members_swot_is_read_by_that_member_and_the_lead(client, risks, cvo_b, lead):
    for user in (cvo_b, lead):
        assert client_for(client, user).get(f"/risks/swot/{risks['swot_b'].pk}/").status_code == 200


def test_the_swot_page_shows_the_quadrants_with_consensus_as_text(client, risks, lead):
    page = client_for(client, lead).get(f"/risks/swot/{risks['swot'].pk}/").content.decode()
    # 70 of 102 sources support the weakness (high), 30 the threat (reasonable).
    assert "<strong>Funding fragility</strong>" in page and "high consensus" in page
    assert "reasonable consensus" in page
    for quadrant in ("Strengths", "Weaknesses", "Opportunities", "Threats"):
        assert quadrant in page


def test_a_swot_threat_opens_a_prefilled_risk_linked_both_ways(client, risks, lead):
    c = client_for(client, lead)
    threat = risks["threat"]
    url = f"/risks/registers/{risks['consortium'].pk}/add/?swot_item={threat.pk}"
    form = c.get(url)
    assert b'value="Commissioners reorganise"' in form.content
    response = c.post(
        url,
        {
            "title": "Commissioners reorganise",
            "cause": "NHS and probation churn",
            "event": "The prime commissioner reorganises",
            "consequence": "Contract delayed",
            "category": services.settings_for(risks["consortium"].consortium_id)
            and risks["risk_c"].category_id,
            "owner": lead.pk,
            "treatment": "treat",
            "inherent_likelihood": 4,
            "inherent_consequence": 4,
            "residual_likelihood": 3,
            "residual_consequence": 4,
            "target_likelihood": 2,
            "target_consequence": 3,
            "swot_item": threat.pk,
        },
    )
    assert response.status_code == 302
    risk = Risk.objects.get(swot_item=threat)
    assert risk.reference == "C-002"
    swot_page = c.get(f"/risks/swot/{risks['swot'].pk}/").content.decode()
    assert f"Risk {risk.reference}" in swot_page
    assert "Commissioners reorganise" in c.get(risk.get_absolute_url()).content.decode()


def test_the_heat_map_counts_cells_and_drills_through(client, risks, lead):
    c = client_for(client, lead)
    page = c.get(f"/risks/heat-map/?register={risks['consortium'].pk}").content.decode()
    # risk_c: residual 3 × 4 = 12, high.
    drill = f"?register={risks['consortium'].pk}&amp;kind=residual&amp;likelihood=3&amp;consequence=4&amp;status=open"
    assert drill in page
    listed = c.get(
        f"/risks/list/?register={risks['consortium'].pk}&kind=residual&likelihood=3&consequence=4&status=open"
    ).content.decode()
    assert "Consortium funding fragility" in listed and "1 result" in listed
    assert (
        c.get(f"/risks/list/?register={risks['consortium'].pk}&likelihood=1").content.count(
            b"Consortium funding fragility"
        )
        == 0
    )


def test_the_heat_map_shows_movement_since_the_last_review(client, risks, lead):
    risk = risks["risk_c"]
    review(risk, lead, datetime.date(2026, 5, 1), (3, 4), "First review")
    review(risk, lead, datetime.date(2026, 6, 1), (2, 4), "Reserves agreed")
    page = client_for(client, lead).get("/risks/heat-map/").content.decode()
    assert "1 down, 0 unchanged, 0 new" in page


def test_the_risk_list_downloads_as_a_spreadsheet(client, risks, lead):
    response = client_for(client, lead).get("/risks/list/?export=xlsx")
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(ws.values)
    assert rows[0][:3] == ("Reference", "Title", "Register")
    assert len(rows) == 1 + 4  # the consortium's risk, A's, and B's two


def test_a_cvo_asks_to_escalate_and_the_lead_accepts(client, world, risks, cvo_a, lead):
    c = client_for(client, cvo_a)
    risk = risks["risk_a"]
    assert (
        c.post(f"/risks/risks/{risk.pk}/escalate/", {"reason": "Borough-wide"}).status_code == 302
    )
    escalation = risk.escalations.get()
    c = client_for(client, lead)
    assert b"Escalation waiting" in c.get("/").content
    response = c.post(
        f"/risks/escalations/{escalation.pk}/", {"decision": "accept", "reason": "Agreed"}
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.escalated_to.register.is_consortium


def test_suggested_risks_come_from_real_conditions_and_dismissed_ones_stay_dismissed(
    client, world, lead
):
    o = world.orgs
    stream = make_stream(
        world.home,
        o["commissioner"],
        "Short grant",
        start=datetime.date(2025, 9, 1),
        end=datetime.date(2026, 8, 31),
    )
    make_allocation(stream, [(o["cvo_a"], "50000.00", "A")], by=lead)
    PostFactory(
        consortium=world.home,
        organisation=o["cvo_a"],
        status="vacant",
        vacancy_start=datetime.date(2026, 3, 1),
        title="Eastmere practitioner",
    )
    make_register(lead)
    c = client_for(client, lead)
    page = c.get("/risks/suggested/").content.decode()
    assert "Short grant ends on 31 Aug 2026 with no renewal decision" in page
    assert "CVO Alpha has less than 12 months&#x27; funding secured" in page
    assert "Eastmere practitioner (CVO Alpha) has been vacant more than 60 days" in page
    key = f"funding.stream_ending:{stream.pk}"
    response = c.post(
        "/risks/suggested/dismiss/", {"key": key, "reason": "Renewal agreed verbally"}
    )
    assert response.status_code == 302
    assert SuggestionDismissal.objects.get().reason == "Renewal agreed verbally"
    assert "Short grant ends" not in c.get("/risks/suggested/").content.decode()
    # The evidence changes (the status moves on): the suggestion comes back.
    stream.status = "pending_renewal"
    stream.save()
    assert "Short grant ends" in c.get("/risks/suggested/").content.decode()
    # Opened as a risk, it leaves the list.
    form = c.get(f"/risks/registers/{make_register(lead).pk}/add/?suggestion={key}")
    assert b"Suggested by Concord" in form.content


def test_a_cvo_sees_only_their_own_suggestions(client, world, lead, cvo_b):
    PostFactory(
        consortium=world.home,
        organisation=world.orgs["cvo_a"],
        status="vacant",
        vacancy_start=datetime.date(2026, 1, 1),
        title="A's vacancy",
    )
    PostFactory(
        consortium=world.home,
        organisation=world.orgs["cvo_b"],
        status="vacant",
        vacancy_start=datetime.date(2026, 1, 1),
        title="B's vacancy",
    )
    page = client_for(client, cvo_b).get("/risks/suggested/").content.decode()
    assert "B&#x27;s vacancy" in page and "A&#x27;s vacancy" not in page


def test_the_dashboards_count_what_needs_attention(client, world, risks, lead, cvo_b, commissioner):
    with time_machine.travel(datetime.datetime(2026, 9, 30, 10, tzinfo=datetime.UTC), tick=False):
        page = client_for(client, lead).get("/").content.decode()
        assert "Reviews overdue: 1" in page  # the consortium's risk, due 14 August
        assert "Escalation waiting" in page
        page = client_for(client, cvo_b).get("/").content.decode()
        assert "Reviews overdue: 2" in page and "Actions overdue: 1" in page
        page = client_for(client, commissioner).get("/").content.decode()
        assert "The consortium&#x27;s top risks" in page and PRIVATE_B not in page


def test_a_stale_edit_through_the_page_is_refused(client, risks, cvo_b):
    c = client_for(client, cvo_b)
    risk = risks["risk_b"]
    data = {
        "title": "Changed",
        "cause": "c",
        "event": "e",
        "consequence": "q",
        "category": risk.category_id,
        "owner": cvo_b.pk,
        "treatment": "treat",
        "inherent_likelihood": 4,
        "inherent_consequence": 4,
        "residual_likelihood": 3,
        "residual_consequence": 4,
        "target_likelihood": 2,
        "target_consequence": 3,
        "expected_version": risk.version - 1 if risk.version > 1 else 0,
    }
    c.post(f"/risks/risks/{risk.pk}/change/", data)
    risk.refresh_from_db()
    assert risk.title != "Changed"


def test_a_risk_can_link_only_what_the_keeper_sees(world, risks, cvo_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.link_add(by=cvo_a, risk=risks["risk_a"], target=world.orgs["away_cvo"])
    link = services.link_add(by=cvo_a, risk=risks["risk_a"], target=world.orgs["cvo_a"])
    assert link.target == world.orgs["cvo_a"]


def test_a_new_risk_starts_at_C_001(lead):
    assert make_risk(make_register(lead), lead).reference == "C-001"


def test_the_lead_changes_the_matrix_and_old_registers_keep_theirs(client, world, risks, lead):
    from risks.forms import RiskSettingsForm
    from risks.models import RiskCategory

    c = client_for(client, lead)
    page = c.get("/risks/settings/")
    assert page.status_code == 200
    settings_row = services.settings_for(world.home.pk)
    form = RiskSettingsForm(
        settings_row=settings_row,
        categories=RiskCategory.objects.filter(consortium=world.home).order_by("name"),
    )
    data = {
        name: (form.initial.get(name) if name in form.initial else field.initial)
        for name, field in form.fields.items()
    }
    data = {k: v for k, v in data.items() if v is not None}
    data.update(
        band_moderate_from=5,
        band_high_label="Serious",
        review_days_high=45,
        new_category="Estates",
        new_category_appetite=10,
        reason="Board adopted a stricter matrix",
    )
    response = c.post("/risks/settings/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    settings_row = services.settings_for(world.home.pk)
    assert settings_row.matrix.number == 2 and settings_row.review_days_high == 45
    assert RiskCategory.objects.get(consortium=world.home, name="Estates").appetite == 10
    risk = Risk.objects.get(pk=risks["risk_c"].pk)
    assert risk.register.matrix.number == 1 and risk.residual().label == "High"
    assert b"newer risk matrix" in c.get(risks["consortium"].get_absolute_url()).content
    url = f"/risks/registers/{risks['consortium'].pk}/matrix/"
    assert c.post(url, {"reason": "Regrade at the board"}).status_code == 302
    risk.refresh_from_db()
    assert risk.register.matrix.number == 2 and risk.residual().label == "Serious"


def test_only_the_lead_opens_the_risk_settings(client, risks, cvo_a, commissioner):
    for user in (cvo_a, commissioner):
        assert client_for(client, user).get("/risks/settings/").status_code == 404


def test_the_heat_map_image_carries_counts_and_band_labels(client, risks, lead, cvo_a):
    url = f"/risks/heat-map/chart.svg?register={risks['consortium'].pk}"
    response = client_for(client, lead).get(url)
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    other = f"/risks/heat-map/chart.svg?register={risks['reg_b'].pk}"
    assert client_for(client, cvo_a).get(other).status_code == 404


def test_a_risk_owner_is_somebody_who_can_open_the_register(world, lead):
    from risks.forms import people_for

    offered = set(people_for(lead).values_list("username", flat=True))
    assert {"lead", "cvo_a"} <= offered
    # A practitioner and a clinical supervisor cannot open any register.
    assert not offered & {"practitioner", "supervisor"}
