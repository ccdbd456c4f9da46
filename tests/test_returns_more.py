import datetime
import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from contracts.models import PerformanceReturn, ReturnValue
from contracts.services import returns as svc
from sample import build_money, build_returns


@pytest.fixture
def rw(returns_world):
    return returns_world


def test_the_admin_cannot_change_an_approved_return(rw, client, admin_user):
    ret = rw.returns["approved_a"]
    client.force_login(admin_user)
    url = f"/admin/contracts/performancereturn/{ret.pk}/change/"
    assert client.post(url, {"narrative": "changed in admin"}).status_code == 403
    assert (
        client.post(
            f"/admin/contracts/performancereturn/{ret.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    rv = ret.values.first()
    assert (
        client.post(f"/admin/contracts/returnvalue/{rv.pk}/change/", {"value": "1"}).status_code
        == 403
    )
    assert PerformanceReturn.objects.get(pk=ret.pk).narrative == ""


def test_commissioner_sees_restatements_since_they_last_looked(
    rw, client, lead, cvo_a, commissioner
):
    template = rw.returns["template"]
    url = f"/reports/{template.pk}/report/?first=2026-01-01&last=2026-12-01"
    client.force_login(commissioner)
    assert "Restated since" not in client.get(url).content.decode()
    ret = rw.returns["approved_a"]
    svc.return_reopen(ret=ret, by=lead, reason="Court list corrected")
    svc.return_save_draft(ret=ret, by=cvo_a, values={"DIV": D(14)})
    svc.return_submit(ret=ret, by=cvo_a)
    svc.return_approve(ret=ret, by=lead)
    html = client.get(url).content.decode()
    assert "Restated since you last looked" in html
    assert "Court list corrected; DIV 12.00 → 14.00" in html
    # Seen now: the next visit shows no news.
    assert "Restated since" not in client.get(url).content.decode()


def test_commissioners_do_not_read_lead_comments_in_history(rw, client, lead, cvo_a, commissioner):
    ret = rw.returns["submitted_a"]
    svc.return_return(ret=ret, by=lead, comments="Private note for the CVO")
    svc.return_submit(ret=ret, by=cvo_a)
    svc.return_approve(ret=ret, by=lead)
    client.force_login(commissioner)
    page = client.get(f"/history/contracts.PerformanceReturn/{ret.pk}/").content.decode()
    assert "Private note for the CVO" not in page
    client.force_login(cvo_a)
    page = client.get(f"/history/contracts.PerformanceReturn/{ret.pk}/").content.decode()
    assert "Private note for the CVO" in page


def test_a_duplicate_indicator_code_is_a_form_error(rw, client, lead):
    client.force_login(lead)
    data = {
        "code": "REF",
        "name": "Again",
        "definition": "x",
        "unit": "count",
        "aggregation": "sum",
        "direction": "higher",
        "logic_stage": "output",
        "pathway_stage": "",
        "position": 1,
        "active": "on",
    }
    r = client.post("/indicators/add/", data)
    assert r.status_code == 200
    assert "already" in r.content.decode()
    data["code"] = "NEW_ONE"
    assert client.post("/indicators/add/", data).status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL")
def test_two_racing_transitions_in_threads_exactly_one_wins(world):
    from django.db import connections

    build_money(world)
    build_returns(world)
    from consortium.models import Role
    from sample import person

    colleague = person("lead2", world.home, world.orgs["lead"], Role.LEAD)
    lead = world.users["lead"]
    pk = world.returns["submitted_a"].pk
    barrier = threading.Barrier(2)
    outcomes = []

    def act(fn):
        from django_scopes import scopes_disabled

        try:
            with scopes_disabled():
                ret = PerformanceReturn.objects.get(pk=pk)
                barrier.wait()
                fn(ret)
            outcomes.append("won")
        except Exception as e:  # noqa: BLE001
            outcomes.append(type(e).__name__)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(lambda r: svc.return_approve(ret=r, by=lead),)),
        threading.Thread(
            target=act, args=(lambda r: svc.return_return(ret=r, by=colleague, comments="No"),)
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ValidationError", "won"]
    assert PerformanceReturn.objects.get(pk=pk).status in ("approved", "returned")


def test_values_are_untouched_by_unrelated_returns(rw):
    assert ReturnValue.objects.filter(ret=rw.returns["draft_a"]).count() == 1
    assert rw.returns["draft_a"].period.start == datetime.date(2026, 6, 1)


def test_the_lead_adds_periods_and_targets(rw, client, lead, cvo_a):
    sub = rw.money["sub_a"]
    url = f"/performance/{sub.pk}/periods/"
    client.force_login(cvo_a)
    assert client.get(url).status_code == 404
    client.force_login(lead)
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "p-frequency": "quarterly",
            "p-first": "2026-10-01",
            "p-last": "2027-03-31",
            "p-working_days": 5,
        },
    )
    assert r.status_code == 302
    from contracts.models import ReportingPeriod, Target

    q = ReportingPeriod.objects.get(subcontract=sub, start=datetime.date(2026, 10, 1))
    assert q.end == datetime.date(2026, 12, 31)
    assert q.due_date == datetime.date(2027, 1, 8)  # 5 working days, skipping 1 January
    r = client.post(
        url, {"t-period": q.pk, "t-indicator": rw.returns["ind"]["REF"].pk, "t-value": "120"}
    )
    assert r.status_code == 302
    assert Target.objects.get(period=q).value == D("120")


def test_a_return_as_at_a_past_date(rw, client, lead, cvo_a, commissioner):
    import time_machine

    ret = rw.returns["draft_a"]
    with time_machine.travel(datetime.datetime(2026, 7, 2, 12, tzinfo=datetime.UTC)):
        svc.return_save_draft(ret=ret, by=cvo_a, values={"REF": D(6)}, narrative="First go")
    with time_machine.travel(datetime.datetime(2026, 7, 5, 12, tzinfo=datetime.UTC)):
        from sample import GOOD_VALUES

        svc.return_save_draft(
            ret=ret,
            by=cvo_a,
            values={k: D(str(v)) for k, v in GOOD_VALUES.items()},
            narrative="Final",
        )
        svc.return_submit(ret=ret, by=cvo_a)
        svc.return_approve(ret=ret, by=lead)
    client.force_login(lead)
    html = client.get(f"/returns/{ret.pk}/?as_at=2026-07-03").content.decode()
    assert "First go" in html and ">6<" in html and "Draft" in html
    html = client.get(f"/returns/{ret.pk}/?as_at=2026-07-06").content.decode()
    assert "Final" in html and ">40<" in html
    # A commissioner never sees the draft state, only the approved one.
    client.force_login(commissioner)
    html = client.get(f"/returns/{ret.pk}/?as_at=2026-07-03").content.decode()
    assert "First go" not in html and "no version of this return you can see" in html
    assert "Final" in client.get(f"/returns/{ret.pk}/?as_at=2026-07-06").content.decode()
