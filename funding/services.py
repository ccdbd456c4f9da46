"""Writes for funding: streams, allocations (draft → approved, new versions with a reason) and
payments (scheduled → approved → paid / withheld). Each records who and why in history and
as an Event; state changes lock the rows they depend on."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from consortium import access, dates
from consortium.models import Membership, Organisation
from funding import money, results
from funding.access import can_manage_money
from funding.models import APPROVED_MESSAGE, Allocation, AllocationLine, FundingStream, Payment
from funding.money import ZERO


def _require_money(by: User) -> None:
    if not can_manage_money(by):
        raise PermissionDenied("Only the consortium lead or an administrator manages money.")


# --- streams --------------------------------------------------------------------------------


@transaction.atomic
def stream_save(
    *, by: User, stream: FundingStream, expected_version: int | None = None, reason: str = ""
) -> FundingStream:
    """Create or change a funding stream."""
    _require_money(by)
    stream.consortium_id = access.actor(by).consortium_id
    stream.full_clean()
    created = stream.pk is None
    stream.save_as(
        by=by,
        reason=reason or ("Stream added" if created else ""),
        expected_version=expected_version,
    )
    if created:
        stream.record("Stream added", by=by)
    return stream


# --- allocations ----------------------------------------------------------------------------


def eligible_members(consortium_id: int) -> QuerySet[Organisation]:
    """Organisations an allocation may give a line: the lead and its subcontractors."""
    return Organisation.objects.filter(
        memberships__consortium_id=consortium_id,
        memberships__role__in=[Membership.Role.LEAD, Membership.Role.SUBCONTRACTOR],
    ).order_by("name")


def members_figures(user, figures: dict) -> tuple[dict, list]:
    """Members' figures for an allocation ({organisation id: figure}) as `user` may see
    them: the figures of the organisations they may see, and [(name, figure)] by name."""
    orgs = Organisation.objects.visible_to(user).in_bulk(list(figures))
    shown = {k: v for k, v in figures.items() if k in orgs}
    return shown, sorted(((orgs[k].name, v) for k, v in shown.items()), key=lambda r: r[0])


def _members(allocation: Allocation) -> list[money.Member]:
    ids = [int(k) for k in allocation.inputs]
    names = dict(
        eligible_members(allocation.consortium_id).filter(pk__in=ids).values_list("pk", "name")
    )
    members = []
    for key, figures in sorted(allocation.inputs.items(), key=lambda kv: int(kv[0])):
        org_id = int(key)
        if org_id not in names:
            raise ValidationError("Only the lead and subcontractors can have an allocation line.")
        members.append(
            money.Member(
                id=org_id,
                name=names[org_id],
                figure=Decimal(str(figures.get("figure") or "0")),
                overhead_percent=Decimal(str(figures.get("overhead") or "0")),
            )
        )
    return members


def allocation_preview(*, allocation: Allocation) -> list[money.Line]:
    """The lines `allocation` would have (a what-if: nothing is written)."""
    fee_org = None
    if allocation.fee_percent and allocation.fee_organisation_id:
        fee_org = (allocation.fee_organisation_id, allocation.fee_organisation.name)
    return money.allocate(
        pot=allocation.pot,
        formula=allocation.formula,
        members=_members(allocation),
        fee_percent=allocation.fee_percent,
        fee_org=fee_org,
    )


def _write_lines(allocation: Allocation, lines: list[money.Line], by: User) -> None:
    allocation.lines.all().delete()
    for line in lines:
        row = AllocationLine(
            allocation=allocation,
            organisation_id=line.organisation_id,
            kind=line.kind,
            amount=line.amount,
            basis=line.basis,
            arithmetic=line.arithmetic,
        )
        row.save_as(by=by, reason=f"Allocation v{allocation.revision} calculated")


@transaction.atomic
def allocation_save_draft(
    *, by: User, allocation: Allocation, expected_version: int | None = None, reason: str = ""
) -> Allocation:
    """Create or change a draft allocation and recalculate its lines."""
    _require_money(by)
    if allocation.pk:
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if locked.is_approved:
            raise ValidationError(APPROVED_MESSAGE)
    allocation.consortium_id = access.actor(by).consortium_id
    if allocation.stream.consortium_id != allocation.consortium_id:
        raise ValidationError({"stream": "Choose a stream of this consortium."})
    if not allocation.pk:
        allocation.prepared_by = by
    allocation.full_clean()
    lines = allocation_preview(allocation=allocation)
    created = allocation.pk is None
    allocation.save_as(
        by=by,
        reason=reason or ("Draft allocation started" if created else "Draft allocation changed"),
        expected_version=expected_version,
    )
    _write_lines(allocation, lines, by)
    if created:
        allocation.record(
            f"Allocation v{allocation.revision} drafted", by=by, reason=allocation.reason
        )
    return allocation


@transaction.atomic
def allocation_approve(*, allocation: Allocation, by: User, reason: str = "") -> Allocation:
    """Approve a draft: from now on it never changes."""
    _require_money(by)
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.is_approved:
        raise ValidationError("This allocation is already approved.")
    total = allocation.lines.aggregate(t=Sum("amount"))["t"] or ZERO
    if total != allocation.pot:
        raise ValidationError(
            f"The lines add up to {total} but the pot is {allocation.pot}. Save the draft again "
            "to recalculate before approving."
        )
    allocation.status = Allocation.Status.APPROVED
    allocation.approved_by = by
    allocation.approved_at = timezone.now()
    allocation.save_as(by=by, reason=reason or f"Allocation v{allocation.revision} approved")
    allocation.record(
        f"Allocation v{allocation.revision} approved",
        by=by,
        reason=reason,
        details={"pot": str(allocation.pot), "formula": allocation.formula},
    )
    return allocation


@transaction.atomic
def allocation_revise(*, allocation: Allocation, by: User, reason: str) -> Allocation:
    """Start a new version of an approved allocation; the approved one stays as it was."""
    _require_money(by)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the allocation is changing."})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if not allocation.is_approved:
        raise ValidationError("Change the draft itself; only an approved allocation is revised.")
    siblings = list(allocation.same_pot().select_for_update().order_by("-revision"))
    if any(s.status == Allocation.Status.DRAFT for s in siblings):
        raise ValidationError("A draft version of this allocation already exists: change that.")
    if siblings[0].pk != allocation.pk:
        raise ValidationError("Only the latest version can be revised.")
    new = Allocation(
        consortium_id=allocation.consortium_id,
        stream_id=allocation.stream_id,
        period_start=allocation.period_start,
        period_end=allocation.period_end,
        pot=allocation.pot,
        formula=allocation.formula,
        fee_percent=allocation.fee_percent,
        fee_organisation_id=allocation.fee_organisation_id,
        inputs=dict(allocation.inputs),
        revision=allocation.revision + 1,
        reason=reason,
        prepared_by=by,
    )
    new.save_as(by=by, reason=reason)
    _write_lines(new, allocation_preview(allocation=new), by)
    new.record(
        f"Allocation v{new.revision} started from v{allocation.revision}", by=by, reason=reason
    )
    return new


def compare(
    older: Allocation, newer: Allocation
) -> list[tuple[str, str, Decimal | None, Decimal | None, Decimal]]:
    """Rows (organisation, kind, older amount, newer amount, difference) for two versions."""
    rows = {}
    for which, alloc in ((0, older), (1, newer)):
        for line in alloc.lines.select_related("organisation"):
            key = (line.organisation.name, line.get_kind_display())
            rows.setdefault(key, [None, None])[which] = line.amount
    out = []
    for (name, kind), (a, b) in sorted(rows.items()):
        out.append((name, kind, a, b, (b or ZERO) - (a or ZERO)))
    return out


# --- payments -------------------------------------------------------------------------------


def current_approved(allocation: Allocation) -> Allocation | None:
    return (
        allocation.same_pot()
        .filter(status=Allocation.Status.APPROVED)
        .order_by("-revision")
        .first()
    )


def supported_amount(*, organisation_id: int, allocation: Allocation) -> Decimal:
    """What the pot's latest approved version gives `organisation_id`."""
    current = current_approved(allocation)
    if current is None:
        return ZERO
    total = current.lines.filter(organisation_id=organisation_id).aggregate(t=Sum("amount"))["t"]
    return total or ZERO


def committed_amount(
    *, organisation_id: int, allocation: Allocation, exclude_pk: int | None = None
) -> Decimal:
    """Scheduled, approved and paid payments (not withheld, not adjustments) to the member
    from any version of the pot."""
    qs = Payment.objects.filter(
        recipient_id=organisation_id,
        allocation_line__allocation__stream_id=allocation.stream_id,
        allocation_line__allocation__period_start=allocation.period_start,
        allocation_line__allocation__period_end=allocation.period_end,
        is_adjustment=False,
    ).exclude(status=Payment.Status.WITHHELD)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(t=Sum("amount"))["t"] or ZERO


def reconciliation(allocation: Allocation) -> list[dict]:
    """Per member of the pot: what the latest approved version gives it, what is scheduled or
    approved, what is paid, adjustments, and what is left to schedule."""
    current = current_approved(allocation)
    if current is None:
        return []
    given = {}
    names = {}
    for line in current.lines.select_related("organisation"):
        if line.kind == AllocationLine.Kind.FEE:
            continue
        given[line.organisation_id] = given.get(line.organisation_id, ZERO) + line.amount
        names[line.organisation_id] = line.organisation.name
    rows = (
        Payment.objects.filter(
            allocation_line__allocation__stream_id=allocation.stream_id,
            allocation_line__allocation__period_start=allocation.period_start,
            allocation_line__allocation__period_end=allocation.period_end,
        )
        .exclude(status=Payment.Status.WITHHELD)
        .values("recipient_id", "status", "is_adjustment")
        .annotate(total=Sum("amount"))
    )
    figures = {org: {"open": ZERO, "paid": ZERO, "adjustments": ZERO} for org in given}
    for r in rows:
        f = figures.setdefault(r["recipient_id"], {"open": ZERO, "paid": ZERO, "adjustments": ZERO})
        if r["is_adjustment"]:
            f["adjustments"] += r["total"]
        elif r["status"] == Payment.Status.PAID:
            f["paid"] += r["total"]
        else:
            f["open"] += r["total"]
    out = []
    for org, f in sorted(figures.items(), key=lambda kv: names.get(kv[0], "")):
        allocated = given.get(org, ZERO)
        out.append(
            {
                "name": names.get(org, f"#{org}"),
                "allocated": allocated,
                "scheduled": f["open"],
                "paid": f["paid"],
                "adjustments": f["adjustments"],
                "left": allocated - f["open"] - f["paid"],
            }
        )
    return out


def _check_within_allocation(payment: Payment) -> None:
    """Refuse a payment that the approved allocation does not support (adjustments aside)."""
    if payment.amount is None:
        raise ValidationError({"amount": "Enter an amount."})
    if payment.is_adjustment:
        if not payment.adjustment_reason.strip():
            raise ValidationError({"adjustment_reason": "Say why this adjustment is made."})
        if payment.amount == 0:
            raise ValidationError({"amount": "An adjustment cannot be £0.00."})
    elif payment.amount <= 0:
        raise ValidationError({"amount": "The amount must be more than £0.00."})
    line = payment.allocation_line
    if payment.basis == Payment.Basis.RESULTS and not payment.is_adjustment:
        if line is not None:
            raise ValidationError(
                {"allocation_line": "A payment for results draws on claims, not an allocation."}
            )
        supported = results.supported(payment)
        if payment.amount > supported:
            raise ValidationError(
                {
                    "amount": f"Approved claims support £{supported:,.2f} for this payment, less "
                    f"than £{payment.amount:,.2f}. Reduce it, or record the difference as an "
                    "adjustment with a reason (a second person approves it)."
                }
            )
        return
    if line is None:
        if not payment.is_adjustment:
            raise ValidationError(
                {
                    "allocation_line": "A payment must draw on an approved allocation, or be "
                    "recorded as an adjustment with a reason."
                }
            )
        return
    allocation = Allocation.objects.select_for_update().get(pk=line.allocation_id)
    if not allocation.is_approved:
        raise ValidationError({"allocation_line": "Pay only from an approved allocation."})
    if line.organisation_id != payment.recipient_id:
        raise ValidationError(
            {"allocation_line": "That allocation line belongs to another organisation."}
        )
    if payment.is_adjustment:
        return
    supported = supported_amount(organisation_id=payment.recipient_id, allocation=allocation)
    committed = committed_amount(
        organisation_id=payment.recipient_id, allocation=allocation, exclude_pk=payment.pk
    )
    if committed + payment.amount > supported:
        raise ValidationError(
            {
                "amount": f"This would bring payments to {payment.recipient.name} from this "
                f"allocation to £{committed + payment.amount:,.2f}, more than the "
                f"£{supported:,.2f} the approved allocation supports (£{supported - committed:,.2f} "
                "left). Reduce it, or record it as an adjustment with a reason."
            }
        )


@transaction.atomic
def payment_schedule(*, by: User, payment: Payment) -> Payment:
    """Schedule a payment to a member, within what the approved allocation supports."""
    _require_money(by)
    payment.consortium_id = access.actor(by).consortium_id
    payment.status = Payment.Status.SCHEDULED
    payment.scheduled_by = by
    _check_within_allocation(payment)
    payment.full_clean()
    payment.save_as(by=by, reason=payment.adjustment_reason or "Payment scheduled")
    payment.record(
        "Adjustment scheduled" if payment.is_adjustment else "Payment scheduled",
        by=by,
        reason=payment.adjustment_reason,
        details={"amount": str(payment.amount)},
    )
    return payment


@transaction.atomic
def payment_update(
    *, by: User, payment: Payment, expected_version: int | None, reason: str = ""
) -> Payment:
    """Change a scheduled payment (its amount, date or description)."""
    _require_money(by)
    stored = Payment.objects.select_for_update().get(pk=payment.pk)
    if stored.status != Payment.Status.SCHEDULED:
        raise ValidationError(
            f"This payment is {stored.get_status_display().lower()}; only a scheduled payment "
            "can be changed."
        )
    _check_within_allocation(payment)
    payment.full_clean()
    payment.save_as(by=by, reason=reason or "Payment changed", expected_version=expected_version)
    return payment


def _lock(payment: Payment) -> Payment:
    return Payment.objects.select_for_update().select_related("recipient").get(pk=payment.pk)


@transaction.atomic
def payment_approve(*, by: User, payment: Payment, reason: str = "") -> Payment:
    """Approve a scheduled payment. An adjustment needs a second person: whoever scheduled it
    cannot approve it."""
    _require_money(by)
    payment = _lock(payment)
    if payment.status != Payment.Status.SCHEDULED:
        raise ValidationError("Only a scheduled payment can be approved.")
    if payment.is_adjustment and payment.scheduled_by_id == by.pk:
        raise ValidationError(
            "You recorded this adjustment, so somebody else in the lead agency must approve it."
        )
    if not payment.is_adjustment and (
        payment.allocation_line_id or payment.basis == Payment.Basis.RESULTS
    ):
        _check_within_allocation(payment)
    payment.status = Payment.Status.APPROVED
    payment.approved_by = by
    payment.save_as(by=by, reason=reason or "Payment approved")
    payment.record("Payment approved", by=by, reason=reason)
    return payment


@transaction.atomic
def payment_mark_paid(
    *, by: User, payment: Payment, paid_on: datetime.date | None, reference: str
) -> Payment:
    _require_money(by)
    payment = _lock(payment)
    if payment.status != Payment.Status.APPROVED:
        raise ValidationError("Approve the payment before recording it as paid.")
    if not reference or not reference.strip():
        raise ValidationError({"reference": "Enter the remittance reference."})
    if paid_on is None:
        raise ValidationError({"paid_on": "Enter the date it was paid."})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "The date paid cannot be in the future."})
    payment.status = Payment.Status.PAID
    payment.paid_on = paid_on
    payment.reference = reference.strip()
    payment.save_as(by=by, reason=f"Paid on {paid_on:%d %b %Y}, reference {payment.reference}")
    payment.record(
        "Payment recorded as paid",
        by=by,
        details={"paid_on": paid_on.isoformat(), "reference": payment.reference},
    )
    return payment


@transaction.atomic
def payment_withhold(*, by: User, payment: Payment, reason: str) -> Payment:
    _require_money(by)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the payment is withheld."})
    payment = _lock(payment)
    if not payment.is_open:
        raise ValidationError("Only a scheduled or approved payment can be withheld.")
    payment.status = Payment.Status.WITHHELD
    payment.withheld_reason = reason
    payment.save_as(by=by, reason=reason)
    payment.record("Payment withheld", by=by, reason=reason)
    return payment


@transaction.atomic
def payment_schedule_generate(
    *,
    by: User,
    allocation: Allocation,
    organisation: Organisation,
    instalments: int,
    first_due: datetime.date,
    every_months: int = 1,
    share_percent: Decimal | int = 100,
) -> list[Payment]:
    """Instalments for what the approved allocation gives `organisation` and has not yet been
    scheduled (`share_percent` of it: the block share of the subcontract's payment terms),
    split exactly to the penny. The instalments stay editable while scheduled."""
    _require_money(by)
    if instalments < 1 or instalments > 60:
        raise ValidationError({"instalments": "Choose between 1 and 60 instalments."})
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if not allocation.is_approved:
        raise ValidationError("Approve the allocation before scheduling payments from it.")
    line = (
        allocation.lines.filter(organisation=organisation)
        .order_by("kind")
        .exclude(kind=AllocationLine.Kind.FEE)
        .first()
    ) or allocation.lines.filter(organisation=organisation).first()
    if line is None:
        raise ValidationError(f"{organisation.name} has no line in this allocation.")
    supported = supported_amount(organisation_id=organisation.pk, allocation=allocation)
    committed = committed_amount(organisation_id=organisation.pk, allocation=allocation)
    target = money.percent_of(supported, share_percent) - committed
    if target <= 0:
        raise ValidationError(
            f"Everything this allocation supports for {organisation.name} is already scheduled."
        )
    parts = money.split(target, [money.Share(i, Decimal(1), "", i) for i in range(instalments)])
    created = []
    for i in range(instalments):
        if parts[i] <= 0:
            continue
        p = Payment(
            recipient=organisation,
            allocation_line=line,
            description=f"Instalment {i + 1} of {instalments}",
            due_date=dates.shift_months(first_due, i * every_months),
            amount=parts[i],
        )
        created.append(payment_schedule(by=by, payment=p))
    return created
