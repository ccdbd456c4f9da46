"""Who may see and handle the consortium's money: the funding app's access rules and checks.

Leads and administrators see all of their consortium's money. A CVO manager sees its own
payments, its own subcontract and its own allocation lines; with open-book allocations (the
consortium setting) it also sees every member's line of an approved allocation it has a line
in. Commissioners see the streams they fund and the contracts they commission (the generic
rule), never subcontracts, allocations or payments. Supervisors never see money.
"""

from django.db.models import Q

from consortium.access import actor, rule
from consortium.models import Role
from funding.models import Allocation, AllocationLine


@rule("funding.Allocation")
def allocations(qs, a):
    if a.oversees_consortium:
        return qs
    if a.has(Role.CVO_MANAGER):
        mine = AllocationLine._base_manager.filter(
            organisation__in=a.orgs(Role.CVO_MANAGER)
        ).values("allocation_id")
        return qs.filter(status=Allocation.Status.APPROVED, pk__in=mine)
    return qs.none()


@rule("funding.AllocationLine")
def allocation_lines(qs, a):
    if a.oversees_consortium:
        return qs
    if not a.has(Role.CVO_MANAGER):
        return qs.none()
    own = a.orgs(Role.CVO_MANAGER)
    shared_allocations = AllocationLine._base_manager.filter(
        organisation__in=own,
        allocation__status=Allocation.Status.APPROVED,
        allocation__consortium__open_book_allocations=True,
    ).values("allocation_id")
    return qs.filter(allocation__status=Allocation.Status.APPROVED).filter(
        Q(organisation__in=own) | Q(allocation__in=shared_allocations)
    )


# Who keeps the consortium's money: can_manage_money, and the people the money reminders
# are addressed to.
MONEY_ROLES = (Role.ADMIN, Role.LEAD)


def can_manage_money(user):
    """Streams, contracts, allocations and payments are kept by the lead (or an
    administrator)."""
    return actor(user).has(*MONEY_ROLES)


def can_see_money(user):
    a = actor(user)
    return a.has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)


def can_see_runway(user):
    a = actor(user)
    return a.has(Role.ADMIN, Role.LEAD, Role.COMMISSIONER)


def can_read_statements(user):
    """Allocation statements are the members' view of their allocations: CVO managers, and
    the lead and administrators who answer for them. Not commissioners."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER)


def can_see_streams(user):
    """Funding streams: the lead and administrators, and a commissioner for the streams they
    fund. Members see their money through their statement and payments, not the streams."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.COMMISSIONER)


def can_see_allocations(user):
    """The allocations list (drafts and versions) is the lead's; members read theirs through
    the allocation statement, and commissioners see no allocations."""
    return actor(user).oversees_consortium


def can_see_payments(user):
    """Payments: the lead and administrators, and a CVO manager for payments to their own
    organisation. Never a commissioner or a supervisor."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER)
