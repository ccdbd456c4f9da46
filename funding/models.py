from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from consortium.base import ConcordModel, scoped_manager
from consortium.models import Consortium, Organisation


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
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SECURED)
    restrictions = models.TextField(blank=True, help_text="What the money may and may not pay for.")
    renewal_decision_date = models.DateField(null=True, blank=True)
    notice_period_days = models.PositiveIntegerField(default=0)

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["end", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="stream_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="stream_amount_not_negative"),
        ]

    class Access(ConcordModel.Access):
        # Funding is the lead's business; commissioners see the streams they fund.
        commissioner = "funder"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("funding:stream_detail", args=[self.pk])
