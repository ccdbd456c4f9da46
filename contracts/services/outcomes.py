"""Writes for payment by results: measures (draft → published, new versions with a reason),
claims and their lines, and the workflow

    draft → submitted → verified (lead) → approved (commissioner) → paid, or rejected

with lines queried (the claim goes back to its member) or refused. Every transition re-reads
the claim under a row lock (`for_transition()`) and checks its state on that fresh row, so of
two racing transitions exactly one wins. Approval also locks the measure, so that two claims
approved at once cannot both fit under a cap that only one fits under.

Concord never stores a case reference: `participant_hash` turns it into HMAC-SHA256 under a
per-consortium key, itself HMAC-SHA256(settings.PSEUDONYM_KEY, the consortium's id).
"""

import datetime
import secrets
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from consortium import dates
from consortium.base import StaleEdit
from consortium.models import Organisation
from consortium.numbers import plural
from contracts.access.outcomes import (
    can_approve_claim,
    can_edit_claim,
    can_manage_measures,
    can_pay_claim,
    can_verify_claim,
    claims_for,
)
from contracts.models import ClaimFrozen, ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
from contracts.validation import outcomes as rules
from contracts.xlsx import outcomes as evidence_xlsx
from funding import services as funding_services
from funding.models import Payment
from funding.money import ZERO

S = PbRClaim.Status
L = ClaimLine.Status
LIVE = (S.APPROVED, S.PAID)
CHUNK = 2000


class UploadInvalid(ValidationError):
    """The evidence was read, but some rows are wrong; nothing was written."""

    def __init__(self, problems: list, rows_checked: int = 0):
        self.problems = problems
        self.rows_checked = rows_checked
        super().__init__([str(p) for p in problems[:50]])


class UploadRemovesLines(ValidationError):
    """The evidence is right, but lines on the claim are not in it: the upload would remove
    them, so it asks first. Nothing was written."""

    def __init__(self, codes: list[str], count: int):
        self.codes = codes
        self.count = count
        shown = ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
        lines = "line" if self.count == 1 else "lines"
        super().__init__(
            f"This upload replaces the claim's lines and would remove {self.count} {lines} "
            f"that are on the claim but not in your spreadsheet ({shown}), such as lines "
            "added by hand after the template was downloaded. Nothing was saved. To keep them, "
            "download the template again (it carries every line on the claim) and add your "
            f"rows to it; to remove them, confirm and upload the file again."
        )


# --- pseudonyms ----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _key(consortium_id: int) -> bytes:
    return rules.consortium_key(settings.PSEUDONYM_KEY, consortium_id)


def participant_hash(consortium_id: int, reference: str) -> str:
    """The keyed hash of a case reference in a consortium (what Concord stores)."""
    if not rules.normalise_reference(reference):
        raise ValidationError({"reference": "Enter the participant's case reference."})
    return rules.pseudonym(_key(consortium_id), reference)


# --- measures ------------------------------------------------------------------------------


def _require_measures(by: User) -> None:
    if not can_manage_measures(by):
        raise PermissionDenied("Only the consortium lead sets up outcome measures.")


@transaction.atomic
def measure_save(
    *,
    by: User,
    measure: OutcomeMeasure,
    claimants: list[tuple[Organisation, Decimal | None]] | None = None,
    expected_version: int | None = None,
) -> OutcomeMeasure:
    """Create or change a draft measure, and (if given) who may claim it with their shares."""
    _require_measures(by)
    if measure.pk:
        stored = OutcomeMeasure.objects.select_for_update().get(pk=measure.pk)
        if stored.is_frozen:
            raise ValidationError(stored.frozen_message())
    measure.consortium_id = measure.contract.consortium_id
    measure.full_clean(exclude=["series"])
    if claimants is not None:
        _check_shares(measure, claimants)
    created = measure.pk is None
    measure.save_as(
        by=by,
        reason=measure.reason or ("Measure drafted" if created else "Draft measure changed"),
        expected_version=expected_version,
    )
    if created and not measure.series:
        measure.series = measure.pk
        OutcomeMeasure.objects.filter(pk=measure.pk).update(series=measure.pk)
    if claimants is not None:
        measure.claimants.all().delete()
        for org, share in claimants:
            MeasureClaimant(
                consortium_id=measure.consortium_id,
                measure=measure,
                organisation=org,
                share_percent=share,
            ).save_as(by=by, reason="Claimant named")
    if created:
        measure.record(f"Measure {measure.code} v{measure.revision} drafted", by=by)
    return measure


def _check_shares(measure, claimants):
    if not claimants:
        raise ValidationError({"claimants": "Name at least one member who may claim it."})
    if measure.attribution == OutcomeMeasure.Attribution.SHARES:
        shares = [s for _, s in claimants]
        if any(s is None for s in shares) or sum(shares) != 100:
            raise ValidationError(
                {
                    "claimants": "With stated shares, give each member a share; they must add up "
                    "to 100%."
                }
            )


@transaction.atomic
def measure_publish(*, by: User, measure: OutcomeMeasure, reason: str = "") -> OutcomeMeasure:
    """Publish a draft: from now on it is frozen; an earlier published version is retired."""
    _require_measures(by)
    current = measure.for_transition()
    if current.status != OutcomeMeasure.Status.DRAFT:
        raise ValidationError("Only a draft measure can be published.")
    if not current.claimants.exists():
        raise ValidationError("Name at least one member who may claim it before publishing.")
    for older in OutcomeMeasure.objects.select_for_update().filter(
        series=current.series, status=OutcomeMeasure.Status.PUBLISHED
    ):
        older.status = OutcomeMeasure.Status.RETIRED
        older.save_transition(by=by, reason=f"Replaced by v{current.revision}")
    current.status = OutcomeMeasure.Status.PUBLISHED
    current.save_transition(by=by, reason=reason or "Measure published")
    current.record(f"Measure {current.code} v{current.revision} published", by=by, reason=reason)
    return current


@transaction.atomic
def measure_revise(*, by: User, measure: OutcomeMeasure, reason: str) -> OutcomeMeasure:
    """A new draft version of a published measure; the published one stays in force until the
    new one is published."""
    _require_measures(by)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the measure is changing."})
    current = measure.for_transition()
    if current.status == OutcomeMeasure.Status.DRAFT:
        raise ValidationError("Change the draft itself; only a published measure is revised.")
    if OutcomeMeasure.objects.filter(series=current.series, status="draft").exists():
        raise ValidationError("A draft version of this measure already exists: change that.")
    latest = OutcomeMeasure.objects.filter(series=current.series).order_by("-revision").first()
    new = OutcomeMeasure.objects.get(pk=current.pk)
    new.pk = None
    new.id = None
    new.version = 1
    new.status = OutcomeMeasure.Status.DRAFT
    new.revision = latest.revision + 1
    new.reason = reason
    new.save_as(by=by, reason=reason)
    for c in current.claimants.all():
        MeasureClaimant(
            consortium_id=c.consortium_id,
            measure=new,
            organisation_id=c.organisation_id,
            share_percent=c.share_percent,
        ).save_as(by=by, reason="Claimant carried to the new version")
    new.record(
        f"Measure {new.code} v{new.revision} started from v{current.revision}",
        by=by,
        reason=reason,
    )
    return new


def claim_periods(measure: OutcomeMeasure) -> list[tuple[datetime.date, datetime.date]]:
    if measure.claim_frequency == OutcomeMeasure.Frequency.MONTHLY:
        return dates.month_periods(measure.valid_from, measure.valid_to)
    return dates.quarter_periods(measure.valid_from, measure.valid_to)


# --- claims: the member's side -------------------------------------------------------------


def _share(measure: OutcomeMeasure, organisation_id: int) -> Decimal | None:
    row = MeasureClaimant.objects.filter(measure=measure, organisation_id=organisation_id).first()
    if row is None:
        return None
    return row.share_percent if row.share_percent is not None else rules.HUNDRED


@transaction.atomic
def claim_start(
    *, by: User, measure: OutcomeMeasure, claimant: Organisation, period_start: datetime.date
) -> PbRClaim:
    """A draft claim by `claimant` on `measure` for the period starting `period_start`."""
    if not claims_for(by, claimant.pk):
        raise PermissionDenied("Only the member's own people start its claims.")
    if measure.status != OutcomeMeasure.Status.PUBLISHED:
        raise ValidationError("Claims are made on a published measure.")
    if _share(measure, claimant.pk) is None:
        raise ValidationError(
            f"{claimant.name} may not claim {measure.code}. Ask the consortium lead to name it "
            "as a claimant of the measure."
        )
    period = next((p for p in claim_periods(measure) if p[0] == period_start), None)
    if period is None:
        raise ValidationError(
            {"period_start": "Choose one of the measure's claim periods, within its dates."}
        )
    if (
        PbRClaim.objects.filter(
            measure__series=measure.series, claimant=claimant, period_start=period[0]
        )
        .exclude(status=S.REJECTED)
        .exists()
    ):
        raise ValidationError(
            {"period_start": "There is already a claim for this measure and period: add to it."}
        )
    claim = PbRClaim(
        consortium_id=measure.consortium_id,
        measure=measure,
        claimant=claimant,
        period_start=period[0],
        period_end=period[1],
    )
    claim.save_as(by=by, reason="Claim started")
    claim.record("Claim started", by=by)
    return claim


def _require_editable(claim: PbRClaim, by: User) -> None:
    if not can_edit_claim(by, claim):
        raise PermissionDenied("Only the member's own people change its claim.")
    if claim.is_frozen:
        raise ClaimFrozen(claim.frozen_message())
    if not claim.is_editable:
        raise ValidationError(
            f"This claim is {claim.get_status_display().lower()}, so its lines cannot change. "
            "If it needs a correction, ask the consortium lead to return it to you."
        )


def _fresh(claim: PbRClaim) -> PbRClaim:
    return claim.for_transition("measure", "measure__contract", "claimant")


def _line_problems(claim: PbRClaim, facts: rules.LineFacts) -> list[str]:
    m = claim.measure
    return rules.line_problems(
        facts,
        rule_kind=m.rule,
        valid_from=m.valid_from,
        valid_to=m.valid_to,
        window_days=m.window_days,
        period_start=claim.period_start,
        period_end=claim.period_end,
    )


def _taken(claim: PbRClaim, keys: set[tuple[str, str]]) -> dict[tuple[str, str], PbRClaim]:
    """Of (window, participant) pairs, those already in a live line of this measure (any
    member, any claim), with the claim that holds them. One query per CHUNK participants,
    whatever the number of windows (a per-event measure has one a day)."""
    taken = {}
    participants = sorted({participant for _, participant in keys})
    windows = sorted({window for window, _ in keys})
    for i in range(0, len(participants), CHUNK):
        rows = (
            ClaimLine.objects.filter(
                consortium_id=claim.consortium_id,
                series=claim.measure.series,
                window__in=windows,
                participant__in=participants[i : i + CHUNK],
            )
            .exclude(status=L.REFUSED)
            .select_related("claim")
        )
        for line in rows:
            if (line.window, line.participant) in keys:
                taken[(line.window, line.participant)] = line.claim
    return taken


def _delete_lines(claim: PbRClaim, *, by: User, reason: str) -> None:
    """Delete a claim's lines, writing each one's deletion into its history in one INSERT per
    CHUNK lines (who, and why). QuerySet.delete() would write a history row per line, one
    query each. The claim was read under its row lock and checked editable (so no line of it
    can be frozen), and nothing refers to a line, so the rows go in one DELETE."""
    lines = ClaimLine.objects.filter(claim=claim)
    gone = list(lines)
    if not gone:
        return
    history = ClaimLine.history.model
    now = timezone.now()
    history.objects.bulk_create(
        [
            history(
                history_date=now,
                history_type="-",
                history_user=by,
                history_change_reason=reason,
                **{f.attname: getattr(line, f.attname) for f in history.tracked_fields},
            )
            for line in gone
        ],
        batch_size=CHUNK,
    )
    lines._raw_delete(lines.db)


def _double_claim_message(claim, other, code):
    if other.pk == claim.pk:
        return f"participant {code} is already in this claim for the same window."
    if other.claimant_id == claim.claimant_id:
        return (
            f"participant {code} is already claimed for this measure and window (claim for "
            f"{other.period_label}). It is never paid twice: leave it out."
        )
    # Another member's claim: say so without naming the member or its claim.
    return (
        f"participant {code} is already claimed for this measure and window by another member. "
        "Leave it out, or ask the consortium lead for an attribution decision."
    )


@transaction.atomic
def line_add(
    *,
    by: User,
    claim: PbRClaim,
    reference: str,
    engagement_date: datetime.date | None,
    outcome_date: datetime.date | None,
    events: int | None = 1,
    evidence_ref: str = "",
) -> ClaimLine:
    """Add one line to a draft claim. The reference is hashed, never stored."""
    claim = _fresh(claim)
    _require_editable(claim, by)
    participant = participant_hash(claim.consortium_id, reference)
    facts = rules.LineFacts(engagement_date, outcome_date, events, evidence_ref)
    problems = _line_problems(claim, facts)
    if problems:
        raise ValidationError(problems)
    window = rules.window_key(
        claim.measure.rule, period_start=claim.period_start, outcome_date=outcome_date
    )
    taken = _taken(claim, {(window, participant)})
    if taken:
        other = taken[(window, participant)]
        message = _double_claim_message(claim, other, rules.short_code(participant))
        raise ValidationError({"reference": message[0].upper() + message[1:]})
    line = ClaimLine(
        consortium_id=claim.consortium_id,
        claim=claim,
        series=claim.measure.series,
        window=window,
        participant=participant,
        engagement_date=engagement_date,
        outcome_date=outcome_date,
        events=events,
        evidence_ref=evidence_ref.strip(),
    )
    line.save_as(by=by, reason="Line added")
    return line


@transaction.atomic
def line_remove(*, by: User, line: ClaimLine) -> None:
    claim = _fresh(line.claim)
    _require_editable(claim, by)
    line._history_user = by
    line.delete()


@transaction.atomic
def claim_upload(
    *,
    by: User,
    claim: PbRClaim,
    data: bytes,
    filename: str = "",
    remove_lines: int | None = None,
) -> int:
    """Replace a draft claim's lines with the uploaded evidence: every row is checked, and
    nothing is written unless every row is right (UploadInvalid lists the problems row by
    row). A row may stand for a line already on the claim by its line code instead of the
    case reference (the template carries every line that way). Lines on the claim that the
    spreadsheet leaves out are removed only if `remove_lines` is their number, which the
    person confirmed; otherwise UploadRemovesLines names them and nothing is written.
    Returns the number of lines written."""
    claim = _fresh(claim)
    _require_editable(claim, by)
    parsed = evidence_xlsx.read_evidence(data, filename=filename, key=template_key(claim))
    problems = list(parsed.problems)
    bad_rows = {p.row for p in problems}
    current = set(ClaimLine.objects.filter(claim=claim).values_list("window", "participant"))
    by_code = {}
    for _, participant in current:
        by_code.setdefault(rules.short_code(participant), set()).add(participant)
    lines, seen = [], {}
    for row in parsed.rows:
        if row.row in bad_rows:
            continue
        facts = rules.LineFacts(row.engagement_date, row.outcome_date, row.events, row.evidence_ref)
        found = _line_problems(claim, facts)
        for text in found:
            problems.append(evidence_xlsx.UploadProblem(row.row, None, text))
        if found:
            continue
        participant, problem = _row_participant(claim, row, by_code)
        if problem:
            problems.append(evidence_xlsx.UploadProblem(row.row, problem[0], problem[1]))
            continue
        window = rules.window_key(
            claim.measure.rule, period_start=claim.period_start, outcome_date=row.outcome_date
        )
        if (window, participant) in seen:
            problems.append(
                evidence_xlsx.UploadProblem(
                    row.row,
                    "A",
                    f"participant {rules.short_code(participant)} appears twice for the same "
                    f"window (also row {seen[(window, participant)]}). Delete the copy.",
                )
            )
            continue
        seen[(window, participant)] = row.row
        lines.append((row, window, participant))
    # The claim's own lines are replaced, so only other claims can hold a participant.
    taken = {
        k: other
        for k, other in _taken(claim, {(w, p) for _, w, p in lines}).items()
        if other.pk != claim.pk
    }
    for row, window, participant in lines:
        other = taken.get((window, participant))
        if other is not None:
            problems.append(
                evidence_xlsx.UploadProblem(
                    row.row, "A", _double_claim_message(claim, other, rules.short_code(participant))
                )
            )
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise UploadInvalid(problems, parsed.rows_checked)
    gone = current - set(seen)
    if gone and remove_lines != len(gone):
        raise UploadRemovesLines(sorted({rules.short_code(p) for _, p in gone}), len(gone))
    _delete_lines(claim, by=by, reason="Evidence uploaded")
    bulk_create_with_history(
        [
            ClaimLine(
                consortium_id=claim.consortium_id,
                claim=claim,
                series=claim.measure.series,
                window=window,
                participant=participant,
                engagement_date=row.engagement_date,
                outcome_date=row.outcome_date,
                events=row.events,
                evidence_ref=row.evidence_ref,
            )
            for row, window, participant in lines
        ],
        ClaimLine,
        batch_size=CHUNK,
        default_user=by,
        default_change_reason="Evidence uploaded",
    )
    claim.save_as(by=by, reason=f"Evidence uploaded: {len(lines)} lines")
    claim.record("Evidence uploaded", by=by, details={"lines": len(lines)})
    return len(lines)


def _row_participant(claim, row, by_code):
    """The participant an evidence row is about, by its case reference or, for a line already
    on the claim, its line code: (participant, None), or (None, (column, problem))."""
    if row.reference:
        participant = rules.pseudonym(_key(claim.consortium_id), row.reference)
        if row.code and rules.short_code(participant) != row.code:
            return None, (
                "A",
                f"the case reference is not that of line {row.code} (column F). For a new "
                "participant clear column F; otherwise correct the reference.",
            )
        return participant, None
    participants = by_code.get(row.code, set())
    if len(participants) != 1:
        why = (
            "is not a line of this claim"
            if not participants
            else "stands for more than one participant on this claim"
        )
        return None, (
            "F",
            f"{row.code[:20]} {why}. Type the participant's case reference in column A.",
        )
    return next(iter(participants)), None


def template_key(claim: PbRClaim) -> str:
    return f"PBR-{claim.pk}-{claim.measure.series}-{claim.period_start:%Y%m%d}"


def template_bytes(claim: PbRClaim) -> bytes:
    """The evidence template for a claim, carrying its current lines by their line codes."""
    m = claim.measure
    lines = ClaimLine.objects.filter(claim=claim).order_by("outcome_date", "id")
    return evidence_xlsx.write_template(
        lines=(
            evidence_xlsx.TemplateLine(
                code=rules.short_code(participant),
                engagement_date=engaged,
                outcome_date=outcome,
                events=events,
                evidence_ref=evidence,
            )
            for participant, engaged, outcome, events, evidence in lines.values_list(
                "participant", "engagement_date", "outcome_date", "events", "evidence_ref"
            ).iterator(chunk_size=CHUNK)
        ),
        key=template_key(claim),
        heading=f"{m.code} {m.name}: evidence",
        details=[
            ("Claimant", claim.claimant.name),
            ("Period", claim.period_label),
            ("Evidence needed", m.evidence_required[:500]),
        ],
    )


@transaction.atomic
def claim_save_counts(
    *,
    by: User,
    claim: PbRClaim,
    eligible: int | None,
    engaged: int | None,
    expected_version: int | None = None,
) -> PbRClaim:
    """The participants eligible and engaged in the period (the cohort, for a cohort
    measure). `expected_version`: the claim's version the person's page showed; if somebody
    saved the claim since, StaleEdit is raised and nothing is written."""
    current = _fresh(claim)
    if expected_version is not None and current.version != int(expected_version):
        raise StaleEdit(claim)
    _require_editable(current, by)
    if eligible is not None and engaged is not None and engaged > eligible:
        raise ValidationError({"engaged": "More engaged than eligible: check both figures."})
    current.eligible, current.engaged = eligible, engaged
    current.save_transition(by=by, reason="Participant counts saved")
    return current


@transaction.atomic
def claim_submit(*, by: User, claim: PbRClaim) -> PbRClaim:
    current = _fresh(claim)
    _require_editable(current, by)
    count = current.lines.count()
    if not count:
        raise ValidationError("Add at least one line, or upload the evidence, before submitting.")
    if current.measure.rule == OutcomeMeasure.Rule.COHORT and not current.engaged:
        raise ValidationError(
            "This is a cohort measure: enter the number engaged in the period (the cohort) "
            "before submitting."
        )
    if current.engaged is not None and count > current.engaged:
        raise ValidationError(
            f"The claim has {count} lines but only {current.engaged} participants engaged. "
            "Check the counts."
        )
    answered = list(ClaimLine.objects.filter(claim=current, status=L.QUERIED))
    for line in answered:
        line.status = L.PENDING
    # Line states keep their history too (a plain update() would write none).
    bulk_update_with_history(
        answered, ClaimLine, ["status"], default_user=by, default_change_reason="Claim resubmitted"
    )
    current.status = S.SUBMITTED
    current.submitted_by = by
    current.submitted_at = timezone.now()
    current.save_transition(by=by, reason="Claim submitted")
    current.record("Claim submitted", by=by, details={"lines": count})
    return current


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
