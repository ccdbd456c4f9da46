"""Concord's access policy: which rows a person may see and which acts they may take.

This is the one place the rules live. Pages, exports, charts, history pages, filter choices,
the admin and any API read through `visible()` (as `Model.objects.visible_to(user)`) and ask
the `can_*` checks before writing. Rules:

* A person works in one consortium at a time (their *active* consortium). Rows of any other
  consortium are invisible, and the django-scopes fence set by the middleware makes a query
  that forgets the consortium raise instead of returning them.
* Administrators and consortium leads see every row of their consortium — except confidential
  supervision notes, which only the supervisor and the supervisee read.
* Reference data (`Access.shared`) is readable by every member of the consortium.
* A CVO manager sees rows owned by their own organisation (`Access.owner`), never another
  CVO's.
* A commissioner sees rows of the contracts they commission (`Access.commissioner`).
* A clinical supervisor sees reference data and the people they supervise (rules added by the
  supervision app's models, below).
* A model may replace the generic rule with its own function in RULES.

Out-of-scope objects answer 404 (`get_visible_or_404`), never 403.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

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
        RULES[label] = fn
        return fn

    return register


def generic_rule(qs, a):
    access = qs.model.Access
    if a.oversees_consortium or access.shared:
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


def get_visible_or_404(model_or_qs, user, **lookup):
    """Fetch one object the user may see, or answer 404 (never 403: no title leaks)."""
    qs = getattr(model_or_qs, "objects", model_or_qs)
    try:
        return visible(qs.all(), user).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


@rule("consortium.RoleAssignment")
def role_assignments(qs, a):
    """People and roles: leads and administrators see everyone; others their own
    organisations' people."""
    if a.oversees_consortium:
        return qs
    return qs.filter(organisation__in=a.all_orgs)


# Fields some readers of a visible object still must not see (in pages, history, exports).
PRIVATE_FIELDS = {}


def hidden_fields(user, obj):
    """Names of fields of `obj` that `user` must not read, here or in its history."""
    check = PRIVATE_FIELDS.get(obj._meta.label)
    return check(actor(user), obj) if check else set()


# --- acts ---------------------------------------------------------------------------------


def can_manage_setup(user):
    """Set up organisations, memberships, sites, people and roles."""
    return actor(user).oversees_consortium


# --- workforce and supervision ----------------------------------------------------------------
# Staff records are personal data: the lead sees everyone, a CVO manager their own
# organisation's people, a supervisor the people they supervise (and themselves), and a
# commissioner no individual at all (only the aggregate figures of the posts they fund, through
# `commissioned_staff` below). Supervisors never see money, so they see no posts.


def _staff_condition(a, prefix=""):
    """Who may read which staff records, as a condition on the staff member at `prefix`."""
    if a.oversees_consortium:
        return Q()
    condition = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    if a.has(Role.CVO_MANAGER):
        condition |= Q(**{f"{prefix}organisation__in": a.orgs(Role.CVO_MANAGER)})
    if a.has(Role.SUPERVISOR):
        condition |= Q(**{f"{prefix}clinical_supervisor": a.user})
        condition |= Q(**{f"{prefix}group_supervisor": a.user})
    condition |= Q(**{f"{prefix}user": a.user})
    return condition


def _commissioned_posts(a):
    from supervision.models import Post

    return Post.funded_by.through.objects.filter(
        fundingstream__funder__in=a.orgs(Role.COMMISSIONER)
    ).values("post_id")


@rule("supervision.Post")
def posts(qs, a):
    """Posts (and their funding) are the employer's and the lead's; a commissioner sees the
    posts their funding pays for (no names of individuals are on a post)."""
    if a.oversees_consortium:
        return qs
    condition = Q(pk__in=[])
    if a.has(Role.CVO_MANAGER):
        condition |= Q(organisation__in=a.orgs(Role.CVO_MANAGER))
    if a.has(Role.COMMISSIONER):
        condition |= Q(pk__in=_commissioned_posts(a))
    return qs.filter(condition)


@rule("supervision.StaffMember")
def staff_members(qs, a):
    return qs.filter(_staff_condition(a))


@rule("supervision.LeavePeriod")
def leave_periods(qs, a):
    return qs.filter(_staff_condition(a, "staff__"))


@rule("supervision.SupervisionRequirement")
def supervision_requirements(qs, a):
    from supervision.models import Post, StaffMember

    if a.oversees_consortium:
        return qs
    staff = StaffMember.objects.filter(_staff_condition(a)).values("pk")
    condition = Q(staff__in=staff)
    if a.has(Role.CVO_MANAGER):
        condition |= Q(post__in=Post.objects.filter(organisation__in=a.orgs(Role.CVO_MANAGER)))
    if a.has(Role.SUPERVISOR):
        held = StaffMember.objects.filter(
            Q(clinical_supervisor=a.user) | Q(group_supervisor=a.user), post__isnull=False
        )
        condition |= Q(post__in=held.values("post"))
    return qs.filter(condition)


def _session_condition(a, prefix=""):
    from supervision.models import SupervisionSession

    if a.oversees_consortium:
        return Q()
    # Through the attendance table, not a self-join of sessions: on hundreds of thousands of
    # sessions the database answers this far faster.
    attended = SupervisionSession.attendees.through.objects.filter(
        staffmember__in=_readable_staff(a)
    ).values("supervisionsession_id")
    return Q(**{f"{prefix}pk__in": attended}) | Q(**{f"{prefix}supervisor": a.user})


def _readable_staff(a):
    from supervision.models import StaffMember

    return StaffMember.objects.filter(_staff_condition(a)).values("pk")


@rule("supervision.SupervisionSession")
def supervision_sessions(qs, a):
    """A session is read by whoever may read one of its attendees, and by its supervisor.
    Its confidential notes are another matter: see SessionNote."""
    return qs.filter(_session_condition(a))


@rule("supervision.SessionAction")
def session_actions(qs, a):
    return qs.filter(_session_condition(a, "session__"))


@rule("supervision.SessionNote")
def session_notes(qs, a):
    """Confidential notes: the session's supervisor and its supervisees only. Never the lead,
    an administrator, a CVO manager or a commissioner as such."""
    from supervision.models import SupervisionSession

    attended = SupervisionSession.attendees.through.objects.filter(staffmember__user=a.user).values(
        "supervisionsession_id"
    )
    return qs.filter(Q(session__supervisor=a.user) | Q(session__in=attended))


def commissioned_staff(user):
    """Staff in posts a commissioner's funding pays for — for aggregate figures only; never
    list their names."""
    from supervision.models import StaffMember

    a = actor(user)
    if a.consortium_id is None or not a.has(Role.COMMISSIONER):
        return StaffMember.objects.none()
    return StaffMember.objects.filter(
        consortium_id=a.consortium_id, post__in=_commissioned_posts(a)
    )


def can_see_individuals(user):
    """Named staff and sessions: everyone but a commissioner (who reads aggregates only)."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.SUPERVISOR)


def can_see_post_funding(user):
    """Funding streams behind posts: the lead and administrators (and, by the generic rule, a
    commissioner for their own streams). A supervisor never."""
    return actor(user).oversees_consortium


def can_manage_workforce(user, organisation=None):
    """Add and change posts, staff, leave and requirements: the lead for anyone, a CVO
    manager for their own organisation."""
    a = actor(user)
    if a.oversees_consortium:
        return True
    if organisation is None:
        return a.has(Role.CVO_MANAGER)
    return organisation.pk in a.orgs(Role.CVO_MANAGER)


def can_log_sessions(user):
    return actor(user).has(Role.SUPERVISOR)


def supervisor_organisations(user):
    """Organisations whose practitioners a supervisor covers."""
    return actor(user).orgs(Role.SUPERVISOR)


def can_complete_action(user, action):
    """The session's supervisor, or a manager of the practitioner."""
    a = actor(user)
    if action.session.supervisor_id == getattr(a.user, "pk", None):
        return True
    return a.oversees_consortium or bool(
        set(action.session.attendees.values_list("organisation", flat=True))
        & a.orgs(Role.CVO_MANAGER)
    )


# --- money (funding, contracts) ------------------------------------------------------------
# Leads and administrators see all of their consortium's money. A CVO manager sees its own
# payments, its own subcontract and its own allocation lines; with open-book allocations
# (the consortium setting) it also sees every member's line of an approved allocation it has
# a line in. Commissioners see the streams they fund and the contracts they commission (the
# generic rule), never subcontracts, allocations or payments. Supervisors never see money.


@rule("funding.Allocation")
def allocations(qs, a):
    if a.oversees_consortium:
        return qs
    if a.has(Role.CVO_MANAGER):
        from funding.models import AllocationLine

        mine = AllocationLine._base_manager.filter(
            organisation__in=a.orgs(Role.CVO_MANAGER)
        ).values("allocation_id")
        return qs.filter(status="approved", pk__in=mine)
    return qs.none()


@rule("funding.AllocationLine")
def allocation_lines(qs, a):
    if a.oversees_consortium:
        return qs
    if not a.has(Role.CVO_MANAGER):
        return qs.none()
    own = a.orgs(Role.CVO_MANAGER)
    from funding.models import AllocationLine

    shared_allocations = AllocationLine._base_manager.filter(
        organisation__in=own,
        allocation__status="approved",
        allocation__consortium__open_book_allocations=True,
    ).values("allocation_id")
    return qs.filter(allocation__status="approved").filter(
        Q(organisation__in=own) | Q(allocation__in=shared_allocations)
    )


def can_manage_money(user):
    """Streams, contracts, allocations and payments are kept by the lead (or an
    administrator)."""
    return actor(user).oversees_consortium


def can_see_money(user):
    a = actor(user)
    return a.has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)


def can_see_runway(user):
    a = actor(user)
    return a.has(Role.ADMIN, Role.LEAD, Role.COMMISSIONER)


# --- performance returns -------------------------------------------------------------------
# Leads and administrators see every return. A CVO manager sees its own organisation's
# returns (drafts included), never another CVO's. A commissioner sees approved and locked
# returns of subcontracts under contracts it commissions — never drafts, submissions or
# returned drafts. Supervisors see none. The indicator library is shared reference data.

RETURN_READABLE_BY_COMMISSIONER = ("approved", "locked")


def _returns_condition(a, prefix=""):
    if a.oversees_consortium:
        return Q()
    condition = Q(pk__in=[])
    if a.has(Role.CVO_MANAGER):
        condition |= Q(**{f"{prefix}subcontract__cvo__in": a.orgs(Role.CVO_MANAGER)})
    if a.has(Role.COMMISSIONER):
        condition |= Q(
            **{
                f"{prefix}subcontract__contract__commissioner__in": a.orgs(Role.COMMISSIONER),
                f"{prefix}status__in": RETURN_READABLE_BY_COMMISSIONER,
            }
        )
    return condition


@rule("contracts.PerformanceReturn")
def performance_returns(qs, a):
    return qs.filter(_returns_condition(a))


@rule("contracts.ReturnValue")
def return_values(qs, a):
    return qs.filter(_returns_condition(a, "ret__"))


@rule("contracts.Restatement")
def restatements(qs, a):
    return qs.filter(_returns_condition(a, "ret__"))


def _return_people(a, ret):
    """Is `a` one of the subcontractor's people for `ret`? (The lead agency's own people when
    it delivers the work itself.)"""
    cvo = ret.subcontract.cvo_id
    if cvo in a.orgs(Role.CVO_MANAGER):
        return True
    return cvo == ret.subcontract.lead_id and cvo in a.orgs(Role.LEAD)


def can_edit_return(user, ret):
    """Only the subcontractor's people fill in and submit a return."""
    return _return_people(actor(user), ret)


def can_review_return(user, ret):
    """Approve or return a submitted return. The lead, never the submitter; for the lead
    agency's own work, another lead person or the commissioner, as the consortium says."""
    a = actor(user)
    if ret.submitted_by_id is not None and ret.submitted_by_id == getattr(user, "pk", None):
        return False
    own_work = ret.subcontract.cvo_id == ret.subcontract.lead_id
    if own_work and ret.consortium.lead_work_approved_by == "commissioner":
        contract = ret.subcontract.contract
        return bool(contract) and contract.commissioner_id in a.orgs(Role.COMMISSIONER)
    return a.has(Role.LEAD)


def can_reopen_return(user, ret):
    """Only the lead reopens an approved or locked return (with a reason)."""
    return actor(user).has(Role.LEAD)


def can_manage_returns_setup(user):
    """The indicator library, periods, targets and commissioner templates: the lead."""
    return actor(user).oversees_consortium


def can_see_performance(user):
    a = actor(user)
    return a.has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)


def _return_private_fields(a, obj):
    """The lead's comments on a returned draft are between the lead and the subcontractor."""
    if a.oversees_consortium or _return_people(a, obj):
        return set()
    return {"lead_comments", "warnings_confirmed"}


PRIVATE_FIELDS["contracts.PerformanceReturn"] = _return_private_fields
