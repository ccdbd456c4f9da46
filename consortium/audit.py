"""The tamper-evident audit chain.

Every business Event is sealed, as it is written, by an AuditEntry in its consortium's chain:
the entry carries the hash of the entry before it, its own SHA-256 over that hash and the
event's stored fields, and an HMAC of the same under CONCORD_AUDIT_KEY, a key kept outside the
database. Editing an event afterwards breaks its hash; recomputing the hashes breaks every
HMAC after it, which nobody can redo without the key. `manage.py verify_audit` walks the chains.

The Event, AuditEntry and SecurityEvent tables are append-only: a trigger (on SQLite and on
PostgreSQL) refuses UPDATE and DELETE, and on PostgreSQL another refuses TRUNCATE (which row
triggers do not see; SQLite has no TRUNCATE).
"""

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

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


def append(event):
    """Seal `event` as the next link of its consortium's chain.

    The head row is locked (select_for_update on PostgreSQL; SQLite's IMMEDIATE transactions
    already let one writer in at a time), so two events at once cannot fork the chain."""
    from consortium.models import AuditEntry, AuditHead, Event

    with transaction.atomic():
        head, _ = AuditHead._base_manager.select_for_update().get_or_create(
            consortium_id=event.consortium_id, defaults={"seq": 0, "hash": GENESIS}
        )
        # Seal the row as the database stores it (JSON and timestamps as they read back).
        stored = Event._base_manager.get(pk=event.pk)
        seq = head.seq + 1
        digest, mac = seal(canonical(stored, seq=seq, prev_hash=head.hash))
        entry = AuditEntry._base_manager.create(
            consortium_id=event.consortium_id,
            seq=seq,
            event=stored,
            at=stored.at,
            prev_hash=head.hash,
            hash=digest,
            mac=mac,
        )
        AuditHead._base_manager.filter(pk=head.pk).update(seq=seq, hash=digest)
    return entry


@dataclass(frozen=True)
class Break:
    consortium_id: int
    seq: int | None
    event_id: int | None
    why: str

    def __str__(self):
        where = f"link {self.seq}" if self.seq is not None else "no link"
        return f"Consortium {self.consortium_id}, {where} (event {self.event_id}): {self.why}"


def verify(consortium_ids=None):
    """Walk every chain (or those of `consortium_ids`); return the first Break or None, and
    the number of links checked."""
    from consortium.models import AuditEntry, AuditHead, Event

    if consortium_ids is None:
        consortium_ids = sorted(
            set(Event._base_manager.values_list("consortium_id", flat=True).distinct())
            | set(AuditEntry._base_manager.values_list("consortium_id", flat=True).distinct())
        )
    checked = 0
    for cid in consortium_ids:
        prev = GENESIS
        expected_seq = 0
        sealed = set()
        entries = (
            AuditEntry._base_manager.filter(consortium_id=cid)
            .select_related("event")
            .order_by("seq")
        )
        for entry in entries.iterator(chunk_size=2000):
            expected_seq += 1
            checked += 1
            sealed.add(entry.event_id)
            if entry.seq != expected_seq:
                return Break(
                    cid, entry.seq, entry.event_id, f"link {expected_seq} is missing"
                ), checked
            if entry.prev_hash != prev:
                return Break(
                    cid, entry.seq, entry.event_id, "it does not follow the link before it"
                ), checked
            if entry.event.consortium_id != cid:
                return Break(cid, entry.seq, entry.event_id, "the event moved consortium"), checked
            data = canonical(entry.event, seq=entry.seq, prev_hash=entry.prev_hash)
            digest, mac = seal(data)
            if digest != entry.hash:
                return Break(
                    cid, entry.seq, entry.event_id, "the event was changed after it was sealed"
                ), checked
            if not hmac.compare_digest(mac, entry.mac):
                return Break(
                    cid, entry.seq, entry.event_id, "the seal does not match the audit key"
                ), checked
            prev = entry.hash
        head = AuditHead._base_manager.filter(consortium_id=cid).first()
        if head is not None and (head.seq != expected_seq or head.hash != prev):
            return Break(cid, head.seq, None, "the chain was cut short after its head"), checked
        unsealed = (
            Event._base_manager.filter(consortium_id=cid)
            .exclude(pk__in=sealed)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if unsealed is not None:
            return Break(cid, None, unsealed, "the event is not in the chain"), checked
    return None, checked


@dataclass(frozen=True)
class DailyHead:
    day: datetime.date
    seq: int
    hash: str
    at: datetime.datetime


def daily_head(consortium_id, day=None):
    """The last link of `consortium_id`'s chain at the end of `day` (today by default): what
    an assurance pack prints so that a later edit can be shown to have happened."""
    from consortium.models import AuditEntry

    day = day or timezone.localdate()
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )
    entry = (
        AuditEntry._base_manager.filter(consortium_id=consortium_id, at__lt=end)
        .order_by("-seq")
        .first()
    )
    if entry is None:
        return None
    return DailyHead(day=day, seq=entry.seq, hash=entry.hash, at=entry.at)


# --- append-only triggers -----------------------------------------------------------------


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


def daily_heads(consortium_id, days):
    """daily_head() for each of `days`, read in one query: {day: DailyHead or None}."""
    from django.db.models import OuterRef, Subquery

    from consortium.models import AuditEntry, AuditHead

    annotations = {}
    for i, day in enumerate(days):
        end = timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        )
        last = AuditEntry._base_manager.filter(
            consortium_id=OuterRef("consortium_id"), at__lt=end
        ).order_by("-seq")
        for field in ("seq", "hash", "at"):
            annotations[f"d{i}_{field}"] = Subquery(last.values(field)[:1])
    row = (
        AuditHead._base_manager.filter(consortium_id=consortium_id)
        .annotate(**annotations)
        .values(*annotations)
        .first()
    )
    heads = {}
    for i, day in enumerate(days):
        if row is None or row[f"d{i}_seq"] is None:
            heads[day] = None
        else:
            heads[day] = DailyHead(
                day=day, seq=row[f"d{i}_seq"], hash=row[f"d{i}_hash"], at=row[f"d{i}_at"]
            )
    return heads
