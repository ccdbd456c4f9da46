"""The API's access matrix: every operation of /api/v1/ × every role's key (and no key) ×
objects in and out of scope.

Every operation in the OpenAPI schema must have an entry in OPERATIONS (a new operation without
one fails the test). For each role, a key with every scope asks each operation:

* for every row of the operation's model, in both consortia: an answer other than 404 only for
  a row the one access policy lets the person see (`visible_to`), and 404 for every other —
  another member's, another consortium's — never 403 with a title;
* writes are sent only at rows the person may not see (so the world stays the same for the next
  request) with a well-formed body, and answer 404;
* no answer carries text planted where the role must not read it (tests.test_access_matrix's
  sentinels), and none is a server error.

Without a key every operation answers 401; a key with the "read" scope alone is refused every
write with 403.
"""

import pytest
from django.test import Client

from consortium import tokens
from consortium.models import Organisation, Site
from contracts.models import OutcomeMeasure, PbRClaim, PerformanceReturn, ReportingPeriod
from funding.models import Payment
from risks.models import Risk
from supervision.models import StaffMember, SupervisionSession
from tests.test_access_matrix import FORBIDDEN, ROLES, leaks, matrix_world  # noqa: F401

ALL = ["read", "returns", "claims", "sessions"]
LINE = {
    "reference": "MATRIX-1",
    "engagement_date": "2026-04-10",
    "outcome_date": "2026-04-10",
    "evidence_ref": "file",
}
# (method, path) → (model of {pk}, a well-formed body) for operations on one row; lists have
# no model. A body names a row (by id) for the creates that take one: the model is then the
# row the body names.
OPERATIONS = {
    ("get", "/organisations"): None,
    ("get", "/organisations/{pk}"): (Organisation, None),
    ("get", "/sites"): None,
    ("get", "/sites/{pk}"): (Site, None),
    ("get", "/periods"): None,
    ("get", "/periods/{pk}"): (ReportingPeriod, None),
    ("get", "/indicators"): None,
    ("get", "/returns"): None,
    ("post", "/returns"): (ReportingPeriod, lambda pk: {"period": pk}),
    ("get", "/returns/{pk}"): (PerformanceReturn, None),
    ("put", "/returns/{pk}/values"): (PerformanceReturn, lambda pk: {"values": {}}),
    ("post", "/returns/{pk}/submit"): (PerformanceReturn, lambda pk: {}),
    ("get", "/measures"): None,
    ("get", "/claims"): None,
    ("post", "/claims"): (
        OutcomeMeasure,
        lambda pk: {"measure": pk, "claimant": 1, "period_start": "2026-04-01"},
    ),
    ("get", "/claims/{pk}"): (PbRClaim, None),
    ("get", "/claims/{pk}/lines"): (PbRClaim, None),
    ("post", "/claims/{pk}/lines"): (PbRClaim, lambda pk: {"lines": [LINE]}),
    ("put", "/claims/{pk}/counts"): (PbRClaim, lambda pk: {}),
    ("post", "/claims/{pk}/submit"): (PbRClaim, lambda pk: {}),
    ("get", "/staff"): None,
    ("get", "/staff/expiring-checks"): None,
    ("get", "/staff/{pk}"): (StaffMember, None),
    ("get", "/sessions"): None,
    ("post", "/sessions"): "creates",
    ("get", "/sessions/{pk}"): (SupervisionSession, None),
    ("get", "/payments"): None,
    ("get", "/payments/{pk}"): (Payment, None),
    ("get", "/risks"): None,
    ("get", "/risks/{pk}"): (Risk, None),
}
OPEN = {("get", "/openapi.json"), ("get", "/docs")}


def operations():
    schema = Client().get("/api/v1/openapi.json").json()
    return {
        (method, path.removeprefix("/api/v1"))
        for path, methods in schema["paths"].items()
        for method in methods
    }


def test_every_api_operation_has_a_matrix_entry(world):
    assert operations() - OPEN == set(OPERATIONS), (
        f"API operations missing from the matrix: {sorted(operations() - set(OPERATIONS))}"
    )


class Key:
    def __init__(self, user, scopes=ALL):
        _, raw = tokens.token_create(by=user, name="Matrix", scopes=scopes)
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_IF_MATCH": '"matrix"'}

    def ask(self, method, path, body=None):
        import json

        if method == "get":
            return self.client.get(f"/api/v1{path}", **self.headers)
        return getattr(self.client, method)(
            f"/api/v1{path}",
            data=json.dumps(body if body is not None else {}),
            content_type="application/json",
            **self.headers,
        )


def _rows(model):
    """Every row of `model`, in both consortia (set-up reads unscoped)."""
    return list(model._base_manager.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_access_matrix(matrix_world, role, settings):  # noqa: F811
    """Every operation as one role, for every row of its model in both consortia: some
    hundreds of requests."""
    settings.CONCORD_API_REQUESTS_PER_MINUTE = 100_000
    w = matrix_world
    user = w.users[role]
    key = Key(user)
    failures = []
    from django_scopes import scope

    with scope(consortium=[w.home.pk]):
        from consortium import access

        access_user = user
        setattr(access_user, access.ACTOR_ATTR, access.load_actor(user, w.home.pk))
        seen = {
            model: set(model.objects.visible_to(access_user).values_list("pk", flat=True))
            for model in {e[0] for e in OPERATIONS.values() if isinstance(e, tuple)}
        }
    for (method, path), entry in sorted(OPERATIONS.items()):
        if entry is None or entry == "creates":
            body = {"kind": "one_to_one", "date": "2026-04-01", "attendees": [1]}
            response = key.ask(method, path, body if entry == "creates" else None)
            if response.status_code >= 500:
                failures.append(f"{method} {path}: {role} got {response.status_code}")
            failures.extend(leaks(role, path, response))
            continue
        model, make_body = entry
        for pk in _rows(model):
            visible = pk in seen[model]
            if method != "get" and visible:
                continue  # writes go only where the person may not reach
            url = path.replace("{pk}", str(pk))
            body = make_body(pk) if make_body else None
            response = key.ask(method, url, body)
            status = response.status_code
            if not visible and status != 404:
                failures.append(f"{method} {url}: {role} got {status} for a row out of scope")
            if status >= 500:
                failures.append(f"{method} {url}: {role} got a server error")
            failures.extend(leaks(role, url, response))
    assert not failures, "\n".join(failures)


def test_without_a_key_every_operation_is_401_and_a_read_key_cannot_write(matrix_world):  # noqa: F811
    w = matrix_world
    reader = Key(w.users["lead"], ["read"])
    anonymous = Client()
    for method, path in sorted(OPERATIONS):
        url = path.replace("{pk}", "1")
        response = getattr(anonymous, method)(f"/api/v1{url}")
        assert response.status_code == 401, f"{method} {url}: {response.status_code}"
        if method != "get":
            refused = reader.ask(method, url, {})
            assert refused.status_code in (403, 422), f"{method} {url}: {refused.status_code}"
            if refused.status_code == 422:
                # The body is checked before the scope: a well-formed one is refused for it.
                entry = OPERATIONS[(method, path)]
                body = entry[1](1) if isinstance(entry, tuple) and entry[1] else {}
                if entry == "creates":
                    body = {"kind": "one_to_one", "date": "2026-04-01", "attendees": [1]}
                again = reader.ask(method, url, body)
                assert again.status_code == 403, f"{method} {url}: {again.status_code}"
