"""The workforce and its clinical supervision: posts, staff, requirements, sessions."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from consortium.base import ConcordModel, scoped_manager
from consortium.models import Consortium, Organisation, Site
from funding.models import FundingStream
from supervision import compliance


class SessionKind(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "Clinical 1:1"
    GROUP = "group", "Clinical group"
    PEER = "peer", "Peer reflective"
    LINE = "line", "Line management"


class SupervisorQualification(models.TextChoices):
    ACCREDITED = "accredited", "Accredited clinical supervisor"
    FORENSIC_PSYCHOLOGIST = "forensic_psychologist", "Chartered forensic psychologist"
    FORENSIC_PSYCHIATRIST = "forensic_psychiatrist", "Consultant forensic psychiatrist"
    PEER_FACILITATOR = "peer_facilitator", "Trained peer facilitator"
    LINE_MANAGER = "line_manager", "Line manager"


class Post(ConcordModel):
    class Status(models.TextChoices):
        FILLED = "filled", "Filled"
        VACANT = "vacant", "Vacant"
        FROZEN = "frozen", "Frozen"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="posts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(max_length=200)
    reference = models.CharField(
        "post reference",
        max_length=40,
        blank=True,
        help_text="The post's number in the employer's establishment, if it has one: it tells "
        "posts with the same title apart.",
    )
    sites = models.ManyToManyField(Site, blank=True, related_name="posts")
    fte = models.DecimalField(
        "FTE",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))],
    )
    funded_by = models.ManyToManyField(
        FundingStream, blank=True, related_name="posts", verbose_name="funding streams"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VACANT)
    vacancy_start = models.DateField(null=True, blank=True, help_text="When the post fell vacant.")
    cover_arrangements = models.TextField(blank=True)

    class Meta:
        ordering = ["organisation__name", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gt=0) & Q(fte__lte=1), name="post_fte_between_0_and_1"
            ),
            models.UniqueConstraint(
                fields=["consortium", "reference"],
                condition=~Q(reference=""),
                name="unique_post_reference",
            ),
        ]

    constraint_messages = {
        "unique_post_reference": "Another post already has this post reference.",
    }

    class Access(ConcordModel.Access):
        owner = "organisation"

    def __str__(self):
        return f"{self.title} ({self.organisation})" if self.organisation_id else self.title

    def get_absolute_url(self):
        return reverse("supervision:post_detail", args=[self.pk])

    def gap_days(self, today=None):
        if self.status != self.Status.VACANT or self.vacancy_start is None:
            return None
        return compliance.gap_days(self.vacancy_start, today or timezone.localdate())


class StaffMember(ConcordModel):
    class Profession(models.TextChoices):
        NURSE = "nurse", "Mental health nurse"
        PSYCHOLOGIST = "psychologist", "Psychologist"
        SOCIAL_WORKER = "social_worker", "Social worker"
        OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
        PSYCHOTHERAPIST = "psychotherapist", "Psychotherapist"
        PSYCHIATRIST = "psychiatrist", "Psychiatrist"
        OTHER = "other", "Other"

    class Qualification(models.TextChoices):
        DEGREE = "degree", "Degree"
        POSTGRAD_DIPLOMA = "postgrad_diploma", "Postgraduate diploma"
        MASTERS = "masters", "Master's degree"
        DOCTORATE = "doctorate", "Doctorate"

    class RegistrationBody(models.TextChoices):
        NMC = "nmc", "NMC"
        HCPC = "hcpc", "HCPC"
        SWE = "swe", "Social Work England"
        BPS = "bps", "BPS"
        UKCP = "ukcp", "UKCP"
        GMC = "gmc", "GMC"
        BACP = "bacp", "BACP"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="staff")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_records",
        help_text="Their Concord sign-in, if they have one (lets them read their own notes).",
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField(
        "work email",
        blank=True,
        help_text="Their work address: it tells the staff record apart when it is imported again.",
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="holders"
    )
    start = models.DateField("start date")
    end = models.DateField("end date", null=True, blank=True)
    profession = models.CharField(max_length=30, choices=Profession.choices)
    qualification = models.CharField(
        "highest qualification", max_length=30, choices=Qualification.choices, blank=True
    )
    years_experience = models.PositiveSmallIntegerField(
        "years of relevant experience", null=True, blank=True
    )
    registration_body = models.CharField(
        max_length=10, choices=RegistrationBody.choices, blank=True
    )
    registration_number = models.CharField(max_length=40, blank=True)
    registration_expiry = models.DateField("registration expiry or renewal", null=True, blank=True)
    dbs_date = models.DateField("DBS check date", null=True, blank=True)
    dbs_update_service = models.BooleanField("on the DBS update service", default=False)
    needs_police_vetting = models.BooleanField(
        "works in police custody", default=False, help_text="Custody access needs police vetting."
    )
    police_vetting_expiry = models.DateField(null=True, blank=True)
    clinical_supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervisees",
        help_text="Their accredited clinical supervisor (1:1s, and group and peer sessions).",
    )
    group_supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_supervisees",
        help_text="Who leads their group supervision (a forensic psychologist or psychiatrist).",
    )
    supervisor_qualification = models.CharField(
        "qualification as a supervisor",
        max_length=30,
        choices=SupervisorQualification.choices,
        blank=True,
    )
    supervisor_accreditation_expiry = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="staff_end_after_start",
            ),
        ]

    class Access(ConcordModel.Access):
        owner = "organisation"

    def __str__(self):
        return self.name

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}"

    def get_absolute_url(self):
        return reverse("supervision:staff_detail", args=[self.pk])

    def fitness(self, today=None):
        return compliance.fitness(
            today or timezone.localdate(),
            registration_expiry=self.registration_expiry,
            dbs_date=self.dbs_date,
            dbs_update_service=self.dbs_update_service,
            needs_police_vetting=self.needs_police_vetting,
            police_vetting_expiry=self.police_vetting_expiry,
        )

    @property
    def deployable(self):
        return self.fitness().deployable

    def accreditation_lapsed(self, today=None):
        if not self.supervisor_qualification:
            return False
        expiry = self.supervisor_accreditation_expiry
        return expiry is None or expiry < (today or timezone.localdate())


class LeavePeriod(ConcordModel):
    """A stretch when supervision is not expected (long leave, secondment)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="leave")
    start = models.DateField()
    end = models.DateField()
    reason = models.CharField(max_length=200, help_text="For example: parental leave.")

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="leave_end_after_start")
        ]

    class Access(ConcordModel.Access):
        consortium = "staff__consortium"
        owner = "staff__organisation"

    def __str__(self):
        return f"{self.reason}, {self.start:%d %b %Y} to {self.end:%d %b %Y}"

    def get_absolute_url(self):
        return self.staff.get_absolute_url()


class SupervisionRequirement(ConcordModel):
    """What supervision someone needs: set on a post (the default for whoever holds it) or on
    one practitioner (replacing the post's requirement of the same kind)."""

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="supervision_requirements"
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="requirements"
    )
    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, null=True, blank=True, related_name="requirements"
    )
    kind = models.CharField(max_length=20, choices=SessionKind.choices)
    interval_months = models.PositiveSmallIntegerField(
        "every how many months", default=1, validators=[MinValueValidator(1)]
    )
    led_by = models.CharField(
        "who may lead it", max_length=30, choices=SupervisorQualification.choices, blank=True
    )

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(post__isnull=True) & Q(staff__isnull=False))
                | (Q(post__isnull=False) & Q(staff__isnull=True)),
                name="requirement_for_post_or_staff",
            ),
            models.CheckConstraint(condition=Q(interval_months__gte=1), name="interval_positive"),
            models.UniqueConstraint(fields=["post", "kind"], name="one_requirement_kind_per_post"),
            models.UniqueConstraint(
                fields=["staff", "kind"], name="one_requirement_kind_per_staff"
            ),
        ]

    class Access(ConcordModel.Access):
        pass  # who reads a requirement: the rule "supervision.SupervisionRequirement"

    def __str__(self):
        every = "monthly" if self.interval_months == 1 else f"every {self.interval_months} months"
        return f"{self.get_kind_display()}, {every}"

    def get_absolute_url(self):
        target = self.staff or self.post
        return target.get_absolute_url()


class SupervisionSession(ConcordModel):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        REMOTE = "remote", "Remote"

    class Status(models.TextChoices):
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"
        RESCHEDULED = "rescheduled", "Rescheduled"

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="supervision_sessions"
    )
    kind = models.CharField("type", max_length=20, choices=SessionKind.choices)
    date = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)", default=60, validators=[MinValueValidator(1)]
    )
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_led"
    )
    attendees = models.ManyToManyField(StaffMember, related_name="sessions")
    themes = models.CharField(
        max_length=300, blank=True, help_text="Tags, comma separated. Not confidential."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.HELD)
    status_reason = models.TextField("reason cancelled or rescheduled", blank=True)
    rescheduled_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["consortium", "date"]),
        ]

    class Access(ConcordModel.Access):
        pass  # who reads a session: the rule "supervision.SupervisionSession"

    def __str__(self):
        return f"{self.get_kind_display()} on {self.date:%d %b %Y}"

    def get_absolute_url(self):
        return reverse("supervision:session_detail", args=[self.pk])

    @property
    def theme_list(self):
        return [t.strip() for t in self.themes.split(",") if t.strip()]


class SessionNote(ConcordModel):
    """The confidential notes of a session, kept apart from the session so that every reader
    of sessions (lists, exports, search, history, the admin) is blind to them by construction.
    The access policy lets only the session's supervisor and its supervisees read a note, and
    its history follows the same rule."""

    session = models.OneToOneField(
        SupervisionSession, on_delete=models.CASCADE, related_name="note"
    )
    text = models.TextField("confidential notes")

    class Access(ConcordModel.Access):
        consortium = "session__consortium"

    def __str__(self):
        return f"Notes of {self.session}"

    def get_absolute_url(self):
        return self.session.get_absolute_url()


class SessionAction(ConcordModel):
    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.CharField(max_length=300)
    due = models.DateField("due date")
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]

    class Access(ConcordModel.Access):
        consortium = "session__consortium"

    def __str__(self):
        return self.description

    def get_absolute_url(self):
        return self.session.get_absolute_url()


class ComplianceMonth(models.Model):
    """A practitioner's supervision compliance in one month, worked out by
    supervision.compliance and stored, so that the matrix, dashboards, chart and packs read it
    instead of working it out per request. supervision.compliance_store keeps it: every change
    to sessions, leave, requirements or employment rewrites the months it touches, and the
    first read of a new month settles the months that ran into it. Derived data: no history.
    """

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="compliance_months"
    )
    month = models.DateField(help_text="The first day of the month.")
    # The worst of the month's requirements, and the matrix's words beside it.
    status = models.CharField(max_length=12, choices=list(compliance.LABELS.items()))
    detail = models.CharField(max_length=300, blank=True)
    # Requirement periods that ended in this month, met or missed: rates and the chart add
    # these up over their windows.
    met = models.PositiveSmallIntegerField(default=0)
    missed = models.PositiveSmallIntegerField(default=0)
    missed_kinds = models.CharField(max_length=100, blank=True)
    # Requirements whose period contains this month and is not met yet while it runs (read
    # for the current month: what is still owed).
    owed = models.PositiveSmallIntegerField(default=0)
    due_kinds = models.CharField(max_length=100, blank=True)

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["staff", "month"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="one_compliance_row_a_month")
        ]
        indexes = [models.Index(fields=["consortium", "month"])]

    class Access(ConcordModel.Access):
        pass  # whoever may see the staff member: the rule "supervision.ComplianceMonth"

    def __str__(self):
        return f"{self.staff_id} {self.month:%b %Y}: {compliance.LABELS[self.status]}"


class ComplianceRefresh(models.Model):
    """The month a consortium's stored compliance was last brought up to. When the calendar
    moves past it, the next read settles what ran into the new month (months not yet due
    become met or missed) before anything is shown."""

    consortium = models.OneToOneField(Consortium, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    refreshed_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager("consortium")

    class Access(ConcordModel.Access):
        pass

    def __str__(self):
        return f"Compliance as of {self.month:%b %Y}"
