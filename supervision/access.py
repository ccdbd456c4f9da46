"""Who may see and handle workforce and supervision records: the supervision app's access
rules and checks.

Staff records are personal data: the lead sees everyone, a CVO manager their own
organisation's people, a supervisor the people they supervise (and themselves), and a
commissioner no individual at all (only the aggregate figures of the posts they fund, through
`commissioned_staff` below). Supervisors never see money, so they see no posts. Confidential
session notes are read by the session's supervisor and its supervisees only.
"""

from django.db.models import Q

from consortium.access import actor, rule
from consortium.models import Role
from supervision.models import Post, StaffMember, SupervisionSession


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


@rule("supervision.ComplianceMonth")
def compliance_months(qs, a):
    """A stored month of compliance is read by whoever may read the staff member."""
    return qs.filter(_staff_condition(a, "staff__"))


@rule("supervision.LeavePeriod")
def leave_periods(qs, a):
    return qs.filter(_staff_condition(a, "staff__"))


@rule("supervision.SupervisionRequirement")
def supervision_requirements(qs, a):
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
    if a.oversees_consortium:
        return Q()
    # "Attended by someone readable, or led by me" as a test on each session row, not a
    # join: PostgreSQL hashes the attended ids once (an index-only scan of the attendance by
    # staff member) and tests each session as it walks the sessions in the list's order
    # (the index on consortium and date), so a page stops after its rows instead of
    # collecting and sorting every visible session first.
    attended = SupervisionSession.attendees.through.objects.filter(
        staffmember__in=_readable_staff(a)
    ).values("supervisionsession_id")
    return Q(**{f"{prefix}pk__in": attended}) | Q(**{f"{prefix}supervisor": a.user})


def _readable_staff(a):
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
    attended = SupervisionSession.attendees.through.objects.filter(staffmember__user=a.user).values(
        "supervisionsession_id"
    )
    return qs.filter(Q(session__supervisor=a.user) | Q(session__in=attended))


def commissioned_staff(user):
    """Staff in posts a commissioner's funding pays for — for aggregate figures only; never
    list their names."""
    a = actor(user)
    if a.consortium_id is None or not a.has(Role.COMMISSIONER):
        return StaffMember.objects.none()
    return StaffMember.objects.filter(
        consortium_id=a.consortium_id, post__in=_commissioned_posts(a)
    )


def is_practitioner(user):
    """A member of staff who signs in: their own record, sessions and actions."""
    return actor(user).has(Role.PRACTITIONER)


def own_staff_records(user):
    """The staff records linked to `user`'s sign-in, in their active consortium."""
    a = actor(user)
    if a.consortium_id is None:
        return StaffMember.objects.none()
    return StaffMember.objects.filter(consortium_id=a.consortium_id, user=a.user)


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


def takes_part_in_supervision(user):
    """Supervisors and practitioners: sessions missed and actions agreed in supervision."""
    return actor(user).has(Role.SUPERVISOR, Role.PRACTITIONER)


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


def can_see_posts(user):
    """Posts and vacancies carry their funding: everyone but a clinical supervisor, who never
    sees money."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)


def can_see_compliance(user):
    """The compliance pages: everyone who works across the consortium. A practitioner reads
    their own compliance on their own record."""
    return actor(user).sees_consortium
