"""The audit chain's sealing and the append-only triggers: what an entry seals and how, and the
SQL that keeps the append-only tables append-only. Pure functions over settings and a
connection, so that the models that write the chain (consortium.models) and the migrations that
install the triggers use them without importing each other; consortium.audit reads the chain.
"""

import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.db import connection

GENESIS = "0" * 64

# Tables no UPDATE, DELETE or TRUNCATE may touch.
APPEND_ONLY_TABLES = ("consortium_event", "consortium_auditentry", "consortium_securityevent")


def _key():
    return settings.CONCORD_AUDIT_KEY.encode()


def canonical(event, *, seq, prev_hash):
    """The bytes an entry seals: its position, the previous hash and the event as stored."""
    at = event.at.astimezone(datetime.UTC).isoformat()
    payload = {
        "seq": seq,
        "prev": prev_hash,
        "consortium": event.consortium_id,
        "event": event.pk,
        "at": at,
        "by": event.by_id,
        "verb": event.verb,
        "reason": event.reason,
        "object_model": event.object_model,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def seal(data):
    """(hash, hmac) of an entry's canonical bytes."""
    return (
        hashlib.sha256(data).hexdigest(),
        hmac.new(_key(), data, hashlib.sha256).hexdigest(),
    )


def trigger_sql(vendor, *, install=True):
    """SQL statements that add (or remove) the append-only triggers for `vendor`."""
    statements = []
    if vendor == "postgresql":
        if install:
            statements.append(
                "CREATE OR REPLACE FUNCTION concord_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; "
                "END $$"
            )
        for table in APPEND_ONLY_TABLES:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            if install:
                statements.append(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION concord_append_only()"
                )
        statements += truncate_trigger_sql(vendor, install=install)
        if not install:
            statements.append("DROP FUNCTION IF EXISTS concord_append_only()")
    elif vendor == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for op in ("update", "delete"):
                name = f"{table}_no_{op}"
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
                if install:
                    statements.append(
                        f"CREATE TRIGGER {name} BEFORE {op.upper()} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, '{table} is append-only: {op.upper()} refused'); "
                        "END"
                    )
    return statements


def truncate_trigger_sql(vendor, *, install=True):
    """The PostgreSQL statement-level triggers that refuse TRUNCATE (row triggers never see
    it), added or removed; needs concord_append_only() in place to add them. SQLite has no
    TRUNCATE: its DELETE triggers cover it."""
    if vendor != "postgresql":
        return []
    statements = []
    for table in APPEND_ONLY_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        if install:
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION concord_append_only()"
            )
    return statements


def set_triggers(install=True, using=connection):
    """Add or remove the append-only triggers (migrations add them; a test database that is
    emptied row by row between tests removes them first)."""
    with using.cursor() as cursor:
        for sql in trigger_sql(using.vendor, install=install):
            cursor.execute(sql)
