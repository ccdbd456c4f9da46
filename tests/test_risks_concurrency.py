"""Two people acting on one risk at once: row locks let exactly one outcome win. Runs on
SQLite and PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError

from consortium.base import StaleEdit
from risks import services
from risks.models import Escalation, Risk
from sample import ConsortiumWorld, make_register, make_risk, person
from tests.test_funding_concurrency import race

LOSING = (ValidationError, OperationalError, StaleEdit)


@pytest.fixture
def setting(transactional_db):
    w = ConsortiumWorld.build()
    second = person("lead2", w.home, w.orgs["lead"], "lead")
    return w, second


def test_two_leads_accepting_one_escalation_make_one_consortium_risk(setting):
    w, second = setting
    cvo = w.users["cvo_a"]
    risk = make_risk(make_register(cvo, w.orgs["cvo_a"]), cvo, "Custody cover")
    make_register(w.users["lead"])
    escalation = services.escalation_request(by=cvo, risk=risk, reason="Borough-wide")

    def accept(by):
        return lambda: services.escalation_decide(
            by=by, escalation=escalation, accept=True, reason="Agreed"
        )

    results = race(accept(w.users["lead"]), accept(second))
    assert sum(isinstance(r, Escalation) for r in results) == 1, results
    assert sum(isinstance(r, LOSING) for r in results) == 1, results
    assert Risk.objects.filter(register__organisation__isnull=True).count() == 1


def test_two_edits_from_the_same_version_never_overwrite_each_other(setting):
    w, second = setting
    risk = make_risk(make_register(w.users["lead"]), w.users["lead"])

    def edit(by, title):
        def run():
            mine = Risk.objects.get(pk=risk.pk)
            mine.title = title
            return services.risk_save(by=by, risk=mine, expected_version=1)

        return run

    results = race(edit(w.users["lead"], "First"), edit(second, "Second"))
    assert sum(isinstance(r, Risk) for r in results) == 1, results
    assert sum(isinstance(r, LOSING) for r in results) == 1, results
    winner = next(r for r in results if isinstance(r, Risk))
    assert Risk.objects.get(pk=risk.pk).title == winner.title


def test_two_risks_added_at_once_get_different_references(setting):
    w, second = setting
    register = make_register(w.users["lead"])
    results = race(
        lambda: make_risk(register, w.users["lead"], "One"),
        lambda: make_risk(register, second, "Two"),
    )
    made = [r for r in results if isinstance(r, Risk)]
    assert len({r.reference for r in made}) == len(made)
    assert len(made) + sum(isinstance(r, OperationalError) for r in results) == 2, results
