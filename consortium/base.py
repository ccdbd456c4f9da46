"""The base every Concord model stands on: history, a consortium fence, optimistic locking."""

from django.db import models, transaction
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords


class AccessQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows `user` may see, by the one access policy in consortium.access."""
        from consortium import access

        return access.visible(self, user)


def scoped_manager(consortium_path):
    """The default manager of every consortium-owned model.

    Outside an active consortium scope (set per request by ConsortiumScopeMiddleware, or by
    `django_scopes.scope()` / `scopes_disabled()` in commands and tests) any query raises
    ScopeError, so a lookup that forgets the tenant fails loudly instead of leaking.
    """
    return ScopedManager(
        consortium=consortium_path,
        _manager_class=models.Manager.from_queryset(AccessQuerySet),
    )


class StaleEdit(Exception):
    """Somebody else saved the record after this user opened it."""


class ConcordModel(models.Model):
    """Abstract base: every concrete model records django-simple-history, carries a version
    for optimistic locking, and states its access paths in an inner `Access` class."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords(inherit=True)

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
