"""The backup and restore drill (PostgreSQL): dump the database with pg_dump, restore it into
a new database with pg_restore, and show that the pages of a sample still render, the audit
chain still verifies and its tables are still append-only. The README's "Backing up and
restoring" section gives the same commands."""

import datetime
import os
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django_scopes import scopes_disabled

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the restore drill runs on PostgreSQL",
    ),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def pg_args(settings_dict):
    args = ["-h", settings_dict["HOST"] or "127.0.0.1", "-U", settings_dict["USER"]]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    return args


def pg_env(settings_dict):
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def run(*command, settings_dict):
    result = subprocess.run(
        list(command), env=pg_env(settings_dict), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def sample():
    from sample import ConsortiumWorld, make_allocation, make_payment, make_stream

    with scopes_disabled():
        world = ConsortiumWorld.build()
        lead = world.users["lead"]
        o = world.orgs
        stream = make_stream(world.home, o["commissioner"], "Home NHS stream")
        allocation = make_allocation(
            stream, [(o["cvo_a"], "60000.00", "A"), (o["cvo_b"], "60000.00", "B")], by=lead
        )
        payment = make_payment(
            allocation, o["cvo_a"], "1000.00", datetime.date(2026, 7, 31), by=lead
        )
    return {"world": world, "allocation": allocation, "payment": payment}


def test_a_dump_restored_into_a_new_database_renders_and_verifies(sample, tmp_path):
    """pg_dump and pg_restore into a new database, then pages and the chain checked there: two
    external programs and a second database (about 4 s)."""
    from tests.conftest import VerifiedClient

    original = dict(connection.settings_dict)
    restored = f"{original['NAME']}_restored"
    dump = tmp_path / "concord.dump"
    run(
        "pg_dump",
        *pg_args(original),
        "--format=custom",
        "--no-owner",
        f"--file={dump}",
        original["NAME"],
        settings_dict=original,
    )
    run("dropdb", *pg_args(original), "--if-exists", restored, settings_dict=original)
    run("createdb", *pg_args(original), restored, settings_dict=original)
    try:
        run(
            "pg_restore",
            *pg_args(original),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={restored}",
            str(dump),
            settings_dict=original,
        )
        connection.close()
        connection.settings_dict["NAME"] = restored
        try:
            world = sample["world"]
            with scopes_disabled():
                call_command("verify_audit", stdout=StringIO())  # exits 1 if broken
            client = VerifiedClient()
            client.force_login(world.users["lead"])
            pages = [
                reverse("dashboard"),
                reverse("consortium:organisation_list"),
                reverse("consortium:organisation_detail", args=[world.orgs["cvo_a"].pk]),
                reverse("consortium:people"),
                reverse("funding:payment_list"),
                reverse("funding:payment_detail", args=[sample["payment"].pk]),
                reverse("funding:allocation_detail", args=[sample["allocation"].pk]),
                reverse("history", args=["consortium.Organisation", world.orgs["cvo_a"].pk]),
            ]
            for url in pages:
                assert client.get(url).status_code == 200, url
            admin = VerifiedClient()
            admin.force_login(world.users["admin"])
            assert admin.get(reverse("consortium:security_log")).status_code == 200
            # The append-only triggers came back with the data.
            with pytest.raises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE consortium_event SET verb = 'x'")
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original["NAME"]
    finally:
        run("dropdb", *pg_args(original), "--if-exists", restored, settings_dict=original)
