"""Risk registers (the consortium's and each member's), risks scored on a 5×5 matrix with
controls, actions, acceptances, reviews and escalation, and dismissed suggestions."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from consortium.base import AccessQuerySet, ConcordModel, ConsortiumManager
from consortium.models import Consortium, Organisation
from risks import scoring

USER = settings.AUTH_USER_MODEL


def _level_field(verbose_name):
    return models.PositiveSmallIntegerField(verbose_name)


def _levels_constraints(prefix, names):
    return [
        models.CheckConstraint(
            condition=Q(**{f"{n}__gte": 1, f"{n}__lte": 5}), name=f"{prefix}_{n}_1_to_5"
        )
        for n in names
    ]


class RiskMatrix(ConcordModel):
    """One version of a consortium's matrix: descriptors, band thresholds and colours. A
    change is a new version; registers keep the version their risks were scored under."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(default=1)
    likelihood_labels = models.JSONField(default=list)
    consequence_labels = models.JSONField(default=list)
    bands = models.JSONField(default=list)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["consortium", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "number"], name="one_matrix_number"),
        ]

    class Access(ConcordModel.Access):
        shared = True

    def __str__(self):
        return f"Risk matrix version {self.number}"

    def band(self, value):
        return scoring.band_for(value, self.bands)

    def band_ranges(self):
        return scoring.band_ranges(self.bands)

    def clean(self):
        scoring.check_bands(self.bands)
        for labels in (self.likelihood_labels, self.consequence_labels):
            if len(labels) != 5 or not all(str(x).strip() for x in labels):
                raise ValidationError("Give five descriptors for each scale, lowest first.")


class RiskSettings(ConcordModel):
    """A consortium's settings for risks: the current matrix, review intervals by band, the
    escalation threshold, SWOT consensus thresholds and what Concord looks for."""

    consortium = models.OneToOneField(
        Consortium, on_delete=models.PROTECT, related_name="risk_settings"
    )
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.PROTECT, related_name="+")
    review_days_low = models.PositiveIntegerField(default=180)
    review_days_moderate = models.PositiveIntegerField(default=90)
    review_days_high = models.PositiveIntegerField(default=60)
    review_days_extreme = models.PositiveIntegerField(default=30)
    escalation_threshold = models.PositiveSmallIntegerField(
        default=15, help_text="A member's risk with a residual score this high is proposed."
    )
    consensus_high_percent = models.PositiveSmallIntegerField(default=60)
    consensus_reasonable_percent = models.PositiveSmallIntegerField(default=25)
    # What Concord looks for when it suggests risks, kind by kind (consortium.suggestions.Limits).
    horizon_days = models.PositiveIntegerField(
        "funding ending: days ahead",
        default=90,
        help_text="How far ahead Concord looks for funding ending.",
    )
    vacancy_days = models.PositiveIntegerField(
        "vacancy: days vacant", default=60, help_text="A post vacant longer than this."
    )
    compliance_threshold = models.PositiveSmallIntegerField(
        "supervision compliance: percent",
        default=80,
        help_text="A member holding less than this share of required supervision.",
    )
    single_post_sites = models.PositiveIntegerField(
        "single-post sites: how many",
        default=1,
        help_text="A member with at least this many sites covered by one post. 0 never "
        "suggests them (where single-handed posts are the service's model).",
    )
    secured_months = models.PositiveSmallIntegerField(
        "funding secured: months",
        default=12,
        help_text="A member with less than this many months' funding secured.",
    )
    payment_overdue_days = models.PositiveIntegerField(
        "payments overdue: days",
        default=0,
        help_text="Payments to a member overdue by more than this many days.",
    )
    late_returns_running = models.PositiveSmallIntegerField(
        "late returns: periods running",
        default=2,
        validators=[MinValueValidator(1)],
        help_text="A subcontract whose returns were late this many periods running.",
    )
    red_percent = models.PositiveSmallIntegerField(
        "indicator red: percent of target",
        default=80,
        help_text="An indicator in the latest approved return below this share of its target.",
    )

    class Meta:
        verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(consensus_reasonable_percent__lt=F("consensus_high_percent")),
                name="consensus_thresholds_rise",
            ),
            models.CheckConstraint(
                condition=Q(escalation_threshold__gte=1, escalation_threshold__lte=25),
                name="escalation_threshold_1_to_25",
            ),
        ]

    class Access(ConcordModel.Access):
        shared = True

    def __str__(self):
        return f"Risk settings of {self.consortium}"

    def review_days(self, band_key):
        return getattr(self, f"review_days_{band_key}")


class RiskCategory(ConcordModel):
    """A consortium's risk categories, each with its appetite (the highest residual score it
    will carry without an acceptance)."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    appetite = models.PositiveSmallIntegerField(
        default=12, help_text="The highest residual score tolerated (1–25)."
    )

    DEFAULTS = [
        ("Strategic", 12),
        ("Financial", 8),
        ("Operational and delivery", 12),
        ("Workforce", 12),
        ("Clinical and safeguarding", 6),
        ("Information governance", 6),
        ("Reputational", 8),
        ("Partnership", 12),
        ("Legal and contractual", 8),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "risk categories"
        constraints = [
            models.UniqueConstraint(fields=["consortium", "name"], name="unique_risk_category"),
            models.CheckConstraint(
                condition=Q(appetite__gte=1, appetite__lte=25), name="appetite_1_to_25"
            ),
        ]

    class Access(ConcordModel.Access):
        shared = True

    def __str__(self):
        return self.name


class RiskRegister(ConcordModel):
    """The consortium's register (no organisation) or a member's own."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    matrix = models.ForeignKey(
        RiskMatrix,
        on_delete=models.PROTECT,
        related_name="registers",
        help_text="The matrix this register's risks are scored under.",
    )
    prefix = models.CharField(max_length=10, help_text="Starts every risk reference.")

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "organisation"], name="one_register_per_member"
            ),
            models.UniqueConstraint(
                fields=["consortium"],
                condition=Q(organisation__isnull=True),
                name="one_consortium_register",
            ),
        ]

    class Access(ConcordModel.Access):
        owner = "organisation"

    def __str__(self):
        return (
            f"{self.organisation.name} risk register"
            if self.organisation_id
            else ("Consortium risk register")
        )

    @property
    def is_consortium(self):
        return self.organisation_id is None

    def get_absolute_url(self):
        return reverse("risks:register_detail", args=[self.pk])


class RiskQuerySet(AccessQuerySet):
    def open(self):
        return self.filter(status=Risk.Status.OPEN)

    def review_overdue(self, today=None):
        return self.open().filter(next_review__lt=today or timezone.localdate())

    def above_appetite(self):
        return self.open().filter(residual_score__gt=F("category__appetite"))

    def unaccepted_above_appetite(self, today=None):
        today = today or timezone.localdate()
        accepted = Acceptance.objects.filter(
            expires__gte=today, score__gte=F("risk__residual_score")
        ).values("risk_id")
        return self.above_appetite().exclude(pk__in=accepted)


class Risk(ConcordModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Treatment(models.TextChoices):
        TREAT = "treat", "Treat"
        TOLERATE = "tolerate", "Tolerate"
        TRANSFER = "transfer", "Transfer"
        TERMINATE = "terminate", "Terminate"

    register = models.ForeignKey(RiskRegister, on_delete=models.PROTECT, related_name="risks")
    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField(max_length=200)
    cause = models.TextField(help_text="Because of…")
    event = models.TextField(help_text="…this may happen…")
    consequence = models.TextField("effect", help_text="…with this effect.")
    category = models.ForeignKey(RiskCategory, on_delete=models.PROTECT, related_name="risks")
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_reason = models.TextField(blank=True)
    treatment = models.CharField(max_length=10, choices=Treatment.choices, default=Treatment.TREAT)
    inherent_likelihood = _level_field("inherent likelihood")
    inherent_consequence = _level_field("inherent consequence")
    residual_likelihood = _level_field("residual likelihood")
    residual_consequence = _level_field("residual consequence")
    target_likelihood = _level_field("target likelihood")
    target_consequence = _level_field("target consequence")
    target_reason = models.TextField(
        blank=True, help_text="Needed only when the target is worse than the residual score."
    )
    inherent_score = models.PositiveSmallIntegerField(editable=False, default=1)
    residual_score = models.PositiveSmallIntegerField(editable=False, default=1)
    target_score = models.PositiveSmallIntegerField(editable=False, default=1)
    residual_band = models.CharField(max_length=10, editable=False, default="low")
    next_review = models.DateField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_from",
        help_text="The consortium register's risk this member risk was escalated to.",
    )
    swot_item = models.ForeignKey(
        "SwotItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="risks"
    )
    suggestion_key = models.CharField(max_length=200, blank=True)

    objects = ConsortiumManager.from_queryset(RiskQuerySet)()

    class Meta:
        ordering = ["-residual_score", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["register", "reference"], name="unique_risk_reference"),
            *_levels_constraints(
                "risk",
                [
                    "inherent_likelihood",
                    "inherent_consequence",
                    "residual_likelihood",
                    "residual_consequence",
                    "target_likelihood",
                    "target_consequence",
                ],
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(closed_reason=""), name="closing_needs_reason"
            ),
        ]
        indexes = [models.Index(fields=["register", "status", "next_review"])]

    class Access(ConcordModel.Access):
        consortium = "register__consortium"
        owner = "register__organisation"

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("risks:risk_detail", args=[self.pk])

    def clean(self):
        errors = {}
        for kind in ("inherent", "residual", "target"):
            for what in ("likelihood", "consequence"):
                name = f"{kind}_{what}"
                try:
                    scoring.check_level(getattr(self, name), what)
                except ValidationError as e:
                    errors[name] = e.messages
        if errors:
            raise ValidationError(errors)
        if self.target_product() > self.residual_product() and not self.target_reason.strip():
            raise ValidationError(
                {
                    "target_reason": "The target is worse than the residual score: say why, or "
                    "lower the target."
                }
            )

    def residual_product(self):
        return scoring.score(self.residual_likelihood, self.residual_consequence)

    def target_product(self):
        return scoring.score(self.target_likelihood, self.target_consequence)

    def rescore(self):
        """Recompute the stored scores and band (under the register's matrix)."""
        self.inherent_score = scoring.score(self.inherent_likelihood, self.inherent_consequence)
        self.residual_score = self.residual_product()
        self.target_score = self.target_product()
        self.residual_band = self.register.matrix.band(self.residual_score).key

    def save(self, *args, **kwargs):
        self.rescore()
        super().save(*args, **kwargs)

    def band(self, kind="residual"):
        return self.register.matrix.band(getattr(self, f"{kind}_score"))

    def inherent(self):
        return self.band("inherent")

    def residual(self):
        return self.band("residual")

    def target(self):
        return self.band("target")

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    def review_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.is_open and self.next_review is not None and self.next_review < today

    def above_appetite(self):
        return self.is_open and self.residual_score > self.category.appetite


class RiskLink(ConcordModel):
    """What a risk concerns: a contract, subcontract, funding stream, post or organisation.
    Shown to a reader only if they may see the thing linked."""

    ALLOWED = (
        "contracts.contract",
        "contracts.subcontract",
        "funding.fundingstream",
        "supervision.post",
        "consortium.organisation",
    )

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="links")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["risk", "content_type", "object_id"], name="one_link_per_target"
            )
        ]

    class Access(ConcordModel.Access):
        consortium = "risk__register__consortium"
        owner = "risk__register__organisation"

    def __str__(self):
        return f"{self.risk.reference} concerns {self.content_type.name} {self.object_id}"

    def clean(self):
        label = f"{self.content_type.app_label}.{self.content_type.model}"
        if label not in self.ALLOWED:
            raise ValidationError(
                "A risk can concern a contract, subcontract, funding stream, post or organisation."
            )


class Control(ConcordModel):
    class Kind(models.TextChoices):
        PREVENTIVE = "preventive", "Preventive"
        DETECTIVE = "detective", "Detective"
        CORRECTIVE = "corrective", "Corrective"
        DIRECTIVE = "directive", "Directive"

    class Effectiveness(models.TextChoices):
        EFFECTIVE = "effective", "Effective"
        PARTIAL = "partial", "Partly effective"
        INEFFECTIVE = "ineffective", "Ineffective"

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="controls")
    description = models.TextField()
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    effectiveness = models.CharField(max_length=12, choices=Effectiveness.choices)

    class Meta:
        ordering = ["id"]

    class Access(ConcordModel.Access):
        consortium = "risk__register__consortium"
        owner = "risk__register__organisation"

    def __str__(self):
        return self.description[:80]


class RiskActionQuerySet(AccessQuerySet):
    def overdue(self, today=None):
        return self.filter(
            status=RiskAction.Status.OPEN,
            due__lt=today or timezone.localdate(),
            risk__status=Risk.Status.OPEN,
        )


class RiskAction(ConcordModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    due = models.DateField("due date")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completion_note = models.TextField(blank=True)
    done_on = models.DateField(null=True, blank=True)

    objects = ConsortiumManager.from_queryset(RiskActionQuerySet)()

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(completion_note=""), name="done_needs_note"
            ),
        ]

    class Access(ConcordModel.Access):
        consortium = "risk__register__consortium"
        owner = "risk__register__organisation"

    def __str__(self):
        return self.description[:80]

    def is_overdue(self, today=None):
        return self.status == self.Status.OPEN and self.due < (today or timezone.localdate())


class Acceptance(ConcordModel):
    """Tolerating a risk above appetite: who accepted it, why, at what score, until when."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="acceptances")
    accepted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    score = models.PositiveSmallIntegerField(help_text="The residual score accepted.")
    expires = models.DateField()

    class Meta:
        ordering = ["-expires"]

    class Access(ConcordModel.Access):
        consortium = "risk__register__consortium"
        owner = "risk__register__organisation"

    def __str__(self):
        return f"{self.risk.reference} accepted at {self.score} until {self.expires:%d %b %Y}"

    def is_current(self, today=None):
        return self.expires >= (today or timezone.localdate())


class RiskReview(ConcordModel):
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    inherent_score = models.PositiveSmallIntegerField()
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_consequence = models.PositiveSmallIntegerField()
    residual_score = models.PositiveSmallIntegerField()
    target_score = models.PositiveSmallIntegerField()
    what_changed = models.TextField()
    next_review = models.DateField()

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [models.Index(fields=["risk", "-reviewed_on", "-id"])]

    class Access(ConcordModel.Access):
        consortium = "risk__register__consortium"
        owner = "risk__register__organisation"

    def __str__(self):
        return f"{self.risk.reference} reviewed {self.reviewed_on:%d %b %Y}"


class Escalation(ConcordModel):
    """A member's request to move a risk up to the consortium register (or the lead's move to
    take it back down), and the lead's decision, each with a reason."""

    class Direction(models.TextChoices):
        UP = "up", "Escalation"
        DOWN = "down", "De-escalation"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for the lead"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    member_risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="escalations")
    consortium_risk = models.ForeignKey(
        Risk, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member_risk"],
                condition=Q(status="requested"),
                name="one_open_escalation_per_risk",
            ),
        ]

    class Access(ConcordModel.Access):
        consortium = "member_risk__register__consortium"
        owner = "member_risk__register__organisation"

    def __str__(self):
        return f"{self.get_direction_display()} of {self.member_risk}"


class SuggestionDismissal(ConcordModel):
    """A suggested risk somebody decided against, with why; it stays dismissed while its
    evidence (its fingerprint) is the same."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    reason = models.TextField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["consortium", "key"])]

    class Access(ConcordModel.Access):
        owner = "organisation"

    def __str__(self):
        return f"Dismissed: {self.title}"
