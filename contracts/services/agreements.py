"""Writes for contracts: prime contracts, subcontracts and their variations."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from consortium import access
from contracts.models import Contract, Subcontract, Variation
from funding.access import can_manage_money


def _require_money(by: User) -> None:
    if not can_manage_money(by):
        raise PermissionDenied("Only the consortium lead or an administrator manages contracts.")


@transaction.atomic
def agreement_save(
    *,
    by: User,
    agreement: Contract | Subcontract,
    m2m: dict[str, Iterable] | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> Contract | Subcontract:
    """Create or change a contract or subcontract (with its sites and funding streams)."""
    _require_money(by)
    agreement.consortium_id = access.actor(by).consortium_id
    agreement.full_clean()
    created = agreement.pk is None
    label = agreement._meta.verbose_name
    agreement.save_as(
        by=by,
        reason=reason or (f"{label.capitalize()} added" if created else ""),
        expected_version=expected_version,
    )
    for name, values in (m2m or {}).items():
        getattr(agreement, name).set(values)
    if created:
        agreement.record(f"{label.capitalize()} added", by=by)
    return agreement


@transaction.atomic
def variation_add(
    *, by: User, agreement: Contract | Subcontract, variation: Variation
) -> Variation:
    """Vary a contract or subcontract from a date; the original terms are kept."""
    _require_money(by)
    type(agreement).objects.select_for_update().get(pk=agreement.pk)
    if not variation.reason or not variation.reason.strip():
        raise ValidationError({"reason": "Say why the terms are varied."})
    variation.consortium_id = agreement.consortium_id
    if agreement._meta.model_name == "contract":
        variation.contract = agreement
    else:
        variation.subcontract = agreement
    value, end = agreement.terms_at(variation.effective_date)
    if value + variation.value_change < 0:
        raise ValidationError(
            {"value_change": f"That would take the value below £0.00 (now £{value:,.2f})."}
        )
    if variation.new_end and variation.new_end < agreement.start:
        raise ValidationError({"new_end": "The new end date is before the start date."})
    variation.full_clean()
    variation.save_as(by=by, reason=variation.reason)
    agreement.record(
        "Terms varied",
        by=by,
        reason=variation.reason,
        details={
            "value_change": str(variation.value_change),
            "effective": variation.effective_date.isoformat(),
        },
    )
    return variation
