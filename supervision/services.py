"""Writes for the workforce: posts, staff, leave, requirements, sessions and their actions.
Each checks the actor, validates, saves with who and why, and records an Event."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consortium import access
from consortium.models import Organisation, Role, RoleAssignment
from supervision.access import (
    can_complete_action,
    can_log_sessions,
    can_manage_workforce,
    supervisor_organisations,
)
from supervision.models import (
    LeavePeriod,
    Post,
    SessionAction,
    SessionKind,
    SessionNote,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)


def _require_workforce(by: User, organisation: Organisation | None) -> None:
    if not can_manage_workforce(by, organisation):
        raise PermissionDenied("Only the lead or the employing organisation's manager can do this.")


def _consortium_id(by: User) -> int:
    consortium_id = access.actor(by).consortium_id
    if consortium_id is None:
        raise PermissionDenied("You hold no role in a consortium.")
    return consortium_id


@transaction.atomic
def post_save(
    *,
    by: User,
    post: Post,
    sites: Iterable | None = None,
    funded_by: Iterable | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> Post:
    """Create or change a post (its sites and funding streams too, when given)."""
    _require_workforce(by, post.organisation)
    post.consortium_id = _consortium_id(by)
    if post.status == Post.Status.VACANT and post.vacancy_start is None:
        post.vacancy_start = timezone.localdate()
    if post.status != Post.Status.VACANT:
        post.vacancy_start = None
    post.full_clean()
    created = post.pk is None
    post.save_as(
        by=by, reason=reason or ("Post added" if created else ""), expected_version=expected_version
    )
    if sites is not None:
        post.sites.set(sites)
    if funded_by is not None:
        post.funded_by.set(funded_by)
    if created:
        post.record("Post added", by=by)
    return post


def _overlapping_holder(staff: StaffMember) -> StaffMember | None:
    if staff.post_id is None:
        return None
    others = StaffMember.objects.filter(post_id=staff.post_id).exclude(pk=staff.pk)
    others = others.filter(Q(end__isnull=True) | Q(end__gte=staff.start))
    if staff.end:
        others = others.filter(start__lte=staff.end)
    return others.order_by("start").first()


def _refresh_post(post: Post | None, by: User, today: date) -> None:
    """A post with someone in it today is filled; one whose holder has left falls vacant the
    day after they left. A frozen post stays frozen."""
    if post is None or post.status == Post.Status.FROZEN:
        return
    post = Post.objects.select_for_update().get(pk=post.pk)
    holders = list(post.holders.all())
    current = [h for h in holders if h.start <= today and (h.end is None or h.end >= today)]
    if current and post.status != Post.Status.FILLED:
        post.status, post.vacancy_start = Post.Status.FILLED, None
        post.save_as(by=by, reason=f"Filled by {current[0].name}")
    elif not current and post.status == Post.Status.FILLED:
        ended = [h.end for h in holders if h.end and h.end < today]
        post.status = Post.Status.VACANT
        post.vacancy_start = (max(ended) + timedelta(days=1)) if ended else today
        post.save_as(by=by, reason="Holder left: the post is vacant")
        post.record("Post fell vacant", by=by)


@transaction.atomic
def staff_save(
    *, by: User, staff: StaffMember, expected_version: int | None = None, reason: str = ""
) -> StaffMember:
    """Create or change a staff record. Employment in one post may not overlap."""
    _require_workforce(by, staff.organisation)
    staff.consortium_id = _consortium_id(by)
    staff.full_clean()
    if staff.post_id and staff.post.organisation_id != staff.organisation_id:
        raise ValidationError({"post": f"{staff.post} belongs to another organisation."})
    for field in ("clinical_supervisor", "group_supervisor"):
        supervisor = getattr(staff, field)
        if (
            supervisor
            and not RoleAssignment.objects.filter(
                user=supervisor,
                consortium_id=staff.consortium_id,
                organisation_id=staff.organisation_id,
                role=Role.SUPERVISOR,
            ).exists()
        ):
            name = supervisor.get_full_name() or supervisor.username
            raise ValidationError(
                {
                    field: (
                        f"{name} does not supervise for {staff.organisation}. Give them the "
                        "supervisor role there first."
                    )
                }
            )
    other = _overlapping_holder(staff)
    if other is not None:
        until = f"{other.end:%-d %b %Y}" if other.end else "with no end date"
        raise ValidationError(
            {
                "post": (
                    f"{other.name} holds this post from {other.start:%-d %b %Y} {until}: "
                    "employment in one post cannot overlap. End their employment first, or "
                    "choose another post."
                )
            }
        )
    created = staff.pk is None
    previous_post = None
    if not created:
        previous_post = StaffMember.objects.get(pk=staff.pk).post
    staff.save_as(
        by=by,
        reason=reason or ("Staff member added" if created else ""),
        expected_version=expected_version,
    )
    today = timezone.localdate()
    _refresh_post(staff.post, by, today)
    if previous_post and previous_post.pk != staff.post_id:
        _refresh_post(previous_post, by, today)
    if created:
        staff.record("Staff member added", by=by)
    return staff


@transaction.atomic
def leave_add(*, by: User, staff: StaffMember, start: date, end: date, reason: str) -> LeavePeriod:
    _require_workforce(by, staff.organisation)
    leave = LeavePeriod(staff=staff, start=start, end=end, reason=reason)
    leave.full_clean()
    if staff.leave.filter(start__lte=end, end__gte=start).exists():
        raise ValidationError("This overlaps leave already recorded for them.")
    leave.save_as(by=by, reason="Leave recorded")
    staff.record("Leave recorded", by=by)
    return leave


@transaction.atomic
def requirement_save(
    *, by: User, requirement: SupervisionRequirement, reason: str = ""
) -> SupervisionRequirement:
    target = requirement.staff or requirement.post
    _require_workforce(by, target.organisation)
    requirement.consortium_id = _consortium_id(by)
    requirement.full_clean()
    created = requirement.pk is None
    requirement.save_as(by=by, reason=reason or ("Requirement set" if created else ""))
    target.record(f"Supervision requirement set: {requirement}", by=by)
    return requirement


def _supervisors_of(person: StaffMember, kind: str | None) -> set[int]:
    """Who may log a session of `kind` for `person` (any kind, when kind is None): their
    clinical supervisor for everything; their group supervisor for group and peer sessions."""
    ids = {person.clinical_supervisor_id}
    if kind in (None, SessionKind.GROUP, SessionKind.PEER):
        ids.add(person.group_supervisor_id)
    return ids - {None}


def _check_attendees(by: User, kind: str, date: date, attendees: list[StaffMember]) -> list[str]:
    errors = []
    if not attendees:
        return ["Choose who attended."]
    if kind == SessionKind.ONE_TO_ONE and len(attendees) != 1:
        errors.append("A clinical 1:1 has exactly one supervisee. Log a group session instead.")
    covered = supervisor_organisations(by)
    consortium_id = access.actor(by).consortium_id
    for person in attendees:
        if person.consortium_id != consortium_id or person.organisation_id not in covered:
            errors.append(
                f"{person.name} works for an organisation you do not supervise for, so you "
                "cannot log a session for them."
            )
        elif by.pk not in _supervisors_of(person, kind):
            errors.append(
                f"{person.name} is not on your list of supervisees"
                + (" for this type of session" if by.pk in _supervisors_of(person, None) else "")
                + ". Ask their manager to name you as their supervisor first."
            )
        elif person.start > date or (person.end and person.end < date):
            errors.append(f"{person.name} was not in post on {date:%-d %b %Y}.")
    return errors


@transaction.atomic
def session_record(
    *,
    by: User,
    kind: str,
    date: date,
    attendees: Iterable[StaffMember],
    duration_minutes: int = 60,
    format: str = SupervisionSession.Format.IN_PERSON,
    themes: str = "",
    notes: str = "",
    status: str = SupervisionSession.Status.HELD,
    status_reason: str = "",
    rescheduled_to: date | None = None,
    actions: Iterable[tuple[str, date]] = (),
) -> SupervisionSession:
    """Log a supervision session led by `by` for people they supervise. `actions`:
    [(description, due date)]. Notes are stored apart, readable by supervisor and supervisees
    only."""
    if not can_log_sessions(by):
        raise PermissionDenied("Only a clinical supervisor can log supervision sessions.")
    attendees = list(attendees)
    today = timezone.localdate()
    errors = {}
    if status == SupervisionSession.Status.HELD and date > today:
        errors["date"] = [
            f"A held session cannot be dated in the future (today is {today:%-d %b %Y}). "
            "Log it once it has happened, or record it as rescheduled."
        ]
    if status != SupervisionSession.Status.HELD and not status_reason.strip():
        errors["status_reason"] = ["Say why the session was cancelled or rescheduled."]
    attendee_errors = _check_attendees(by, kind, date, attendees)
    if attendee_errors:
        errors["attendees"] = attendee_errors
    if errors:
        raise ValidationError(errors)
    session = SupervisionSession(
        consortium_id=access.actor(by).consortium_id,
        kind=kind,
        date=date,
        duration_minutes=duration_minutes,
        format=format,
        supervisor=by,
        themes=themes,
        status=status,
        status_reason=status_reason,
        rescheduled_to=rescheduled_to,
    )
    session.full_clean()
    session.save_as(by=by, reason="Session logged")
    session.attendees.set(attendees)
    if notes.strip():
        SessionNote(session=session, text=notes).save_as(by=by, reason="Notes written")
    for description, due in actions:
        action = SessionAction(session=session, description=description, due=due)
        action.full_clean()
        action.save_as(by=by, reason="Action agreed")
    session.record(
        f"{session.get_kind_display()} session logged ({session.get_status_display().lower()})",
        by=by,
        details={"attendees": len(attendees)},
    )
    return session


@transaction.atomic
def note_update(
    *, by: User, note: SessionNote, text: str, expected_version: int | None = None
) -> SessionNote:
    if note.session.supervisor_id != by.pk:
        raise PermissionDenied("Only the session's supervisor can change its notes.")
    note.text = text
    note.save_as(by=by, reason="Notes changed", expected_version=expected_version)
    return note


@transaction.atomic
def action_complete(*, by: User, action: SessionAction, on: date | None = None) -> SessionAction:
    if not can_complete_action(by, action):
        raise PermissionDenied("Only the supervisor or the practitioner's manager can do this.")
    action = SessionAction.objects.select_for_update().get(pk=action.pk)
    if action.done_on:
        raise ValidationError("This action is already done.")
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError("An action cannot be done in the future.")
    action.done_on = on
    action.save_as(by=by, reason="Action done")
    action.session.record("Action done", by=by)
    return action
