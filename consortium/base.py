"""The base every Concord model stands on: history, a consortium fence, optimistic locking,
and the one "frozen once approved" guard."""

from dataclasses import dataclass
from functools import reduce

from django.db import models, transaction
from django.db.transaction import TransactionManagementError
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope
from simple_history.models import HistoricalRecords

# What every model needs from the consortium app but this module cannot import (the app's
# models and its access policy stand on it): the policy that says which rows a person may see,
# and the writer of business events. ConsortiumConfig.ready() connects them at start-up.
_hooks = {}


def connect(*, visible, record_event):
    """Connect the access policy (`visible(queryset, user)`) and the business event writer
    (`record_event(obj, verb, by=, reason=, details=)`)."""
    _hooks.update(visible=visible, record_event=record_event)


def _hook(name):
    try:
        return _hooks[name]
    except KeyError:
        raise RuntimeError(
            "The consortium app is not ready: add it to INSTALLED_APPS and call django.setup()."
        ) from None


class AccessQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows `user` may see, by the one access policy in consortium.access."""
        return _hook("visible")(self, user)


class ConsortiumManager(models.Manager):
    """The default manager of every consortium-owned model, fenced by the model's
    `Access.consortium` path (or the path given, for a model without an Access class).

    Outside an active consortium scope (set per request by ConsortiumScopeMiddleware, or by
    `django_scopes.scope()` / `scopes_disabled()` in commands and tests) any query raises
    ScopeError, so a lookup that forgets the tenant fails loudly instead of leaking.
    """

    def __init__(self, consortium_path=None):
        super().__init__()
        self.consortium_path = consortium_path

    def get_queryset(self):
        queryset = super().get_queryset()
        current = get_scope()
        if not current.get("_enabled", True):
            return queryset
        if "consortium" not in current:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes={"consortium"})
        path = self.consortium_path or self.model.Access.consortium
        value = current["consortium"]
        if isinstance(value, list | tuple):
            return queryset.filter(**{f"{path}__in": value})
        if value is not None:
            return queryset.filter(**{path: value})
        return queryset

    def all(self):
        queryset = super().all()
        if isinstance(queryset, DisabledQuerySet):
            queryset = queryset.all()  # raises ScopeError
        return queryset


def scoped_manager(consortium_path):
    """The scoped manager for a model that is not a ConcordModel (which gets its own)."""
    return ConsortiumManager.from_queryset(AccessQuerySet)(consortium_path)


class StaleEdit(Exception):
    """Somebody else saved the record after this user opened it."""


class RecordFrozen(Exception):
    """A record locked by its state (approved, signed off, in use) was about to change. Each
    app's lock says which records and why (its `Frozen.error`); pages show the message as
    they show any other refusal (consortium.views.REFUSED)."""


class ConcordModel(models.Model):
    """Abstract base: every concrete model records django-simple-history, carries a version
    for optimistic locking, and states its access paths in an inner `Access` class."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords(inherit=True)

    # Fenced by Access.consortium: each model states its tenant path once, there.
    objects = ConsortiumManager.from_queryset(AccessQuerySet)()

    class Meta:
        abstract = True

    class Access:
        # Path from this model to its Consortium (for the scope fence and the policy).
        consortium = "consortium"
        # Path to the organisation that owns the row (a CVO's own data); None: no owner.
        owner = None
        # Path to the commissioning organisation whose contract the row belongs to.
        commissioner = None
        # Every member of the consortium may read the row (reference data).
        shared = False

    def save_as(self, *, by, reason="", expected_version=None, **kwargs):
        """Save recording who and why in history; refuse a stale edit.

        `expected_version` is the version the user's form was built from: if the row has moved
        on since, StaleEdit is raised and nothing is written.
        """
        with transaction.atomic():
            if self.pk and expected_version is not None:
                current = (
                    type(self)
                    ._base_manager.select_for_update()
                    .filter(pk=self.pk)
                    .values_list("version", flat=True)
                    .first()
                )
                if current is not None and current != int(expected_version):
                    raise StaleEdit(self)
            if self.pk:
                self.version = (self.version or 0) + 1
            self._history_user = by
            if reason:
                self._change_reason = reason
            self.save(**kwargs)
        return self

    def consortium_pk(self):
        """The id of the consortium this row belongs to, by its `Access.consortium` path."""
        *steps, last = self.Access.consortium.split("__")
        if not steps and last == "pk":
            return self.pk
        obj = self
        for step in steps:
            field = obj._meta.get_field(step)
            if field.many_to_one or field.one_to_one:
                obj = getattr(obj, step)
                continue
            # The path crosses a many-valued relation (an organisation's memberships): ask the
            # database, and expect the one consortium a new organisation belongs to.
            ids = set(
                type(self)
                ._base_manager.filter(pk=self.pk)
                .values_list(self.Access.consortium, flat=True)
            )
            if len(ids) != 1:
                raise ValueError(f"{self} belongs to {len(ids)} consortia; record on another row.")
            return ids.pop()
        return getattr(obj, f"{last}_id")

    def record(self, verb, *, by, reason="", details=None):
        """Write the readable record of a business act on this row ("allocation v3
        approved"), in the row's consortium (consortium.events.record)."""
        return _hook("record_event")(self, verb, by=by, reason=reason, details=details)


@dataclass(frozen=True)
class Frozen:
    """What freezes a model's rows: the states of `status` (a field of the row, or a path such
    as "ret__status" to the parent whose state freezes it), the exception raised, and the
    message that says why and who can unlock. `message` may name the stored state as
    {status}."""

    states: tuple
    error: type[Exception]
    message: str
    bulk_message: str = ""
    status: str = "status"


class FrozenQuerySet(AccessQuerySet):
    """Bulk writes cannot reach a frozen row either."""

    def refuse_if_frozen(self):
        frozen = self.model.frozen
        if self.filter(**{f"{frozen.status}__in": frozen.states}).exists():
            raise frozen.error(frozen.bulk_message or frozen.message.format(status="frozen"))

    def update(self, **kwargs):
        self.refuse_if_frozen()
        return super().update(**kwargs)

    def delete(self):
        self.refuse_if_frozen()
        return super().delete()

    def bulk_update(self, objs, fields, batch_size=None):
        self.filter(pk__in=[o.pk for o in objs]).refuse_if_frozen()
        return super().bulk_update(objs, fields, batch_size=batch_size)


class FreezableModel(ConcordModel):
    """A model whose rows are locked once approved. It declares `frozen = Frozen(...)`; then
    save(), delete(), its queryset's update()/delete()/bulk_update() and the admin all refuse
    a frozen row, judged by the state stored in the database, not the one in memory.

    A transition (approve, lock, reopen) re-reads the row under a lock with
    `for_transition()`, checks the move, and writes it with `save_transition()`: the one
    write that may change a frozen row."""

    frozen: Frozen

    objects = ConsortiumManager.from_queryset(FrozenQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse_if_frozen()
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self):
        """Frozen by the state in memory (for pages and the admin)."""
        return reduce(getattr, self.frozen.status.split("__"), self) in self.frozen.states

    def stored_status(self):
        """The state in the database that decides whether this row is frozen."""
        first, _, rest = self.frozen.status.partition("__")
        if not rest:
            if self.pk is None:
                return None
            rows = type(self)._base_manager.filter(pk=self.pk)
            return rows.values_list(first, flat=True).first()
        parent = self._meta.get_field(first)
        rows = parent.related_model._base_manager.filter(pk=getattr(self, parent.attname))
        return rows.values_list(rest, flat=True).first()

    def frozen_message(self, status=None):
        """Why this row cannot change, naming its state (the one in memory unless given)."""
        if status is None:
            status = reduce(getattr, self.frozen.status.split("__"), self)
        *path, name = self.frozen.status.split("__")
        model = type(self)
        for step in path:
            model = model._meta.get_field(step).related_model
        label = dict(model._meta.get_field(name).flatchoices).get(status, status)
        return self.frozen.message.format(status=str(label).lower())

    def refuse_if_frozen(self):
        status = self.stored_status()
        if status in self.frozen.states:
            raise self.frozen.error(self.frozen_message(status))

    def for_transition(self, *related):
        """This row re-read under a row lock, as a new object (the caller's is left alone)."""
        return (
            type(self)
            ._base_manager.select_for_update(of=("self",))
            .select_related(*related)
            .get(pk=self.pk)
        )

    def save_transition(self, *, by, reason):
        """Write a state change that a transition has checked on this row, read with
        `for_transition()` in the same transaction."""
        if not transaction.get_connection().in_atomic_block:
            raise TransactionManagementError("A transition runs inside transaction.atomic().")
        self.version = (self.version or 0) + 1
        self._history_user = by
        self._change_reason = reason
        super().save()
