"""Assurance packs: for one contract and one period, the figures every app provides (frozen
in a snapshot with a SHA-256 digest when the lead signs the pack off), a narrative, actions
carried from the last pack, and the commissioner's acknowledgement or queries."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from consortium.base import ConcordModel, FreezableModel, Frozen, RecordFrozen
from consortium.models import Consortium
from contracts.models.agreements import Contract


class PackFrozen(RecordFrozen):
    """A signed-off pack (or its actions) was about to change."""


def canonical_json(data):
    """The one text a snapshot's digest is taken over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(data):
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# How a sign-off names a member's missing return ("Return not submitted: <member>, <period>:
# <state>"), so that a member reading the pack sees only its own.
RETURN_NOT_SUBMITTED = "Return not submitted: "


class AssurancePack(FreezableModel):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        # Signed off by the lead, its figures still being frozen by a task: frozen already,
        # and read by nobody outside the lead's office until they are.
        SIGNING = "signing", "Being signed off"
        SIGNED_OFF = "signed_off", "Signed off"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SUPERSEDED = "superseded", "Superseded"

    class Build(models.TextChoices):
        """Where the task that freezes a pack's figures and writes its PDF is."""

        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being prepared"
        FAILED = "failed", "Could not be prepared"

    PUBLISHED = (State.SIGNED_OFF, State.ACKNOWLEDGED, State.SUPERSEDED)
    FROZEN = (State.SIGNING, *PUBLISHED)
    frozen = Frozen(
        states=FROZEN,
        error=PackFrozen,
        message="This pack is {status}, so it cannot be changed. A correction is a new "
        "version, with a reason.",
        bulk_message="Signed-off packs cannot be changed in bulk.",
        status="state",
    )

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="assurance_packs")
    period_start = models.DateField()
    period_end = models.DateField()
    revision = models.PositiveIntegerField(default=1)
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The signed-off pack this version corrects.",
    )
    revision_reason = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    narrative = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    figures_at = models.DateTimeField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    missing_confirmed = models.TextField(
        blank=True, help_text="What was missing when the lead confirmed the sign-off."
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    build = models.CharField(
        max_length=10,
        choices=Build.choices,
        blank=True,
        help_text="While the pack is being signed off: where the task that freezes its figures is.",
    )
    build_done = models.PositiveIntegerField(default=0)
    build_total = models.PositiveIntegerField(default=0)
    build_asked_at = models.DateTimeField(null=True, blank=True)
    build_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start", "contract__reference", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "period_end", "revision"],
                name="one_pack_revision_per_contract_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="pack_period_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(state__in=("draft", "signing")) | ~Q(digest=""),
                name="signed_off_pack_has_digest",
            ),
        ]

    class Access(ConcordModel.Access):
        commissioner = "contract__commissioner"

    def __str__(self):
        return f"Assurance pack {self.contract.reference} {self.period_label} v{self.revision}"

    def get_absolute_url(self):
        return reverse("assurance:pack_detail", args=[self.pk])

    @property
    def period_label(self):
        return f"{self.period_start:%-d %b %Y} to {self.period_end:%-d %b %Y}"

    @property
    def is_issued(self):
        """Signed off and given to the commissioner (acknowledged or not): it can be queried
        and corrected by a new version."""
        return self.state in (self.State.SIGNED_OFF, self.State.ACKNOWLEDGED)

    @property
    def is_draft(self):
        return self.state == self.State.DRAFT

    @property
    def is_signing(self):
        return self.state == self.State.SIGNING

    @property
    def digest_line(self):
        """How every page of the pack names the version it is: its digest, or that it is a
        draft."""
        return f"SHA-256 {self.digest}" if self.digest else "SHA-256 draft, not signed off"

    def missing_at_sign_off(self, members=None) -> dict | None:
        """What the lead confirmed was still missing when signing off, as every view of the
        pack shows it (page, PDF cover, XLSX cover): None for a draft; else {"lines",
        "limited"}. `members`: the names of the members a reader may see (None: all), so
        that a member sees the period line and its own returns only, and is told so."""
        if self.is_draft:
            return None
        lines = [line for line in self.missing_confirmed.splitlines() if line.strip()]
        if members is None:
            return {"lines": lines, "limited": False}
        names = set(members)

        def theirs(line):
            if not line.startswith(RETURN_NOT_SUBMITTED):
                return True
            about = line[len(RETURN_NOT_SUBMITTED) :]
            return any(about.startswith(f"{name}, ") for name in names)

        return {"lines": [line for line in lines if theirs(line)], "limited": True}

    def computed_digest(self):
        """The digest recomputed from the stored snapshot: equal to `digest` unless the row
        was changed behind Concord's back."""
        return digest_of(self.snapshot)


class PackAction(FreezableModel):
    """An action in a pack: new, or carried from the last pack with its status."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    frozen = Frozen(
        states=AssurancePack.FROZEN,
        error=PackFrozen,
        message="This pack is signed off, so its actions cannot be changed.",
        bulk_message="Actions of signed-off packs cannot be changed in bulk.",
        status="pack__state",
    )

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    pack = models.ForeignKey(AssurancePack, on_delete=models.CASCADE, related_name="actions")
    text = models.TextField()
    owner = models.CharField(max_length=200, blank=True)
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    class Access(ConcordModel.Access):
        commissioner = "pack__contract__commissioner"

    def __str__(self):
        return self.text[:80]


class PackQuery(ConcordModel):
    """A commissioner's question on a signed-off pack and the lead's answer: both kept."""

    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="+")
    pack = models.ForeignKey(AssurancePack, on_delete=models.PROTECT, related_name="queries")
    question = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

    class Access(ConcordModel.Access):
        commissioner = "pack__contract__commissioner"

    def __str__(self):
        return f"Query on {self.pack}"

    def get_absolute_url(self):
        return self.pack.get_absolute_url() + f"#query-{self.pk}"

    @property
    def is_open(self):
        return not self.answered_at
