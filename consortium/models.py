from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history import register

from consortium import chain
from consortium.base import ConcordModel, scoped_manager


class Consortium(ConcordModel):
    class LeadWorkApprover(models.TextChoices):
        ANOTHER_LEAD_PERSON = "another_lead_person", "Another person in the lead agency"
        COMMISSIONER = "commissioner", "The commissioner"

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    open_book_allocations = models.BooleanField(
        default=True,
        help_text="Members see every member's allocation and its basis, not only their own.",
    )
    lead_work_approved_by = models.CharField(
        max_length=30,
        choices=LeadWorkApprover.choices,
        default=LeadWorkApprover.ANOTHER_LEAD_PERSON,
        help_text="Who approves returns and claims for work the lead agency delivers itself.",
    )
    two_factor_for_everyone = models.BooleanField(
        default=False,
        help_text=(
            "Everyone signs in with a second factor, not only administrators, leads, "
            "commissioners and clinical supervisors."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "consortia"

    class Access(ConcordModel.Access):
        consortium = "pk"
        shared = True

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("consortium:settings")


class Organisation(ConcordModel):
    class Kind(models.TextChoices):
        LEAD_AGENCY = "lead_agency", "Lead agency"
        CVO = "cvo", "Community and voluntary organisation"
        NHS_TRUST = "nhs_trust", "NHS trust"
        PROBATION = "probation", "Probation service"
        POLICE = "police", "Police"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        COMMISSIONER = "commissioner", "Commissioner"
        INDEPENDENT_FUNDER = "independent_funder", "Independent funder"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    registered_number = models.CharField(
        max_length=40, blank=True, help_text="Charity or company number, if it has one."
    )
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    class Access(ConcordModel.Access):
        consortium = "memberships__consortium"
        shared = True

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("consortium:organisation_detail", args=[self.pk])


class Membership(ConcordModel):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead agency"
        SUBCONTRACTOR = "subcontractor", "Subcontractor"
        COMMISSIONER = "commissioner", "Commissioner"
        FUNDER = "funder", "Funder"
        PARTNER = "partner", "Partner"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    joined = models.DateField(null=True, blank=True)
    left = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "organisation"], name="one_membership_per_organisation"
            ),
            models.CheckConstraint(
                condition=Q(left__isnull=True)
                | Q(joined__isnull=True)
                | Q(left__gte=models.F("joined")),
                name="membership_left_after_joined",
            ),
        ]

    class Access(ConcordModel.Access):
        shared = True

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"


class Site(ConcordModel):
    class Kind(models.TextChoices):
        MAGISTRATES_COURT = "magistrates_court", "Magistrates' court"
        CROWN_COURT = "crown_court", "Crown court"
        POLICE_CUSTODY = "police_custody", "Police custody suite"
        PROBATION_OFFICE = "probation_office", "Probation office"
        COMMUNITY_HUB = "community_hub", "Community hub"

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    borough = models.CharField(max_length=100, blank=True)
    address = models.TextField(blank=True)
    operated_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
        help_text="The member whose practitioners work here.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "name"], name="unique_site_name"),
        ]

    class Access(ConcordModel.Access):
        shared = True

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("consortium:site_detail", args=[self.pk])


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    LEAD = "lead", "Consortium lead"
    CVO_MANAGER = "cvo_manager", "CVO manager"
    SUPERVISOR = "supervisor", "Clinical supervisor"
    COMMISSIONER = "commissioner", "Commissioner"
    PRACTITIONER = "practitioner", "Practitioner"


class RoleAssignment(ConcordModel):
    """A person holds a role within an organisation in a consortium."""

    Role = Role

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="role_assignments"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "consortium", "organisation", "role"], name="unique_role_assignment"
            ),
        ]

    class Access(ConcordModel.Access):
        owner = "organisation"

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}: {self.get_role_display()}, {self.organisation}"


class Event(models.Model):
    """A business act in plain words ("allocation v3 approved"), with who, when and why.

    Append-only: it is itself the record of history, so it keeps no history of its own.
    """

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    verb = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    object_model = models.CharField(max_length=100)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_model", "object_id"])]

    def __str__(self):
        return f"{self.verb}: {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        # Sealed in the same transaction: an event is never written without its link.
        with transaction.atomic():
            super().save(*args, **kwargs)
            AuditEntry.append(self)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only.")


class AuditEntry(models.Model):
    """One link of a consortium's tamper-evident audit chain: the Event it seals, the hash of
    the link before it, its own hash over both, and an HMAC under CONCORD_AUDIT_KEY (kept out
    of the database). Written only by AuditEntry.append, as an Event is saved; a database
    trigger refuses UPDATE and DELETE; consortium.audit reads the chain."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="audit_entry")
    at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["consortium", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "seq"], name="one_link_per_position"),
        ]

    def __str__(self):
        return f"{self.consortium_id}#{self.seq} {self.hash[:12]}"

    @classmethod
    def append(cls, event):
        """Seal `event` as the next link of its consortium's chain.

        The head row is locked (select_for_update on PostgreSQL; SQLite's IMMEDIATE
        transactions already let one writer in at a time), so two events at once cannot fork
        the chain."""
        with transaction.atomic():
            head, _ = AuditHead._base_manager.select_for_update().get_or_create(
                consortium_id=event.consortium_id, defaults={"seq": 0, "hash": chain.GENESIS}
            )
            # Seal the row as the database stores it (JSON and timestamps as they read back).
            stored = Event._base_manager.get(pk=event.pk)
            seq = head.seq + 1
            digest, mac = chain.seal(chain.canonical(stored, seq=seq, prev_hash=head.hash))
            entry = cls._base_manager.create(
                consortium_id=event.consortium_id,
                seq=seq,
                event=stored,
                at=stored.at,
                prev_hash=head.hash,
                hash=digest,
                mac=mac,
            )
            AuditHead._base_manager.filter(pk=head.pk).update(seq=seq, hash=digest)
        return entry


class AuditHead(models.Model):
    """The newest link of a consortium's chain. Appending locks this row, so two events at
    once cannot both follow the same link."""

    consortium = models.OneToOneField(
        Consortium, on_delete=models.PROTECT, related_name="+", primary_key=True
    )
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    objects = scoped_manager("consortium")

    def __str__(self):
        return f"{self.consortium_id}#{self.seq}"


class SecurityEvent(models.Model):
    """One entry of the security log: who did what to their sign-in, or reached for what they
    may not see, when and from where. Append-only (a trigger refuses UPDATE and DELETE);
    written only by consortium.security.log."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in (password)"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGNED_OUT = "signed_out", "Signed out"
        FACTOR_VERIFIED = "factor_verified", "Second factor accepted"
        FACTOR_FAILED = "factor_failed", "Second factor refused"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        FACTOR_ADDED = "factor_added", "Second factor added"
        FACTOR_REMOVED = "factor_removed", "Second factor removed"
        FACTOR_REMOVAL_REFUSED = "factor_removal_refused", "Removing a second factor refused"
        RECOVERY_CODES_ISSUED = "recovery_codes_issued", "Recovery codes issued"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password set through a reset link"
        ROLE_GIVEN = "role_given", "Role given"
        ROLE_REMOVED = "role_removed", "Role removed"
        EXPORT = "export", "Personal data exported"
        OUT_OF_SCOPE = "out_of_scope", "Refused: out of scope"
        TOKEN_CREATED = "token_created", "API key made"
        TOKEN_NEW_ADDRESS = "token_new_address", "API key used from a new address"
        TOKEN_REFUSED = "token_refused", "API key refused"
        TOKEN_REVOKED = "token_revoked", "API key revoked"

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who it was about, when known.",
    )
    username = models.CharField(max_length=150, blank=True, help_text="As typed, when given.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.TextField(blank=True)

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["consortium", "kind", "at"])]

    class Access:
        consortium = "consortium"

    def __str__(self):
        return f"{self.get_kind_display()}: {self.username or self.user_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The security log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The security log is append-only.")


class FigureVersion(models.Model):
    """The token under which a figure worked out from many rows is cached
    (consortium.versions): it changes in the transaction of every write to the figure's inputs,
    so no process ever reads a cached figure older than the data it was worked out from.
    Derived: no history."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=40)
    token = models.CharField(max_length=32)

    objects = scoped_manager("consortium")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consortium", "name"], name="one_version_per_figure")
        ]

    def __str__(self):
        return f"{self.name} in {self.consortium_id}: {self.token}"


class ReminderSent(models.Model):
    """One reminder claimed for one person: who, which kind, about which object, at which stage
    (due, overdue, expiring…) and the date or horizon it is about. The unique key is what makes
    sending idempotent: a second run, a rerun after a crash, or two runs at once cannot claim
    the same reminder twice."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    object_key = models.CharField(max_length=120)
    stage = models.CharField(max_length=20)
    about = models.CharField(max_length=40)
    sent_on = models.DateField()
    run = models.CharField(max_length=32, help_text="The run that claimed it.")

    objects = scoped_manager("consortium")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "object_key", "stage", "about"],
                name="one_reminder_per_key",
            ),
        ]
        indexes = [models.Index(fields=["run"])]

    def __str__(self):
        return f"{self.kind} {self.object_key} ({self.stage} {self.about}) to {self.user_id}"


class ReminderDigest(models.Model):
    """The one digest a person is sent in a consortium on a day."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    items = models.PositiveIntegerField()
    run = models.CharField(max_length=32, help_text="The run that sent it.")

    objects = scoped_manager("consortium")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "user", "sent_on"], name="one_digest_per_person_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} on {self.sent_on}"


class ReminderPreference(ConcordModel):
    """The kinds of reminder a person turned off (essential kinds are sent regardless)."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences"
    )
    off = models.JSONField(default=list, blank=True, help_text="Keys of the kinds turned off.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "consortium"], name="one_preference_per_person"
            ),
        ]

    def __str__(self):
        return f"Reminders of {self.user}"


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class PreparedDownload(models.Model):
    """A list download too large to send while the page waits: prepared by a task for the
    one person who asked, kept in private storage and fetched through a view that checks
    again who asks, until it expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prepared_downloads"
    )
    title = models.CharField(max_length=200, help_text="The list's title.")
    path = models.CharField(max_length=300, help_text="The list's address.")
    query = models.TextField(blank=True, help_text="The list's filters, as its address had them.")
    filename = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=_private_storage, upload_to="downloads/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "consortium", "status"])]

    class Access:
        consortium = "consortium"

    def __str__(self):
        return f"{self.title} for {self.user_id} ({self.status})"


class ApiToken(models.Model):
    """A person's key to the API (/api/v1/) for their organisation's case system. It acts with
    the person's roles in one consortium — never more — narrowed by its scopes. The key itself
    is shown once, when it is made; only a keyed hash of it is kept (`digest`), with its first
    characters (`prefix`) so a person can tell their keys apart. Made, used from a new address,
    refused and revoked: each is in the security log (consortium.tokens)."""

    class Scope(models.TextChoices):
        READ = "read", "Read what you can see"
        RETURNS = "returns", "Fill in and submit performance returns"
        CLAIMS = "claims", "Make and submit payment-by-results claims"
        SESSIONS = "sessions", "Log supervision sessions"

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the key is for, in your words.")
    prefix = models.CharField(max_length=16, help_text="The key's first characters.")
    digest = models.CharField(max_length=64, unique=True, help_text="A keyed hash of the key.")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    addresses = models.JSONField(
        default=list, blank=True, help_text="Addresses the key has been used from."
    )

    objects = scoped_manager("consortium")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["consortium", "user"])]

    class Access:
        consortium = "consortium"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self):
        """What the key's pages show: revoked, expired or active."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def scope_labels(self):
        return [ApiToken.Scope(s).label for s in self.scopes if s in ApiToken.Scope.values]


class ApiRequest(models.Model):
    """A POST taken with an Idempotency-Key: the response it got, so that a retry of the same
    request by the same key gets the same answer and never creates twice. Kept for a day."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="Method, path and body, hashed.")
    status = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = scoped_manager("consortium")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="one_answer_per_idempotency_key")
        ]

    class Access:
        consortium = "consortium"

    def __str__(self):
        return f"{self.key} ({self.status})"


# People's names and addresses change too; keep who changed them. Password hashes and sign-in
# times are not history worth keeping.
register(User, app="consortium", excluded_fields=["password", "last_login"])
