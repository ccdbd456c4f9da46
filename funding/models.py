from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from consortium.base import (
    AccessQuerySet,
    ConcordModel,
    ConsortiumManager,
    FreezableModel,
    Frozen,
)
from consortium.models import Consortium, Organisation
from funding import money


class FundingStream(ConcordModel):
    """Money coming into the consortium from one funder for a period."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", "Contract"
        GRANT = "grant", "Grant"
        BLOCK = "block", "Block funding"
        PBR = "pbr", "Payment by results"
        MATCH = "match", "Match funding"

    class Status(models.TextChoices):
        SECURED = "secured", "Secured"
        PENDING_RENEWAL = "pending_renewal", "Pending renewal"
        BID_SUBMITTED = "bid_submitted", "Bid submitted"
        ENDED = "ended", "Ended"

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="funding_streams"
    )
    funder = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="funding_streams"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(money.ZERO)]
    )
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SECURED)
    restrictions = models.TextField(blank=True, help_text="What the money may and may not pay for.")
    renewal_decision_date = models.DateField(null=True, blank=True)
    notice_period_days = models.PositiveIntegerField(default=0)
    services_funded = models.TextField(
        blank=True, help_text="The services and service lines this money pays for."
    )

    class Meta:
        ordering = ["end", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="stream_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="stream_amount_not_negative"),
        ]

    constraint_messages = {
        "stream_ends_after_start": "The end date must be the same as or after the start date.",
        "stream_amount_not_negative": "Enter an amount of £0 or more.",
    }

    class Access(ConcordModel.Access):
        # Funding is the lead's business; commissioners see the streams they fund.
        commissioner = "funder"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("funding:stream_detail", args=[self.pk])

    def days_left(self, today=None):
        return (self.end - (today or timezone.localdate())).days

    def horizon(self, today=None):
        """The smallest expiry horizon (days) the stream's end falls within, or None."""
        if self.status == self.Status.ENDED:
            return None
        left = self.days_left(today)
        if left < 0:
            return None
        inside = [h for h in settings.CONCORD_EXPIRY_HORIZONS if left <= h]
        return min(inside) if inside else None


class ApprovedIsFinal(ValidationError):
    """An approved allocation (and its lines) never changes: a change is a new version."""


APPROVED_MESSAGE = (
    "This allocation is approved and cannot change. Start a new version and say why; "
    "the approved one stays as it is."
)


class Allocation(FreezableModel):
    """A pot (a funding stream for a period) divided between members by a formula.

    `revision` numbers the versions of one pot (stream + period); the locking `version`
    of ConcordModel is a different thing.
    """

    class Formula(models.TextChoices):
        FIXED = money.FIXED, "Fixed percentages"
        EQUAL = money.EQUAL, "Equal shares"
        FTE = money.FTE, "By funded FTE"
        ACTIVITY = money.ACTIVITY, "By activity"
        OUTCOMES = money.OUTCOMES, "By verified outcomes"
        FULL_COST = money.FULL_COST, "Full cost recovery (direct costs + overhead %)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    frozen = Frozen(states=(Status.APPROVED,), error=ApprovedIsFinal, message=APPROVED_MESSAGE)

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="allocations")
    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="allocations")
    period_start = models.DateField()
    period_end = models.DateField()
    pot = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    formula = models.CharField(max_length=20, choices=Formula.choices)
    fee_percent = models.DecimalField(
        "management fee %",
        max_digits=5,
        decimal_places=2,
        default=money.ZERO,
        validators=[MinValueValidator(money.ZERO), MaxValueValidator(Decimal("99.99"))],
    )
    fee_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inputs = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    reason = models.TextField(blank=True, help_text="Why this version exists.")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "stream__name", "-revision"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="allocation_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(pot__gt=0), name="allocation_pot_positive"),
            models.CheckConstraint(
                condition=Q(fee_percent__gte=0) & Q(fee_percent__lt=100),
                name="allocation_fee_in_range",
            ),
            models.UniqueConstraint(
                fields=["stream", "period_start", "period_end", "revision"],
                name="one_revision_number_per_pot",
            ),
            models.UniqueConstraint(
                fields=["stream", "period_start", "period_end"],
                condition=Q(status="draft"),
                name="one_draft_per_pot",
            ),
        ]

    class Access(ConcordModel.Access):
        pass

    def __str__(self):
        return f"{self.stream.name}, {self.period_start:%d %b %Y} to {self.period_end:%d %b %Y} (v{self.revision})"

    def get_absolute_url(self):
        return reverse("funding:allocation_detail", args=[self.pk])

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED

    def same_pot(self):
        return Allocation.objects.filter(
            stream_id=self.stream_id, period_start=self.period_start, period_end=self.period_end
        )

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = "The period must end on or after its start."
        if self.stream_id and self.period_start and self.period_end:
            stream = self.stream
            if self.period_start < stream.start or self.period_end > stream.end:
                errors["period_start"] = (
                    f"The period must fall within the stream's dates "
                    f"({stream.start:%d %b %Y} to {stream.end:%d %b %Y})."
                )
            overlapping = (
                Allocation._base_manager.filter(
                    stream_id=self.stream_id,
                    period_start__lte=self.period_end,
                    period_end__gte=self.period_start,
                )
                .exclude(period_start=self.period_start, period_end=self.period_end)
                .exists()
            )
            if overlapping:
                errors["period_start"] = (
                    "Another allocation of this stream covers part of this period. "
                    "Periods of one pot must not overlap."
                )
        if errors:
            raise ValidationError(errors)


class AllocationLine(FreezableModel):
    class Kind(models.TextChoices):
        MEMBER = money.MEMBER, "Share"
        OVERHEAD = money.OVERHEAD, "Overhead"
        FEE = money.FEE, "Management fee"

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="lines")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="allocation_lines"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEMBER)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    basis = models.JSONField(default=dict, blank=True)
    arithmetic = models.TextField(blank=True)
    note = models.TextField(blank=True)

    frozen = Frozen(
        states=(Allocation.Status.APPROVED,),
        status="allocation__status",
        error=ApprovedIsFinal,
        message=APPROVED_MESSAGE,
    )

    class Meta:
        ordering = ["allocation", "kind", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "organisation", "kind"], name="one_line_per_member_and_kind"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_amount_not_negative"),
        ]

    class Access(ConcordModel.Access):
        consortium = "allocation__consortium"
        owner = "organisation"

    def __str__(self):
        return f"{self.organisation}: {self.get_kind_display()} {self.amount}"


class PaymentQuerySet(AccessQuerySet):
    def open(self):
        """Owed and not yet paid or withheld."""
        return self.filter(status__in=[Payment.Status.SCHEDULED, Payment.Status.APPROVED])

    def overdue(self, today=None):
        """Open and past their due date."""
        return self.open().filter(due_date__lt=today or timezone.localdate())


class Payment(ConcordModel):
    """Money owed to a member: scheduled → approved → paid, or withheld with a reason."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        WITHHELD = "withheld", "Withheld"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="payments")
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="payments")
    allocation_line = models.ForeignKey(
        AllocationLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        help_text="The allocation this payment draws on.",
    )

    class Basis(models.TextChoices):
        ALLOCATION = "allocation", "An approved allocation"
        RESULTS = "results", "Approved payment-by-results claims"

    basis = models.CharField(
        max_length=20,
        choices=Basis.choices,
        default=Basis.ALLOCATION,
        help_text="What supports the payment: an allocation, or approved PbR claims.",
    )
    description = models.CharField(max_length=200, blank=True)
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    is_adjustment = models.BooleanField(
        default=False, help_text="Beyond or outside an approved allocation; needs a reason."
    )
    adjustment_reason = models.TextField(blank=True)
    paid_on = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Remittance reference.")
    withheld_reason = models.TextField(blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["consortium", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | (Q(is_adjustment=True) & ~Q(amount=0)),
                name="payment_amount_positive_unless_adjustment",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_on__isnull=False) & ~Q(reference="")),
                name="paid_payment_has_date_and_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status="withheld") | ~Q(withheld_reason=""),
                name="withheld_payment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(is_adjustment=False) | ~Q(adjustment_reason=""),
                name="adjustment_has_reason",
            ),
        ]

    objects = ConsortiumManager.from_queryset(PaymentQuerySet)()

    constraint_messages = {
        "payment_amount_positive_unless_adjustment": (
            "Enter an amount of more than £0. Only an adjustment, with its reason, can take "
            "money back."
        ),
        "paid_payment_has_date_and_reference": "A paid payment needs the date paid and the "
        "remittance reference.",
        "withheld_payment_has_reason": "Say why the payment is withheld.",
        "adjustment_has_reason": "Say why this payment is an adjustment.",
    }

    class Access(ConcordModel.Access):
        owner = "recipient"

    def __str__(self):
        label = self.description or "Payment"
        return f"{label} to {self.recipient}, due {self.due_date:%d %b %Y}"

    def get_absolute_url(self):
        return reverse("funding:payment_detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status in (self.Status.SCHEDULED, self.Status.APPROVED)

    def is_overdue(self, today=None):
        return self.is_open and self.due_date < (today or timezone.localdate())
