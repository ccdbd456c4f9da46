"""Who may see and handle assurance packs.

Leads and administrators see every pack of their consortium, drafts included; the lead
prepares and signs packs off. A commissioner sees the signed-off packs (never drafts) of the
contracts they commission, and acknowledges them or raises queries. A CVO manager sees the
signed-off packs of contracts their organisation holds a subcontract under. Supervisors see
none.

A query and its answer are between the contract's commissioner and the lead (and the
administrator): a commissioner's question may name any member, so members do not see them."""

from django.db.models import Q

from consortium.access import actor, rule
from consortium.models import Role
from contracts.models import AssurancePack, Subcontract


def _packs_condition(a, prefix="", *, members=True):
    if a.oversees_consortium:
        return Q()
    condition = Q(pk__in=[])
    published = {f"{prefix}state__in": AssurancePack.PUBLISHED}
    if a.has(Role.COMMISSIONER):
        condition |= Q(
            **{f"{prefix}contract__commissioner__in": a.orgs(Role.COMMISSIONER)}, **published
        )
    if members and a.has(Role.CVO_MANAGER):
        covering = Subcontract._base_manager.filter(cvo__in=a.orgs(Role.CVO_MANAGER))
        condition |= Q(**{f"{prefix}contract__in": covering.values("contract_id")}, **published)
    return condition


@rule("contracts.AssurancePack")
def assurance_packs(qs, a):
    return qs.filter(_packs_condition(a))


@rule("contracts.PackAction")
def pack_actions(qs, a):
    return qs.filter(_packs_condition(a, "pack__"))


@rule("contracts.PackQuery")
def pack_queries(qs, a):
    """The lead, the administrator and the contract's commissioner; never a member."""
    return qs.filter(_packs_condition(a, "pack__", members=False))


def can_see_packs(user):
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.COMMISSIONER, Role.CVO_MANAGER)


def can_prepare_packs(user):
    """Prepare, write, sign off and correct packs; answer queries: the consortium lead."""
    return actor(user).has(Role.LEAD)


def can_read_pack_queries(user, pack):
    """Read a pack's queries and answers (the PackQuery rule): the lead, the administrator and
    the contract's commissioner."""
    return actor(user).oversees_consortium or can_respond_to_pack(user, pack)


def can_respond_to_pack(user, pack):
    """Acknowledge a pack or raise a query on it: a commissioner of its contract."""
    return pack.contract.commissioner_id in actor(user).orgs(Role.COMMISSIONER)
