"""Payment by results: outcome measures on a contract (with tariffs, caps and who may claim
them), claims and their pseudonymous lines."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse

from consortium.base import ConcordModel, FreezableModel, Frozen, RecordFrozen
from consortium.models import Consortium, Organisation
from contracts.models.agreements import PERCENT, Contract
from contracts.validation import outcomes as rules
from funding.models import Payment
from funding.money import ZERO

MONEY = {"max_digits": 14, "decimal_places": 2}


class MeasureInUse(RecordFrozen):
    """A published measure was about to change in place: a change is a new version."""


class ClaimFrozen(RecordFrozen):
    """An approved or paid claim (or one of its lines) was about to change."""


class OutcomeMeasure(FreezableModel):
    """What a contract pays for an outcome: its definition, evidence, validation method,
    payment rule, tariff and caps. Published measures never change; a change is a new version
    (same `series`, next `revision`) with a reason."""

    class Rule(models.TextChoices):
        BINARY = rules.BINARY, "Per participant (binary)"
        PER_EVENT = rules.PER_EVENT, "Per event, capped per participant"
        COHORT = rules.COHORT, "Cohort against a baseline, with a hurdle"

    class Validation(models.TextChoices):
        SIMPLE = "simple", "Simple verification"
        PRE_POST = "pre_post", "Pre/post comparison"
        HISTORICAL = "historical", "Historical comparison"
        COMPARISON_GROUP = "comparison_group", "Comparison group"

    class Attribution(models.TextChoices):
        ENGAGING = "engaging", "The engaging member claims"
        SHARES = "shares", "Stated shares between members"

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Replaced by a newer version"

    frozen = Frozen(
        states=(Status.PUBLISHED, Status.RETIRED),
        error=MeasureInUse,
        message="This measure is {status}, so it cannot change. The consortium lead can start "
        "a new version, giving a reason.",
    )

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="measures")
    series = models.PositiveIntegerField(
        default=0, editable=False, help_text="The id of the first version of this measure."
    )
    revision = models.PositiveIntegerField(default=1, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    reason = models.TextField(blank=True, help_text="Why this version exists.")
    code = models.SlugField(max_length=30, help_text="Short and stable, for example MH28.")
    name = models.CharField(max_length=200)
    definition = models.TextField(
        help_text="Who counts, what counts, and within what window of engagement."
    )
    evidence_required = models.TextField(help_text="The evidence each line needs.")
    validation_method = models.CharField(
        max_length=20, choices=Validation.choices, default=Validation.SIMPLE
    )
    rule = models.CharField("payment rule", max_length=20, choices=Rule.choices)
    tariff = models.DecimalField(**MONEY, validators=[MinValueValidator(ZERO)])
    cap_per_participant = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per event only: the most events paid per participant."
    )
    baseline_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=PERCENT,
        help_text="Cohort only: the rate expected without the service.",
    )
    hurdle_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=PERCENT,
        help_text="Cohort only: nothing is paid unless the achieved rate reaches this.",
    )
    window_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Outcomes count within this many days of engagement."
    )
    period_cap = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="The most this measure pays for one claim period, all members together.",
    )
    contract_cap = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="The most this measure pays over the contract, all members together.",
    )
    claim_frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.QUARTERLY
    )
    valid_from = models.DateField()
    valid_to = models.DateField()
    attribution = models.CharField(
        max_length=10, choices=Attribution.choices, default=Attribution.ENGAGING
    )

    class Meta:
        ordering = ["contract__reference", "code", "-revision"]
        constraints = [
            models.CheckConstraint(condition=Q(tariff__gte=0), name="measure_tariff_not_negative"),
            models.CheckConstraint(
                condition=Q(period_cap__isnull=True) | Q(period_cap__gte=0),
                name="measure_period_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(contract_cap__isnull=True) | Q(contract_cap__gte=0),
                name="measure_contract_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gte=F("valid_from")), name="measure_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(rule="per_event") | Q(cap_per_participant__gte=1),
                name="per_event_measure_has_participant_cap",
            ),
            models.UniqueConstraint(
                fields=["consortium", "series", "revision"], name="one_revision_per_measure"
            ),
            models.UniqueConstraint(
                fields=["consortium", "series"],
                condition=Q(status="published"),
                name="one_published_version_per_measure",
            ),
        ]

    class Access(ConcordModel.Access):
        commissioner = "contract__commissioner"

    def __str__(self):
        return f"{self.code} {self.name} (v{self.revision})"

    def get_absolute_url(self):
        return reverse("outcomes:measure_detail", args=[self.pk])

    def payment_rule(self, share_percent=None):
        return rules.Rule(
            kind=self.rule,
            tariff=self.tariff,
            cap_per_participant=self.cap_per_participant,
            baseline_percent=self.baseline_percent,
            hurdle_percent=self.hurdle_percent,
            share_percent=share_percent if share_percent is not None else rules.HUNDRED,
        )

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = "The measure must end on or after it starts."
        for name in ("tariff", "period_cap", "contract_cap"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = "This cannot be negative. Enter £0.00 or more."
        if self.rule == self.Rule.PER_EVENT and not self.cap_per_participant:
            errors["cap_per_participant"] = (
                "A per-event measure needs a cap per participant (for example 1)."
            )
        if self.rule == self.Rule.COHORT and self.hurdle_percent < self.baseline_percent:
            errors["hurdle_percent"] = (
                "The hurdle is below the baseline: set it at or above the baseline rate."
            )
        if errors:
            raise ValidationError(errors)


class MeasureClaimant(FreezableModel):
    """A member that may claim a measure, with its stated share where the measure splits
    outcomes by shares."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.CASCADE, related_name="claimants")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    share_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )

    frozen = Frozen(
        states=(OutcomeMeasure.Status.PUBLISHED, OutcomeMeasure.Status.RETIRED),
        status="measure__status",
        error=MeasureInUse,
        message="This measure is {status}; start a new version to change who may claim it.",
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "organisation"], name="one_claimant_row_per_member"
            ),
        ]

    class Access(ConcordModel.Access):
        commissioner = "measure__contract__commissioner"
        shared = False

    def __str__(self):
        share = f" ({self.share_percent}%)" if self.share_percent is not None else ""
        return f"{self.organisation}{share}"


class PbRClaim(FreezableModel):
    """A member's claim on a measure for a period: draft → submitted → verified (lead) →
    approved (commissioner) → paid, or rejected with a reason."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        VERIFIED = "verified", "Verified"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"

    class Verification(models.TextChoices):
        ALL = "all", "Every line"
        SAMPLE = "sample", "A random sample"

    FROZEN = (Status.APPROVED, Status.PAID, Status.REJECTED)
    # A commissioner sees a claim from the point it is verified.
    SEEN_BY_COMMISSIONER = (Status.VERIFIED, Status.APPROVED, Status.PAID)
    frozen = Frozen(
        states=FROZEN,
        error=ClaimFrozen,
        message="This claim is {status}, so it cannot change.",
    )

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    measure = models.ForeignKey(OutcomeMeasure, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="pbr_claims")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    eligible = models.PositiveIntegerField(
        null=True, blank=True, help_text="Participants eligible for the outcome in the period."
    )
    engaged = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Participants engaged in the period (for a cohort measure: the cohort).",
    )
    comments = models.TextField(blank=True, help_text="The lead's comments to the member.")
    rejected_reason = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    verification = models.CharField(max_length=10, choices=Verification.choices, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    sample_seed = models.BigIntegerField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The money as approved (frozen with the claim).
    earned_amount = models.DecimalField(**MONEY, null=True, blank=True)
    payable_amount = models.DecimalField(**MONEY, null=True, blank=True)
    caps_applied = models.CharField(max_length=200, blank=True)
    # The lines' tallies, fixed with the money at approval (the lines never change after):
    # the PbR statement sums these instead of counting every line of every approved claim.
    # None until the claim is approved.
    lines_claimed = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lines_verified = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lines_refused = models.PositiveIntegerField(null=True, blank=True, editable=False)
    participants_claimed = models.PositiveIntegerField(null=True, blank=True, editable=False)
    participants_verified = models.PositiveIntegerField(null=True, blank=True, editable=False)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "measure__code", "claimant__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "claimant", "period_start"],
                condition=~Q(status="rejected"),
                name="one_open_claim_per_member_measure_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="claim_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejected_reason=""),
                name="rejected_claim_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(payable_amount__isnull=True) | Q(payable_amount__gte=0),
                name="claim_payable_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["consortium", "status"])]

    class Access(ConcordModel.Access):
        owner = "claimant"
        commissioner = "measure__contract__commissioner"

    def __str__(self):
        return f"{self.measure.code} claim by {self.claimant.name}, {self.period_label}"

    @property
    def period_label(self):
        return f"{self.period_start:%-d %b %Y} to {self.period_end:%-d %b %Y}"

    def get_absolute_url(self):
        return reverse("outcomes:claim_detail", args=[self.pk])

    @property
    def is_editable(self):
        return self.status == self.Status.DRAFT

    def count_lines(self):
        """The lines' tallies as the PbR statement shows them, counted now: the figures
        `lines_*` and `participants_*` keep from approval."""
        return self.lines.aggregate(**LINE_TALLIES)


class ClaimLine(FreezableModel):
    """One participant (or one event) in a claim. `participant` is the keyed hash of the
    member's case reference — never the reference itself."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not yet checked"
        VERIFIED = "verified", "Verified"
        QUERIED = "queried", "Queried"
        REFUSED = "refused", "Refused"

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    claim = models.ForeignKey(PbRClaim, on_delete=models.CASCADE, related_name="lines")
    series = models.PositiveIntegerField(help_text="The measure's series (for double claims).")
    window = models.CharField(max_length=20, help_text="The window a participant is paid once in.")
    participant = models.CharField(max_length=64)
    engagement_date = models.DateField()
    outcome_date = models.DateField()
    events = models.PositiveIntegerField(default=1)
    evidence_ref = models.CharField("evidence reference", max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    in_sample = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)

    frozen = Frozen(
        states=PbRClaim.FROZEN,
        status="claim__status",
        error=ClaimFrozen,
        message="This claim is {status}, so its lines cannot change.",
    )

    class Meta:
        ordering = ["outcome_date", "id"]
        constraints = [
            # Never paid twice: one live line per participant, measure and window, whichever
            # member claims it. A refused line frees the participant for another claim.
            models.UniqueConstraint(
                fields=["consortium", "series", "window", "participant"],
                condition=~Q(status="refused"),
                name="one_live_line_per_participant_and_window",
            ),
            models.CheckConstraint(
                condition=Q(outcome_date__gte=F("engagement_date")),
                name="line_outcome_not_before_engagement",
            ),
            models.CheckConstraint(condition=Q(events__gte=1), name="line_has_an_event"),
            models.CheckConstraint(
                condition=~Q(status__in=["refused", "queried"]) | ~Q(decision_note=""),
                name="refused_or_queried_line_says_why",
            ),
        ]
        indexes = [models.Index(fields=["claim", "status"])]

    class Access(ConcordModel.Access):
        owner = "claim__claimant"
        commissioner = "claim__measure__contract__commissioner"

    def __str__(self):
        return f"Participant {self.code}"

    @property
    def code(self):
        return rules.short_code(self.participant)

    def get_absolute_url(self):
        return self.claim.get_absolute_url()


# A claim's line tallies (PbRClaim.count_lines): lines claimed, verified and refused, and the
# distinct participants claimed and verified.
_VERIFIED = Q(status=ClaimLine.Status.VERIFIED)
LINE_TALLIES = {
    "lines_claimed": Count("id"),
    "lines_verified": Count("id", filter=_VERIFIED),
    "lines_refused": Count("id", filter=Q(status=ClaimLine.Status.REFUSED)),
    "participants_claimed": Count("participant", distinct=True),
    "participants_verified": Count("participant", distinct=True, filter=_VERIFIED),
}
