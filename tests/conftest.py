"""Shared fixtures: two consortia, named personas and a scope-free database for set-up.

Personas live in consortium "home" unless noted: lead, admin, cvo_a (CVO manager of CVO A),
cvo_b (CVO manager of CVO B), supervisor, commissioner; outsider holds the lead role in
another consortium ("away"), whose data must never appear for anyone at home.
"""

import pytest
from django.http import HttpRequest
from django.test import Client
from django_scopes import scopes_disabled

from sample import ConsortiumWorld
from tests import worlds
from tests.worlds import shared_world


def pytest_configure(config):
    # --reuse-db keeps each worker's test database between runs; SQLite's is in memory unless it
    # is given a file.
    from django.conf import settings

    # Tasks run at once, inside the request that enqueues them; one test starts a real worker
    # (tests/test_downloads_worker.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    database = settings.DATABASES["default"]
    if config.getvalue("reuse_db") and database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(settings.DATA_DIR / "test_concord")


SLOW = 2.0  # seconds: a test that takes longer says why in its docstring


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    report.user_properties.append(("says_why", bool(doc and doc.strip())))
    return report


def pytest_terminal_summary(terminalreporter):
    """Name the tests over SLOW seconds whose docstring does not say why they take so long."""
    unexplained = sorted(
        (
            (report.duration, report.nodeid)
            for report in terminalreporter.stats.get("passed", [])
            if report.when == "call"
            and report.duration > SLOW
            and not dict(report.user_properties).get("says_why")
        ),
        reverse=True,
    )
    if unexplained:
        terminalreporter.section(f"tests over {SLOW:g} s that do not say why in a docstring")
        for duration, nodeid in unexplained:
            terminalreporter.write_line(f"{duration:6.2f}s {nodeid}")


@pytest.fixture(autouse=True)
def _scopes_off_for_setup():
    # Test set-up writes across consortia; requests through the test client are fenced again
    # by the middleware's own scope.
    with scopes_disabled():
        yield


@pytest.fixture
def _committed_base(request, django_db_setup, django_db_blocker):
    """Put in place, committed, the shared world the test reads (tests.worlds) before the
    test's own transaction opens."""
    from django.core.cache import cache

    transactional = worlds.is_transactional(request)
    with django_db_blocker.unblock():
        worlds.keeper.ensure(worlds.wanted(request.fixturenames, transactional))
    cache.clear()  # charts and summaries are cached; each test starts cold
    yield
    if transactional:
        worlds.keeper.forget()


@pytest.fixture
def _django_db_helper(_committed_base, _append_only_triggers_put_back, _django_db_helper):
    # pytest-django's own helper (the test's transaction, or emptying the tables after a test
    # that commits), opened once the shared world is in place.
    yield


@pytest.fixture(autouse=True)
def _append_only_tables(request):
    """The append-only triggers stay in force in every test. A test that commits (the browser
    journeys) ends with Django emptying each table — with DELETE on SQLite and TRUNCATE on
    PostgreSQL, both of which the triggers refuse — so they are lifted just for that and put
    back as soon as the tables are empty."""
    from django.db import connection

    marker = request.node.get_closest_marker("django_db")
    transactional = worlds.is_transactional(request)
    if not (transactional or marker or "db" in request.fixturenames):
        yield
        return
    from consortium import chain

    request.getfixturevalue("transactional_db" if transactional else "db")
    if connection.vendor == "sqlite":
        chain.set_triggers(install=True)
    yield
    if transactional:
        chain.set_triggers(install=False)


@pytest.fixture
def _append_only_triggers_put_back(request, django_db_blocker):
    """Set up before pytest-django's helper, so torn down after it has emptied the tables of a
    test that commits: the append-only triggers _append_only_tables lifted go back on."""
    yield
    if worlds.is_transactional(request):
        from django.db import connection

        from consortium import chain

        with django_db_blocker.unblock():
            chain.set_triggers(install=True)
        # Django closed the connections after the test; leave them as it did.
        connection.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = worlds.FAST_HASHERS


def pytest_collection_modifyitems(items):
    # Tests that read the same shared world run together, so each worker puts it in place as
    # few times as possible (pytest-django then moves the tests that commit to the end, and
    # pytest-randomly's shuffle stays within each group).
    def world_rank(item):
        names = getattr(item, "fixturenames", ())
        transactional = bool(worlds.TRANSACTIONAL_FIXTURES & set(names))
        marker = item.get_closest_marker("django_db")
        transactional = transactional or bool(marker and marker.kwargs.get("transaction"))
        return worlds.rank(worlds.wanted(names, transactional))

    items.sort(key=world_rank)


@pytest.fixture
def world(request, db):
    """The persona world. A test that commits builds its own; every other test gets its own
    copy of the one built once per worker (tests.worlds)."""
    if worlds.is_transactional(request):
        return ConsortiumWorld.build()
    return worlds.keeper.world()


money_world = shared_world("money_world", "money", doc="The world with build_money.")
returns_world = shared_world(
    "returns_world", "money", "returns", doc="The world with money and returns (build_returns)."
)
workforce_world = shared_world(
    "workforce_world", "workforce", doc="The world with its workforce (build_workforce)."
)
packs_world = shared_world(
    "packs_world",
    "money",
    "workforce",
    "returns",
    "risks",
    "packs",
    doc="The world with money, workforce, returns, risks and assurance packs.",
)
everything = shared_world(
    "everything",
    *worlds.EVERY_DOMAIN,
    doc="The world with every domain built: money, workforce, returns, PbR, risks and packs.",
)


@pytest.fixture
def demo_db(request, db):
    """The demo consortium (manage.py seed_demo), seeded once per worker. Seeding again on top
    of it changes nothing but the demo users' password, so a test that signs in seeds again
    with its own."""


@pytest.fixture
def lead(world):
    return world.users["lead"]


@pytest.fixture
def admin_user(world):
    return world.users["admin"]


@pytest.fixture
def cvo_a(world):
    return world.users["cvo_a"]


@pytest.fixture
def cvo_b(world):
    return world.users["cvo_b"]


@pytest.fixture
def supervisor(world):
    return world.users["supervisor"]


@pytest.fixture
def commissioner(world):
    return world.users["commissioner"]


@pytest.fixture
def practitioner(world):
    return world.users["practitioner"]


@pytest.fixture
def outsider(world):
    return world.users["outsider"]


class VerifiedClient(Client):
    """A test client whose force_login() signs the person in completely: past the password
    (Django's force_login) and past the second factor, through django-otp's own
    login-with-device on an authenticator of theirs, just now (so sensitive acts need no fresh
    code). Only the security tests use a plain Client to walk the unverified paths."""

    def force_login(self, user, backend=None):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from consortium import twofactor

        super().force_login(user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test authenticator")
        request = HttpRequest()
        request.session = self.session
        request.user = user
        twofactor.verify_session(request, device)
        request.session.save()


@pytest.fixture
def client():
    return VerifiedClient()


def client_for(client, user):
    client.force_login(user)
    return client
