"""Shared worlds: what the test database holds, committed, between tests.

Most tests read a standard world (`ConsortiumWorld`, perhaps with money, returns or the
workforce on top) or the demo, and run inside a transaction that is rolled back at the end.
Building those for every test was most of the suite's time, so each worker process builds each
world once, takes a snapshot of the database as it then stood, and puts the snapshot back
whenever a test needs that world and the database holds something else: after tests that read
another world, and after a test that committed (a browser journey, two connections racing),
which Django empties table by table.

A test names the world it reads by the fixture it asks for: `world`, one of the fixtures
registered with `shared()` (`money_world`, `rw`, `wf`, `packs_world`, `everything`, …), or
`demo_db`. It gets its own copy of the world's Python objects, so nothing a test changes in
them or in the database reaches the next test. A test that asks for none of them sees an empty
database, as before. A test that commits (`transaction=True`, `live_server`) builds its own
data on an empty database, or on the demo when it asks for `demo_db`.
"""

import copy
import functools
import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import override_settings
from django_scopes import scopes_disabled

import sample as f

# The demo's password while it sits in a snapshot; a test that signs in as a demo user seeds
# again with its own password, which only resets the passwords.
DEMO_PASSWORD = "concord-demo-snapshot"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences"}


def _demo(world):
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=StringIO())
    return world


LAYERS = {
    "money": f.build_money,
    "returns": f.build_returns,
    "workforce": f.build_workforce,
    "pbr": f.build_pbr,
    "risks": f.build_risks,
    "packs": f.build_packs,
}

# Every domain's layer, in the order the standard world builds them.
EVERY_DOMAIN = ("money", "workforce", "returns", "pbr", "risks", "packs")

# fixture name -> the layers built on top of the persona world, in order. "demo_db" is the
# demo consortium alone (no persona world).
SHARED = {"world": ()}
DEMO = "demo_db"


def shared(name, *layers):
    """Register the fixture `name` as a world built from the persona world and `layers` (names
    in LAYERS, or functions of the world for a module's own additions). Returns the layers."""
    if SHARED.get(name, layers) != layers:
        raise ValueError(f"the shared world {name!r} is already registered with other layers")
    SHARED[name] = layers
    return layers


def shared_world(name, *layers, doc):
    """A fixture `name` giving the persona world with `layers` built on top, built once per
    worker like `world` itself."""
    shared(name, *layers)

    def fixture(request, world):
        if is_transactional(request):
            raise pytest.UsageError(f"{name} is shared; a test that commits builds its own data")
        return world

    fixture.__doc__ = doc
    return pytest.fixture(name=name)(fixture)


def is_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool(TRANSACTIONAL_FIXTURES & set(request.fixturenames))


def wanted(fixturenames, transactional):
    """The world a test reads: the registered fixture it asks for with the most layers (they
    must build on one another), DEMO, or None for an empty database."""
    names = [n for n in fixturenames if n in SHARED or n == DEMO]
    if DEMO in names:
        if len(names) > 1:
            raise ValueError(f"a test reads the demo or a standard world, not both: {names}")
        return DEMO
    if transactional or not names:
        return None
    names.sort(key=lambda n: len(SHARED[n]))
    widest = names[-1]
    for n in names:
        if SHARED[widest][: len(SHARED[n])] != SHARED[n]:
            raise ValueError(f"{n} and {widest} are different worlds; a test reads one")
    return widest


def rank(name):
    """Order of worlds when the suite is sorted so that each is put in place as few times as
    possible: empty first, then in registration order, the demo last."""
    if name is None:
        return 0
    if name == DEMO:
        return len(SHARED) + 1
    return list(SHARED).index(name) + 1


class SQLiteSnapshot:
    """The whole database copied page by page with SQLite's backup API (schema included)."""

    def __init__(self):
        connection.ensure_connection()
        self.copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(self.copy)

    def restore(self):
        connection.ensure_connection()
        self.copy.backup(connection.connection)


class PostgreSQLSnapshot:
    """Every table's rows in PostgreSQL's binary COPY format. Restoring empties the tables and
    copies the rows back in one transaction; identity sequences only move forward, so rows
    made after a restore never take a restored row's key."""

    def __init__(self):
        self.tables = [
            t for t in connection.introspection.table_names() if t != "django_migrations"
        ]
        self.rows = {}
        with connection.cursor() as cursor:
            for table in self.tables:
                sql = f"COPY {connection.ops.quote_name(table)} TO STDOUT (FORMAT BINARY)"
                with cursor.cursor.copy(sql) as copy_out:
                    self.rows[table] = b"".join(bytes(block) for block in copy_out)

    def restore(self):
        from consortium import chain

        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            if _superuser():
                # Row by row with triggers off (the append-only ones and the foreign keys'):
                # a tenth of the time TRUNCATE takes to replace some 200 tables' files.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("; ".join(f"DELETE FROM {quote(t)}" for t in self.tables))
            else:
                # The append-only tables refuse TRUNCATE: their triggers are lifted for it and
                # put back, all in this transaction.
                chain.set_triggers(install=False)
                cursor.execute("TRUNCATE " + ", ".join(quote(t) for t in self.tables))
                chain.set_triggers(install=True)
            for table, rows in self.rows.items():
                with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT BINARY)") as c:
                    c.write(rows)


@functools.cache
def _superuser():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return cursor.fetchone()[0]


def snapshot():
    return SQLiteSnapshot() if connection.vendor == "sqlite" else PostgreSQLSnapshot()


class Keeper:
    """Knows which world the database holds and puts the one a test needs in place."""

    EMPTY = None

    def __init__(self):
        self.holds = "unknown"
        self.snapshots = {}
        self.worlds = {}

    def ensure(self, name):
        if self.holds == name:
            return
        if name in self.snapshots:
            self._restore(name)
        else:
            self._build(name)
        self.holds = name

    def forget(self):
        """The last test committed: Django has emptied the tables its own way."""
        self.holds = "unknown"

    def world(self):
        """A copy of the world the database holds, for one test to use and change."""
        return copy.deepcopy(self.worlds[self.holds])

    def _restore(self, name):
        from django.contrib.contenttypes.models import ContentType

        self.snapshots[name].restore()
        ContentType.objects.clear_cache()

    def _build(self, name):
        from consortium import chain

        if self.EMPTY not in self.snapshots:
            # The first time on this worker: empty whatever a kept database (--reuse-db) held.
            chain.set_triggers(install=False)
            call_command(
                "flush", verbosity=0, interactive=False, reset_sequences=False, allow_cascade=False
            )
            chain.set_triggers(install=True)
            self.snapshots[self.EMPTY] = snapshot()
            self.worlds[self.EMPTY] = None
        else:
            self._restore(self.EMPTY)
        if name is not self.EMPTY:
            with scopes_disabled(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                with transaction.atomic():
                    self.worlds[name] = build(name)
            self.snapshots[name] = snapshot()


def build(name):
    if name == DEMO:
        return _demo(None)
    world = f.ConsortiumWorld.build()
    for layer in SHARED[name]:
        (LAYERS[layer] if isinstance(layer, str) else layer)(world)
    return world


keeper = Keeper()
