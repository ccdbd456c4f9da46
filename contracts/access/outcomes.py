"""Who may see and handle payment by results: the outcomes sub-domain's access rules and
checks.

Leads and administrators see every measure, claim and line. A CVO manager sees the published
measures its organisation may claim, and its own claims and lines — never another member's.
A commissioner sees the measures of the contracts it commissions, and their claims from the
point they are verified (verified, approved, paid). Supervisors see none.

Separation of duties: nobody verifies or approves a claim they submitted; the lead verifies,
the commissioner of the contract approves, and nobody approves a claim they verified. The lead
agency's own claims are verified as the consortium setting for returns says: by another person
in the lead, or by the commissioner.
"""

from django.db.models import Q

from consortium.access import actor, rule
from consortium.models import Consortium, Role
from contracts.access.common import delivery_condition
from contracts.models import MeasureClaimant, OutcomeMeasure, PbRClaim


def _claims_condition(a, prefix=""):
    return delivery_condition(
        a,
        member="claimant",
        commissioner="measure__contract__commissioner",
        commissioner_states=PbRClaim.SEEN_BY_COMMISSIONER,
        prefix=prefix,
    )


@rule("contracts.PbRClaim")
def claims(qs, a):
    return qs.filter(_claims_condition(a))


@rule("contracts.ClaimLine")
def claim_lines(qs, a):
    return qs.filter(_claims_condition(a, "claim__"))


@rule("contracts.OutcomeMeasure")
def measures(qs, a):
    if a.oversees_consortium:
        return qs
    condition = Q(pk__in=[])
    if a.has(Role.CVO_MANAGER):
        mine = MeasureClaimant._base_manager.filter(
            organisation__in=a.orgs(Role.CVO_MANAGER)
        ).values("measure_id")
        condition |= Q(pk__in=mine) & ~Q(status=OutcomeMeasure.Status.DRAFT)
    if a.has(Role.COMMISSIONER):
        condition |= Q(contract__commissioner__in=a.orgs(Role.COMMISSIONER))
    return qs.filter(condition)


@rule("contracts.MeasureClaimant")
def measure_claimants(qs, a):
    if a.oversees_consortium:
        return qs
    condition = Q(pk__in=[])
    if a.has(Role.CVO_MANAGER):
        condition |= Q(organisation__in=a.orgs(Role.CVO_MANAGER))
    if a.has(Role.COMMISSIONER):
        condition |= Q(measure__contract__commissioner__in=a.orgs(Role.COMMISSIONER))
    return qs.filter(condition)


def can_see_claims(user):
    """The claims list and the PbR statement: the lead, members and commissioners."""
    return actor(user).has(Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER)


def can_manage_measures(user):
    """Measures are set up by the lead (or an administrator)."""
    return actor(user).oversees_consortium


def claims_for(user, organisation_id):
    """May `user` claim for `organisation_id`: its CVO manager, or the lead agency's own
    people for the lead's own delivery."""
    a = actor(user)
    return organisation_id in a.orgs(Role.CVO_MANAGER) or organisation_id in a.orgs(Role.LEAD)


def can_edit_claim(user, claim):
    """Only the claimant's people fill in and submit a claim."""
    return claims_for(user, claim.claimant_id)


def _own_work(claim):
    return claim.claimant_id == claim.measure.contract.lead_id


def _lead_work_approver(claim):
    return (
        Consortium._base_manager.filter(pk=claim.consortium_id)
        .values_list("lead_work_approved_by", flat=True)
        .first()
    )


def can_verify_claim(user, claim):
    """The lead verifies, never the person who submitted the claim. For the lead agency's own
    claims: another lead person, or the commissioner, as the consortium says."""
    a = actor(user)
    uid = getattr(user, "pk", None)
    if claim.submitted_by_id is not None and claim.submitted_by_id == uid:
        return False
    if _own_work(claim) and _lead_work_approver(claim) == Consortium.LeadWorkApprover.COMMISSIONER:
        return claim.measure.contract.commissioner_id in a.orgs(Role.COMMISSIONER)
    return a.has(Role.LEAD)


def can_approve_claim(user, claim):
    """The commissioner of the claim's contract approves it — never the person who submitted
    or verified it."""
    a = actor(user)
    uid = getattr(user, "pk", None)
    if uid is not None and uid in (claim.submitted_by_id, claim.verified_by_id):
        return False
    return claim.measure.contract.commissioner_id in a.orgs(Role.COMMISSIONER)


def takes_claim_steps(user):
    """Those a claim waits for: the lead verifies it, the commissioner approves it."""
    return actor(user).has(Role.LEAD, Role.COMMISSIONER)


def can_pay_claim(user):
    """Payments are recorded by the lead (or an administrator), as all payments are."""
    return actor(user).oversees_consortium
