"""SWOT analyses: items scored by their raters with a consensus (or the lead's override),
agreed and then frozen; a new round is a copy; actions on opportunities."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from consortium.base import ConcordModel, FreezableModel, Frozen
from consortium.models import Consortium, Organisation
from risks import scoring

USER = settings.AUTH_USER_MODEL


class SwotAgreed(ValidationError):
    """An agreed SWOT never changes: a new round is a copy."""


AGREED_MESSAGE = (
    "This SWOT is {status}, so it cannot be changed. Start a new round: it copies the items "
    "into a draft."
)


class SwotAnalysis(FreezableModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AGREED = "agreed", "Agreed"

    frozen = Frozen(states=(Status.AGREED,), error=SwotAgreed, message=AGREED_MESSAGE)

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    interviews = models.PositiveIntegerField(default=0, help_text="Interviews (counted, no names).")
    documents = models.PositiveIntegerField(default=0, help_text="Documents reviewed.")
    workshops = models.PositiveIntegerField(default=0, help_text="Workshop participants.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_rounds"
    )
    agreed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name_plural = "SWOT analyses"
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="swot_ends_after_start"
            ),
        ]

    class Access(ConcordModel.Access):
        owner = "organisation"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("risks:swot_detail", args=[self.pk])

    @property
    def sources(self):
        return self.interviews + self.documents + self.workshops


class SwotItem(FreezableModel):
    class Quadrant(models.TextChoices):
        STRENGTH = "strength", "Strengths"
        WEAKNESS = "weakness", "Weaknesses"
        OPPORTUNITY = "opportunity", "Opportunities"
        THREAT = "threat", "Threats"

    class Consensus(models.TextChoices):
        HIGH = "high", "High consensus"
        REASONABLE = "reasonable", "Reasonable consensus"
        SINGLE = "single", "Single voice"

    frozen = Frozen(
        states=(SwotAnalysis.Status.AGREED,),
        error=SwotAgreed,
        message=AGREED_MESSAGE,
        status="analysis__status",
    )

    analysis = models.ForeignKey(SwotAnalysis, on_delete=models.CASCADE, related_name="items")
    quadrant = models.CharField(max_length=12, choices=Quadrant.choices)
    statement = models.CharField(max_length=300)
    theme = models.CharField(max_length=100, blank=True)
    support = models.PositiveIntegerField(
        default=1, help_text="How many sources (interviews, documents, workshop) support it."
    )
    consensus_override = models.CharField(
        max_length=12, choices=Consensus.choices, blank=True, help_text="Only with a reason."
    )
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["quadrant", "-support", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consensus_override="") | ~Q(override_reason=""),
                name="override_needs_reason",
            ),
        ]

    class Access(ConcordModel.Access):
        consortium = "analysis__consortium"
        owner = "analysis__organisation"

    def __str__(self):
        return self.statement

    def get_absolute_url(self):
        return reverse("risks:swot_detail", args=[self.analysis_id]) + f"#item-{self.pk}"

    def computed_consensus(self, settings_row):
        return scoring.consensus(
            self.support,
            self.analysis.sources,
            high=settings_row.consensus_high_percent,
            reasonable=settings_row.consensus_reasonable_percent,
        )

    def consensus(self, settings_row):
        """The consensus shown: the lead's override (with its reason) or the computed band."""
        return self.consensus_override or self.computed_consensus(settings_row)


class SwotAction(ConcordModel):
    """What the consortium (or member) will do about an opportunity. Kept after the SWOT is
    agreed: the SWOT is frozen, the work on it is not."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    item = models.ForeignKey(SwotItem, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    due = models.DateField("due date")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completion_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(completion_note=""),
                name="swot_action_done_needs_note",
            ),
        ]

    class Access(ConcordModel.Access):
        consortium = "item__analysis__consortium"
        owner = "item__analysis__organisation"

    def __str__(self):
        return self.description[:80]

    def is_overdue(self, today=None):
        return self.status == self.Status.OPEN and self.due < (today or timezone.localdate())
