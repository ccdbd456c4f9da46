"""Schemathesis against the API's own OpenAPI schema, in-process through the WSGI
application: for a member's key and the lead's, no answer is a server error and every answer
matches the schema (problem documents included)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from concord.wsgi import application
from consortium import tokens

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = 12


@pytest.fixture
def connections_kept():
    """The WSGI application, called in-process, would close the test's database connection at
    the end of each request (inside the test's transaction, on PostgreSQL): keep it open, as
    Django's own test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["cvo_a", "lead"])
def test_no_answer_is_a_server_error_and_every_answer_matches_the_schema(
    everything, role, settings, connections_kept
):
    """About 30 operations × 12 generated requests for each key; about 40 s each."""
    settings.CONCORD_API_REQUESTS_PER_MINUTE = 100_000
    user = everything.users[role]
    _, raw = tokens.token_create(
        by=user, name="Schema test", scopes=["read", "returns", "claims", "sessions"]
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers = {"Authorization": f"Bearer {raw}"}
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        seen += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
    assert seen >= 25
