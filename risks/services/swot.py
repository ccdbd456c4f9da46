"""Writes for SWOT analyses: the analysis, its items and consensus, agreement, a new round
and actions on opportunities. Each records who (and why) in history and as an Event."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from risks.access import (
    can_keep_swot,
    can_override_consensus,
    can_start_swot,
)
from risks.models import (
    SwotAction,
    SwotAnalysis,
    SwotItem,
)
from risks.services.risks import _consortium_id

# --- SWOT -----------------------------------------------------------------------------------


@transaction.atomic
def swot_save(
    *, by: User, analysis: SwotAnalysis, expected_version: int | None = None
) -> SwotAnalysis:
    if analysis.pk is None:
        if not can_start_swot(by):
            raise PermissionDenied("Only the lead or a member's manager starts a SWOT.")
        analysis.consortium_id = _consortium_id(by)
    if not can_keep_swot(by, analysis):
        raise PermissionDenied("Only the lead keeps the consortium's SWOT; a member keeps its own.")
    analysis.full_clean()
    created = analysis.pk is None
    analysis.save_as(
        by=by, reason="SWOT started" if created else "", expected_version=expected_version
    )
    return analysis


@transaction.atomic
def swot_item_save(*, by: User, item: SwotItem) -> SwotItem:
    analysis = SwotAnalysis.objects.get(pk=item.analysis_id)
    if not can_keep_swot(by, analysis):
        raise PermissionDenied("Only the SWOT's keeper changes its items.")
    if item.support > max(analysis.sources, 1):
        raise ValidationError(
            {
                "support": f"No more sources can support an item than the {analysis.sources} in "
                "the evidence base."
            }
        )
    item.full_clean()
    item.save_as(by=by)
    return item


@transaction.atomic
def swot_item_override(*, by: User, item: SwotItem, consensus: str, reason: str) -> SwotItem:
    """The lead sets an item's consensus by hand, saying why (blank consensus: computed)."""
    if not can_override_consensus(by):
        raise PermissionDenied("Only the consortium lead overrides a consensus.")
    if consensus and not reason.strip():
        raise ValidationError({"reason": "Say why the consensus differs from the sources."})
    item.consensus_override = consensus
    item.override_reason = reason if consensus else ""
    item.save_as(by=by, reason=reason or "Consensus computed again")
    return item


@transaction.atomic
def swot_agree(*, by: User, analysis: SwotAnalysis) -> SwotAnalysis:
    current = analysis.for_transition()
    if not can_keep_swot(by, current):
        raise PermissionDenied("Only the SWOT's keeper agrees it.")
    if current.status != SwotAnalysis.Status.DRAFT:
        raise ValidationError("This SWOT is already agreed.")
    if not current.items.exists():
        raise ValidationError("Add the SWOT's items before agreeing it.")
    current.status = SwotAnalysis.Status.AGREED
    current.agreed_by = by
    current.agreed_at = timezone.now()
    current.save_transition(by=by, reason="SWOT agreed")
    current.record("SWOT agreed", by=by)
    return current


@transaction.atomic
def swot_new_round(
    *, by: User, analysis: SwotAnalysis, title: str, period_start, period_end
) -> SwotAnalysis:
    """A new draft round copying the items (and evidence base) of an agreed SWOT."""
    if not can_keep_swot(by, analysis):
        raise PermissionDenied("Only the SWOT's keeper starts a new round.")
    new = SwotAnalysis(
        consortium_id=analysis.consortium_id,
        organisation=analysis.organisation,
        title=title,
        period_start=period_start,
        period_end=period_end,
        interviews=analysis.interviews,
        documents=analysis.documents,
        workshops=analysis.workshops,
        previous=analysis,
    )
    new.full_clean()
    new.save_as(by=by, reason=f"New round of {analysis.title}")
    for item in analysis.items.all():
        SwotItem(
            analysis=new,
            quadrant=item.quadrant,
            statement=item.statement,
            theme=item.theme,
            support=item.support,
            consensus_override=item.consensus_override,
            override_reason=item.override_reason,
        ).save_as(by=by, reason="Copied from the previous round")
    new.record("SWOT round started", by=by, details={"previous": analysis.pk})
    return new


@transaction.atomic
def swot_action_add(
    *, by: User, item: SwotItem, description: str, owner: User | None, due: datetime.date | None
) -> SwotAction:
    """An action from an opportunity."""
    if not can_keep_swot(by, item.analysis):
        raise PermissionDenied("Only the SWOT's keeper adds actions to it.")
    if item.quadrant != SwotItem.Quadrant.OPPORTUNITY:
        raise ValidationError("Actions come from opportunities; open a risk from a threat.")
    if owner is None:
        raise ValidationError({"owner": "Name who owns the action: every action needs an owner."})
    if due is None:
        raise ValidationError({"due": "Give the date the action is due."})
    action = SwotAction(item=item, description=description, owner=owner, due=due)
    action.full_clean()
    action.save_as(by=by, reason="Action from an opportunity")
    item.analysis.record("Action from an opportunity", by=by, details={"item": item.pk})
    return action
