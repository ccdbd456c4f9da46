"""A claim on the member's side: started, its lines added, uploaded or removed, its counts
saved, and submitted."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from consortium.base import StaleEdit
from consortium.models import Organisation
from consortium.xlsx_guard import UploadInvalid
from contracts.access.outcomes import (
    can_edit_claim,
    claims_for,
)
from contracts.models import ClaimFrozen, ClaimLine, OutcomeMeasure, PbRClaim
from contracts.services.outcomes.common import (
    CHUNK,
    L,
    S,
    UploadRemovesLines,
    _fresh,
    _key,
    _share,
    participant_hash,
)
from contracts.services.outcomes.measures import claim_periods
from contracts.validation import outcomes as rules
from contracts.xlsx import outcomes as evidence_xlsx

# --- claims: the member's side -------------------------------------------------------------


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
    current = set(ClaimLine.objects.filter(claim=claim).values_list("window", "participant"))
    by_code = {}
    for _, participant in current:
        by_code.setdefault(rules.short_code(participant), set()).add(participant)
    bad_rows = {p.row for p in problems}
    rows = [row for row in parsed.rows if row.row not in bad_rows]
    # The claim's own lines are replaced, so only other claims can hold a participant.
    lines, seen = _checked_rows(claim, rows, problems, by_code, replacing=True)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise UploadInvalid(problems, parsed.rows_checked)
    gone = current - set(seen)
    if gone and remove_lines != len(gone):
        raise UploadRemovesLines(sorted({rules.short_code(p) for _, p in gone}), len(gone))
    _delete_lines(claim, by=by, reason="Evidence uploaded")
    bulk_create_with_history(
        _new_lines(claim, lines),
        ClaimLine,
        batch_size=CHUNK,
        default_user=by,
        default_change_reason="Evidence uploaded",
    )
    claim.save_as(by=by, reason=f"Evidence uploaded: {len(lines)} lines")
    claim.record("Evidence uploaded", by=by, details={"lines": len(lines)})
    return len(lines)


def _checked_rows(claim, rows, problems, by_code, *, replacing):
    """Check evidence rows for `claim`: each row's facts, its participant, copies within the
    rows, and participants already claimed for the same window — by another claim, or (unless
    `replacing` the claim's lines) by this one. Appends each problem to `problems`; returns
    [(row, window, participant)] of the rows without one, and {(window, participant): row}."""
    lines, seen = [], {}
    for row in rows:
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
    taken = {
        k: other
        for k, other in _taken(claim, {(w, p) for _, w, p in lines}).items()
        if not (replacing and other.pk == claim.pk)
    }
    for row, window, participant in lines:
        other = taken.get((window, participant))
        if other is not None:
            problems.append(
                evidence_xlsx.UploadProblem(
                    row.row, "A", _double_claim_message(claim, other, rules.short_code(participant))
                )
            )
    return lines, seen


def _new_lines(claim, lines):
    return [
        ClaimLine(
            consortium_id=claim.consortium_id,
            claim=claim,
            series=claim.measure.series,
            window=window,
            participant=participant,
            engagement_date=row.engagement_date,
            outcome_date=row.outcome_date,
            events=row.events,
            evidence_ref=row.evidence_ref.strip(),
        )
        for row, window, participant in lines
    ]


@transaction.atomic
def lines_add(
    *,
    by: User,
    claim: PbRClaim,
    rows: list[evidence_xlsx.EvidenceRow],
    expected_version: int | None = None,
) -> int:
    """Add evidence lines to a draft claim in one go (a case system sends them in batches):
    every row is checked as an uploaded row is, and nothing is written unless every row is
    right (UploadInvalid lists the problems by row). The references are hashed on arrival
    and never stored. `expected_version`: the claim's version the caller last read; if the
    claim changed since, StaleEdit. Returns the number of lines added."""
    claim = _fresh(claim)
    if expected_version is not None and claim.version != int(expected_version):
        raise StaleEdit(claim)
    _require_editable(claim, by)
    problems = []
    lines, _ = _checked_rows(claim, rows, problems, {}, replacing=False)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise UploadInvalid(problems, len(rows))
    bulk_create_with_history(
        _new_lines(claim, lines),
        ClaimLine,
        batch_size=CHUNK,
        default_user=by,
        default_change_reason="Lines added",
    )
    claim.save_as(by=by, reason=f"{len(lines)} lines added")
    claim.record("Lines added", by=by, details={"lines": len(lines)})
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
