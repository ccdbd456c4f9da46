from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from consortium.base import ConcordModel
from consortium.models import Consortium, Organisation, Site
from funding.models import FundingStream
from funding.money import ZERO

PERCENT = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]


class Terms(models.Model):
    """What a contract and a subcontract share: parties aside, the agreed terms."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        TERMINATED = "terminated", "Terminated"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    value = models.DecimalField(
        "original value",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
    )
    start = models.DateField()
    end = models.DateField()
    extension_options = models.TextField(blank=True, help_text="For example: 2 × 12 months.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    service_lines = models.TextField(blank=True)
    block_percent = models.DecimalField(
        "block payment %", max_digits=5, decimal_places=2, default=100, validators=PERCENT
    )
    pbr_percent = models.DecimalField(
        "payment by results %", max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    payment_frequency = models.CharField(
        max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    payment_days = models.PositiveIntegerField(
        default=30, help_text="Days after the invoice within which payment is due."
    )

    class Meta:
        abstract = True

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = "The end date must be on or after the start date."
        if (
            self.block_percent is not None
            and self.pbr_percent is not None
            and self.block_percent + self.pbr_percent != 100
        ):
            errors["pbr_percent"] = (
                f"Block {self.block_percent}% and payment by results {self.pbr_percent}% "
                "must add up to 100%."
            )
        if errors:
            raise ValidationError(errors)

    def terms_at(self, when=None):
        """Value and end date: the original plus variations effective on `when`."""
        when = when or timezone.localdate()
        value, end = self.value, self.end
        for v in self.variations.all():
            if v.effective_date <= when:
                value += v.value_change
                if v.new_end:
                    end = v.new_end
        return value, end

    @property
    def current_value(self):
        return self.terms_at()[0]

    @property
    def current_end(self):
        return self.terms_at()[1]


def _terms_constraints(prefix):
    return [
        models.CheckConstraint(condition=Q(end__gte=F("start")), name=f"{prefix}_ends_after_start"),
        models.CheckConstraint(condition=Q(value__gte=0), name=f"{prefix}_value_not_negative"),
        models.CheckConstraint(
            condition=Q(block_percent__gte=0) & Q(pbr_percent__gte=0),
            name=f"{prefix}_shares_not_negative",
        ),
    ]


class Contract(Terms, ConcordModel):
    """A prime contract: a commissioner buys the service from the lead agency."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="contracts")
    commissioner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contracts_commissioned"
    )
    lead = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contracts_held")
    sites = models.ManyToManyField(Site, blank=True, related_name="contracts")
    funding_streams = models.ManyToManyField(FundingStream, blank=True, related_name="contracts")

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "reference"], name="unique_contract_ref"),
            *_terms_constraints("contract"),
        ]

    class Access(ConcordModel.Access):
        commissioner = "commissioner"

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("contracts:contract_detail", args=[self.pk])


class Subcontract(Terms, ConcordModel):
    """The lead agency buys part of the service from a CVO."""

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="subcontracts"
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcontracts",
        help_text="The prime contract this subcontract delivers part of.",
    )
    lead = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="subcontracts_let"
    )
    cvo = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="subcontracts",
        verbose_name="subcontractor",
    )
    sites = models.ManyToManyField(Site, blank=True, related_name="subcontracts")
    funding_streams = models.ManyToManyField(FundingStream, blank=True, related_name="subcontracts")
    special_terms = models.TextField(
        blank=True, help_text="Terms particular to this subcontractor (never shown to others)."
    )

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "reference"], name="unique_subcontract_ref"
            ),
            *_terms_constraints("subcontract"),
        ]

    class Access(ConcordModel.Access):
        owner = "cvo"

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("contracts:subcontract_detail", args=[self.pk])


class Variation(ConcordModel):
    """A change to a contract's or a subcontract's terms from a date, with its reason."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="variations")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="variations"
    )
    subcontract = models.ForeignKey(
        Subcontract, on_delete=models.PROTECT, null=True, blank=True, related_name="variations"
    )
    effective_date = models.DateField()
    reason = models.TextField()
    value_change = models.DecimalField(
        max_digits=14, decimal_places=2, default=ZERO, help_text="Negative reduces it."
    )
    new_end = models.DateField(null=True, blank=True, help_text="Leave blank if unchanged.")

    class Meta:
        ordering = ["effective_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(contract__isnull=False) & Q(subcontract__isnull=True))
                | (Q(contract__isnull=True) & Q(subcontract__isnull=False)),
                name="variation_of_one_agreement",
            ),
        ]

    class Access(ConcordModel.Access):
        owner = "subcontract__cvo"
        commissioner = "contract__commissioner"

    def __str__(self):
        return f"Variation from {self.effective_date:%d %b %Y}: {self.reason[:60]}"

    @property
    def agreement(self):
        return self.contract or self.subcontract

    def get_absolute_url(self):
        return self.agreement.get_absolute_url()
