"""A claim's money: what it earns under the measure's caps, its approval by the commissioner
and its payment, and the support approved claims give a results payment."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from contracts.access.outcomes import (
    can_approve_claim,
    can_pay_claim,
)
from contracts.models import ClaimLine, OutcomeMeasure, PbRClaim
from contracts.services.outcomes.common import (
    CHUNK,
    LIVE,
    L,
    S,
    _fresh,
    _share,
)
from contracts.validation import outcomes as rules
from funding import services as funding_services
from funding.models import Payment
from funding.money import ZERO

# --- money ---------------------------------------------------------------------------------


def _approved_total(measure: OutcomeMeasure, *, exclude_pk: int, period_start=None) -> Decimal:
    qs = PbRClaim.objects.filter(measure__series=measure.series, status__in=LIVE).exclude(
        pk=exclude_pk
    )
    if period_start is not None:
        qs = qs.filter(period_start=period_start)
    return qs.aggregate(t=Sum("payable_amount"))["t"] or ZERO


def caps_for(claim: PbRClaim) -> list[tuple[str, Decimal | None]]:
    """Room left under each of the measure's caps for this claim, other approved claims
    taken first."""
    m = claim.measure
    caps = []
    if m.period_cap is not None:
        used = _approved_total(m, exclude_pk=claim.pk, period_start=claim.period_start)
        caps.append(("period cap", m.period_cap - used))
    if m.contract_cap is not None:
        used = _approved_total(m, exclude_pk=claim.pk)
        caps.append(("contract cap", m.contract_cap - used))
    return caps


def compute(claim: PbRClaim, *, statuses=(L.VERIFIED,)) -> rules.Payable:
    """What the claim's lines in `statuses` earn under the rule and the caps, now."""
    m = claim.measure
    share = _share(m, claim.claimant_id)
    lines = [
        rules.PaidLine(key=pk, participant=p, events=e, when=d)
        for pk, p, e, d in claim.lines.filter(status__in=statuses).values_list(
            "pk", "participant", "events", "outcome_date"
        )
    ]
    return rules.payable(
        m.payment_rule(share), lines, caps=caps_for(claim), cohort_size=claim.engaged
    )


def figures(claim: PbRClaim) -> dict:
    """Claimed, verified, approved, capped and payable, and which cap bit (for the claim
    page and the statement)."""
    counts = dict(claim.lines.values("status").annotate(n=Sum("events")).values_list("status", "n"))
    claimed_lines = claim.lines.count()
    claimed = compute(claim, statuses=(L.PENDING, L.VERIFIED, L.QUERIED, L.REFUSED))
    if claim.status in LIVE:
        return {
            "claimed_lines": claimed_lines,
            "verified_lines": claim.lines.filter(status=L.VERIFIED).count(),
            "refused_lines": claim.lines.filter(status=L.REFUSED).count(),
            "events": counts,
            "claimed": claimed.earned,
            "verified": claim.earned_amount,
            "approved": claim.earned_amount,
            "capped": claim.earned_amount - claim.payable_amount,
            "payable": claim.payable_amount,
            "caps": claim.caps_applied,
            # How the rule worked depends only on what approval froze (the verified lines, the
            # cohort, the published measure), never on the caps: it reads the same as before.
            "notes": compute(claim).notes,
        }
    verified = compute(claim)
    # Each figure says how it was worked out: the claimed amount from every line claimed,
    # the verified one (once the lead has the claim) from the verified lines only.
    notes = [f"claimed: {', '.join(claimed.notes)}"]
    if claim.status != S.DRAFT:
        notes.append(f"verified so far: {', '.join(verified.notes)}")
    return {
        "claimed_lines": claimed_lines,
        "verified_lines": claim.lines.filter(status=L.VERIFIED).count(),
        "refused_lines": claim.lines.filter(status=L.REFUSED).count(),
        "events": counts,
        "claimed": claimed.earned,
        "verified": verified.earned if claim.status != S.DRAFT else None,
        "approved": None,
        "capped": verified.capped,
        "payable": verified.payable,
        "caps": ", ".join(verified.capped_by),
        "notes": notes,
    }


@transaction.atomic
def claim_approve(*, by: User, claim: PbRClaim, reason: str = "") -> PbRClaim:
    """The commissioner approves a verified claim: its payable amount is fixed (verified
    lines under the rule, then the caps, with the measure locked so that concurrent approvals
    share the caps) and the claim is frozen."""
    current = _fresh(claim)
    if not can_approve_claim(by, current):
        raise PermissionDenied(
            "Only the commissioner of this contract approves its claims, and never the person "
            "who submitted or verified it."
        )
    if current.status != S.VERIFIED:
        raise ValidationError(
            f"This claim is {current.get_status_display().lower()}: only a verified claim is "
            "approved."
        )
    OutcomeMeasure._base_manager.select_for_update().filter(
        series=current.measure.series
    ).values_list("pk", flat=True).first()
    result = compute(current)
    lines = list(current.lines.filter(status=L.VERIFIED))
    for line in lines:
        line.amount = result.lines.get(line.pk, ZERO)
    bulk_update_with_history(
        lines,
        ClaimLine,
        ["amount"],
        batch_size=CHUNK,
        default_user=by,
        default_change_reason="Amount fixed on approval",
    )
    current.status = S.APPROVED
    current.approved_by = by
    current.approved_at = timezone.now()
    current.earned_amount = result.earned
    current.payable_amount = result.payable
    current.caps_applied = ", ".join(result.capped_by)
    # The lines are frozen from here on, so their tallies are too.
    for name, value in current.count_lines().items():
        setattr(current, name, value)
    current.save_transition(by=by, reason=reason or "Claim approved")
    current.record(
        "Claim approved",
        by=by,
        reason=reason,
        details={
            "earned": str(result.earned),
            "payable": str(result.payable),
            "caps": result.capped_by,
        },
    )
    return current


@transaction.atomic
def claim_pay(*, by: User, claim: PbRClaim, paid_on: datetime.date, reference: str) -> Payment:
    """Record the payment of an approved claim: a payment to the member for its payable
    amount (checked by funding against what approved claims support), recorded as paid."""
    if not can_pay_claim(by):
        raise PermissionDenied("Only the consortium lead records payments.")
    current = _fresh(claim)
    if current.status != S.APPROVED:
        raise ValidationError("Only an approved claim is paid.")
    if not current.payable_amount:
        raise ValidationError("Nothing is payable on this claim, so there is nothing to pay.")
    payment = Payment(
        recipient=current.claimant,
        basis=Payment.Basis.RESULTS,
        description=f"PbR {current.measure.code}, {current.period_label}",
        due_date=paid_on,
        amount=current.payable_amount,
    )
    payment = funding_services.payment_schedule(by=by, payment=payment)
    payment = funding_services.payment_approve(by=by, payment=payment, reason="Approved claim")
    payment = funding_services.payment_mark_paid(
        by=by, payment=payment, paid_on=paid_on, reference=reference
    )
    current.payment = payment
    current.status = S.PAID
    current.save_transition(by=by, reason=f"Paid: {payment.reference}")
    current.record(
        "Claim paid", by=by, details={"payment": payment.pk, "amount": str(payment.amount)}
    )
    return payment


def supported_by_claims(payment: Payment) -> Decimal:
    """What approved claims support for a results payment: the claims linked to it, or (for
    one not yet linked) the member's approved claims that no payment has drawn on yet."""
    if payment.pk:
        linked = PbRClaim.objects.filter(payment_id=payment.pk).aggregate(t=Sum("payable_amount"))[
            "t"
        ]
        if linked is not None:
            return linked
    return (
        PbRClaim.objects.filter(
            consortium_id=payment.consortium_id,
            claimant_id=payment.recipient_id,
            status=S.APPROVED,
            payment__isnull=True,
        ).aggregate(t=Sum("payable_amount"))["t"]
        or ZERO
    )
