"""Who may see and handle performance returns: the returns sub-domain's access rules and
checks.

Leads and administrators see every return. A CVO manager sees its own organisation's returns
(drafts included), never another CVO's. A commissioner sees approved and locked returns of
subcontracts under contracts it commissions — never drafts, submissions or returned drafts.
Supervisors see none. The indicator library is shared reference data (`Access.shared`).
"""

from consortium.access import actor, private_fields, rule
from consortium.models import Role
from contracts.access.common import delivery_condition
from contracts.models import PerformanceReturn


def _returns_condition(a, prefix=""):
    # A commissioner reads a return once it is approved, that is once it is frozen.
    return delivery_condition(
        a,
        member="subcontract__cvo",
        commissioner="subcontract__contract__commissioner",
        commissioner_states=PerformanceReturn.FROZEN,
        prefix=prefix,
    )


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


@private_fields("contracts.PerformanceReturn")
def return_private_fields(a, obj):
    """The lead's comments on a returned draft are between the lead and the subcontractor."""
    if a.oversees_consortium or _return_people(a, obj):
        return set()
    return {"lead_comments", "warnings_confirmed"}


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


def files_returns(user):
    """Those who file returns and are reminded when they fall due: a member's CVO manager,
    and the lead for the lead agency's own delivery."""
    return actor(user).has(Role.CVO_MANAGER, Role.LEAD)


def chases_returns(user):
    """Late and missing returns: the lead and administrators chase them, a member's CVO
    manager is told of their own."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER)


def can_manage_returns_setup(user):
    """The indicator library, periods, targets and commissioner templates: the lead."""
    return actor(user).oversees_consortium


def can_see_performance(user):
    a = actor(user)
    return a.has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)
