"""Writes for performance returns: periods, targets, drafts, uploads and the workflow

    draft → submitted → returned (with comments) → submitted → approved → locked

with reopen (lead, with a reason) taking an approved or locked return back to draft. Every
transition re-reads the return under select_for_update and checks its state on that fresh
row, so of two racing transitions exactly one wins; edits carry the version the user started
from, so a stale edit is refused (StaleEdit) rather than overwriting.
"""

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from consortium import access, dates
from consortium.base import StaleEdit
from consortium.xlsx_guard import UploadInvalid
from contracts.access.returns import (
    can_edit_return,
    can_manage_returns_setup,
    can_reopen_return,
    can_review_return,
)
from contracts.models import (
    Indicator,
    LatestReturn,
    PerformanceReturn,
    ReportingPeriod,
    ReportSeen,
    Restatement,
    ReturnLocked,
    ReturnValue,
    Subcontract,
    Target,
)
from contracts.validation.returns import Outcome, figure_cannot_be_held, validate
from contracts.xlsx import returns as returns_xlsx

S = PerformanceReturn.Status
HISTORY_RETURNS = 12
VALUES_CHUNK = 150  # values written per query when a return is saved in bulk


def _require_setup(by: User) -> None:
    if not can_manage_returns_setup(by):
        raise PermissionDenied("Only the consortium lead sets up indicators, periods and targets.")


def _fresh(ret: PerformanceReturn) -> PerformanceReturn:
    """The return re-read under a row lock, for a transition."""
    return ret.for_transition("subcontract", "subcontract__contract", "period", "consortium")


def indicators_for(consortium_id: int) -> list[Indicator]:
    return list(
        Indicator.objects.filter(consortium_id=consortium_id, active=True).select_related(
            "not_more_than", "breakdown_of"
        )
    )


# --- set-up --------------------------------------------------------------------------------


@transaction.atomic
def indicator_save(
    *, indicator: Indicator, by: User, expected_version: int | None = None
) -> Indicator:
    """Add an indicator to the consortium's library, or change one (refusing a stale edit)."""
    _require_setup(by)
    indicator.consortium_id = access.actor(by).consortium_id
    return indicator.save_as(by=by, reason="Indicator saved", expected_version=expected_version)


@transaction.atomic
def periods_create(
    *,
    subcontract: Subcontract,
    by: User,
    frequency: str = "monthly",
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    working_days: int = 10,
) -> list[ReportingPeriod]:
    """Reporting periods for a subcontract (monthly or quarterly) from first to last, each
    due `working_days` working days after it ends. Existing periods are kept."""
    _require_setup(by)
    first = first or subcontract.start
    last = last or subcontract.end
    spans = (
        dates.month_periods(first, last)
        if frequency == ReportingPeriod.Frequency.MONTHLY
        else dates.quarter_periods(first, last)
    )
    existing = set(
        ReportingPeriod.objects.filter(subcontract=subcontract).values_list("start", flat=True)
    )
    made = []
    for start, end in spans:
        if start in existing:
            continue
        p = ReportingPeriod(
            consortium_id=subcontract.consortium_id,
            subcontract=subcontract,
            frequency=frequency,
            start=start,
            end=end,
            due_working_days=working_days,
        )
        p.save_as(by=by, reason="Reporting period added")
        made.append(p)
    if made:
        subcontract.record(f"{len(made)} reporting periods added", by=by)
    return made


@transaction.atomic
def target_set(
    *,
    period: ReportingPeriod,
    indicator: Indicator,
    value: Decimal | int | str,
    by: User,
    reason: str = "",
) -> Target:
    _require_setup(by)
    value = Decimal(str(value))
    if value < 0:
        raise ValidationError({"value": "A target cannot be negative."})
    target, created = Target.objects.get_or_create(
        period=period,
        indicator=indicator,
        defaults={"consortium_id": period.consortium_id, "value": value},
    )
    if not created:
        target.value = value
    target.save_as(by=by, reason=reason or "Target set")
    return target


# --- drafts --------------------------------------------------------------------------------


@transaction.atomic
def return_start(*, period: ReportingPeriod, by: User) -> PerformanceReturn:
    """The return for a period, created as a draft if there is none yet."""
    sub = period.subcontract
    probe = PerformanceReturn(subcontract=sub, consortium_id=period.consortium_id)
    if not (can_edit_return(by, probe) or can_manage_returns_setup(by)):
        raise PermissionDenied("Only the subcontractor's people start a return.")
    ret = PerformanceReturn.objects.filter(period=period).first()
    if ret is None:
        ret = PerformanceReturn(consortium_id=period.consortium_id, subcontract=sub, period=period)
        ret.save_as(by=by, reason="Return started")
    return ret


def _require_editable(ret: PerformanceReturn, by: User) -> None:
    if not can_edit_return(by, ret):
        raise PermissionDenied("Only the subcontractor's people fill in this return.")
    if ret.is_frozen:
        raise ReturnLocked(ret.frozen_message())
    if not ret.is_editable:
        raise ValidationError(
            "This return has been submitted, so it cannot be changed now. If it needs a "
            "correction, ask the consortium lead to return it to you."
        )


@transaction.atomic
def return_save_draft(
    *,
    ret: PerformanceReturn,
    by: User,
    values: dict[str, Decimal | None],
    notes: dict[str, str] | None = None,
    narrative: str | None = None,
    expected_version: int | None = None,
    reason: str = "Draft saved",
) -> PerformanceReturn:
    """Save figures (code → Decimal or None), notes (code → text) and the narrative."""
    current = _fresh(ret)
    if expected_version is not None and current.version != int(expected_version):
        raise StaleEdit(ret)
    _require_editable(current, by)
    indicators = _indicator_keys(current.consortium_id)
    return _save_figures(
        current,
        by=by,
        indicators=indicators,
        values=values,
        notes=notes or {},
        narrative=narrative,
        reason=reason,
    )


class _Key(NamedTuple):
    pk: int
    name: str


def _indicator_keys(consortium_id: int) -> dict[str, _Key]:
    """The active indicators' codes, in order, with what saving a figure needs of each."""
    rows = Indicator.objects.filter(consortium_id=consortium_id, active=True)
    return {code: _Key(pk, name) for code, pk, name in rows.values_list("code", "pk", "name")}


def _save_figures(current, *, by, indicators, values, notes, narrative, reason):
    """Write a return's figures, notes and narrative; `current` was read under a row lock and
    checked editable in this transaction. The values are created and updated in bulk, each
    with its history row (who, and `reason`): a fixed number of queries however many
    indicators the return has."""
    unknown = sorted(set(values) - set(indicators))
    if unknown:
        raise ValidationError(f"Unknown indicator codes: {', '.join(unknown)}.")
    # The same limits on every path: the form, the template upload and any other caller.
    cannot = [figure_cannot_be_held(indicators[c].name, v) for c, v in values.items()]
    if any(cannot):
        raise ValidationError([why for why in cannot if why])
    too_long = [code for code, text in notes.items() if len(text or "") > returns_xlsx.NOTE_MAX]
    if too_long:
        names = ", ".join(indicators[c].name for c in too_long if c in indicators)
        raise ValidationError(
            f"A note must be {returns_xlsx.NOTE_MAX:,} characters or fewer (the note on {names})."
        )
    if narrative is not None and len(narrative) > returns_xlsx.NARRATIVE_MAX:
        raise ValidationError(
            {"narrative": f"Narrative must be {returns_xlsx.NARRATIVE_MAX:,} characters or fewer"}
        )
    existing = {v.indicator_id: v for v in ReturnValue.objects.filter(ret=current)}
    now = timezone.now()
    added, changed = [], []
    for code, ind in indicators.items():
        if code not in values and code not in notes:
            continue
        rv = existing.get(ind.pk)
        if rv is None:
            added.append(
                ReturnValue(
                    consortium_id=current.consortium_id,
                    ret=current,
                    indicator_id=ind.pk,
                    value=values.get(code),
                    note=notes.get(code) or "",
                )
            )
            continue
        new_value = values.get(code, rv.value)
        new_note = notes.get(code, rv.note) or ""
        if rv.value == new_value and rv.note == new_note:
            continue
        rv.value, rv.note = new_value, new_note
        rv.version = (rv.version or 0) + 1
        rv.updated_at = now
        changed.append(rv)
    history = {"default_user": by, "default_change_reason": reason, "batch_size": VALUES_CHUNK}
    if added:
        bulk_create_with_history(added, ReturnValue, **history)
    if changed:
        _update_figures(changed, now)
        ReturnValue.history.bulk_history_create(changed, update=True, **history)
    if narrative is not None:
        current.narrative = narrative
    current.warnings_confirmed = False
    # `current` was read under its row lock and checked editable in this transaction (_fresh,
    # _require_editable): written as a transition is, without asking the database again.
    current.save_transition(by=by, reason=reason)
    return current


def _update_figures(changed, now):
    """UPDATE the changed values' figure and note, VALUES_CHUNK rows a statement, each column
    set by one CASE on the primary key. Written as SQL (portable: SQLite and PostgreSQL) because
    QuerySet.bulk_update and its ORM equivalent resolve an expression per row and column, which
    cost more than reading the whole upload. Their history is written by the caller; the
    in-memory objects already carry the new version. The values are frozen by their return's
    state, which the caller read under its row lock and checked editable in this transaction,
    so no row here can be frozen."""
    meta = ReturnValue._meta
    qn = connection.ops.quote_name
    value, note, updated = (meta.get_field(n) for n in ("value", "note", "updated_at"))
    pk = qn(meta.pk.column)
    for start in range(0, len(changed), VALUES_CHUNK):
        batch = changed[start : start + VALUES_CHUNK]
        ids = [rv.pk for rv in batch]
        whens = " ".join(["WHEN %s THEN %s"] * len(batch))
        params = []
        for rv in batch:
            params += [rv.pk, value.get_db_prep_save(rv.value, connection)]
        for rv in batch:
            params += [rv.pk, rv.note]
        params.append(updated.get_db_prep_save(now, connection))
        params += ids
        sql = (
            f"UPDATE {qn(meta.db_table)} SET "
            f"{qn(value.column)} = CAST(CASE {pk} {whens} END AS {value.db_type(connection)}), "
            f"{qn(note.column)} = CASE {pk} {whens} END, "
            f"{qn('version')} = {qn('version')} + 1, {qn(updated.column)} = %s "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def values_of(ret: PerformanceReturn) -> dict[str, Decimal | None]:
    return {
        code: value
        for code, value in ReturnValue._base_manager.filter(ret=ret).values_list(
            "indicator__code", "value"
        )
    }


def history_of(ret: PerformanceReturn) -> dict[str, list[Decimal]]:
    """Earlier approved figures of the same subcontract, code → [figures], newest first."""
    earlier = list(
        PerformanceReturn._base_manager.filter(
            subcontract_id=ret.subcontract_id,
            status__in=(S.APPROVED, S.LOCKED),
            period__start__lt=ret.period.start,
        )
        .order_by("-period__start")
        .values_list("pk", flat=True)[:HISTORY_RETURNS]
    )
    out = {}
    for code, value in ReturnValue._base_manager.filter(ret_id__in=earlier).values_list(
        "indicator__code", "value"
    ):
        if value is not None:
            out.setdefault(code, []).append(value)
    return out


def check(ret: PerformanceReturn, values: dict | None = None) -> Outcome:
    """The validation outcome for the return as saved, or with `values` (code → figure) as
    typed, to tell a person every problem at once before anything is saved."""
    rules = [i.rule() for i in indicators_for(ret.consortium_id)]
    return validate(values_of(ret) if values is None else values, rules, history_of(ret))


@transaction.atomic
def return_upload(
    *,
    ret: PerformanceReturn,
    by: User,
    data: bytes,
    filename: str,
    expected_version: int | None = None,
) -> returns_xlsx.ParsedReturn:
    """Take a filled-in template. All or nothing: a file that cannot be opened raises
    UploadRefused, one with wrong figures UploadInvalid, and nothing is written either way."""
    current = _fresh(ret)
    _require_editable(current, by)
    indicators = _indicator_keys(current.consortium_id)
    parsed = returns_xlsx.read_return(
        data, filename=filename, key=template_key(current), codes=list(indicators)
    )
    if not parsed.ok:
        raise UploadInvalid(parsed.problems, parsed.rows_checked)
    # Figures that cannot be stored as they are (too many places, too large) are refused
    # here, by row: saving never rounds a figure silently.
    problems = []
    for code, v in parsed.values.items():
        why = figure_cannot_be_held(indicators[code].name, v)
        if why:
            problems.append(returns_xlsx.UploadProblem(parsed.rows.get(code), "D", why))
    if problems:
        raise UploadInvalid(problems, parsed.rows_checked)
    if expected_version is not None and current.version != int(expected_version):
        raise StaleEdit(ret)
    current = _save_figures(
        current,
        by=by,
        indicators=indicators,
        values=parsed.values,
        notes=parsed.notes,
        narrative=parsed.narrative,
        reason="Return uploaded",
    )
    current.record("Return uploaded", by=by, details={"rows": parsed.rows_checked})
    return parsed


def template_key(ret: PerformanceReturn) -> str:
    return f"CONCORD-RETURN-{ret.subcontract_id}-{ret.period_id}"


def template_bytes(ret: PerformanceReturn) -> bytes:
    """The XLSX template for this return, carrying its current figures."""
    values = {v.indicator_id: v for v in ReturnValue._base_manager.filter(ret=ret).select_related()}
    rows = []
    for ind in indicators_for(ret.consortium_id):
        rv = values.get(ind.pk)
        rows.append(
            returns_xlsx.TemplateRow(
                code=ind.code,
                name=ind.name,
                unit=ind.get_unit_display(),
                definition=ind.definition,
                value=rv.value if rv else None,
                note=rv.note if rv else "",
            )
        )
    return returns_xlsx.write_template(
        key=template_key(ret),
        heading="Concord performance return",
        details=[
            ("Subcontract", f"{ret.subcontract.reference} {ret.subcontract.title}"),
            ("Period", f"{ret.period.start:%d %b %Y} to {ret.period.end:%d %b %Y}"),
            ("Due", f"{ret.period.due_date:%d %b %Y}"),
        ],
        rows=rows,
        narrative=ret.narrative,
    )


# --- the workflow --------------------------------------------------------------------------


def _refusal(messages, code):
    """The rules' messages as one ValidationError; each part names its indicator's code
    (`.indicator`), so a form can show it beside the figure it is about."""
    parts = []
    for m in messages:
        part = ValidationError(m.text, code=code)
        part.indicator = m.code
        parts.append(part)
    return ValidationError(parts)


@transaction.atomic
def return_submit(
    *, ret: PerformanceReturn, by: User, confirm_warnings: bool = False
) -> PerformanceReturn:
    """Run the rules and submit. Errors refuse; warnings refuse until confirmed."""
    current = _fresh(ret)
    if not can_edit_return(by, current):
        raise PermissionDenied("Only the subcontractor's people submit this return.")
    if current.is_frozen:
        raise ReturnLocked(current.frozen_message())
    if current.status not in (S.DRAFT, S.RETURNED):
        raise ValidationError("This return has already been submitted.")
    outcome = check(current)
    if outcome.errors:
        raise _refusal(outcome.errors, "invalid")
    if outcome.warnings and not confirm_warnings:
        raise _refusal(outcome.warnings, "warnings")
    was = current.status
    current.status = S.SUBMITTED
    current.submitted_by = by
    current.submitted_at = timezone.now()
    current.warnings_confirmed = bool(outcome.warnings)
    current.save_as(by=by, reason="Submitted" if was == S.DRAFT else "Resubmitted")
    current.record(
        "Return resubmitted" if was == S.RETURNED else "Return submitted",
        by=by,
        details={"warnings_confirmed": [m.text for m in outcome.warnings]},
    )
    return current


def _require_review(current: PerformanceReturn, by: User) -> None:
    if not can_review_return(by, current):
        if current.submitted_by_id == by.pk:
            raise PermissionDenied("You submitted this return, so somebody else must review it.")
        raise PermissionDenied("Only the consortium lead approves or returns a return.")
    if current.status != S.SUBMITTED:
        raise ValidationError(
            f"This return is {current.get_status_display().lower()}, not submitted, so it "
            "cannot be approved or returned now."
        )


@transaction.atomic
def return_return(*, ret: PerformanceReturn, by: User, comments: str) -> PerformanceReturn:
    """Send a submitted return back to the subcontractor with comments."""
    comments = (comments or "").strip()
    if not comments:
        raise ValidationError({"comments": "Say what needs to change."})
    current = _fresh(ret)
    _require_review(current, by)
    current.status = S.RETURNED
    current.lead_comments = comments
    # The comments live in lead_comments, which only the lead and the subcontractor read
    # (PRIVATE_FIELDS); the history reason and the event say only what happened.
    current.save_as(by=by, reason="Returned with comments")
    current.record("Return returned with comments", by=by)
    return current


@transaction.atomic
def return_approve(*, ret: PerformanceReturn, by: User, reason: str = "") -> PerformanceReturn:
    current = _fresh(ret)
    _require_review(current, by)
    current.status = S.APPROVED
    current.approved_by = by
    current.approved_at = timezone.now()
    current.save_as(by=by, reason=reason or "Approved")
    open_restatement = (
        Restatement.objects.filter(ret=current, after__isnull=True).order_by("-reopened_at").first()
    )
    if open_restatement:
        open_restatement.after = _snapshot(current)
        open_restatement.reapproved_at = current.approved_at
        open_restatement.save_as(by=by, reason="Restated figures approved")
    latest_returns_refresh(subcontract_ids=[current.subcontract_id])
    current.record("Return approved", by=by)
    return current


@transaction.atomic
def return_lock(*, ret: PerformanceReturn, by: User) -> PerformanceReturn:
    """Close an approved return (for example once reported)."""
    current = _fresh(ret)
    if not can_reopen_return(by, current):
        raise PermissionDenied("Only the consortium lead locks a return.")
    if current.status != S.APPROVED:
        raise ValidationError("Only an approved return can be locked.")
    current.status = S.LOCKED
    current.save_transition(by=by, reason="Locked")
    latest_returns_refresh(subcontract_ids=[current.subcontract_id])
    current.record("Return locked", by=by)
    return current


def _snapshot(ret: PerformanceReturn) -> dict[str, str | None]:
    return {
        code: (None if v is None else f"{v:f}")
        for code, v in ReturnValue._base_manager.filter(ret=ret).values_list(
            "indicator__code", "value"
        )
    }


@transaction.atomic
def return_reopen(*, ret: PerformanceReturn, by: User, reason: str) -> PerformanceReturn:
    """Take an approved or locked return back to draft so its subcontractor can restate it.
    The only way an approved figure changes; the restatement log keeps before and after."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for reopening; history keeps it."})
    current = _fresh(ret)
    if not can_reopen_return(by, current):
        raise PermissionDenied("Only the consortium lead reopens a return.")
    if current.status not in (S.APPROVED, S.LOCKED):
        raise ValidationError("Only an approved or locked return can be reopened.")
    Restatement(
        consortium_id=current.consortium_id,
        ret=current,
        reason=reason,
        reopened_by=by,
        reopened_at=timezone.now(),
        before=_snapshot(current),
    ).save_as(by=by, reason=reason)
    current.status = S.DRAFT
    current.approved_by = None
    current.approved_at = None
    current.times_reopened += 1
    current.save_transition(by=by, reason=f"Reopened: {reason}")
    latest_returns_refresh(subcontract_ids=[current.subcontract_id])
    current.record("Return reopened", by=by, reason=reason)
    return current


@transaction.atomic
def latest_returns_refresh(*, subcontract_ids) -> None:
    """Rewrite the LatestReturn row of each of these subcontracts from their approved and
    locked returns (none left: no row). Called in the transaction that approves, locks or
    reopens a return, after its change; the subcontracts' rows are locked first, so two such
    transactions on one subcontract write its row one after the other."""
    ids = sorted(set(subcontract_ids))
    if not ids:
        return
    list(Subcontract._base_manager.select_for_update().filter(pk__in=ids).values_list("pk"))
    latest = {}
    rows = (
        PerformanceReturn._base_manager.filter(
            subcontract_id__in=ids, status__in=PerformanceReturn.FROZEN
        )
        .order_by("subcontract_id", "-period__start")
        .values_list("subcontract_id", "pk", "consortium_id")
    )
    for sub_id, ret_id, consortium_id in rows.iterator():
        latest.setdefault(sub_id, (ret_id, consortium_id))
    LatestReturn._base_manager.filter(subcontract_id__in=ids).delete()
    LatestReturn._base_manager.bulk_create(
        LatestReturn(subcontract_id=sub_id, ret_id=ret_id, consortium_id=consortium_id)
        for sub_id, (ret_id, consortium_id) in latest.items()
    )


def report_visited(template, user, returns):
    """A person opens a commissioner's report: the restatements re-approved among its
    `returns` since they last opened it (all of them the first time), and when that was; the
    visit is remembered for next time."""
    seen = ReportSeen.objects.filter(template=template, user=user).first()
    restated = Restatement.objects.visible_to(user).filter(
        ret__in=[r.pk for r in returns], reapproved_at__isnull=False
    )
    if seen:
        restated = restated.filter(reapproved_at__gt=seen.seen_at)
    restated = list(restated.select_related("ret", "ret__subcontract", "ret__period"))
    ReportSeen.objects.update_or_create(
        template=template,
        user=user,
        defaults={"consortium_id": template.consortium_id, "seen_at": timezone.now()},
    )
    return restated, seen.seen_at if seen else None
