"""Concord's access machinery: which rows a person may see and which acts they may take.

This module holds the mechanism and the consortium app's own rules; every other app declares
its rules and `can_*` checks in its own `access.py` (registered with `@rule` and
`@private_fields`, discovered once at start-up by ConsortiumConfig.ready). Pages, exports,
charts, history pages, filter choices, the admin and any API read through `visible()` (as
`Model.objects.visible_to(user)`) and ask the `can_*` checks before writing. A view that a
check does not allow answers 404 through `require()`. The policy:

* A person works in one consortium at a time (their *active* consortium). Rows of any other
  consortium are invisible, and the django-scopes fence set by the middleware makes a query
  that forgets the consortium raise instead of returning them.
* Administrators and consortium leads see every row of their consortium — except confidential
  supervision notes, which only the supervisor and the supervisee read.
* Reference data (`Access.shared`) is readable by every member of the consortium.
* A CVO manager sees rows owned by their own organisation (`Access.owner`), never another
  CVO's.
* A commissioner sees rows of the contracts they commission (`Access.commissioner`).
* A clinical supervisor sees reference data and the people they supervise (rules of the
  supervision app, in supervision/access.py).
* A practitioner sees their own staff record, their own sessions (and the notes of those they
  attended), their compliance and their open actions — no reference data, no other person, no
  money, no returns, no risks.
* A model may replace the generic rule with its own function, registered with `@rule(label)`.

Out-of-scope objects answer 404 (`get_visible_or_404`), never 403.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import Http404

from consortium import security
from consortium.models import Role, RoleAssignment

ACTOR_ATTR = "_concord_actor"


@dataclass(frozen=True)
class Actor:
    user: object
    consortium_id: int | None
    roles: dict = field(default_factory=dict)  # role -> frozenset of organisation ids
    consortium_ids: tuple = ()  # every consortium the person holds a role in

    def has(self, *roles):
        return any(self.roles.get(r) for r in roles)

    def orgs(self, *roles):
        ids = set()
        for r in roles:
            ids |= self.roles.get(r, frozenset())
        return ids

    @property
    def all_orgs(self):
        return self.orgs(*Role.values)

    @property
    def oversees_consortium(self):
        return self.has(Role.ADMIN, Role.LEAD)

    @property
    def sees_consortium(self):
        """Works across the consortium (every role but practitioner, who sees their own
        record only)."""
        return any(orgs for role, orgs in self.roles.items() if role != Role.PRACTITIONER)


ANONYMOUS = Actor(user=None, consortium_id=None)


def load_actor(user, consortium_id=None):
    """Build the Actor for `user` in `consortium_id` (or their first consortium)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    rows = list(
        RoleAssignment._base_manager.filter(user=user).values_list(
            "consortium_id", "organisation_id", "role"
        )
    )
    consortia = tuple(sorted({c for c, _, _ in rows}))
    if not consortia:
        return Actor(user=user, consortium_id=None)
    active = consortium_id if consortium_id in consortia else consortia[0]
    roles = {}
    for c, org, role in rows:
        if c == active:
            roles.setdefault(role, set()).add(org)
    return Actor(
        user=user,
        consortium_id=active,
        roles={k: frozenset(v) for k, v in roles.items()},
        consortium_ids=consortia,
    )


def actor(user):
    """The Actor for `user`, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, ACTOR_ATTR, None)
    if cached is None:
        cached = load_actor(user)
        setattr(user, ACTOR_ATTR, cached)
    return cached


# --- rows ---------------------------------------------------------------------------------

RULES = {}


def rule(label):
    """Register a model-specific visibility rule: fn(queryset, actor) -> queryset."""

    def register(fn):
        if label in RULES and RULES[label] is not fn:
            raise ImproperlyConfigured(f"Two access rules for {label}")
        RULES[label] = fn
        return fn

    return register


def generic_rule(qs, a):
    access = qs.model.Access
    if a.oversees_consortium or (access.shared and a.sees_consortium):
        return qs
    condition = Q(pk__in=[])
    if access.owner:
        # Only a CVO manager reads by ownership: a supervisor employed by a CVO must still
        # never see its money.
        if a.has(Role.CVO_MANAGER):
            condition |= Q(**{f"{access.owner}__in": a.orgs(Role.CVO_MANAGER)})
    if access.commissioner and a.has(Role.COMMISSIONER):
        condition |= Q(**{f"{access.commissioner}__in": a.orgs(Role.COMMISSIONER)})
    return qs.filter(condition)


def visible(qs, user):
    """The rows of `qs` that `user` may see."""
    a = actor(user)
    if a.consortium_id is None:
        return qs.none()
    access = qs.model.Access
    qs = qs.filter(**{access.consortium: a.consortium_id})
    return RULES.get(qs.model._meta.label, generic_rule)(qs, a)


def require(allowed):
    """Let the request go on only if `allowed` (a check's answer); otherwise 404, never 403,
    so that a page's existence does not leak either."""
    if not allowed:
        security.log(security.Kind.OUT_OF_SCOPE, detail="A page this person's roles do not open.")
        raise Http404("Not found")


def get_visible_or_404(model_or_qs, user, **lookup):
    """Fetch one object the user may see, or answer 404 (never 403: no title leaks). Asking
    for an object that exists but is out of the person's scope is written to the security
    log."""
    qs = getattr(model_or_qs, "objects", model_or_qs)
    try:
        return visible(qs.all(), user).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        _log_out_of_scope(qs.model, user, lookup)
        raise Http404("Not found") from None


def _log_out_of_scope(model, user, lookup):
    try:
        exists = model._base_manager.filter(**lookup).exists()
    except (ValueError, TypeError):
        return
    if exists:
        security.log(
            security.Kind.OUT_OF_SCOPE,
            user=user,
            detail=f"{model._meta.label} {', '.join(f'{k}={v}' for k, v in lookup.items())}",
        )


@rule("consortium.RoleAssignment")
def role_assignments(qs, a):
    """People and roles: leads and administrators see everyone; others their own
    organisations' people."""
    if a.oversees_consortium:
        return qs
    orgs = a.orgs(*(r for r in Role.values if r != Role.PRACTITIONER))
    return qs.filter(Q(organisation__in=orgs) | Q(user=a.user))


@rule("consortium.Consortium")
def consortia(qs, a):
    """Everyone reads the consortium they work in (its name heads every page)."""
    return qs


@rule("consortium.ReminderPreference")
def reminder_preferences(qs, a):
    """A person's reminder settings are their own."""
    return qs.filter(user=a.user)


@rule("consortium.PreparedDownload")
def prepared_downloads(qs, a):
    """A file prepared for download is only ever its person's."""
    return qs.filter(user=a.user)


# Fields some readers of a visible object still must not see (in pages, history, exports).
PRIVATE_FIELDS = {}


def private_fields(label):
    """Register which fields of a `label` object an actor must not read:
    fn(actor, obj) -> set of field names."""

    def register(fn):
        if label in PRIVATE_FIELDS and PRIVATE_FIELDS[label] is not fn:
            raise ImproperlyConfigured(f"Two private-field rules for {label}")
        PRIVATE_FIELDS[label] = fn
        return fn

    return register


def hidden_fields(user, obj):
    """Names of fields of `obj` that `user` must not read, here or in its history."""
    check = PRIVATE_FIELDS.get(obj._meta.label)
    return check(actor(user), obj) if check else set()


# --- acts ---------------------------------------------------------------------------------


def signed_in(user):
    """Anybody signed in: pages whose rows are scoped by `visible()` alone."""
    return actor(user) is not ANONYMOUS


def member_of_consortium(user):
    """Anybody who holds a role in a consortium (and so works in one)."""
    return actor(user).consortium_id is not None


def reads_consortium(user):
    """Pages about the consortium at large (its organisations, sites, people, settings,
    indicators): everyone who works across it, not a practitioner."""
    return actor(user).sees_consortium


def is_lead(user):
    """The lead agency's people (an administrator is not): the lead's own work, such as the
    returns and claims it verifies and the packs it prepares."""
    return actor(user).has(Role.LEAD)


def is_cvo_manager(user):
    """A member's CVO manager: their own subcontracts, returns, claims and money."""
    return actor(user).has(Role.CVO_MANAGER)


def is_commissioner(user):
    """A commissioner: the contracts, reports, packs and claims of what they commission."""
    return actor(user).has(Role.COMMISSIONER)


def reads_audit_chain(user):
    """The audit chain's daily heads: those who answer for the record (the lead and
    administrators) and those who rely on it (commissioners)."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.COMMISSIONER)


def can_manage_setup(user):
    """Set up organisations, memberships, sites, people and roles."""
    return actor(user).oversees_consortium


def can_reset_second_factors(user):
    """Reset another person's second factors (a lost phone): administrators only."""
    return actor(user).has(Role.ADMIN)


def can_read_security_log(user):
    """The security log of the consortium: administrators only."""
    return actor(user).has(Role.ADMIN)


@rule("consortium.SecurityEvent")
def security_events(qs, a):
    return qs if a.has(Role.ADMIN) else qs.none()


def can_manage_api_keys(user):
    """Every API key of the consortium, and revoking any of them: administrators only."""
    return actor(user).has(Role.ADMIN)


def can_revoke_token(user, token):
    """Revoke an API key: its owner, or an administrator of its consortium."""
    a = actor(user)
    if a.user is None or a.consortium_id is None:
        return False
    if token.user_id == a.user.pk:
        return True
    return a.has(Role.ADMIN) and token.consortium_id == a.consortium_id


@rule("consortium.ApiToken")
def api_tokens(qs, a):
    """A person's API keys are their own; an administrator sees every key of the consortium."""
    return qs if a.has(Role.ADMIN) else qs.filter(user=a.user)
