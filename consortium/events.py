from consortium.models import Event


def record_event(*, consortium_id, by, verb, obj, reason="", details=None):
    """Write the readable record of a business act ("allocation v3 approved")."""
    return Event.objects.create(
        consortium_id=consortium_id,
        by=by if getattr(by, "is_authenticated", False) else None,
        verb=verb,
        reason=reason,
        object_model=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        details=details or {},
    )
