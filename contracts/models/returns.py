"""Performance returns: indicators, periods, targets, returns, values, restatements and
commissioners' report templates."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from consortium.base import ConcordModel, FreezableModel, Frozen, RecordFrozen, scoped_manager
from consortium.dates import due_date
from consortium.models import Consortium, Organisation
from contracts.models.agreements import Subcontract
from contracts.validation.returns import Rule


class Indicator(ConcordModel):
    """One measure in the consortium's library, with one written definition."""

    class Unit(models.TextChoices):
        COUNT = "count", "Count"
        PERCENTAGE = "percentage", "Percentage"
        DAYS = "days", "Days"

    class Aggregation(models.TextChoices):
        SUM = "sum", "Sum"
        MEAN = "mean", "Mean"
        LATEST = "latest", "Latest"

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    class LogicStage(models.TextChoices):
        INPUT = "input", "Input"
        ACTIVITY = "activity", "Activity"
        OUTPUT = "output", "Output"
        OUTCOME = "outcome", "Outcome"

    class PathwayStage(models.TextChoices):
        NONE = "", "Not a pathway stage"
        IDENTIFIED = "identified", "Identified"
        SCREENED = "screened", "Screened"
        ASSESSED = "assessed", "Assessed"
        REFERRED_ON = "referred_on", "Referred on"
        DIVERTED = "diverted", "Diverted"
        ENGAGED = "engaged", "Engaged"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="indicators")
    code = models.SlugField(
        max_length=30, allow_unicode=False, help_text="Short and stable, for example REF_TOTAL."
    )
    name = models.CharField(max_length=200)
    definition = models.TextField(help_text="What counts and what does not.")
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.COUNT)
    aggregation = models.CharField(
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
        help_text="How figures add up over time and across members.",
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    logic_stage = models.CharField(
        "logic-model stage", max_length=10, choices=LogicStage.choices, default=LogicStage.OUTPUT
    )
    pathway_stage = models.CharField(
        max_length=20, choices=PathwayStage.choices, default=PathwayStage.NONE, blank=True
    )
    required = models.BooleanField(default=False, help_text="Every return must give a figure.")
    not_more_than = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cannot exceed (pathway)",
        help_text="The stage before this one: screened cannot exceed referred, and so on.",
    )
    breakdown_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="breakdowns",
        help_text="The total this figure is part of.",
    )
    breakdown_group = models.CharField(
        max_length=40,
        blank=True,
        help_text="Breakdowns in one group count each person once, so together they cannot "
        "exceed the total (for example 'setting').",
    )
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "code"], name="unique_indicator_code"),
        ]

    class Access(ConcordModel.Access):
        shared = True

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("returns:indicator_detail", args=[self.pk])

    def rule(self):

        return Rule(
            code=self.code,
            name=self.name,
            unit=self.unit,
            required=self.required,
            not_more_than=self.not_more_than.code if self.not_more_than_id else None,
            breakdown_of=self.breakdown_of.code if self.breakdown_of_id else None,
            breakdown_group=self.breakdown_group,
        )


class ReportingPeriod(ConcordModel):
    """A month or quarter a subcontract reports on, with its due date."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="reporting_periods"
    )
    subcontract = models.ForeignKey(
        Subcontract, on_delete=models.PROTECT, related_name="reporting_periods"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default="monthly")
    start = models.DateField()
    end = models.DateField()
    due_working_days = models.PositiveIntegerField(
        default=10, help_text="Working days after the period ends (England and Wales)."
    )
    due_date = models.DateField(editable=False)

    class Meta:
        ordering = ["subcontract__reference", "start"]
        constraints = [
            models.UniqueConstraint(fields=["subcontract", "start"], name="one_period_per_start"),
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="period_ends_after_start"
            ),
        ]

    class Access(ConcordModel.Access):
        owner = "subcontract__cvo"
        commissioner = "subcontract__contract__commissioner"

    def __str__(self):
        if self.frequency == self.Frequency.MONTHLY:
            return f"{self.start:%B %Y}"
        return f"{self.start:%b}–{self.end:%b %Y}"

    def save(self, *args, **kwargs):

        self.due_date = due_date(self.end, self.due_working_days)
        super().save(*args, **kwargs)


class Target(ConcordModel):
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="targets")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    value = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["period__start", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["period", "indicator"], name="one_target_per_period"),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
        ]

    class Access(ConcordModel.Access):
        owner = "period__subcontract__cvo"
        commissioner = "period__subcontract__contract__commissioner"

    def __str__(self):
        return f"{self.indicator.code} {self.period}: {self.value}"


class ReturnLocked(RecordFrozen):
    """An approved or locked return (or one of its values) was about to change outside the
    reopen service."""


BULK_LOCKED_MESSAGE = (
    "Approved or locked returns cannot be changed in bulk. The consortium lead can reopen a "
    "return, giving a reason."
)


class PerformanceReturn(FreezableModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for changes"
        APPROVED = "approved", "Approved"
        LOCKED = "locked", "Locked"

    FROZEN = (Status.APPROVED, Status.LOCKED)
    frozen = Frozen(
        states=FROZEN,
        error=ReturnLocked,
        message="This return is {status}, so it cannot be changed. The consortium lead can "
        "reopen it, giving a reason.",
        bulk_message=BULK_LOCKED_MESSAGE,
    )

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="returns")
    subcontract = models.ForeignKey(Subcontract, on_delete=models.PROTECT, related_name="returns")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    narrative = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    lead_comments = models.TextField(blank=True, help_text="Why the lead returned it.")
    warnings_confirmed = models.BooleanField(default=False)
    times_reopened = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period__start", "subcontract__reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["subcontract", "period"], name="one_return_per_subcontract_period"
            ),
        ]
        indexes = [models.Index(fields=["consortium", "status"])]

    class Access(ConcordModel.Access):
        owner = "subcontract__cvo"
        commissioner = "subcontract__contract__commissioner"

    def __str__(self):
        return f"{self.subcontract.reference} return for {self.period}"

    def get_absolute_url(self):
        return reverse("returns:return_detail", args=[self.pk])

    @property
    def is_editable(self):
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    def is_late(self, today=None):
        today = today or timezone.localdate()
        if self.submitted_at:
            return timezone.localdate(self.submitted_at) > self.period.due_date
        return today > self.period.due_date


class LatestReturn(models.Model):
    """Each subcontract's latest approved or locked return (by period), kept by the return
    services in the transaction that approves, locks or reopens one
    (contracts.services.returns.latest_returns_refresh), so that what reads "the latest
    approved figures" finds one row a subcontract instead of ordering every return. Derived
    data: no history."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    subcontract = models.OneToOneField(
        Subcontract, on_delete=models.CASCADE, related_name="latest_return"
    )
    ret = models.OneToOneField(
        PerformanceReturn, on_delete=models.CASCADE, related_name="latest_of"
    )

    objects = scoped_manager("consortium")

    class Access(ConcordModel.Access):
        owner = "subcontract__cvo"
        commissioner = "subcontract__contract__commissioner"

    def __str__(self):
        return f"{self.subcontract_id}: return {self.ret_id}"


class ReturnValue(FreezableModel):
    # No index of its own: values are always read by return, and an index here leads SQLite's
    # planner to scan every value of the consortium instead of the return's few.
    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    ret = models.ForeignKey(
        PerformanceReturn, on_delete=models.CASCADE, related_name="values", verbose_name="return"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)

    frozen = Frozen(
        states=PerformanceReturn.FROZEN,
        status="ret__status",
        error=ReturnLocked,
        message="This return is approved or locked, so its figures cannot be changed. The "
        "consortium lead can reopen it, giving a reason.",
        bulk_message=BULK_LOCKED_MESSAGE,
    )

    class Meta:
        ordering = ["indicator__position", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["ret", "indicator"], name="one_value_per_indicator"),
        ]

    class Access(ConcordModel.Access):
        owner = "ret__subcontract__cvo"
        commissioner = "ret__subcontract__contract__commissioner"

    def __str__(self):
        return f"{self.indicator.code}: {self.value}"


class Restatement(ConcordModel):
    """A reopened return: why, who, and its figures before and after, so a commissioner sees
    what changed since they last saw them."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    ret = models.ForeignKey(
        PerformanceReturn, on_delete=models.CASCADE, related_name="restatements"
    )
    reason = models.TextField()
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField()
    before = models.JSONField(default=dict)  # code -> figure as text (or None)
    after = models.JSONField(null=True, blank=True)
    reapproved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reopened_at"]

    class Access(ConcordModel.Access):
        owner = "ret__subcontract__cvo"
        commissioner = "ret__subcontract__contract__commissioner"

    def __str__(self):
        return f"Restatement of {self.ret}"

    def changes(self):
        """[(code, before, after)] for figures that differ (once re-approved)."""
        if self.after is None:
            return []
        codes = sorted(set(self.before) | set(self.after))
        return [
            (c, self.before.get(c), self.after.get(c))
            for c in codes
            if self.before.get(c) != self.after.get(c)
        ]


class CommissionerTemplate(ConcordModel):
    """A commissioner's own report layout: their field names and groupings, mapped onto the
    consortium's indicators."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    commissioner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="report_templates"
    )
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["commissioner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "commissioner"], name="one_template_per_commissioner"
            ),
        ]

    class Access(ConcordModel.Access):
        commissioner = "commissioner"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("returns:template_detail", args=[self.pk])


class TemplateField(ConcordModel):
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        CommissionerTemplate, on_delete=models.CASCADE, related_name="fields"
    )
    group = models.CharField(max_length=100, blank=True, help_text="The section it sits in.")
    label = models.CharField(max_length=200, help_text="The commissioner's name for the figure.")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    class Access(ConcordModel.Access):
        commissioner = "template__commissioner"

    def __str__(self):
        return f"{self.label} ← {self.indicator.code}"


class ReportSeen(ConcordModel):
    """When a person last opened a commissioner report (for "changed since you last saw it");
    its history is the record of who read the report when."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(CommissionerTemplate, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["template", "user"], name="one_seen_per_user"),
        ]

    class Access(ConcordModel.Access):
        commissioner = "template__commissioner"

    def __str__(self):
        return f"{self.template} seen {self.seen_at:%d %b %Y %H:%M}"
