"""A claim's verification by the lead: a sample drawn, each line decided, the claim verified,
returned to its member or rejected."""

import secrets

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from consortium.numbers import plural
from contracts.access.outcomes import (
    can_approve_claim,
    can_verify_claim,
)
from contracts.models import ClaimLine, PbRClaim
from contracts.services.outcomes.common import CHUNK, L, S, _fresh
from contracts.validation import outcomes as rules

# --- verification (the lead) ---------------------------------------------------------------


def _require_verifier(claim: PbRClaim, by: User) -> None:
    if not can_verify_claim(by, claim):
        raise PermissionDenied(
            "You cannot verify this claim: the consortium lead verifies claims, never the "
            "person who submitted them."
        )


def _require_submitted(claim: PbRClaim) -> None:
    if claim.status != S.SUBMITTED:
        raise ValidationError(
            f"This claim is {claim.get_status_display().lower()}: only a submitted claim is "
            "verified."
        )


@transaction.atomic
def claim_draw_sample(*, by: User, claim: PbRClaim, size: int, seed: int | None = None) -> PbRClaim:
    """Choose a random sample of lines to check, recording its size and seed so anyone can
    draw the same sample again."""
    current = _fresh(claim)
    _require_verifier(current, by)
    _require_submitted(current)
    if current.lines.exclude(status=L.PENDING).exists():
        raise ValidationError("Lines have already been checked: the sample cannot be redrawn.")
    ids = list(current.lines.values_list("pk", flat=True))
    if size < 1 or size > len(ids):
        raise ValidationError({"size": f"Choose a sample of 1 to {len(ids)} lines."})
    seed = seed if seed is not None else secrets.randbelow(2**31)
    chosen = rules.draw_sample(ids, size, seed)
    current.lines.update(in_sample=False)
    ClaimLine.objects.filter(pk__in=chosen).update(in_sample=True)
    current.verification = PbRClaim.Verification.SAMPLE
    current.sample_size, current.sample_seed = size, seed
    current.save_transition(by=by, reason=f"Sample of {size} drawn with seed {seed}")
    current.record(
        "Verification sample drawn", by=by, details={"size": size, "seed": seed, "lines": chosen}
    )
    return current


@transaction.atomic
def claim_verify_every_line(*, by: User, claim: PbRClaim, reason: str = "") -> PbRClaim:
    current = _fresh(claim)
    _require_verifier(current, by)
    _require_submitted(current)
    current.verification = PbRClaim.Verification.ALL
    current.save_transition(by=by, reason=reason or "Every line to be verified")
    return current


@transaction.atomic
def line_decide(*, by: User, line: ClaimLine, decision: str, note: str = "") -> ClaimLine:
    """Verify, query (back to the member with a comment) or refuse (with a reason) one line.
    A sampled line that fails means every line must be verified."""
    claim = _fresh(line.claim)
    _require_verifier(claim, by)
    _require_submitted(claim)
    if decision not in (L.VERIFIED, L.QUERIED, L.REFUSED):
        raise ValidationError("Choose verified, queried or refused.")
    if decision != L.VERIFIED and not note.strip():
        raise ValidationError(
            {"note": "Say why: the member sees this with the line."}
            if decision == L.QUERIED
            else {"note": "Give the reason for refusing the line; history keeps it."}
        )
    if not claim.verification:
        raise ValidationError("Choose to verify every line or draw a sample first.")
    line = ClaimLine.objects.select_for_update().get(pk=line.pk, claim=claim)
    if claim.verification == PbRClaim.Verification.SAMPLE and not line.in_sample:
        raise ValidationError(
            "This line is not in the sample. Check the sampled lines, or verify every line."
        )
    line.status = decision
    line.decision_note = note.strip()
    line.decided_by = by
    line.decided_at = timezone.now()
    line.save_as(by=by, reason=f"Line {line.get_status_display().lower()}: {note}".strip(": "))
    if (
        decision != L.VERIFIED
        and line.in_sample
        and claim.verification == PbRClaim.Verification.SAMPLE
    ):
        claim.verification = PbRClaim.Verification.ALL
        claim.save_transition(by=by, reason="A sampled line failed: every line must be verified")
        claim.record(
            "Sample failed: every line must be verified",
            by=by,
            reason=note,
            details={"line": line.code},
        )
    return line


@transaction.atomic
def claim_verify(*, by: User, claim: PbRClaim, reason: str = "") -> PbRClaim:
    """Complete verification. On a clean sample the unsampled lines are accepted with it; with
    every line to verify, none may be left unchecked; a queried line sends the claim back."""
    current = _fresh(claim)
    _require_verifier(current, by)
    _require_submitted(current)
    lines = current.lines
    if not current.verification:
        raise ValidationError("Choose to verify every line or draw a sample first.")
    queried = lines.filter(status=L.QUERIED).count()
    if queried:
        raise ValidationError(
            f"{plural(queried, 'line is', 'lines are')} queried: return the claim to the member to "
            "answer them."
        )
    if current.verification == PbRClaim.Verification.SAMPLE:
        unchecked = lines.filter(in_sample=True, status=L.PENDING).count()
        if unchecked:
            raise ValidationError(
                f"{plural(unchecked, 'sampled line is', 'sampled lines are')} not checked yet."
            )
        now = timezone.now()
        rest = list(lines.filter(status=L.PENDING))
        for line in rest:
            line.status = L.VERIFIED
            line.decided_by = by
            line.decided_at = now
            line.decision_note = (
                f"Accepted on a clean sample of {current.sample_size} (seed {current.sample_seed})"
            )
        bulk_update_with_history(
            rest,
            ClaimLine,
            ["status", "decided_by", "decided_at", "decision_note"],
            batch_size=CHUNK,
            default_user=by,
            default_change_reason="Accepted on a clean sample",
        )
    else:
        unchecked = lines.filter(status=L.PENDING).count()
        if unchecked:
            raise ValidationError(
                f"{plural(unchecked, 'line is', 'lines are')} not checked yet: every line must be "
                "verified."
            )
    current.status = S.VERIFIED
    current.verified_by = by
    current.verified_at = timezone.now()
    current.save_transition(by=by, reason=reason or "Claim verified")
    current.record(
        "Claim verified",
        by=by,
        reason=reason,
        details={
            "verified": lines.filter(status=L.VERIFIED).count(),
            "refused": lines.filter(status=L.REFUSED).count(),
            "method": current.verification,
        },
    )
    return current


@transaction.atomic
def claim_return(*, by: User, claim: PbRClaim, comments: str) -> PbRClaim:
    """Send a submitted claim back to its member with comments (and its queried lines)."""
    current = _fresh(claim)
    _require_verifier(current, by)
    _require_submitted(current)
    if not comments or not comments.strip():
        raise ValidationError({"comments": "Say what the member needs to answer."})
    current.status = S.DRAFT
    current.comments = comments.strip()
    current.verification = ""
    current.save_transition(by=by, reason=comments)
    current.lines.filter(status__in=[L.VERIFIED, L.PENDING]).update(in_sample=False)
    current.record("Claim returned to the member", by=by, reason=comments)
    return current


@transaction.atomic
def claim_reject(*, by: User, claim: PbRClaim, reason: str) -> PbRClaim:
    """Reject a submitted (by the verifier) or verified (by the approver) claim, with a
    reason. Its participants are freed: a rejected claim pays nothing."""
    current = _fresh(claim)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Give the reason for rejecting the claim."})
    if current.status == S.SUBMITTED:
        _require_verifier(current, by)
    elif current.status == S.VERIFIED:
        if not can_approve_claim(by, current):
            raise PermissionDenied("Only the contract's commissioner rejects a verified claim.")
    else:
        raise ValidationError("Only a submitted or verified claim can be rejected.")
    refused = list(current.lines.exclude(status=L.REFUSED))
    for line in refused:
        line.status = L.REFUSED
        line.decision_note = f"Claim rejected: {reason.strip()}"[:2000]
    bulk_update_with_history(
        refused,
        ClaimLine,
        ["status", "decision_note"],
        default_user=by,
        default_change_reason=f"Claim rejected: {reason.strip()}"[:100],
    )
    current.status = S.REJECTED
    current.rejected_reason = reason.strip()
    current.save_transition(by=by, reason=reason)
    current.record("Claim rejected", by=by, reason=reason)
    return current
