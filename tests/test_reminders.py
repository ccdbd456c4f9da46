"""Reminders: each kind's items on a frozen day, and the daily digest — one email per person
per day, never a reminder twice, failures retried, preferences honoured."""

import datetime
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django_scopes import scope

from consortium import reminders
from consortium.models import ReminderDigest, ReminderSent, Role, RoleAssignment
from consortium.services import reminder_preferences_set
from sample import ConsortiumWorld, build_workforce
from sample.funding import FundingStreamFactory

DAY = datetime.date(2026, 3, 10)  # a Tuesday


@pytest.fixture
def frozen():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 7, 0), tick=False):
        yield DAY


@pytest.fixture
def wf(world, frozen):
    build_workforce(world)
    alice = world.extra["staff"]["a1"]
    alice.registration_expiry = DAY + timedelta(days=20)
    alice.save()
    return world


def items(world, username, kind=None):
    with scope(consortium=world.home.pk):
        found = reminders.collect(reminders.Run(world.home.pk, DAY))
    user = world.users[username]
    return [i for i in found.get(user.pk, []) if kind is None or i.kind == kind]


def texts(world, username, kind=None):
    return [i.text for i in items(world, username, kind)]


def send(**kwargs):
    call_command("send_reminders", as_of=DAY.isoformat(), **kwargs)


def emails_to(username):
    return [m for m in mail.outbox if m.to == [f"{username}@example.org"]]


# --- each app's kinds -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_practitioner_is_reminded_of_their_own_registration_expiring(wf):
    assert texts(wf, "practitioner", "workforce.own_checks") == [
        "Your registration expires 30 Mar 2026 (within 30 days)"
    ]
    # Their own lapsed colleague is not their business.
    assert not any("Abbott" in t for t in texts(wf, "practitioner"))


@pytest.mark.django_db
def test_managers_are_reminded_of_their_staff_checks_and_cvo_b_of_none_of_cvo_a(wf):
    for who in ("lead", "admin", "cvo_a"):
        found = texts(wf, who, "workforce.staff_checks")
        assert any(t.startswith("Ava Abbott is not deployable") for t in found), who
        assert "Alice Aston: Registration expires 30 Mar 2026 (within 30 days)" in found
    assert not any("Abbott" in t for t in texts(wf, "cvo_b"))


@pytest.mark.django_db
def test_supervision_actions_falling_due_remind_the_supervisor_and_the_supervisee(wf):
    expected = "Read the risk policy: due 17 Mar 2026"
    assert expected in texts(wf, "supervisor", "workforce.actions_due")
    assert expected in texts(wf, "practitioner", "workforce.actions_due")
    assert expected not in texts(wf, "cvo_b")


@pytest.mark.django_db
def test_a_funding_stream_within_a_horizon_reminds_the_lead_once_per_horizon(world, frozen):
    FundingStreamFactory(
        consortium=world.home,
        funder=world.orgs["commissioner"],
        name="Bridge fund",
        start=DAY - timedelta(days=300),
        end=DAY + timedelta(days=25),
    )
    found = items(world, "lead", "funding.stream_expiring")
    assert [(i.text, i.about) for i in found] == [
        ("Bridge fund (Home Commissioner) ends 4 Apr 2026, within 30 days", "30 days")
    ]
    assert items(world, "cvo_a", "funding.stream_expiring") == []
    assert items(world, "commissioner", "funding.stream_expiring") == []


@pytest.mark.django_db
def test_late_returns_remind_the_member_and_the_lead_as_the_dashboard_counts_them(world):
    from contracts.selectors import returns as sel
    from sample import build_money, build_returns

    build_money(world)
    build_returns(world)
    today = datetime.date.today()
    with scope(consortium=world.home.pk):
        found = reminders.collect(reminders.Run(world.home.pk, today))
        open_returns, missing = sel.late_returns(world.users["cvo_b"], today)
        expected = open_returns.count() + missing.count()
    late_b = [i for i in found.get(world.users["cvo_b"].pk, []) if i.kind == "returns.late"]
    assert len(late_b) == expected
    assert all(i.urgency == reminders.LATE for i in late_b)
    late_lead = [i for i in found.get(world.users["lead"].pk, []) if i.kind == "returns.late"]
    assert len(late_lead) >= len(late_b)


@pytest.mark.django_db
def test_an_overdue_risk_review_reminds_its_owner(world, frozen):
    from sample.risks import make_register, make_risk

    lead = world.users["lead"]
    register = make_register(lead)
    risk = make_risk(register, lead, "Lead practitioner leaves", residual=(4, 4))
    risk.next_review = DAY - timedelta(days=3)
    risk.save()
    found = items(world, "lead", "risks.review_due")
    assert [i.urgency for i in found] == [reminders.LATE]
    assert "Risk review overdue" in found[0].text
    assert items(world, "cvo_a", "risks.review_due") == []


@pytest.mark.django_db
def test_a_signed_off_pack_reminds_its_commissioner_and_an_open_query_the_lead(world):
    from sample import build_money, build_packs, build_returns

    build_money(world)
    build_returns(world)
    packs = build_packs(world)
    found = items(world, "commissioner", "assurance.acknowledge")
    # The commissioner's contract A only; contract B is the lead's own.
    assert [i.url for i in found] == [packs["signed_a"].get_absolute_url()]
    assert "waits for your acknowledgement" in found[0].text
    assert items(world, "cvo_a", "assurance.acknowledge") == []
    questions = items(world, "lead", "assurance.query")
    assert [i.url for i in questions] == [packs["query"].get_absolute_url()]
    assert items(world, "commissioner", "assurance.query") == []


# --- each kind's stage is part of its key ----------------------------------------------------


def sent_to(world, username, kind):
    """(stage, about, sent on) of each `kind` reminder claimed for `username`, oldest first."""
    with scope(consortium=world.home.pk):
        rows = ReminderSent.objects.filter(user=world.users[username], kind=kind)
        return sorted(rows.values_list("stage", "about", "sent_on"), key=lambda r: r[2])


def send_on(day):
    call_command("send_reminders", as_of=day.isoformat())


@pytest.mark.django_db
def test_a_risk_review_reminded_as_due_the_day_before_is_reminded_as_overdue_after(world, frozen):
    from sample.risks import make_register, make_risk

    lead = world.users["lead"]
    risk = make_risk(make_register(lead), lead, "Lead practitioner leaves", residual=(4, 4))
    risk.next_review = DAY
    risk.save()
    send_on(DAY - timedelta(days=1))
    send_on(DAY + timedelta(days=1))
    review = DAY.isoformat()
    assert sent_to(world, "lead", "risks.review_due") == [
        ("due", review, DAY - timedelta(days=1)),
        ("overdue", review, DAY + timedelta(days=1)),
    ]
    bodies = [m.body for m in emails_to("lead")]
    assert "Risk review due: " in bodies[0] and "Risk review overdue: " in bodies[1]
    # And once overdue, not again.
    send_on(DAY + timedelta(days=2))
    assert len(sent_to(world, "lead", "risks.review_due")) == 2


@pytest.mark.django_db
def test_a_supervision_action_reminded_as_due_is_reminded_again_when_overdue(wf):
    due = DAY + timedelta(days=7)
    send_on(DAY)
    send_on(due + timedelta(days=1))
    stages = [
        (stage, about) for stage, about, _ in sent_to(wf, "supervisor", "workforce.actions_due")
    ]
    assert ("due", due.isoformat()) in stages
    assert ("overdue", due.isoformat()) in stages
    # Checks expiring and lapsed are stages of their own.
    assert {s for s, _, _ in sent_to(wf, "lead", "workforce.staff_checks")} == {
        "expiring",
        "lapsed",
    }


@pytest.mark.django_db
def test_funding_reminders_are_kept_with_their_stage(world, frozen):
    FundingStreamFactory(
        consortium=world.home,
        funder=world.orgs["commissioner"],
        name="Bridge fund",
        start=DAY - timedelta(days=300),
        end=DAY + timedelta(days=25),
    )
    overdue_payments(world, 1)
    send_on(DAY)
    assert sent_to(world, "lead", "funding.stream_expiring") == [("expiring", "30 days", DAY)]
    assert [r[0] for r in sent_to(world, "lead", "funding.payment_overdue")] == ["overdue"]


@pytest.mark.django_db
def test_contracts_reminders_are_kept_with_their_stage(packs_world):
    """Sends a whole day's digests over the packs world (about 4 s)."""
    w = packs_world
    send_on(datetime.date.today())
    assert {r[0] for r in sent_to(w, "cvo_b", "returns.late")} == {"late"}
    assert [r[0] for r in sent_to(w, "commissioner", "assurance.acknowledge")] == ["waiting"]
    assert [r[0] for r in sent_to(w, "lead", "assurance.query")] == ["waiting"]


def test_every_reminder_says_its_stage():
    with pytest.raises(TypeError, match="stage"):
        reminders.Item(object_key="x:1", about="2026-03-10", text="t", url="/")
    item = reminders.Item(object_key="x:1", about="2026-03-10", text="t", url="/", stage="due")
    assert item.key == ("", "x:1", "due", "2026-03-10")


# --- the digest -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_person_gets_one_digest_with_every_new_reminder(wf):
    send()
    assert len(emails_to("lead")) == 1
    message = emails_to("practitioner")[0]
    assert "Your registration expires 30 Mar 2026" in message.body
    html = message.alternatives[0][0]
    assert "Your registration expires 30 Mar 2026" in html
    assert message.from_email == "concord@localhost"
    # Nobody is sent anything about people they may not see.
    assert all("Abbott" not in m.body for m in emails_to("cvo_b"))


@pytest.mark.django_db
def test_the_digest_puts_money_owed_late_first_as_the_dashboard_does(wf):
    overdue_payments(wf, 1)
    send()
    body = emails_to("lead")[0].body
    groups = [g for g in ("Money owed late", "Not safe to deploy", "Waiting for you") if g in body]
    assert groups[0] == "Money owed late"
    assert [body.index(g) for g in groups] == sorted(body.index(g) for g in groups)
    assert "Late or overdue: " in body


@pytest.mark.django_db
def test_a_second_run_sends_nothing(wf):
    send()
    first = len(mail.outbox)
    assert first > 0
    send()
    assert len(mail.outbox) == first
    # The next day, what was already sent is not sent again either.
    call_command("send_reminders", as_of=(DAY + timedelta(days=1)).isoformat())
    assert len(mail.outbox) == first


@pytest.mark.django_db
def test_a_dry_run_sends_and_stores_nothing(wf, capsys):
    send(dry_run=True)
    assert mail.outbox == []
    with scope(consortium=wf.home.pk):
        assert not ReminderSent.objects.exists()
        assert not ReminderDigest.objects.exists()
    assert "Your registration expires 30 Mar 2026" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_dry_run_after_a_run_lists_nothing_already_sent(wf, capsys):
    send()
    capsys.readouterr()
    send(dry_run=True)
    assert "Dry run: 0 people" in capsys.readouterr().out


@pytest.mark.django_db
def test_as_of_chooses_the_day_reminded_about(wf):
    # Seventy days earlier Alice's registration was 90 days off, beyond the 30-day horizon.
    call_command("send_reminders", as_of=(DAY - timedelta(days=70)).isoformat())
    body = emails_to("practitioner")[0].body
    assert "(within 90 days)" in body
    assert "(within 30 days)" not in body


class Refusing:
    """An email backend that refuses to send to one address (the others go through)."""

    refused = "lead@example.org"

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        if any(self.refused in m.to for m in messages):
            raise ConnectionRefusedError("SMTP server refused the connection")
        return self.inner.send_messages(messages)


@pytest.mark.django_db
def test_a_failed_digest_does_not_block_the_others_and_is_retried_next_run(wf, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.Refusing"
    with pytest.raises(Exception, match="could not be sent"):
        send()
    assert emails_to("lead") == []
    assert len(emails_to("admin")) == 1
    with scope(consortium=wf.home.pk):
        assert not ReminderSent.objects.filter(user=wf.users["lead"]).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent_before = len(mail.outbox)
    send()
    assert len(emails_to("lead")) == 1
    assert len(mail.outbox) == sent_before + 1


class Crash(BaseException):
    """The process dying half-way (not an error a run catches)."""


@pytest.mark.django_db
def test_a_run_that_crashes_half_way_is_completed_by_the_next(wf, monkeypatch):
    real = reminders._send_digest
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "_send_digest", crash_on_third)
    with pytest.raises(Crash):
        send()
    first = {m.to[0] for m in mail.outbox}
    assert len(first) == 2
    monkeypatch.setattr(reminders, "_send_digest", real)
    send()
    everyone = [m.to[0] for m in mail.outbox]
    assert len(everyone) == len(set(everyone)), "nobody is sent twice"
    assert len(everyone) > len(first)


@pytest.mark.django_db
def test_preferences_turn_off_optional_kinds_but_never_essential_ones(wf):
    practitioner = wf.users["practitioner"]
    with scope(consortium=wf.home.pk):
        reminder_preferences_set(
            by=practitioner,
            consortium_id=wf.home.pk,
            off=["workforce.actions_due", "workforce.own_checks"],
        )
    send()
    body = emails_to("practitioner")[0].body
    assert "Your registration expires" in body  # essential
    assert "Read the risk policy" not in body
    assert "Read the risk policy" in emails_to("supervisor")[0].body


@pytest.mark.django_db
def test_people_who_left_or_lost_the_role_are_sent_nothing(wf):
    wf.users["admin"].is_active = False
    wf.users["admin"].save()
    RoleAssignment._base_manager.filter(user=wf.users["cvo_a"]).delete()
    send()
    assert emails_to("admin") == []
    assert emails_to("cvo_a") == []
    assert len(emails_to("lead")) == 1


@pytest.mark.django_db
def test_the_dashboard_shows_the_same_reminders(client, wf):
    client.force_login(wf.users["practitioner"])
    page = client.get("/").content.decode()
    assert "Your reminders" in page
    assert "Your registration expires 30 Mar 2026 (within 30 days)" in page


def overdue_payments(world, n):
    from sample import PaymentFactory

    for i in range(n):
        PaymentFactory(
            consortium=world.home,
            recipient=world.orgs["cvo_a"],
            description=f"Instalment {i}",
            due_date=DAY - timedelta(days=40 - i),
        )


@pytest.mark.django_db
def test_a_backlog_is_named_ten_at_a_time_with_one_line_for_the_rest(world, frozen):
    overdue_payments(world, 25)
    found = items(world, "cvo_a", "funding.payment_overdue")
    assert len(found) == 11
    named, more = found[:10], found[10]
    # The oldest first, by name; the rest as one line pointing to the list that holds them.
    assert [i.about for i in named] == [
        (DAY - timedelta(days=40 - i)).isoformat() for i in range(10)
    ]
    assert more.text == "And 15 more: payments to members overdue"
    assert more.url == "/funding/payments/?overdue=true"
    assert more.stands_for == 15 and more.urgency == reminders.LATE
    # The daily email says the same.
    send()
    body = emails_to("cvo_a")[0].body
    assert body.count("Overdue: ") == 10 and "And 15 more: payments to members overdue" in body


@pytest.mark.django_db
@pytest.mark.parametrize("n", [12, 40])
def test_the_dashboards_reminders_read_the_same_queries_whatever_the_backlog(
    client, world, frozen, django_assert_num_queries, n
):
    overdue_payments(world, n)
    lead = world.users["lead"]
    with scope(consortium=world.home.pk), django_assert_num_queries(QUERIES_FOR_LEAD):
        shown = reminders.items_for(lead, world.home.pk, DAY)
    assert sum(i.stands_for for i in shown) == n
    client.force_login(lead)
    page = client.get("/").content.decode()
    assert f"And {n - 10} more: payments to members overdue" in page


# The lead's reminders on the dashboard: the people's roles, the preferences and one query per
# kind (the count of a kind with more than ten rides beside its rows).
QUERIES_FOR_LEAD = 13


@pytest.mark.django_db
def test_a_person_chooses_their_reminder_emails_and_essential_ones_say_so(client, wf):
    user = wf.users["supervisor"]
    client.force_login(user)
    page = client.get("/account/reminders/").content.decode()
    assert "Supervision missed last month" in page
    response = client.post("/account/reminders/", {"send": ["workforce.actions_due"]})
    assert response.status_code == 302
    with scope(consortium=wf.home.pk):
        pref = user.reminder_preferences.get()
    assert pref.off == ["workforce.supervision_overdue"]
    assert pref.history.first().history_user == user
    client.force_login(wf.users["practitioner"])
    page = client.get("/account/reminders/").content.decode()
    assert "Always sent" in page
    assert "Your own registration, DBS check or police vetting expiring" in page


# --- two runs at once (PostgreSQL) ---------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="two processes at once need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(frozen):
    """Two send_reminders processes started at once on PostgreSQL: each a Django starting up
    (about 3 s)."""
    w = ConsortiumWorld.build()
    build_workforce(w)
    alice = w.extra["staff"]["a1"]
    alice.registration_expiry = DAY + timedelta(days=20)
    alice.save()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        + "/"
        + connection.settings_dict["NAME"],
        "CONCORD_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    command = [sys.executable, "manage.py", "send_reminders", "--as-of", DAY.isoformat()]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 0 for r in runs), outputs
    text = "".join(out.decode() for out, _ in outputs)
    recipients = [line for line in text.splitlines() if line.startswith("To: ")]
    assert len(recipients) == len(set(recipients)) > 0
    with scope(consortium=w.home.pk):
        sent = ReminderSent.objects.filter(kind="workforce.own_checks")
        assert sent.count() == 1
    assert Role.PRACTITIONER  # the practitioner is among those reminded
    assert "To: practitioner@example.org" in recipients


@pytest.mark.django_db
def test_the_dashboard_names_the_staff_checks_the_digest_names_and_counts_the_rest(wf, monkeypatch):
    """A person's dashboard makes only the reminders it names; they are the digest's, and the
    "and N more" line counts the same rest."""
    monkeypatch.setattr(reminders, "PER_KIND", 1)
    daily = items(wf, "lead", "workforce.staff_checks")
    assert len(daily) == 2 and daily[1].stands_for >= 1, daily
    with scope(consortium=wf.home.pk):
        shown = [
            i
            for i in reminders.items_for(wf.users["lead"], wf.home.pk, DAY)
            if i.kind == "workforce.staff_checks"
        ]
    assert [(i.text, i.stands_for, i.urgency) for i in shown] == [
        (i.text, i.stands_for, i.urgency) for i in daily
    ]


@pytest.mark.django_db
def test_the_leads_dashboard_reads_the_staff_checks_once_for_its_panel_and_reminders(client, wf):
    from django.test.utils import CaptureQueriesContext

    client.force_login(wf.users["lead"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    assert "Registrations, checks and accreditation" in page
    near = [q["sql"] for q in queries if '"registration_expiry" IS NULL' in q["sql"]]
    assert len(near) == 1, near
