"""The tamper-evident audit chain: every business event is sealed into its consortium's chain,
`verify_audit` walks it, and an edit made directly in the database is found."""

import datetime
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from consortium import audit, chain
from consortium.models import AuditEntry, Event, SecurityEvent


def run_verify():
    """verify_audit's exit status and its messages."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def record_three(world, lead):
    site = world.sites["home"]
    return [site.record(f"site checked {i}", by=lead, details={"n": i}) for i in range(3)]


def disable_trigger(table):
    """Lift the append-only trigger on `table` for the rest of this test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks count as pending trigger events; settle them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            cursor.execute(f"DROP TRIGGER {table}_no_update")
            cursor.execute(f"DROP TRIGGER {table}_no_delete")


@pytest.mark.django_db
def test_every_recorded_event_is_sealed_as_the_next_link_of_its_consortiums_chain(world, lead):
    first, second, third = record_three(world, lead)
    links = list(AuditEntry.objects.filter(consortium=world.home).order_by("seq"))
    assert [link.event_id for link in links[-3:]] == [first.pk, second.pk, third.pk]
    assert links[-1].prev_hash == links[-2].hash
    assert links[0].prev_hash == chain.GENESIS
    assert [link.seq for link in links] == list(range(1, len(links) + 1))


@pytest.mark.django_db
def test_verify_audit_passes_on_an_untouched_chain(world, lead):
    record_three(world, lead)
    code, output = run_verify()
    assert code == 0
    assert "Audit chain intact" in output


@pytest.mark.django_db
def test_verify_audit_reports_the_first_broken_link_after_a_direct_edit(world, lead):
    _first, second, _third = record_three(world, lead)
    disable_trigger("consortium_event")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE consortium_event SET reason = %s WHERE id = %s", ["rewritten", second.pk]
        )
    code, output = run_verify()
    assert code == 1
    link = AuditEntry.objects.get(event=second)
    assert f"link {link.seq} (event {second.pk})" in output
    assert "changed after it was sealed" in output


@pytest.mark.django_db
def test_verify_audit_finds_a_chain_recomputed_without_the_key(world, lead, settings):
    _first, second, _third = record_three(world, lead)
    link = AuditEntry.objects.get(event=second)
    # Somebody rewrites the event and recomputes its hash, but has no audit key.
    disable_trigger("consortium_event")
    disable_trigger("consortium_auditentry")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE consortium_event SET verb = %s WHERE id = %s", ["x", second.pk])
    second = Event.objects.get(pk=second.pk)
    settings.CONCORD_AUDIT_KEY = "a-guessed-key-that-is-long-enough-0000"
    digest, mac = chain.seal(chain.canonical(second, seq=link.seq, prev_hash=link.prev_hash))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE consortium_auditentry SET hash = %s, mac = %s WHERE id = %s",
            [digest, mac, link.pk],
        )
    settings.CONCORD_AUDIT_KEY = "development-only-audit-key-never-use-in-production"
    code, output = run_verify()
    assert code == 1
    assert f"link {link.seq}" in output


@pytest.mark.django_db
def test_verify_audit_finds_an_event_slipped_in_without_a_link(world, lead):
    record_three(world, lead)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consortium_event (consortium_id, at, verb, reason, object_model, "
            "object_id, object_repr, details) VALUES (%s, %s, 'forged', '', 'x', '1', 'x', '{}')",
            [world.home.pk, datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)],
        )
    code, output = run_verify()
    assert code == 1
    assert "not in the chain" in output


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["consortium_event", "consortium_auditentry"])
def test_the_database_refuses_to_update_or_delete_a_sealed_row(world, lead, table):
    record_three(world, lead)
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has no TRUNCATE")
@pytest.mark.django_db
@pytest.mark.parametrize("table", chain.APPEND_ONLY_TABLES)
def test_the_database_refuses_to_truncate_an_append_only_table(world, lead, table):
    record_three(world, lead)
    SecurityEvent.objects.create(kind=SecurityEvent.Kind.SIGNED_IN, user=lead)
    with connection.cursor() as cursor:
        # Deferred foreign-key checks count as pending trigger events; settle them first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # CASCADE, so that only the trigger (and no foreign key) stands in the way.
    with pytest.raises(DatabaseError, match="is append-only: TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] > 0


@pytest.mark.django_db
def test_the_security_log_refuses_update_and_delete_in_the_database_and_the_model(world, lead):
    entry = SecurityEvent.objects.create(kind=SecurityEvent.Kind.SIGNED_IN, user=lead)
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    for sql in ("UPDATE consortium_securityevent SET detail = 'x'",):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        SecurityEvent.objects.all().delete()


@pytest.mark.django_db
def test_the_daily_head_is_the_last_link_sealed_by_the_end_of_that_day(world, lead):
    site = world.sites["home"]
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC), tick=False):
        site.record("early", by=lead)
        morning = site.record("late", by=lead)
    with time_machine.travel(datetime.datetime(2026, 3, 3, 10, tzinfo=datetime.UTC), tick=False):
        site.record("next day", by=lead)
    head = audit.daily_head(world.home.pk, datetime.date(2026, 3, 2))
    assert head.hash == AuditEntry.objects.get(event=morning).hash
    assert audit.daily_head(world.home.pk, datetime.date(2020, 1, 1)) is None
    both = audit.daily_heads(world.home.pk, [datetime.date(2026, 3, 2), datetime.date(2020, 1, 1)])
    assert both[datetime.date(2026, 3, 2)] == head
    assert both[datetime.date(2020, 1, 1)] is None


def seqs_of(world):
    return list(AuditEntry.objects.filter(consortium=world.home).values_list("seq", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_events_at_once_do_not_fork_the_chain():
    from sample import ConsortiumWorld

    with scopes_disabled():
        world = ConsortiumWorld.build()
    lead = world.users["lead"]
    errors = []

    def write(n):
        from django.db import connections

        try:
            with scopes_disabled():
                for i in range(5):
                    world.sites["home"].record(f"writer {n} event {i}", by=lead)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # PostgreSQL makes the second writer wait on the head row's lock. SQLite's in-memory test
    # database uses shared-cache table locks, which refuse it outright: nothing of it is
    # written, and the chain still has no gap and no fork.
    if connection.vendor == "postgresql":
        assert errors == []
    else:
        assert all(isinstance(e, DatabaseError) for e in errors)
    with scopes_disabled():
        assert Event.objects.filter(consortium=world.home).count() == len(seqs_of(world))
        seqs = list(
            AuditEntry.objects.filter(consortium=world.home)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        assert seqs == list(range(1, len(seqs) + 1))
        broken, _ = audit.verify()
    assert broken is None


@pytest.mark.django_db
def test_the_commissioners_dashboard_shows_todays_chain_head(client, world, lead, commissioner):
    from django.urls import reverse

    world.sites["home"].record("site checked", by=lead)
    head = audit.daily_head(world.home.pk)
    client.force_login(commissioner)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Audit chain head" in page
    assert f"link {head.seq}, {head.hash}" in page
