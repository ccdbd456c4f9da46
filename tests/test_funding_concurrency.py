"""Two leads acting at once: the row locks in the services let exactly one outcome win.
Runs on SQLite and PostgreSQL."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django_scopes import scopes_disabled

from funding import services
from funding.models import Allocation, Payment
from sample import ConsortiumWorld, make_allocation, make_stream, person

# The loser is refused by the service (PostgreSQL waits on the row lock, then sees the first
# write). SQLite's in-memory test database uses shared-cache table locks, which refuse the
# second writer outright instead; either way nothing of the loser is written.
LOSING = (ValidationError, OperationalError)


def race(*calls):
    """Run each call in its own thread at the same moment; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            with scopes_disabled():
                barrier.wait()
                results[i] = call()
        except Exception as e:  # noqa: BLE001 - the losing side's error is the result
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def setting(transactional_db):
    w = ConsortiumWorld.build()
    second = person("lead2", w.home, w.orgs["lead"], "lead")
    stream = make_stream(w.home, w.orgs["commissioner"], "Stream")
    allocation = make_allocation(stream, [(w.orgs["cvo_a"], "60000.00", "A")])
    return w, second, allocation


def test_two_payments_racing_past_the_allocation_cannot_both_win(setting):
    w, second, allocation = setting
    line = allocation.lines.get()

    def pay(by):
        return lambda: services.payment_schedule(
            by=by,
            payment=Payment(
                recipient=w.orgs["cvo_a"],
                allocation_line=line,
                amount=D("40000.00"),
                due_date=datetime.date(2026, 8, 1),
            ),
        )

    results = race(pay(w.users["lead"]), pay(second))
    assert sum(isinstance(r, Payment) for r in results) == 1, results
    assert sum(isinstance(r, LOSING) for r in results) == 1, results
    assert Payment.objects.count() == 1


def test_two_approvals_of_one_draft_give_one_approval(setting):
    w, second, _ = setting
    stream = make_stream(w.home, w.orgs["commissioner"], "Other")
    draft = make_allocation(stream, [(w.orgs["cvo_a"], "10.00", "A")], approved=False)
    results = race(
        lambda: services.allocation_approve(allocation=draft, by=w.users["lead"]),
        lambda: services.allocation_approve(allocation=draft, by=second),
    )
    assert sum(isinstance(r, Allocation) for r in results) == 1
    assert sum(isinstance(r, LOSING) for r in results) == 1, results
    assert Allocation.objects.get(pk=draft.pk).history.filter(status="approved").count() == 1
