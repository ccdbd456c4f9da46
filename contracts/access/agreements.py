"""Who may see contracts, subcontracts and variations.

They are money. The generic rule reads their `Access` declarations (a commissioner the
contracts it commissions, a CVO manager its own subcontracts), and who may open or keep them
is decided by the funding app's `can_see_money` and `can_manage_money` (funding/access.py).
No rule of their own is needed; the lists have their own readers below. PbR outcomes will
add their rules in a module beside this one.
"""

from consortium.access import actor
from consortium.models import Role


def can_see_contracts(user):
    """Contracts (commissioner → lead): the lead and administrators, and a commissioner for the
    contracts they commission. Members see their subcontracts."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.COMMISSIONER)


def can_see_subcontracts(user):
    """Subcontracts (lead → member): the lead and administrators, and a CVO manager for their
    own. Commissioners contract with the lead, not with its members."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER)
