"""The tamper-evident audit chain, read: `verify` walks each consortium's chain and
`daily_head(s)` give the link an assurance pack prints.

Every business Event is sealed, as it is written, by an AuditEntry in its consortium's chain
(AuditEntry.append, in consortium.models): the entry carries the hash of the entry before it,
its own SHA-256 over that hash and the event's stored fields, and an HMAC of the same under
CONCORD_AUDIT_KEY, a key kept outside the database (consortium.chain). Editing an event
afterwards breaks its hash; recomputing the hashes breaks every HMAC after it, which nobody can
redo without the key. `manage.py verify_audit` walks the chains.

The Event, AuditEntry and SecurityEvent tables are append-only: a trigger (on SQLite and on
PostgreSQL) refuses UPDATE and DELETE, and on PostgreSQL another refuses TRUNCATE (which row
triggers do not see; SQLite has no TRUNCATE); consortium.chain holds their SQL.
"""

import datetime
import hmac
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from consortium import chain, dates
from consortium.models import AuditEntry, AuditHead, Event


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
    if consortium_ids is None:
        consortium_ids = sorted(
            set(Event._base_manager.values_list("consortium_id", flat=True).distinct())
            | set(AuditEntry._base_manager.values_list("consortium_id", flat=True).distinct())
        )
    checked = 0
    for cid in consortium_ids:
        prev = chain.GENESIS
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
            data = chain.canonical(entry.event, seq=entry.seq, prev_hash=entry.prev_hash)
            digest, mac = chain.seal(data)
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
    day = day or timezone.localdate()
    end = dates.start_of_next_day(day)
    entry = (
        AuditEntry._base_manager.filter(consortium_id=consortium_id, at__lt=end)
        .order_by("-seq")
        .first()
    )
    if entry is None:
        return None
    return DailyHead(day=day, seq=entry.seq, hash=entry.hash, at=entry.at)


def daily_heads(consortium_id, days):
    """daily_head() for each of `days`, read in one query: {day: DailyHead or None}."""
    annotations = {}
    for i, day in enumerate(days):
        end = dates.start_of_next_day(day)
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
