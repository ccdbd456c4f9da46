"""Business events: the readable record of each act ("allocation v3 approved"), written by
`ConcordModel.record` through this module (connected at start-up, as base cannot import the
models) and sealed into the audit chain as it is saved."""

from consortium.models import Event


def record(obj, verb, *, by, reason="", details=None):
    """Write an Event for an act on `obj`, in `obj`'s consortium, by `by` (None for the
    system)."""
    return Event.objects.create(
        consortium_id=obj.consortium_pk(),
        by=by if getattr(by, "is_authenticated", False) else None,
        verb=verb,
        reason=reason,
        object_model=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        details=details or {},
    )
