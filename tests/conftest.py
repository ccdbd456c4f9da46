"""Shared fixtures: two consortia, named personas and a scope-free database for set-up.

Personas live in consortium "home" unless noted: lead, admin, cvo_a (CVO manager of CVO A),
cvo_b (CVO manager of CVO B), supervisor, commissioner; outsider holds the lead role in
another consortium ("away"), whose data must never appear for anyone at home.
"""

import pytest
from django.http import HttpRequest
from django.test import Client
from django_scopes import scopes_disabled

from tests.factories import ConsortiumWorld


@pytest.fixture(autouse=True)
def _scopes_off_for_setup():
    # Test set-up writes across consortia; requests through the test client are fenced again
    # by the middleware's own scope.
    with scopes_disabled():
        yield


TRANSACTIONAL = {"transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _append_only_tables(request):
    """The append-only triggers stay in force in every test. A test that commits (the browser
    journeys) ends with Django emptying each table; SQLite does that with DELETE, which the
    triggers refuse, so they are lifted just for that and put back before the next test.
    (PostgreSQL empties tables with TRUNCATE, which row triggers do not see.)"""
    from django.db import connection

    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = bool(TRANSACTIONAL & names) or bool(marker and marker.kwargs.get("transaction"))
    if connection.vendor != "sqlite" or not (transactional or marker or "db" in names):
        yield
        return
    from consortium import audit

    request.getfixturevalue("transactional_db" if transactional else "db")
    audit.set_triggers(install=True)
    yield
    if transactional:
        audit.set_triggers(install=False)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return ConsortiumWorld.build()


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
