"""Writes for risks: registers, risks and their scores, controls, actions, acceptances,
reviews, escalation, dismissed suggestions and the risk settings. Each records who (and, for
business acts, why) in history and as an Event; transitions lock the rows they change."""

import datetime

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from consortium import access
from consortium.models import Organisation
from consortium.suggestions import Suggestion
from risks import scoring
from risks.access import (
    can_decide_escalations,
    can_keep_register,
    can_manage_risk_settings,
    can_open_register,
)
from risks.models import (
    Acceptance,
    Control,
    Escalation,
    Risk,
    RiskAction,
    RiskCategory,
    RiskLink,
    RiskMatrix,
    RiskRegister,
    RiskReview,
    RiskSettings,
    SuggestionDismissal,
)

KEEP_MESSAGE = (
    "Only the register's keeper can change it: the consortium lead for the consortium "
    "register, a member's CVO manager for their own."
)


def _consortium_id(by):
    consortium_id = access.actor(by).consortium_id
    if consortium_id is None:
        raise PermissionDenied("You do not work in a consortium.")
    return consortium_id


def settings_for(consortium_id: int) -> RiskSettings:
    """The consortium's risk settings, made with the NHS default matrix and the default
    categories the first time they are needed."""
    found = RiskSettings.objects.filter(consortium_id=consortium_id).select_related("matrix")
    current = found.first()
    if current is not None:
        return current
    with transaction.atomic():
        matrix = RiskMatrix.objects.create(
            consortium_id=consortium_id,
            number=1,
            likelihood_labels=list(scoring.LIKELIHOOD),
            consequence_labels=list(scoring.CONSEQUENCE),
            bands=[dict(b) for b in scoring.DEFAULT_BANDS],
            reason="The NHS (NPSA 2008) risk matrix.",
        )
        for name, appetite in RiskCategory.DEFAULTS:
            RiskCategory.objects.get_or_create(
                consortium_id=consortium_id, name=name, defaults={"appetite": appetite}
            )
        return RiskSettings.objects.create(consortium_id=consortium_id, matrix=matrix)


def current_settings(consortium_id: int) -> RiskSettings:
    """The consortium's risk settings for reading: the stored ones, or (before anybody has
    needed to store them) the defaults, unsaved — a page view never writes."""
    found = RiskSettings.objects.filter(consortium_id=consortium_id).select_related("matrix")
    current = found.first()
    if current is not None:
        return current
    matrix = RiskMatrix(
        consortium_id=consortium_id,
        number=1,
        likelihood_labels=list(scoring.LIKELIHOOD),
        consequence_labels=list(scoring.CONSEQUENCE),
        bands=[dict(b) for b in scoring.DEFAULT_BANDS],
    )
    return RiskSettings(consortium_id=consortium_id, matrix=matrix)


@transaction.atomic
def matrix_revise(
    *,
    by: User,
    likelihood_labels: list,
    consequence_labels: list,
    bands: list,
    reason: str,
) -> RiskMatrix:
    """A new version of the consortium's matrix. Registers keep the matrix their risks were
    scored under until they adopt the new one (register_adopt_matrix)."""
    if not can_manage_risk_settings(by):
        raise PermissionDenied("Only the consortium lead changes the risk matrix.")
    if not reason.strip():
        raise ValidationError("Say why the matrix changes; history keeps it.")
    consortium_id = _consortium_id(by)
    current = RiskSettings.objects.select_for_update().get(pk=settings_for(consortium_id).pk)
    latest = RiskMatrix.objects.filter(consortium_id=consortium_id).order_by("-number").first()
    matrix = RiskMatrix(
        consortium_id=consortium_id,
        number=latest.number + 1,
        likelihood_labels=list(likelihood_labels),
        consequence_labels=list(consequence_labels),
        bands=bands,
        reason=reason,
    )
    matrix.full_clean()
    matrix.save_as(by=by, reason=reason)
    current.matrix = matrix
    current.save_as(by=by, reason=reason)
    matrix.record(f"Risk matrix version {matrix.number} adopted", by=by, reason=reason)
    return matrix


@transaction.atomic
def register_adopt_matrix(*, by: User, register: RiskRegister, reason: str) -> RiskRegister:
    """Move a register to the consortium's current matrix, regrading its risks — only ever
    on purpose, with a reason."""
    if not can_keep_register(by, register):
        raise PermissionDenied(KEEP_MESSAGE)
    register = RiskRegister.objects.select_for_update().get(pk=register.pk)
    register.matrix = settings_for(register.consortium_id).matrix
    register.save_as(by=by, reason=reason)
    for risk in Risk.objects.filter(register=register).select_related("register__matrix"):
        risk.register = register
        risk.save_as(by=by, reason=reason)
    register.record(f"Moved to risk matrix version {register.matrix.number}", by=by, reason=reason)
    return register


def register_open(*, by: User, organisation: Organisation | None = None) -> RiskRegister:
    """The consortium's register (organisation None) or a member's, opened on first need."""
    if not can_open_register(by):
        raise PermissionDenied("Only the lead or a member's manager opens a register.")
    consortium_id = _consortium_id(by)
    existing = RiskRegister.objects.filter(
        consortium_id=consortium_id, organisation=organisation
    ).first()
    if existing:
        return existing
    probe = RiskRegister(consortium_id=consortium_id, organisation=organisation)
    if not can_keep_register(by, probe):
        raise PermissionDenied(KEEP_MESSAGE)
    settings_row = settings_for(consortium_id)
    prefix = "C" if organisation is None else "".join(w[0] for w in organisation.name.split())[:6]
    try:
        with transaction.atomic():
            register = RiskRegister(
                consortium_id=consortium_id,
                organisation=organisation,
                owner=by,
                matrix=settings_row.matrix,
                prefix=prefix.upper() or "R",
            )
            register.save_as(by=by, reason="Register opened")
            register.record("Risk register opened", by=by)
    except IntegrityError:
        return RiskRegister.objects.get(consortium_id=consortium_id, organisation=organisation)
    return register


def next_review_date(risk: Risk, from_day: datetime.date) -> datetime.date:
    """The next review is due by the residual band: extreme 30 days, high 60, moderate 90,
    low 180 by default (the consortium's settings)."""
    settings_row = settings_for(risk.register.consortium_id)
    return from_day + datetime.timedelta(days=settings_row.review_days(risk.residual_band))


def _next_reference(register: RiskRegister) -> str:
    # Lock the register: two risks added at once take their numbers one after the other.
    locked = RiskRegister.objects.select_for_update().filter(pk=register.pk).order_by()
    list(locked.values_list("pk"))
    taken = Risk.objects.filter(register=register).count()
    while True:
        taken += 1
        reference = f"{register.prefix}-{taken:03d}"
        if not Risk.objects.filter(register=register, reference=reference).exists():
            return reference


@transaction.atomic
def risk_save(
    *,
    by: User,
    risk: Risk,
    expected_version: int | None = None,
    reason: str = "",
    links: list | None = None,
) -> Risk:
    """Add or change a risk. Scores are checked (1–5, a target worse than the residual needs
    a reason); a new risk gets its reference and its first review date by band."""
    register = RiskRegister.objects.select_related("matrix").get(pk=risk.register_id)
    if not can_keep_register(by, register):
        raise PermissionDenied(KEEP_MESSAGE)
    if risk.category.consortium_id != register.consortium_id:
        raise ValidationError({"category": "Choose one of the consortium's categories."})
    risk.register = register
    created = risk.pk is None
    if created:
        risk.reference = _next_reference(register)
    risk.full_clean()
    risk.rescore()
    if created and risk.next_review is None:
        risk.next_review = next_review_date(risk, timezone.localdate())
    risk.save_as(
        by=by, reason=reason or ("Risk added" if created else ""), expected_version=expected_version
    )
    for target in links or []:
        link_add(by=by, risk=risk, target=target)
    if created:
        risk.record("Risk added", by=by, details={"residual": risk.residual_score})
    return risk


def link_add(*, by: User, risk: Risk, target) -> RiskLink:
    """Say what a risk concerns (one of RiskLink.ALLOWED, which `by` may see)."""
    if not can_keep_register(by, risk.register):
        raise PermissionDenied(KEEP_MESSAGE)
    model = type(target)
    if not model.objects.visible_to(by).filter(pk=target.pk).exists():
        raise ValidationError("Link only to something you can see.")
    link = RiskLink(
        risk=risk, content_type=ContentType.objects.get_for_model(model), object_id=target.pk
    )
    link.full_clean()
    link.save_as(by=by)
    return link


@transaction.atomic
def risk_close(*, by: User, risk: Risk, reason: str) -> Risk:
    if not reason.strip():
        raise ValidationError("Say why the risk is closed; history keeps it.")
    current = Risk.objects.select_for_update().select_related("register__matrix").get(pk=risk.pk)
    if not can_keep_register(by, current.register):
        raise PermissionDenied(KEEP_MESSAGE)
    if not current.is_open:
        raise ValidationError("This risk is already closed.")
    current.status = Risk.Status.CLOSED
    current.closed_reason = reason
    current.save_as(by=by, reason=reason)
    current.record("Risk closed", by=by, reason=reason)
    return current


@transaction.atomic
def control_add(
    *, by: User, risk: Risk, description: str, kind: str, owner: User, effectiveness: str
) -> Control:
    if not can_keep_register(by, risk.register):
        raise PermissionDenied(KEEP_MESSAGE)
    control = Control(
        risk=risk, description=description, kind=kind, owner=owner, effectiveness=effectiveness
    )
    control.full_clean()
    control.save_as(by=by, reason="Control added")
    return control


@transaction.atomic
def action_add(
    *, by: User, risk: Risk, description: str, owner: User | None, due: datetime.date
) -> RiskAction:
    if not can_keep_register(by, risk.register):
        raise PermissionDenied(KEEP_MESSAGE)
    if owner is None:
        raise ValidationError({"owner": "Name who owns the action: every action needs an owner."})
    if due is None:
        raise ValidationError({"due": "Give the date the action is due."})
    action = RiskAction(risk=risk, description=description, owner=owner, due=due)
    action.full_clean()
    action.save_as(by=by, reason="Action added")
    return action


@transaction.atomic
def action_complete(*, by: User, action: RiskAction, note: str) -> RiskAction:
    if not note.strip():
        raise ValidationError({"note": "Say what was done."})
    current = (
        RiskAction.objects.select_for_update().select_related("risk__register").get(pk=action.pk)
    )
    if not can_keep_register(by, current.risk.register):
        raise PermissionDenied(KEEP_MESSAGE)
    if current.status == RiskAction.Status.DONE:
        raise ValidationError("This action is already done.")
    current.status = RiskAction.Status.DONE
    current.completion_note = note
    current.done_on = timezone.localdate()
    current.save_as(by=by, reason=note)
    return current


@transaction.atomic
def risk_accept(*, by: User, risk: Risk, reason: str, expires: datetime.date | None) -> Acceptance:
    """Tolerate a risk above appetite: who accepted it, why, at what score, until when."""
    current = (
        Risk.objects.select_for_update().select_related("register", "category").get(pk=risk.pk)
    )
    if not can_keep_register(by, current.register):
        raise PermissionDenied(KEEP_MESSAGE)
    if expires is None:
        raise ValidationError(
            {"expires": "Give the date the acceptance expires: it is reviewed then."}
        )
    if expires <= timezone.localdate():
        raise ValidationError({"expires": "The expiry must be after today."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the risk is accepted."})
    acceptance = Acceptance(
        risk=current,
        accepted_by=by,
        reason=reason,
        score=current.residual_score,
        expires=expires,
    ).save_as(by=by, reason=reason)
    current.treatment = Risk.Treatment.TOLERATE
    current.save_as(by=by, reason=f"Accepted at {current.residual_score}: {reason}")
    current.record(
        "Risk accepted above appetite",
        by=by,
        reason=reason,
        details={"score": current.residual_score, "expires": expires.isoformat()},
    )
    return acceptance


@transaction.atomic
def risk_review(
    *,
    by: User,
    risk: Risk,
    reviewed_on: datetime.date,
    residual_likelihood: int,
    residual_consequence: int,
    what_changed: str,
    next_review: datetime.date | None = None,
) -> RiskReview:
    """Record a review: the scores at the review, what changed, and the next review (by
    default set by the new residual band)."""
    current = Risk.objects.select_for_update().select_related("register__matrix").get(pk=risk.pk)
    if not can_keep_register(by, current.register):
        raise PermissionDenied(KEEP_MESSAGE)
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": "A review cannot be dated in the future."})
    if not what_changed.strip():
        raise ValidationError({"what_changed": "Say what changed (or that nothing did)."})
    current.residual_likelihood = residual_likelihood
    current.residual_consequence = residual_consequence
    current.full_clean()
    current.rescore()
    due = next_review or next_review_date(current, reviewed_on)
    if due <= reviewed_on:
        raise ValidationError({"next_review": "The next review must be after this one."})
    review = RiskReview(
        risk=current,
        reviewed_on=reviewed_on,
        reviewer=by,
        inherent_score=current.inherent_score,
        residual_likelihood=residual_likelihood,
        residual_consequence=residual_consequence,
        residual_score=current.residual_score,
        target_score=current.target_score,
        what_changed=what_changed,
        next_review=due,
    ).save_as(by=by, reason=what_changed)
    current.next_review = due
    current.save_as(by=by, reason=f"Reviewed: {what_changed}")
    current.record(
        "Risk reviewed",
        by=by,
        reason=what_changed,
        details={"residual": current.residual_score, "next_review": due.isoformat()},
    )
    return review


# --- escalation -----------------------------------------------------------------------------


@transaction.atomic
def escalation_request(*, by: User, risk: Risk, reason: str) -> Escalation:
    """A member asks the lead to carry its risk on the consortium register."""
    current = Risk.objects.select_for_update().select_related("register").get(pk=risk.pk)
    if current.register.is_consortium:
        raise ValidationError("This risk is already on the consortium register.")
    if not can_keep_register(by, current.register):
        raise PermissionDenied(KEEP_MESSAGE)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the consortium should carry this risk."})
    if current.escalated_to_id and current.escalated_to.is_open:
        raise ValidationError("This risk is already on the consortium register.")
    if Escalation.objects.filter(member_risk=current, status=Escalation.Status.REQUESTED).exists():
        raise ValidationError("An escalation of this risk is already waiting for the lead.")
    escalation = Escalation(member_risk=current, requested_by=by, reason=reason).save_as(
        by=by, reason=reason
    )
    current.record("Escalation requested", by=by, reason=reason)
    return escalation


@transaction.atomic
def escalation_decide(*, by: User, escalation: Escalation, accept: bool, reason: str) -> Escalation:
    """The lead accepts (the risk is copied to the consortium register, linked both ways,
    with its own owner and scores) or declines, with a reason."""
    if not can_decide_escalations(by):
        raise PermissionDenied("Only the consortium lead decides escalations.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why; the member sees it."})
    current = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if current.status != Escalation.Status.REQUESTED:
        raise ValidationError("This request has already been decided.")
    member_risk = Risk.objects.select_for_update().get(pk=current.member_risk_id)
    current.decided_by = by
    current.decision_reason = reason
    current.decided_at = timezone.now()
    if accept:
        register = register_open(by=by, organisation=None)
        copy = Risk(
            register=register,
            title=member_risk.title,
            cause=member_risk.cause,
            event=member_risk.event,
            consequence=member_risk.consequence,
            category=member_risk.category,
            owner=by,
            treatment=member_risk.treatment,
            inherent_likelihood=member_risk.inherent_likelihood,
            inherent_consequence=member_risk.inherent_consequence,
            residual_likelihood=member_risk.residual_likelihood,
            residual_consequence=member_risk.residual_consequence,
            target_likelihood=member_risk.target_likelihood,
            target_consequence=member_risk.target_consequence,
            target_reason=member_risk.target_reason,
        )
        risk_save(by=by, risk=copy, reason=f"Escalated from {member_risk.reference}")
        member_risk.escalated_to = copy
        member_risk.save_as(by=by, reason=f"Escalated to {copy.reference}: {reason}")
        current.status = Escalation.Status.ACCEPTED
        current.consortium_risk = copy
        verb = "Escalation accepted"
    else:
        current.status = Escalation.Status.DECLINED
        verb = "Escalation declined"
    current.save_as(by=by, reason=reason)
    member_risk.record(verb, by=by, reason=reason)
    return current


@transaction.atomic
def risk_deescalate(*, by: User, risk: Risk, reason: str) -> Escalation:
    """The lead hands an escalated risk back to the member: the consortium copy is closed
    with the reason; both risks and the record of the move stay."""
    if not can_decide_escalations(by):
        raise PermissionDenied("Only the consortium lead de-escalates a risk.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the consortium no longer carries it."})
    member_risk = Risk.objects.filter(escalated_to=risk).first()
    if member_risk is None:
        raise ValidationError("This risk was not escalated from a member.")
    escalation = Escalation(
        member_risk=member_risk,
        consortium_risk=risk,
        direction=Escalation.Direction.DOWN,
        status=Escalation.Status.ACCEPTED,
        requested_by=by,
        reason=reason,
        decided_by=by,
        decision_reason=reason,
        decided_at=timezone.now(),
    ).save_as(by=by, reason=reason)
    risk_close(by=by, risk=risk, reason=f"De-escalated to {member_risk.reference}: {reason}")
    member_risk.record("Risk de-escalated", by=by, reason=reason)
    return escalation


# --- suggestions ----------------------------------------------------------------------------


@transaction.atomic
def suggestion_dismiss(
    *, by: User, suggestion: Suggestion, reason: str, organisation: Organisation | None
) -> SuggestionDismissal:
    """Decide against a suggested risk; it stays dismissed until its evidence changes."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this is not a risk to record."})
    if organisation is not None and not can_keep_register(
        by, RiskRegister(organisation=organisation)
    ):
        raise PermissionDenied(KEEP_MESSAGE)
    if organisation is None and not access.actor(by).oversees_consortium:
        raise PermissionDenied(KEEP_MESSAGE)
    dismissal = SuggestionDismissal(
        consortium_id=_consortium_id(by),
        organisation=organisation,
        key=suggestion.key,
        fingerprint=suggestion.fingerprint,
        title=suggestion.title[:300],
        reason=reason,
        by=by,
    )
    dismissal.save_as(by=by, reason=reason)
    return dismissal


SETTINGS_FIELDS = (
    "review_days_low",
    "review_days_moderate",
    "review_days_high",
    "review_days_extreme",
    "escalation_threshold",
    "consensus_high_percent",
    "consensus_reasonable_percent",
    "horizon_days",
    "vacancy_days",
    "compliance_threshold",
    "single_post_sites",
    "secured_months",
    "payment_overdue_days",
    "late_returns_running",
    "red_percent",
)


@transaction.atomic
def settings_save(
    *,
    by: User,
    values: dict,
    matrix: dict,
    appetites: dict,
    new_category: tuple | None,
    reason: str,
    expected_version: int | None = None,
) -> RiskSettings:
    """Change the consortium's risk settings: intervals, thresholds, category appetites (and
    a new category); a changed matrix becomes a new matrix version (registers keep theirs)."""
    if not can_manage_risk_settings(by):
        raise PermissionDenied("Only the consortium lead changes the risk settings.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why; history keeps it."})
    consortium_id = _consortium_id(by)
    current = settings_for(consortium_id)
    for name in SETTINGS_FIELDS:
        setattr(current, name, values[name])
    current.full_clean(exclude=["consortium", "matrix"])
    if current.consensus_reasonable_percent >= current.consensus_high_percent:
        raise ValidationError(
            {"consensus_reasonable_percent": "Reasonable consensus must start below high."}
        )
    if not 1 <= current.escalation_threshold <= 25:
        raise ValidationError({"escalation_threshold": "Give a score from 1 to 25."})
    current.save_as(by=by, reason=reason, expected_version=expected_version)
    old = current.matrix
    if (
        matrix["likelihood_labels"] != old.likelihood_labels
        or matrix["consequence_labels"] != old.consequence_labels
        or matrix["bands"] != old.bands
    ):
        matrix_revise(by=by, reason=reason, **matrix)
    for category in RiskCategory.objects.filter(consortium_id=consortium_id, pk__in=appetites):
        if category.appetite != appetites[category.pk]:
            category.appetite = appetites[category.pk]
            category.full_clean()
            category.save_as(by=by, reason=reason)
    if new_category and new_category[0].strip():
        category = RiskCategory(
            consortium_id=consortium_id, name=new_category[0].strip(), appetite=new_category[1]
        )
        category.full_clean()
        category.save_as(by=by, reason=reason)
    return current
