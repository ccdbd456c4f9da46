"""Stored supervision compliance (supervision.compliance_store): after any series of changes
it is exactly what supervision.compliance works out from scratch, month by month, and the
pages that read it cost the same number of queries whatever the number of practitioners."""

import datetime as dt
import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consortium.dates import add_months, month_range, month_start
from sample import build_workforce, requirements_for, session, staff
from supervision import compliance, compliance_store, selectors, services
from supervision.models import (
    ComplianceMonth,
    LeavePeriod,
    SessionKind,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)

KINDS = [SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER, SessionKind.LINE]
LABELS = dict(SessionKind.choices)


def frozen(time_machine, day):
    time_machine.move_to(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), tick=False)


# --- from scratch ---------------------------------------------------------------------------


def from_scratch(consortium):
    """{(staff id, month): row fields} for every stored month, worked out by
    supervision.compliance from everything in the database (as the matrix used to)."""
    today = timezone.localdate()
    current = month_start(today)
    first = add_months(current, -compliance_store.HISTORY_MONTHS)
    staff_qs = StaffMember.objects.filter(consortium=consortium)
    people = compliance_store.practitioners(staff_qs)
    held = compliance_store.held_sessions(staff_qs, date(2000, 1, 1), today)
    months = month_range(first, current)
    out = {}
    for p in people:
        periods = compliance.practitioner_periods(p, held.get(p.id, {}), today, first, current)
        cells = compliance.month_cells(periods, months)
        for m in months:
            in_month = list(cells[m].values())
            if not in_month:
                continue
            detail = [
                f"{compliance.LABELS[x.status]}: {LABELS[x.kind]}"
                for x in sorted(in_month, key=lambda x: x.kind)
                if x.status in (compliance.MISSED, compliance.NOT_YET_DUE)
            ]
            reason = next((x.reason for x in in_month if x.status == compliance.NOT_EXPECTED), "")
            ended = [x for x in in_month if x.last == m]
            missed = [x.kind for x in ended if x.status == compliance.MISSED]
            due = [x.kind for x in in_month if x.status == compliance.NOT_YET_DUE]
            out[(p.id, m)] = {
                "status": compliance.overall(in_month),
                "detail": "; ".join(detail) or reason,
                "met": sum(1 for x in ended if x.status == compliance.MET),
                "missed": len(missed),
                "missed_kinds": ",".join(missed),
                "owed": len(due),
                "due_kinds": ",".join(due),
            }
    return out


def stored(consortium):
    fields = compliance_store.ROW_FIELDS
    return {
        (r["staff_id"], r["month"]): {f: r[f] for f in fields}
        for r in ComplianceMonth.objects.filter(consortium=consortium).values(
            "staff_id", "month", *fields
        )
    }


def assert_matches(wf):
    home = wf.home
    compliance_store.ensure_current(home.pk)
    expected, actual = from_scratch(home), stored(home)
    assert expected, "the series left nothing to compare"
    # Every cell, and no cell more: compare the differences for a readable failure.
    missing = {k: v for k, v in expected.items() if actual.get(k) != v}
    extra = {k: v for k, v in actual.items() if k not in expected}
    assert missing == {} and extra == {}
    # And what the pages read, against the rates worked out from the sessions.
    today = timezone.localdate()
    for staff_qs in (
        StaffMember.objects.filter(consortium=home),
        StaffMember.objects.filter(consortium=home, organisation=wf.orgs["cvo_a"]),
    ):
        for day in (today, today - timedelta(days=40), today - timedelta(days=200)):
            read = selectors.compliance_summary(staff_qs, home.pk, day)
            worked = selectors.worked_out_summary(staff_qs, day)
            assert read.rates.by_practitioner == worked.rates.by_practitioner
            assert read.rates.by_organisation == worked.rates.by_organisation
            assert read.rates.overall == worked.rates.overall
            assert read.monthly == worked.monthly
            assert read.active_ids == worked.active_ids
            assert read.current_ids == worked.current_ids
            if day == today:
                assert read.rates.owed == worked.rates.owed
            # The dashboard's sums by the database: the same figures.
            rolled, expected_rollup = (
                selectors.compliance_rollup(staff_qs, home.pk, day),
                compliance_store.rollup_of(worked),
            )
            assert rolled.overall == expected_rollup.overall
            assert rolled.low == expected_rollup.low

            def owing(by_org):
                return {o: t for o, t in by_org.items() if any(x.due for x in t.values())}

            assert owing(rolled.by_organisation) == owing(expected_rollup.by_organisation)
        assert selectors.supervision_owed(staff_qs, today, home.pk) == selectors.worked_out_owed(
            staff_qs, today
        )


# --- a random series of changes -------------------------------------------------------------


class Series:
    """Changes made the way people make them: sessions logged through the service (and
    cancelled, moved or corrected as the admin does), leave and requirements through the
    services, employment dates and posts through the staff form's service."""

    def __init__(self, wf, rng):
        self.wf, self.rng = wf, rng
        self.lead, self.sup = wf.users["lead"], wf.users["supervisor"]
        self.log = []

    def people(self):
        return list(
            StaffMember.objects.filter(consortium=self.wf.home, clinical_supervisor=self.sup)
        )

    def day_between(self, first, last):
        if first > last:
            return None
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def in_post_day(self, person):
        today = timezone.localdate()
        return self.day_between(
            max(person.start, today - timedelta(days=700)), min(person.end or today, today)
        )

    def sessions(self):
        return list(SupervisionSession.objects.filter(consortium=self.wf.home).order_by("pk"))

    def add_session(self):
        people = self.people()
        person = self.rng.choice(people)
        day = self.in_post_day(person)
        if day is None:
            return
        kind = self.rng.choice(KINDS[:3])
        attendees = [person]
        if kind != SessionKind.ONE_TO_ONE:
            attendees += [
                p
                for p in people
                if p != person and p.start <= day and (p.end is None or p.end >= day)
            ][: self.rng.randint(0, 3)]
        cancelled = self.rng.random() < 0.15
        services.session_record(
            by=self.sup,
            kind=kind,
            date=day,
            attendees=attendees,
            status="cancelled" if cancelled else "held",
            status_reason="Court overran" if cancelled else "",
        )
        return f"session {kind} {day} {[p.pk for p in attendees]}"

    def cancel_session(self):
        s = self.rng.choice(self.sessions())
        s.status, s.status_reason = SupervisionSession.Status.CANCELLED, "Supervisor ill"
        s.save_as(by=self.sup, reason="Cancelled")
        return f"cancel {s.pk}"

    def move_session(self):
        s = self.rng.choice(self.sessions())
        s.date = timezone.localdate() - timedelta(days=self.rng.randint(0, 500))
        s.save_as(by=self.sup, reason="Date corrected")
        return f"move {s.pk} to {s.date}"

    def change_attendance(self):
        s = self.rng.choice(self.sessions())
        present = list(s.attendees.all())
        if len(present) > 1 and self.rng.random() < 0.5:
            s.attendees.remove(self.rng.choice(present))
            return f"attendee removed from {s.pk}"
        others = [p for p in self.people() if p not in present]
        if others:
            s.attendees.add(self.rng.choice(others))
            return f"attendee added to {s.pk}"

    def delete_session(self):
        s = self.rng.choice(self.sessions())
        s.delete()
        return f"delete session {s.pk}"

    def add_leave(self):
        person = self.rng.choice(self.people())
        start = self.day_between(timezone.localdate() - timedelta(days=600), timezone.localdate())
        end = start + timedelta(days=self.rng.randint(3, 70))
        services.leave_add(by=self.lead, staff=person, start=start, end=end, reason="Leave")
        return f"leave {person.pk} {start}..{end}"

    def remove_leave(self):
        leave = list(LeavePeriod.objects.filter(staff__consortium=self.wf.home).order_by("pk"))
        if leave:
            chosen = self.rng.choice(leave)
            chosen.delete()
            return f"leave removed {chosen.pk}"

    def change_employment(self):
        person = self.rng.choice(self.people())
        today = timezone.localdate()
        if self.rng.random() < 0.5:
            person.start = self.day_between(today - timedelta(days=800), today + timedelta(days=20))
            if person.end and person.end < person.start:
                person.end = None
        else:
            person.end = (
                None
                if self.rng.random() < 0.3
                else self.day_between(person.start, today + timedelta(days=60))
            )
        services.staff_save(by=self.lead, staff=person)
        return f"employment {person.pk} {person.start}..{person.end}"

    def change_requirement(self):
        person = self.rng.choice(self.people())
        kind = self.rng.choice(KINDS)
        requirement = SupervisionRequirement.objects.filter(staff=person, kind=kind).first()
        requirement = requirement or SupervisionRequirement(staff=person, kind=kind)
        requirement.interval_months = self.rng.choice([1, 1, 2, 3])
        services.requirement_save(by=self.lead, requirement=requirement)
        return f"requirement {person.pk} {kind} every {requirement.interval_months}"

    def change_post_requirement(self):
        requirement = self.rng.choice(
            list(SupervisionRequirement.objects.filter(post__consortium=self.wf.home))
        )
        requirement.interval_months = self.rng.choice([1, 2, 3])
        services.requirement_save(by=self.lead, requirement=requirement)
        return f"post requirement {requirement.pk} every {requirement.interval_months}"

    def remove_requirement(self):
        own = list(SupervisionRequirement.objects.filter(staff__consortium=self.wf.home))
        if own:
            chosen = self.rng.choice(own)
            chosen.delete()
            return f"requirement removed {chosen.pk}"

    def change_post(self):
        person = self.rng.choice(self.people())
        vacant = self.wf.extra["posts"]["a_vacant"]
        if person.organisation_id != vacant.organisation_id:
            return
        person.post = None if person.post_id == vacant.pk else vacant
        services.staff_save(by=self.lead, staff=person)
        return f"post {person.pk} {person.post_id}"

    def run(self, n):
        moves = [
            (self.add_session, 6),
            (self.cancel_session, 2),
            (self.move_session, 2),
            (self.change_attendance, 2),
            (self.delete_session, 1),
            (self.add_leave, 2),
            (self.remove_leave, 1),
            (self.change_employment, 2),
            (self.change_requirement, 2),
            (self.change_post_requirement, 1),
            (self.remove_requirement, 1),
            (self.change_post, 1),
        ]
        actions, weights = zip(*moves, strict=True)
        for _ in range(n):
            action = self.rng.choices(actions, weights)[0]
            try:
                self.log.append(action())
            except ValidationError as e:  # refused as it would be on the page: no change
                self.log.append(f"refused {action.__name__}: {e.messages[0][:40]}")


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [13, 2026])
def test_stored_compliance_matches_the_arithmetic_after_random_changes(world, time_machine, seed):
    """Stored compliance equals the from-scratch arithmetic after fifty-odd random changes
    through the services and a month's turn (about 2 s a seed)."""
    frozen(time_machine, date(2026, 6, 10))
    wf = build_workforce(world)
    sup = wf.users["supervisor"]
    rng = random.Random(seed)
    # People who joined mid-month, left, or are supervised every two or three months.
    for i, (start, interval) in enumerate(
        [(date(2024, 9, 20), 1), (date(2025, 3, 3), 2), (date(2025, 11, 17), 3)]
    ):
        person = staff(
            wf.home, wf.orgs["cvo_a"], f"Random{i}", f"Person{i}", None, sup, start=start
        )
        requirements_for(staff=person, interval_months=interval)
    assert_matches(wf)
    series = Series(wf, rng)
    series.run(45)
    assert_matches(wf)
    # Time passes into the next month: June's months that were not yet due are settled by
    # the first read, and a few more changes follow.
    frozen(time_machine, date(2026, 7, 2))
    assert_matches(wf)
    series.run(8)
    assert_matches(wf)
    assert len([x for x in series.log if x and not x.startswith("refused")]) >= 30, series.log


@pytest.mark.django_db
def test_a_month_not_yet_due_becomes_missed_when_the_month_is_over(world, time_machine):
    frozen(time_machine, date(2026, 6, 10))
    wf = build_workforce(world)
    a2 = wf.extra["staff"]["a2"]
    compliance_store.ensure_current(wf.home.pk)
    june = ComplianceMonth.objects.get(staff=a2, month=date(2026, 6, 1))
    assert june.status == compliance.NOT_YET_DUE and june.owed == 2  # 1:1 and peer
    frozen(time_machine, date(2026, 7, 1))
    staff_qs = StaffMember.objects.filter(pk=a2.pk)
    summary = selectors.compliance_summary(staff_qs, wf.home.pk)
    june = ComplianceMonth.objects.get(staff=a2, month=date(2026, 6, 1))
    assert june.status == compliance.MISSED and june.missed_kinds == "one_to_one,peer"
    assert summary.rates.by_practitioner[a2.pk][3].missed >= 2


@pytest.mark.django_db
def test_the_command_and_the_demo_paths_fill_the_store(world):
    from django.core.management import call_command

    wf = build_workforce(world)
    ComplianceMonth.objects.all().delete()
    call_command("refresh_compliance", "--all", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored(wf.home) == from_scratch(wf.home)


@pytest.mark.django_db
def test_the_command_queues_a_task_a_consortium_that_fills_the_store(world):
    from io import StringIO

    from django.core.management import call_command

    wf = build_workforce(world)
    ComplianceMonth.objects.all().delete()
    out = StringIO()
    call_command("refresh_compliance", "--all", "--in-background", stdout=out)
    assert "supervision compliance queued for the task workers" in out.getvalue()
    assert stored(wf.home) == from_scratch(wf.home)


@pytest.mark.django_db
def test_changes_in_a_deferred_block_are_worked_out_once_when_it_ends(world, time_machine):
    frozen(time_machine, date(2026, 6, 10))
    wf = build_workforce(world)
    assert_matches(wf)
    sup = wf.users["supervisor"]
    a2 = wf.extra["staff"]["a2"]
    before = stored(wf.home)
    with compliance_store.deferred():
        for day in (date(2026, 5, 12), date(2026, 6, 3)):
            services.session_record(
                by=sup,
                kind=SessionKind.ONE_TO_ONE,
                date=day,
                attendees=[a2],
            )
        with compliance_store.deferred():  # an inner block joins the outer one
            services.leave_add(
                by=wf.users["lead"],
                staff=a2,
                start=date(2026, 4, 1),
                end=date(2026, 4, 30),
                reason="Leave",
            )
        assert stored(wf.home) == before  # nothing worked out yet
    assert stored(wf.home) != before
    assert_matches(wf)


@pytest.mark.django_db
def test_a_deferred_block_left_by_an_error_works_nothing_out(world, monkeypatch):
    wf = build_workforce(world)
    calls = []
    monkeypatch.setattr(compliance_store, "_refresh_chunk", lambda *a: calls.append(a))
    with pytest.raises(RuntimeError), compliance_store.deferred():
        compliance_store.refresh_compliance([wf.extra["staff"]["a2"].pk])
        raise RuntimeError("the block fails")
    assert calls == []
    compliance_store.refresh_compliance([wf.extra["staff"]["a2"].pk])
    assert len(calls) == 1  # outside a block, worked out at once


@pytest.mark.django_db(transaction=True)
def test_a_deferred_block_left_by_an_error_outside_a_transaction_works_out_what_it_wrote(
    world, monkeypatch
):
    wf = build_workforce(world)
    calls = []
    monkeypatch.setattr(compliance_store, "_refresh_chunk", lambda *a: calls.append(a))
    with pytest.raises(RuntimeError), compliance_store.deferred():
        compliance_store.refresh_compliance([wf.extra["staff"]["a2"].pk])
        raise RuntimeError("the block fails after writing")
    assert len(calls) == 1  # the session written before the error is kept: worked out


# --- queries --------------------------------------------------------------------------------


def practitioners_with_sessions(wf, n, start=0):
    sup = wf.users["supervisor"]
    for i in range(start, start + n):
        person = staff(wf.home, wf.orgs["cvo_a"], f"Extra{i}", f"Person{i}", None, sup)
        requirements_for(staff=person)
        session(wf.home, sup, [person], days_ago=5 + i)
        session(wf.home, sup, [person], kind=SessionKind.GROUP, days_ago=40 + i)


def count_queries(client, user, url, **params):
    client.force_login(user)
    client.get(url, params)  # the first read of a month may settle it
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return ctx.captured_queries


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,url_name,params",
    [
        ("lead", "supervision:compliance", {}),
        ("lead", "supervision:compliance", {"export": "xlsx"}),
        ("supervisor", "supervision:compliance", {}),
        ("commissioner", "supervision:compliance", {}),
        ("supervisor", "dashboard", {}),
        ("lead", "dashboard", {}),
    ],
)
def test_compliance_pages_cost_the_same_for_2_and_8_practitioners(
    client, world, role, url_name, params
):
    """The page's queries counted with two practitioners and again with eight, each with the
    workforce and sessions built through the services (2–3 s for the dashboard)."""
    wf = build_workforce(world)
    practitioners_with_sessions(wf, 2)
    two = count_queries(client, wf.users[role], reverse(url_name), **params)
    practitioners_with_sessions(wf, 6, start=2)
    eight = count_queries(client, wf.users[role], reverse(url_name), **params)
    assert len(eight) == len(two), [q["sql"][:120] for q in eight]


@pytest.mark.django_db
def test_the_matrix_reads_no_session_to_show_compliance(client, world):
    """No change stamp scans the sessions on each request: the matrix reads stored months."""
    wf = build_workforce(world)
    practitioners_with_sessions(wf, 3)
    queries = count_queries(client, wf.users["lead"], reverse("supervision:compliance"))
    assert not [q for q in queries if "supervision_supervisionsession" in q["sql"]]
    assert len(queries) <= 14


@pytest.mark.django_db
def test_the_dashboard_works_out_compliance_once_for_its_panel_and_its_suggestions(
    client, world, monkeypatch
):
    wf = build_workforce(world)
    practitioners_with_sessions(wf, 3)
    calls = []
    original = compliance_store.rollup
    monkeypatch.setattr(
        compliance_store, "rollup", lambda *a, **k: calls.append(a) or original(*a, **k)
    )
    client.force_login(wf.users["lead"])
    page = client.get("/").content.decode()
    assert "Supervision below" in page
    assert len(calls) == 1
    client.get("/")
    assert len(calls) == 2  # once per request: the next request reads afresh
    # Outside a request nothing is kept.
    staff_qs = StaffMember.objects.filter(consortium=wf.home)
    selectors.compliance_rollup(staff_qs, wf.home.pk)
    selectors.compliance_rollup(staff_qs, wf.home.pk)
    assert len(calls) == 4
