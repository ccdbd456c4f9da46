"""Shared fixtures: two consortia, named personas and a scope-free database for set-up.

Personas live in consortium "home" unless noted: lead, admin, cvo_a (CVO manager of CVO A),
cvo_b (CVO manager of CVO B), supervisor, commissioner; outsider holds the lead role in
another consortium ("away"), whose data must never appear for anyone at home.
"""

import pytest
from django_scopes import scopes_disabled

from tests.factories import ConsortiumWorld


@pytest.fixture(autouse=True)
def _scopes_off_for_setup():
    # Test set-up writes across consortia; requests through the test client are fenced again
    # by the middleware's own scope.
    with scopes_disabled():
        yield


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
def outsider(world):
    return world.users["outsider"]


def client_for(client, user):
    client.force_login(user)
    return client
