"""One cache for every process: Redis or a database table from CONCORD_CACHE_URL, parsed
strictly; this process's memory for the demo and the tests."""

import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from concord.settings import env_cache


def test_the_cache_url_names_redis_a_database_table_or_this_process(monkeypatch):
    monkeypatch.setenv("CONCORD_CACHE_URL", "redis://127.0.0.1:6379/1")
    assert env_cache("CONCORD_CACHE_URL", "locmem://") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    monkeypatch.setenv("CONCORD_CACHE_URL", "db://concord_cache")
    assert env_cache("CONCORD_CACHE_URL", "locmem://") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "concord_cache",
    }
    monkeypatch.delenv("CONCORD_CACHE_URL")
    assert env_cache("CONCORD_CACHE_URL", "locmem://") == {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
    }
    assert env_cache("CONCORD_CACHE_URL", "db://concord_cache")["LOCATION"] == "concord_cache"


@pytest.mark.parametrize(
    "value", ["memcached://127.0.0.1:11211", "redis://", "db://no-dashes", "locmem://x", "x"]
)
def test_a_cache_url_concord_cannot_read_stops_start_up_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("CONCORD_CACHE_URL", value)
    with pytest.raises(ImproperlyConfigured, match="CONCORD_CACHE_URL must be"):
        env_cache("CONCORD_CACHE_URL", "locmem://")


def test_the_tests_keep_the_cache_in_this_process():
    assert django_settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


@pytest.mark.django_db
def test_migrate_makes_the_database_cache_table_and_it_holds_values(settings):
    from django.core.cache import caches

    from consortium.apps import create_cache_table

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "concord_cache",
        }
    }
    create_cache_table(using="default")
    caches["default"].set("runway-chart", b"<svg/>", 60)
    assert caches["default"].get("runway-chart") == b"<svg/>"


def redis_running():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


# CI (.ci/run) starts Redis, and there the test must run; elsewhere it needs a Redis server.
@pytest.mark.skipif(
    not os.environ.get("CI") and not redis_running(), reason="no Redis server on 127.0.0.1:6379"
)
def test_two_processes_share_one_redis_cache(settings):
    """Starts a second Django process (about 3 s) to read what this one cached."""
    from django.core.cache import caches

    url = "redis://127.0.0.1:6379/15"
    settings.CACHES = {"default": env_cache("CONCORD_CACHE_URL_FOR_TEST", url)}
    cache = caches["default"]
    key = f"shared-{os.getpid()}"
    cache.set(key, "set by the first process", 60)
    try:
        other = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                f"from django.core.cache import cache; print(cache.get({key!r}))",
            ],
            cwd=django_settings.BASE_DIR,
            env={**os.environ, "CONCORD_CACHE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other.stdout.strip().splitlines()[-1] == "set by the first process", other.stderr
    finally:
        cache.delete(key)
