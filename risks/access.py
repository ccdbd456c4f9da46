"""Who may see and keep risk registers and SWOT analyses: the risks app's access rules.

The lead and administrators see every register. A CVO manager keeps their own
organisation's register and reads the consortium's. A commissioner reads the consortium
register (where escalated risks land), never a member's own. A clinical supervisor sees
nothing of risks. The consortium's SWOT is read by members and commissioners once agreed; a
member's SWOT only by that member and the lead.
"""

from django.db.models import Q

from consortium.access import actor, rule
from consortium.models import Role


def _register_condition(a, path):
    """Readable registers, as a condition on the register at `path` ("" for a register)."""
    prefix = f"{path}__" if path else ""
    if a.oversees_consortium:
        return Q()
    condition = Q(**{f"{prefix}pk__in": []})
    if a.has(Role.CVO_MANAGER, Role.COMMISSIONER):
        condition |= Q(**{f"{prefix}organisation__isnull": True})
    if a.has(Role.CVO_MANAGER):
        condition |= Q(**{f"{prefix}organisation__in": a.orgs(Role.CVO_MANAGER)})
    return condition


def _register_rule(path):
    def visible(qs, a):
        return qs.filter(_register_condition(a, path))

    return visible


rule("risks.RiskRegister")(_register_rule(""))
rule("risks.Risk")(_register_rule("register"))
for _label in ("RiskLink", "Control", "RiskAction", "Acceptance", "RiskReview"):
    rule(f"risks.{_label}")(_register_rule("risk__register"))


@rule("risks.Escalation")
def escalations(qs, a):
    """The member who asked and the lead; a commissioner reads no member's requests."""
    if a.oversees_consortium:
        return qs
    if a.has(Role.CVO_MANAGER):
        return qs.filter(member_risk__register__organisation__in=a.orgs(Role.CVO_MANAGER))
    return qs.none()


@rule("risks.SuggestionDismissal")
def dismissals(qs, a):
    if a.oversees_consortium:
        return qs
    if a.has(Role.CVO_MANAGER):
        return qs.filter(organisation__in=a.orgs(Role.CVO_MANAGER))
    return qs.none()


def _swot_condition(a, prefix=""):
    if a.oversees_consortium:
        return Q()
    condition = Q(**{f"{prefix}pk__in": []})
    if a.has(Role.CVO_MANAGER, Role.COMMISSIONER):
        condition |= Q(**{f"{prefix}organisation__isnull": True, f"{prefix}status": "agreed"})
    if a.has(Role.CVO_MANAGER):
        condition |= Q(**{f"{prefix}organisation__in": a.orgs(Role.CVO_MANAGER)})
    return condition


@rule("risks.SwotAnalysis")
def swot_analyses(qs, a):
    return qs.filter(_swot_condition(a))


@rule("risks.SwotItem")
def swot_items(qs, a):
    return qs.filter(_swot_condition(a, "analysis__"))


# --- acts -----------------------------------------------------------------------------------


# Who opens risk registers and the risk list: everyone but a clinical supervisor and a
# practitioner.
RISK_READERS = (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)


def can_see_risks(user):
    """Risk registers and the risk list: everyone but a clinical supervisor and a
    practitioner."""
    return actor(user).has(*RISK_READERS)


def can_see_swot(user):
    return can_see_risks(user)


def can_keep_register(user, register):
    """Add and change risks: the lead for the consortium register, a CVO manager for their
    own organisation's. The lead reads members' registers; members keep them."""
    a = actor(user)
    if register.organisation_id is None:
        return a.oversees_consortium
    return register.organisation_id in a.orgs(Role.CVO_MANAGER)


def keeps_registers(user):
    """Whoever keeps a risk register: the lead (or an administrator) the consortium's, a CVO
    manager their own. Their risks needing attention, and the reviews and actions they own."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER)


def can_open_register(user):
    """Open a register: the lead the consortium's, a CVO manager their own."""
    return keeps_registers(user)


def can_decide_escalations(user):
    return actor(user).oversees_consortium


def can_manage_risk_settings(user):
    return actor(user).oversees_consortium


def can_see_suggestions(user):
    """Suggested risks are for whoever keeps a register: the lead and CVO managers."""
    return keeps_registers(user)


def can_keep_swot(user, analysis):
    a = actor(user)
    if analysis.organisation_id is None:
        return a.oversees_consortium
    return analysis.organisation_id in a.orgs(Role.CVO_MANAGER) or a.oversees_consortium


def can_start_swot(user):
    """A SWOT is started by whoever keeps a register (the lead, a CVO manager)."""
    return keeps_registers(user)


def can_override_consensus(user):
    """The lead may override a computed consensus, with a reason."""
    return actor(user).oversees_consortium


@rule("risks.SwotAction")
def swot_actions(qs, a):
    return qs.filter(_swot_condition(a, "item__analysis__"))
