"""Object history pages: field-level differences (django-simple-history) and business
events, newest first, scoped by the access policy like everything else."""

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from consortium import access
from consortium.models import Event

# Fields that are bookkeeping, not content.
IGNORED_FIELDS = {"updated_at", "version", "created_at"}


def history_model(label):
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404("Not found") from None
    if not hasattr(model, "history") or not hasattr(model, "Access"):
        raise Http404("Not found")
    return model


def _display(names, field, value):
    if value is None or value == "":
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return names.get(field.attname, {}).get(value, f"#{value}")
    return str(value)


def _related_names(records, fields):
    """{attname: {id: str(related)}} for every relation mentioned in `records`, one query per
    relation rather than one per version."""
    names = {}
    for attname, field in fields.items():
        if not field.is_relation:
            continue
        ids = {getattr(r, attname, None) for r in records} - {None}
        if ids:
            found = field.related_model._default_manager.in_bulk(ids)
            names[attname] = {pk: str(obj) for pk, obj in found.items()}
    return names


def history_entries(obj, user):
    """Each saved version of `obj` with what changed, newest first, without the fields this
    user must not read."""
    hidden = access.hidden_fields(user, obj) | IGNORED_FIELDS
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")
    )
    fields = {f.attname: f for f in type(obj)._meta.concrete_fields}
    names = _related_names(records, fields)
    entries = []
    for i, record in enumerate(records):
        older = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if older is None:
            kind = "Created"
            for attname, field in fields.items():
                if attname in hidden or field.name in hidden or attname == "id":
                    continue
                value = getattr(record, attname, None)
                if value not in (None, ""):
                    changes.append((field.verbose_name, None, _display(names, field, value)))
        else:
            kind = "Deleted" if record.history_type == "-" else "Changed"
            delta = record.diff_against(older, foreign_keys_are_objs=False)
            for change in delta.changes:
                field = type(obj)._meta.get_field(change.field)
                if change.field in hidden or field.attname in hidden:
                    continue
                changes.append(
                    (
                        field.verbose_name,
                        _display(names, field, change.old),
                        _display(names, field, change.new),
                    )
                )
            if not changes and not record.history_change_reason:
                continue
        entries.append(
            {
                "kind": kind,
                "at": record.history_date,
                "by": record.history_user,
                "reason": record.history_change_reason,
                "changes": changes,
            }
        )
    return entries


@login_required
def object_history(request, label, pk):
    model = history_model(label)
    obj = access.get_visible_or_404(model, request.user, pk=pk)
    events = Event.objects.filter(
        object_model=model._meta.label, object_id=str(obj.pk)
    ).select_related("by")
    if hasattr(obj, "get_absolute_url"):
        # The menu and breadcrumbs stay where the record itself lives.
        request.nav_path = obj.get_absolute_url()
    # "History of assurance pack" above "Assurance pack NHS-HJ-001 …" would say it twice.
    name = str(model._meta.verbose_name)
    caption = "History" if str(obj).lower().startswith(name.lower()) else f"History of {name}"
    return render(
        request,
        "consortium/history.html",
        {
            "object": obj,
            "caption": caption,
            "entries": history_entries(obj, request.user),
            "events": events,
        },
    )
