"""Outcome measures: drafted, published, and revised as a new version with a reason."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from consortium import dates
from consortium.models import Organisation
from contracts.access.outcomes import (
    can_manage_measures,
)
from contracts.models import MeasureClaimant, OutcomeMeasure

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
