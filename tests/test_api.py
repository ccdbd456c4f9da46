"""The API for members' case systems (/api/v1/): keys, problem documents, versions, retries,
and returns, claims and sessions filed by machine under the rules of the screens."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scope

from consortium import reminders, tokens
from consortium.models import ApiRequest, AuditEntry, Event
from contracts.models import ClaimLine, PbRClaim, PerformanceReturn, ReturnValue
from contracts.services.outcomes.common import participant_hash
from sample.contracts import GOOD_VALUES, make_period
from supervision.models import SupervisionSession

ALL = ["read", "returns", "claims", "sessions"]


def key_for(user, scopes=ALL):
    token, raw = tokens.token_create(by=user, name="Case system", scopes=scopes)
    return token, raw


class Api:
    """A case system's client: the key in every request, JSON in and out."""

    def __init__(self, raw):
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def _send(self, method, path, body=None, **headers):
        extra = {
            **self.auth,
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        }
        data = json.dumps(body) if body is not None and not isinstance(body, str) else body
        return getattr(self.client, method)(
            f"/api/v1{path}", data=data, content_type="application/json", **extra
        )

    def get(self, path, **headers):
        return self.client.get(f"/api/v1{path}", **self.auth)

    def post(self, path, body=None, **headers):
        return self._send("post", path, body if body is not None else {}, **headers)

    def put(self, path, body, **headers):
        return self._send("put", path, body, **headers)


@pytest.fixture
def rw(returns_world):
    return returns_world


def api_for(user, scopes=ALL):
    return Api(key_for(user, scopes)[1])


def is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


# --- keys ------------------------------------------------------------------------------------


def test_no_key_a_wrong_key_and_a_revoked_key_get_401_as_a_problem(world, cvo_a):
    assert is_problem(Client().get("/api/v1/organisations"), 401)
    assert Client().get("/api/v1/organisations")["WWW-Authenticate"] == "Bearer"
    assert is_problem(Api("concord_not-a-key").get("/organisations"), 401)
    token, raw = key_for(cvo_a)
    assert Api(raw).get("/organisations").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert is_problem(Api(raw).get("/organisations"), 401)


def test_an_expired_key_gets_401(world, cvo_a):
    token, raw = key_for(cvo_a)
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save()
    assert is_problem(Api(raw).get("/organisations"), 401)


def test_a_key_acts_with_the_persons_roles_and_loses_them_with_the_person(world, cvo_a):
    api = api_for(cvo_a)
    names = {o["name"] for o in api.get("/organisations").json()["items"]}
    assert "CVO Alpha" in names and not any(world.SENTINEL in n for n in names)
    cvo_a.is_active = False
    cvo_a.save()
    assert is_problem(api.get("/organisations"), 401)


def test_a_key_over_its_limit_is_told_when_to_try_again(world, cvo_a, settings):
    settings.CONCORD_API_REQUESTS_PER_MINUTE = 2
    api = api_for(cvo_a)
    assert api.get("/organisations").status_code == 200
    assert api.get("/sites").status_code == 200
    body = is_problem(api.get("/organisations"), 429)
    wait = int(api.get("/organisations")["Retry-After"])
    assert 0 < wait <= 60 and "Try again in" in body["detail"]


def test_an_answer_is_kept_for_a_day_and_no_longer(pw, cvo_a, time_machine):
    api = api_for(cvo_a)
    claim = pw.pbr["draft_a"]
    etag = api.get(f"/claims/{claim.pk}")["ETag"]
    first = api.post(f"/claims/{claim.pk}/submit", idempotency_key="k", if_match=etag)
    assert first.status_code == 200
    assert (
        api.post(f"/claims/{claim.pk}/submit", idempotency_key="k", if_match=etag).status_code
        == 200
    )
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1, minutes=1))
    # A day on, the key is forgotten: the same request is taken afresh (and refused, since the
    # claim was submitted).
    assert (
        api.post(f"/claims/{claim.pk}/submit", idempotency_key="k", if_match=etag).status_code
        == 412
    )
    assert ApiRequest.objects.count() == 0


def test_a_read_key_cannot_write(rw, cvo_a):
    api = api_for(cvo_a, ["read"])
    ret = rw.returns["draft_a"]
    assert api.get(f"/returns/{ret.pk}").status_code == 200
    body = is_problem(api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "3"}}), 403)
    assert "“returns” scope" in body["detail"]
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == 5


def test_the_schema_and_docs_are_open_and_the_docs_need_no_inline_script(world):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/returns/{pk}/values" in paths and "/api/v1/claims/{pk}/lines" in paths
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "/static/" in html
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    assert "<script>" not in html.replace(" ", "")


# --- returns -------------------------------------------------------------------------------


def test_a_member_lists_and_reads_only_its_own_returns(rw, cvo_a):
    api = api_for(cvo_a)
    ids = {r["id"] for r in api.get("/returns").json()["items"]}
    assert rw.returns["draft_a"].pk in ids and rw.returns["submitted_a"].pk in ids
    assert rw.returns["submitted_b"].pk not in ids
    assert is_problem(api.get(f"/returns/{rw.returns['submitted_b'].pk}"), 404)
    assert is_problem(api.get(f"/returns/{rw.returns['away_return'].pk}"), 404)
    # Writes on another member's return are 404 too, never 403 with a title.
    other = rw.returns["submitted_b"]
    assert is_problem(api.put(f"/returns/{other.pk}/values", {"values": {}}, if_match='"x"'), 404)


def test_draft_figures_need_the_current_etag(rw, cvo_a):
    api = api_for(cvo_a)
    ret = rw.returns["draft_a"]
    read = api.get(f"/returns/{ret.pk}")
    etag = read["ETag"]
    assert is_problem(api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "7"}}), 428)
    stale = api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "7"}}, if_match='"stale"')
    assert is_problem(stale, 412)["type"].endswith("/stale")
    saved = api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "7"}}, if_match=etag)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != etag
    assert {"indicator": "REF", "value": "7", "note": ""} in saved.json()["values"]
    # The ETag read before the save is stale now.
    again = api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "8"}}, if_match=etag)
    assert again.status_code == 412
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == 7


def test_draft_figures_are_all_or_nothing_with_the_forms_limits(rw, cvo_a):
    api = api_for(cvo_a)
    ret = rw.returns["draft_a"]
    etag = api.get(f"/returns/{ret.pk}")["ETag"]
    r = api.put(
        f"/returns/{ret.pk}/values",
        {"values": {"REF": "9", "NOPE": "1"}},
        if_match=etag,
    )
    assert "Unknown indicator codes: NOPE." in is_problem(r, 422)["detail"]
    r = api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "1e30"}}, if_match=etag)
    assert is_problem(r, 422)
    r = api.put(f"/returns/{ret.pk}/values", {"values": {"REF": "ten"}}, if_match=etag)
    assert is_problem(r, 422)["errors"][0]["field"] == "values.REF"
    assert ReturnValue.objects.get(ret=ret, indicator__code="REF").value == 5


def test_submitting_runs_the_rules_and_warnings_need_confirming(rw, cvo_a):
    api = api_for(cvo_a)
    ret = rw.returns["draft_a"]
    etag = api.get(f"/returns/{ret.pk}")["ETag"]
    figures = {code: str(v) for code, v in GOOD_VALUES.items()}
    figures["SCR"] = "99"
    saved = api.put(f"/returns/{ret.pk}/values", {"values": figures}, if_match=etag)
    errors = saved.json()["errors"]
    assert any(
        e["indicator"] == "SCR" and "more than Referrals received" in e["message"] for e in errors
    )
    refused = api.post(f"/returns/{ret.pk}/submit", {}, if_match=saved["ETag"])
    body = is_problem(refused, 422)
    assert {"field": "values.SCR", "message": errors[0]["message"]} in body["errors"]
    figures["SCR"] = "38"
    saved = api.put(f"/returns/{ret.pk}/values", {"values": figures}, if_match=saved["ETag"])
    done = api.post(f"/returns/{ret.pk}/submit", {"confirm_warnings": True}, if_match=saved["ETag"])
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "submitted"
    assert is_problem(api.post(f"/returns/{ret.pk}/submit", {}, if_match=done["ETag"]), 422)


def _trail(ret):
    """What a return leaves behind, but for when: its status, its history (type, reason,
    who), its values' history, its business events (verb, who) and their audit entries."""
    ret = PerformanceReturn.objects.get(pk=ret.pk)
    history = [
        (h.history_type, h.history_change_reason, h.history_user_id)
        for h in ret.history.order_by("history_id")
    ]
    codes = dict(ReturnValue.objects.filter(ret=ret).values_list("pk", "indicator__code"))
    values = sorted(
        (codes[h.id], h.history_type, h.history_change_reason, h.history_user_id, str(h.value))
        for h in ReturnValue.history.filter(ret_id=ret.pk)
    )
    events = Event.objects.filter(object_model="contracts.PerformanceReturn", object_id=str(ret.pk))
    verbs = [(e.verb, e.by_id, e.details) for e in events.order_by("pk")]
    audited = AuditEntry.objects.filter(event__in=events).count()
    return ret.status, history, values, verbs, audited


def _reminded(world, ret, day):
    """Each person's reminders about `ret` on `day`: (person, kind, stage)."""
    with scope(consortium=world.home.pk):
        found = reminders.collect(reminders.Run(world.home.pk, day))
    key = f"contracts.performancereturn:{ret.pk}"
    return sorted(
        (user_id, i.kind, i.stage)
        for user_id, got in found.items()
        for i in got
        if i.object_key == key
    )


def test_a_return_filed_by_api_is_the_same_as_one_filed_on_screen(rw, client, cvo_a):
    """Two new months of CVO A's: one filled in and submitted through the form, the other
    through the API with the same figures. Status, history, values' history, business
    events, audit entries and reminders agree."""
    from contracts.services import returns as svc

    sub = rw.money["sub_a"]
    on_screen = svc.return_start(period=make_period(sub, datetime.date(2026, 7, 1)), by=cvo_a)
    by_api = svc.return_start(period=make_period(sub, datetime.date(2026, 8, 1)), by=cvo_a)
    client.force_login(cvo_a)
    data = {"expected_version": on_screen.version, "narrative": "Quiet", "submit": "1"}
    data.update({f"v_{code}": v for code, v in GOOD_VALUES.items()})
    data["confirm_warnings"] = "on"
    assert client.post(f"/returns/{on_screen.pk}/edit/", data).status_code == 302

    api = api_for(cvo_a)
    etag = api.get(f"/returns/{by_api.pk}")["ETag"]
    figures = {code: str(v) for code, v in GOOD_VALUES.items()}
    body = {"values": figures, "narrative": "Quiet"}
    saved = api.put(f"/returns/{by_api.pk}/values", body, if_match=etag)
    assert saved.status_code == 200, saved.content
    done = api.post(
        f"/returns/{by_api.pk}/submit", {"confirm_warnings": True}, if_match=saved["ETag"]
    )
    assert done.status_code == 200, done.content

    screen, machine = _trail(on_screen), _trail(by_api)
    assert screen == machine
    assert screen[0] == "submitted" and screen[3] and screen[4] == len(screen[3])
    day = datetime.date(2026, 10, 1)
    assert [r[1:] for r in _reminded(rw, on_screen, day)] == [
        r[1:] for r in _reminded(rw, by_api, day)
    ]
    assert _reminded(rw, on_screen, day)


# --- payment by results --------------------------------------------------------------------


@pytest.fixture
def pw(everything):
    return everything


def _lines(prefix, n, day, evidence="case file"):
    return [
        {
            "reference": f"{prefix}-{i}",
            "engagement_date": day.isoformat(),
            "outcome_date": day.isoformat(),
            "evidence_ref": evidence,
        }
        for i in range(n)
    ]


def test_a_member_adds_lines_in_bulk_and_the_references_are_never_kept(pw, cvo_a):
    api = api_for(cvo_a)
    claim = pw.pbr["draft_a"]
    read = api.get(f"/claims/{claim.pk}")
    day = claim.period_start
    added = api.post(
        f"/claims/{claim.pk}/lines", {"lines": _lines("REF-SECRET", 3, day)}, if_match=read["ETag"]
    )
    assert added.status_code == 200, added.content
    assert added.json()["added"] == 3 and added["ETag"] != read["ETag"]
    assert ClaimLine.objects.filter(claim=claim).count() == 4
    assert not ClaimLine.objects.filter(participant__contains="REF-SECRET").exists()
    assert ClaimLine.objects.filter(
        participant=participant_hash(claim.consortium_id, "REF-SECRET-0")
    ).exists()
    listed = api.get(f"/claims/{claim.pk}/lines").content.decode()
    assert "REF-SECRET" not in listed and "REF-SECRET" not in added.content.decode()


def test_lines_are_all_or_nothing_and_a_participant_is_never_claimed_twice(pw, cvo_a, cvo_b):
    api = api_for(cvo_a)
    claim = pw.pbr["draft_a"]
    etag = api.get(f"/claims/{claim.pk}")["ETag"]
    lines = _lines("NEW", 2, claim.period_start) + [
        {
            "reference": "A-3",
            "engagement_date": claim.period_start.isoformat(),
            "outcome_date": claim.period_start.isoformat(),
            "evidence_ref": "file",
        }
    ]
    refused = api.post(f"/claims/{claim.pk}/lines", {"lines": lines}, if_match=etag)
    body = is_problem(refused, 422)
    assert any(
        e["field"] == "lines.2" and "already in this claim" in e["message"] for e in body["errors"]
    )
    assert ClaimLine.objects.filter(claim=claim).count() == 1
    # Another member's participant: refused without naming the member.
    other = api_for(cvo_b)
    claim_b = pw.pbr["verified_b"]
    assert is_problem(other.get(f"/claims/{claim.pk}"), 404)
    assert claim_b.pk not in {c["id"] for c in api.get("/claims").json()["items"]}


def test_starting_a_claim_is_idempotent_with_a_key(pw, cvo_a):
    api = api_for(cvo_a)
    measure = pw.pbr["measure"]
    periods = api.get("/measures").json()["items"]
    mine = next(m for m in periods if m["id"] == measure.pk)
    taken = {
        c.period_start for c in PbRClaim.objects.filter(measure=measure, claimant=pw.orgs["cvo_a"])
    }
    start = next(
        p["start"]
        for p in mine["claim_periods"]
        if datetime.date.fromisoformat(p["start"]) not in taken
    )
    body = {"measure": measure.pk, "claimant": pw.orgs["cvo_a"].pk, "period_start": start}
    first = api.post("/claims", body, idempotency_key="claim-1")
    assert first.status_code == 201, first.content
    again = api.post("/claims", body, idempotency_key="claim-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and again["ETag"] == first["ETag"]
    assert (
        PbRClaim.objects.filter(
            measure=measure, claimant=pw.orgs["cvo_a"], period_start=start
        ).count()
        == 1
    )
    different = api.post(
        "/claims", {**body, "period_start": "2020-01-01"}, idempotency_key="claim-1"
    )
    assert is_problem(different, 422)
    # Without a key, the service's own rule refuses the second start.
    assert is_problem(api.post("/claims", body), 422)
    assert ApiRequest.objects.count() == 1


def test_a_claim_is_submitted_with_its_etag(pw, cvo_a):
    api = api_for(cvo_a)
    claim = pw.pbr["draft_a"]
    etag = api.get(f"/claims/{claim.pk}")["ETag"]
    done = api.post(f"/claims/{claim.pk}/submit", if_match=etag)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "submitted"
    assert is_problem(api.post(f"/claims/{claim.pk}/submit", if_match=done["ETag"]), 422)


# --- supervision ---------------------------------------------------------------------------


def test_a_supervisor_logs_a_session_and_a_manager_cannot(everything, supervisor, cvo_a):
    api = api_for(supervisor)
    mine = api.get("/staff?supervised_by_me=true").json()["items"]
    assert mine
    person = mine[0]["id"]
    body = {
        "kind": "one_to_one",
        "date": timezone.localdate().isoformat(),
        "attendees": [person],
        "notes": "private",
    }
    logged = api.post("/sessions", body, idempotency_key="s-1")
    assert logged.status_code == 201, logged.content
    assert "private" not in logged.content.decode()
    assert SupervisionSession.objects.filter(pk=logged.json()["id"], supervisor=supervisor).exists()
    assert logged.json()["id"] in {s["id"] for s in api.get("/sessions").json()["items"]}
    future = {**body, "date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()}
    assert (
        "cannot be dated in the future"
        in is_problem(api.post("/sessions", future), 422)["errors"][0]["message"]
    )
    assert is_problem(api_for(cvo_a).post("/sessions", body), 403)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '{"values": {"REF": {"deep": 1}}}',
        '{"values": {"REF": "3"}, "extra": 1}',
        '{"values": "REF"}',
        '{"narrative": 5}',
        "null",
        '"' + "x" * 100 + '"',
    ],
)
def test_bad_bodies_are_problems_and_change_nothing(rw, cvo_a, body):
    api = api_for(cvo_a)
    ret = rw.returns["draft_a"]
    etag = api.get(f"/returns/{ret.pk}")["ETag"]
    r = api.put(f"/returns/{ret.pk}/values", body, if_match=etag)
    assert 400 <= r.status_code < 500 and r["Content-Type"] == "application/problem+json"
    assert PerformanceReturn.objects.get(pk=ret.pk).version == ret.version


def test_a_huge_body_is_refused_before_it_is_read(rw, cvo_a, settings):
    settings.CONCORD_API_MAX_BODY_BYTES = 1000
    api = api_for(cvo_a)
    ret = rw.returns["draft_a"]
    r = api.put(f"/returns/{ret.pk}/values", {"narrative": "x" * 2000}, if_match='"x"')
    assert is_problem(r, 413)


def test_a_bad_cursor_is_a_problem_and_pages_follow_each_other(rw, lead):
    api = api_for(lead)
    assert is_problem(api.get("/returns?cursor=forged"), 400)
    first = api.get("/returns?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.get(f"/returns?limit=2&cursor={first['next_cursor']}").json()
    assert {r["id"] for r in first["items"]}.isdisjoint({r["id"] for r in second["items"]})
    later = (timezone.now() + datetime.timedelta(days=1)).isoformat().replace("+", "%2B")
    assert api.get(f"/returns?updated_since={later}").json()["items"] == []


def test_money_is_a_string_with_two_decimals(everything, cvo_a):
    payments = api_for(cvo_a).get("/payments").json()["items"]
    assert payments
    assert all(
        isinstance(p["amount"], str) and p["amount"].split(".")[1].__len__() == 2 for p in payments
    )
    assert {p["recipient"] for p in payments} == {everything.orgs["cvo_a"].pk}
