"""Figures worked out from many rows, cached until their inputs change. Each such figure has a
name; every write to one of its inputs calls `bump(name, …)` in the writing transaction (the
app that owns the figure connects the signals), which gives the figure a new token in the
database; readers look the token up (one query) and keep the figure in the cache under it. So
whichever process wrote, the next read anywhere works the figure out again, and a write that
is rolled back leaves the token it had."""

import hashlib
import json
import uuid

from django.core.cache import cache

from consortium.memo import once_per_request
from consortium.models import Consortium, FigureVersion

KEEP_SECONDS = 24 * 60 * 60


def bump(name, consortium_id=None):
    """A new token for `name` in `consortium_id` (in every consortium when None)."""
    token = uuid.uuid4().hex
    if consortium_id is None:
        ids = list(Consortium._base_manager.values_list("pk", flat=True))
    else:
        ids = [consortium_id]
    FigureVersion._base_manager.bulk_create(
        [FigureVersion(consortium_id=pk, name=name, token=token) for pk in ids],
        update_conflicts=True,
        unique_fields=["consortium", "name"],
        update_fields=["token"],
    )


def token(name, consortium_id):
    return (
        FigureVersion._base_manager.filter(consortium_id=consortium_id, name=name)
        .values_list("token", flat=True)
        .first()
    ) or "-"


def cached(name, consortium_id, key, compute):
    """compute(), kept in the cache until `name` is bumped in `consortium_id`; `key` (JSON-able)
    says everything else the answer depends on (the reader's roles, the window…)."""

    def read():
        digest = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()
        full = f"figure:{name}:{consortium_id}:{token(name, consortium_id)}:{digest}"
        value = cache.get(full)
        if value is None:
            value = compute()
            cache.set(full, value, KEEP_SECONDS)
        return value

    return once_per_request(("figure", name, consortium_id, json.dumps(key, default=str)), read)
