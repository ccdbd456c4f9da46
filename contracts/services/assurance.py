"""Writes for assurance packs: prepare a draft (figures live), write its narrative and
actions, sign it off (the figures frozen in a snapshot with a SHA-256 digest), acknowledge it,
raise and answer queries, and correct it with a new version.

Signing off is decided in the lead's request (who, when, what was missing); freezing the
figures and writing the PDF takes seconds at national scale, so the page asks a task to do it
(contracts.tasks.finish_sign_off) and shows its progress. Until it is done the pack is "being
signed off": frozen, and read only by the lead and the administrator."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope

from consortium import access, assurance, audit
from consortium.downloads import STALLED_AFTER
from contracts.access.assurance import can_prepare_packs, can_respond_to_pack
from contracts.assurance import unsubmitted
from contracts.models import AssurancePack, Contract, PackAction, PackQuery
from contracts.models.assurance import RETURN_NOT_SUBMITTED, digest_of

S = AssurancePack.State
B = AssurancePack.Build


def _require_lead(by: User) -> None:
    if not can_prepare_packs(by):
        raise PermissionDenied("Only the consortium lead prepares and signs off assurance packs.")


def previous_pack(contract: Contract, start: datetime.date) -> AssurancePack | None:
    """The last signed-off pack of `contract` for a period before `start` (not superseded)."""
    return (
        AssurancePack.objects.filter(
            contract=contract,
            period_end__lt=start,
            state__in=(S.SIGNED_OFF, S.ACKNOWLEDGED),
        )
        .order_by("-period_end", "-revision")
        .first()
    )


def context_for(pack: AssurancePack, by: User, today=None) -> assurance.PackContext:
    prev = previous_pack(pack.contract, pack.period_start)
    return assurance.PackContext(
        consortium_id=pack.consortium_id,
        contracts=(pack.contract,),
        start=pack.period_start,
        end=pack.period_end,
        user=by,
        today=today or timezone.localdate(),
        previous=prev.snapshot if prev else None,
    )


def compute_snapshot(pack: AssurancePack, by: User, progress=None) -> dict:
    """Everything the pack shows, as plain data: what a signed-off pack stores and digests.
    `progress(done)` is told after each section."""
    ctx = context_for(pack, by)
    now = timezone.now()
    # The chain's head as the figures are taken: a record changed after it no longer leads
    # to it, so the pack shows what it was prepared over.
    head = audit.daily_head(pack.consortium_id, ctx.today)
    prev = previous_pack(pack.contract, pack.period_start)
    contract = pack.contract
    return {
        "meta": {
            "consortium": contract.consortium.name,
            "contract": {
                "reference": contract.reference,
                "title": contract.title,
                "commissioner": contract.commissioner.name,
                "lead": contract.lead.name,
            },
            "period": {"start": pack.period_start.isoformat(), "end": pack.period_end.isoformat()},
            "revision": pack.revision,
            "revision_reason": pack.revision_reason,
            "figures_at": now.isoformat(),
            "previous_pack": (
                {
                    "revision": prev.revision,
                    "digest": prev.digest,
                    "period_end": str(prev.period_end),
                }
                if prev
                else None
            ),
            "audit_head": (
                {
                    "day": head.day.isoformat(),
                    "link": head.seq,
                    "hash": head.hash,
                    "at": head.at.isoformat(),
                }
                if head
                else None
            ),
        },
        "sections": assurance.build(ctx, progress),
        "narrative": pack.narrative,
        "actions": [
            {
                "text": a.text,
                "owner": a.owner,
                "due": a.due.isoformat() if a.due else None,
                "status": a.get_status_display(),
                "carried": a.carried_from_id is not None,
            }
            for a in pack.actions.order_by("id")
        ],
    }


def _set_figures(pack: AssurancePack, by: User) -> None:
    pack.snapshot = compute_snapshot(pack, by)
    pack.figures_at = datetime.datetime.fromisoformat(pack.snapshot["meta"]["figures_at"])


@transaction.atomic
def pack_prepare(
    *, contract: Contract, start: datetime.date, end: datetime.date, by: User
) -> AssurancePack:
    """A draft pack for `contract` and the period, with actions still open in the last pack
    carried forward."""
    _require_lead(by)
    if end < start:
        raise ValidationError({"period": "The period must end on or after its start."})
    if AssurancePack.objects.filter(contract=contract, period_start=start, period_end=end).exists():
        raise ValidationError(
            {"period": "A pack for this contract and period exists: open it, or correct it."}
        )
    pack = AssurancePack(
        consortium_id=contract.consortium_id,
        contract=contract,
        period_start=start,
        period_end=end,
        prepared_by=by,
    )
    pack.save_as(by=by, reason="Prepared")
    prev = previous_pack(contract, start)
    if prev is not None:
        for a in prev.actions.exclude(
            status__in=(PackAction.Status.DONE, PackAction.Status.DROPPED)
        ):
            PackAction(
                consortium_id=pack.consortium_id,
                pack=pack,
                text=a.text,
                owner=a.owner,
                due=a.due,
                status=a.status,
                carried_from=a,
            ).save_as(by=by, reason="Carried from the last pack")
    _set_figures(pack, by)
    pack.save_as(by=by, reason="Figures taken")
    pack.record("assurance pack prepared", by=by, details={"period": pack.period_label})
    return pack


def _draft(pack: AssurancePack) -> AssurancePack:
    current = pack.for_transition()
    if current.state != S.DRAFT:
        raise ValidationError(current.frozen_message())
    return current


@transaction.atomic
def pack_refresh(*, pack: AssurancePack, by: User) -> AssurancePack:
    """Take the draft's figures again (a draft's figures are live until it is signed off)."""
    _require_lead(by)
    current = _draft(pack)
    _set_figures(current, by)
    current.save_transition(by=by, reason="Figures taken again")
    return current


def pack_save_narrative(
    *, pack: AssurancePack, by: User, narrative: str, expected_version: int | None
) -> AssurancePack:
    _require_lead(by)
    if pack.is_frozen:
        raise ValidationError(pack.frozen_message())
    pack.narrative = narrative
    pack.snapshot = {**pack.snapshot, "narrative": narrative}
    return pack.save_as(by=by, reason="Narrative written", expected_version=expected_version)


@transaction.atomic
def action_save(
    *,
    pack: AssurancePack,
    by: User,
    text: str,
    owner: str = "",
    due: datetime.date | None = None,
    status: str = PackAction.Status.OPEN,
    action: PackAction | None = None,
    expected_version: int | None = None,
) -> PackAction:
    _require_lead(by)
    current = _draft(pack)
    action = action or PackAction(consortium_id=current.consortium_id, pack=current)
    action.text, action.owner, action.due, action.status = text, owner, due, status
    action.save_as(by=by, reason="Action written", expected_version=expected_version)
    current.snapshot = {**current.snapshot, "actions": compute_snapshot_actions(current)}
    current.save_transition(by=by, reason="Actions changed")
    return action


def compute_snapshot_actions(pack: AssurancePack) -> list:
    return [
        {
            "text": a.text,
            "owner": a.owner,
            "due": a.due.isoformat() if a.due else None,
            "status": a.get_status_display(),
            "carried": a.carried_from_id is not None,
        }
        for a in pack.actions.order_by("id")
    ]


def signoff_gaps(pack: AssurancePack, by: User, today=None) -> list[str]:
    """What a sign-off must name and confirm: the period not yet over, returns unsubmitted."""
    today = today or timezone.localdate()
    gaps = []
    if pack.period_end >= today:
        gaps.append(f"The period does not end until {pack.period_end:%-d %B %Y}.")
    gaps += [f"{RETURN_NOT_SUBMITTED}{g}" for g in unsubmitted(context_for(pack, by, today))]
    return gaps


@transaction.atomic
def pack_sign_off(
    *,
    pack: AssurancePack,
    by: User,
    confirmed: list[str] | None = None,
    in_background: bool = False,
) -> AssurancePack:
    """Sign the pack off: decided here, under the row's lock (who, when, and what was missing,
    which the lead must have confirmed exactly). The pack is then "being signed off" until
    `pack_finish_sign_off` has frozen its figures: at once, or (`in_background`, as the page
    does) by a task whose progress the lead watches, which also writes the PDF."""
    _require_lead(by)
    current = _draft(pack)
    gaps = signoff_gaps(current, by)
    if gaps and list(confirmed or []) != gaps:
        raise ValidationError(
            "Confirm that you sign off with these missing: " + " ".join(gaps), code="confirm"
        )
    current.state = S.SIGNING
    current.signed_off_by = by
    current.signed_off_at = timezone.now()
    current.missing_confirmed = "\n".join(gaps)
    current.build = B.QUEUED
    current.build_done = current.build_total = 0
    current.build_asked_at = current.signed_off_at
    current.save_transition(by=by, reason="Signed off: figures being frozen")
    if not in_background:
        pack_finish_sign_off(pack_id=current.pk, pdf=False)
    else:
        _enqueue(current)
    # The task may have run already (tasks run at once in tests).
    return AssurancePack._base_manager.select_related("contract").get(pk=current.pk)


def _enqueue(pack: AssurancePack) -> None:
    from contracts.tasks import finish_sign_off

    finish_sign_off.enqueue(pack.pk)


def pack_finish_sign_off(*, pack_id: int, pdf: bool = True) -> str:
    """The heavy half of a sign-off (the task's work): take the figures one last time as the
    lead who signed off, freeze them with their digest, supersede the version this one
    corrects and (`pdf`) write the PDF as the lead and the commissioner read it. Progress is
    saved as it goes, for the lead's page; a failure is saved, and raised again for the worker
    to record. A pack no longer being signed off is left alone, so a retry, or the task run
    twice, signs it off once. Returns the pack's state."""
    pack = (
        AssurancePack._base_manager.select_related("contract", "signed_off_by")
        .filter(pk=pack_id)
        .first()
    )
    if pack is None or pack.state != S.SIGNING:
        return pack.state if pack else ""
    rows = AssurancePack._base_manager.filter(pk=pack.pk, state=S.SIGNING)
    rows.update(
        build=B.RUNNING,
        build_done=0,
        build_total=len(assurance.sections()) + (1 if pdf else 0),
        build_attempts=F("build_attempts") + 1,
    )
    by = pack.signed_off_by
    try:
        with scope(consortium=[pack.consortium_id]):
            # Who signed off, and what they may see, is read afresh: they must still lead.
            setattr(by, access.ACTOR_ATTR, access.load_actor(by, pack.consortium_id))
            _require_lead(by)
            snapshot = compute_snapshot(pack, by, lambda done: rows.update(build_done=done))
            with transaction.atomic():
                current = pack.for_transition("contract")
                if current.state != S.SIGNING:
                    return current.state
                current.snapshot = snapshot
                current.figures_at = datetime.datetime.fromisoformat(snapshot["meta"]["figures_at"])
                current.digest = digest_of(current.snapshot)
                current.state = S.SIGNED_OFF
                current.build = ""
                current.build_done = current.build_total
                current.save_transition(by=by, reason="Signed off")
                _supersede_previous(current, by)
                current.record(
                    "assurance pack signed off",
                    by=by,
                    reason=current.missing_confirmed,
                    details={"digest": current.digest, "revision": current.revision},
                )
                if pdf:
                    _write_pdf(current)
    except BaseException:
        rows.update(build=B.FAILED)
        raise
    return current.state


def _supersede_previous(current: AssurancePack, by: User) -> None:
    if not current.previous_id:
        return
    old = current.previous.for_transition()
    if old.state in (S.SIGNED_OFF, S.ACKNOWLEDGED):
        old.state = S.SUPERSEDED
        old.save_transition(by=by, reason=f"Superseded by version {current.revision}")
        old.record(
            "assurance pack superseded",
            by=by,
            reason=current.revision_reason,
            details={"by_revision": current.revision},
        )


def _write_pdf(pack: AssurancePack) -> None:
    """The signed-off pack's PDF, kept where the download finds it, as the lead and the
    contract's commissioner read it (whole, with no queries yet): the first download is
    instant. A member's view, limited to its own rows, is rendered when it is asked for."""
    from contracts.pdf.assurance import reader_pdf

    reader_pdf(pack, pack.snapshot, missing=pack.missing_at_sign_off(), queries=[])


def sign_off_failed(pack: AssurancePack, now=None) -> bool:
    """Whether the lead is told the sign-off could not be finished (and offered to try
    again): its task failed, or has waited or run so long that its worker is gone."""
    if not pack.is_signing:
        return False
    if pack.build == B.FAILED:
        return True
    cutoff = (now or timezone.now()) - STALLED_AFTER
    return pack.build_asked_at is not None and pack.build_asked_at < cutoff


def sign_off_progress(pack: AssurancePack) -> dict:
    """What the sign-off's page says while the task works: the share done (0–100), what it is
    doing, and how far it has got, in words."""
    if pack.build != B.RUNNING:
        return {"percent": 0, "label": "Waiting to start", "words": "0% done."}
    sections = len(assurance.sections())
    done = min(pack.build_done, pack.build_total)
    percent = int(done * 100 / max(pack.build_total, 1))
    if done < sections:
        words = f"{percent}% done: {done} of {sections} sections taken."
        return {"percent": percent, "label": "Taking the figures", "words": words}
    words = f"{percent}% done: all {sections} sections taken."
    return {"percent": percent, "label": "Writing the PDF", "words": words}


def pack_sign_off_retry(*, pack: AssurancePack, by: User) -> AssurancePack:
    """Try again to finish a sign-off whose task failed (or whose worker is gone), from the
    beginning. Pressing it twice queues one task: only a failed sign-off is queued again."""
    _require_lead(by)
    now = timezone.now()
    retryable = Q(build=B.FAILED) | Q(
        build__in=[B.QUEUED, B.RUNNING], build_asked_at__lt=now - STALLED_AFTER
    )
    changed = AssurancePack._base_manager.filter(retryable, pk=pack.pk, state=S.SIGNING).update(
        build=B.QUEUED, build_done=0, build_asked_at=now
    )
    if changed:
        pack.record("assurance pack sign-off tried again", by=by)
        _enqueue(pack)
    current = AssurancePack._base_manager.select_related("contract").get(pk=pack.pk)
    if current.is_draft:
        raise ValidationError("This pack is a draft: sign it off first.")
    return current


@transaction.atomic
def pack_acknowledge(*, pack: AssurancePack, by: User) -> AssurancePack:
    if not can_respond_to_pack(by, pack):
        raise PermissionDenied("Only the contract's commissioner acknowledges its pack.")
    current = pack.for_transition()
    if current.state != S.SIGNED_OFF:
        raise ValidationError("Only a signed-off pack that is not yet acknowledged can be.")
    current.state = S.ACKNOWLEDGED
    current.acknowledged_by = by
    current.acknowledged_at = timezone.now()
    current.save_transition(by=by, reason="Acknowledged")
    current.record("assurance pack acknowledged", by=by, details={"digest": current.digest})
    return current


@transaction.atomic
def query_raise(*, pack: AssurancePack, by: User, question: str) -> PackQuery:
    if not can_respond_to_pack(by, pack):
        raise PermissionDenied("Only the contract's commissioner raises queries on its pack.")
    if pack.state not in (S.SIGNED_OFF, S.ACKNOWLEDGED):
        raise ValidationError("Queries are raised on the current signed-off version.")
    query = PackQuery(
        consortium_id=pack.consortium_id,
        pack=pack,
        question=question,
        raised_by=by,
        raised_at=timezone.now(),
    )
    query.save_as(by=by, reason="Query raised")
    # Recorded on the query, not the pack: the pack's history is read by its members, the
    # query only by the commissioner and the lead.
    query.record("assurance pack query raised", by=by, reason=question)
    return query


@transaction.atomic
def query_answer(*, query: PackQuery, by: User, answer: str) -> PackQuery:
    _require_lead(by)
    current = PackQuery._base_manager.select_for_update().get(pk=query.pk)
    if current.answered_at:
        raise ValidationError("This query is already answered; both are kept as they are.")
    current.answer = answer
    current.answered_by = by
    current.answered_at = timezone.now()
    current.save_as(by=by, reason="Query answered")
    current.record("assurance pack query answered", by=by, reason=answer)
    return current


@transaction.atomic
def pack_new_version(*, pack: AssurancePack, by: User, reason: str) -> AssurancePack:
    """A correction: a new draft version of a signed-off pack, with a reason. The signed-off
    version stays readable, and is superseded when the new one is signed off."""
    _require_lead(by)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the pack is corrected."})
    current = pack.for_transition()
    if current.state not in (S.SIGNED_OFF, S.ACKNOWLEDGED):
        raise ValidationError("Only the current signed-off version of a pack can be corrected.")
    if AssurancePack.objects.filter(previous=current).exists():
        raise ValidationError("A correction of this version is already in hand.")
    last = (
        AssurancePack.objects.filter(
            contract=current.contract,
            period_start=current.period_start,
            period_end=current.period_end,
        )
        .order_by("-revision")
        .values_list("revision", flat=True)
        .first()
    )
    new = AssurancePack(
        consortium_id=current.consortium_id,
        contract=current.contract,
        period_start=current.period_start,
        period_end=current.period_end,
        revision=last + 1,
        previous=current,
        revision_reason=reason,
        narrative=current.narrative,
        prepared_by=by,
    )
    new.save_as(by=by, reason=reason)
    for a in current.actions.order_by("id"):
        PackAction(
            consortium_id=new.consortium_id,
            pack=new,
            text=a.text,
            owner=a.owner,
            due=a.due,
            status=a.status,
            carried_from=a.carried_from,
        ).save_as(by=by, reason="Copied into the new version")
    _set_figures(new, by)
    new.save_as(by=by, reason="Figures taken")
    current.record(
        "assurance pack correction started",
        by=by,
        reason=reason,
        details={"revision": new.revision},
    )
    return new
