"""Writes for the consortium app. Views, commands and the admin call these; each records who
did it (and, for changes of state, why) in history and as an Event."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from consortium import access, security, twofactor
from consortium.models import (
    Consortium,
    Membership,
    Organisation,
    ReminderPreference,
    RoleAssignment,
    Site,
)
from consortium.reminders import KINDS


def _require_setup(by: User) -> None:
    if not access.can_manage_setup(by):
        raise PermissionDenied("Only an administrator or the consortium lead can change set-up.")


@transaction.atomic
def organisation_create(
    *, by: User, consortium: Consortium, role: str, **fields: Any
) -> Organisation:
    """Create an organisation and make it a member of `consortium` with `role`."""
    _require_setup(by)
    org = Organisation(**fields)
    org.full_clean()
    org.save_as(by=by, reason="Organisation added")
    membership = Membership(consortium=consortium, organisation=org, role=role)
    membership.full_clean()
    membership.save_as(by=by, reason="Joined the consortium")
    org.record("Organisation added", by=by)
    return org


@transaction.atomic
def organisation_update(
    *,
    by: User,
    organisation: Organisation,
    expected_version: int | None,
    reason: str = "",
    role: str | None = None,
    **fields: Any,
) -> Organisation:
    _require_setup(by)
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save_as(by=by, reason=reason, expected_version=expected_version)
    if role:
        membership = Membership.objects.get(
            organisation=organisation, consortium_id=access.actor(by).consortium_id
        )
        if membership.role != role:
            membership.role = role
            membership.save_as(by=by, reason=reason or "Role in the consortium changed")
    return organisation


@transaction.atomic
def site_save(
    *, by: User, site: Site, expected_version: int | None = None, reason: str = ""
) -> Site:
    _require_setup(by)
    site.consortium_id = access.actor(by).consortium_id
    site.full_clean()
    created = site.pk is None
    site.save_as(
        by=by, reason=reason or ("Site added" if created else ""), expected_version=expected_version
    )
    if created:
        site.record("Site added", by=by)
    return site


@transaction.atomic
def person_create(*, by: User, username: str, first_name: str, last_name: str, email: str) -> User:
    """Create a sign-in for a person. They set their password through the reset link."""
    _require_setup(by)
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken. Choose another."})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_unusable_password()
    user._history_user = by
    user._change_reason = "Person added"
    user.save()
    return user


def person_invite(*, by: User, user: User, base_url: str) -> None:
    """Email a new person a one-time link to set their password (the reset form will not
    serve an account that has never had one)."""
    _require_setup(by)
    inviter = by.get_full_name() or by.username
    send_invitation(
        user=user,
        base_url=base_url,
        subject="You have been given access to Concord",
        opening=f"{inviter} has given you access to Concord.",
    )


def send_invitation(*, user: User, base_url: str, subject: str, opening: str) -> None:
    """The one invitation email: `opening`, then a link to set a password that works once
    (Django's password-reset token changes with the password) and expires after
    PASSWORD_RESET_TIMEOUT (three days). It names no consortium but the one in `opening`."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    factor = (
        "\n\nThen sign in: Concord asks you to set up a second factor (an authenticator app "
        "on your phone) before anything else."
        if twofactor.requires_two_factor(user)
        else ""
    )
    send_mail(
        subject,
        f"{opening}\n\n"
        f"Set your password here (the link works once and expires in three days):\n{link}\n\n"
        f"Your username is {user.username}.{factor}",
        None,
        [user.email],
    )


@transaction.atomic
def role_assign(*, by: User, user: User, organisation: Organisation, role: str) -> RoleAssignment:
    _require_setup(by)
    consortium_id = access.actor(by).consortium_id
    if not Membership.objects.filter(
        consortium_id=consortium_id, organisation=organisation
    ).exists():
        raise ValidationError("That organisation is not a member of this consortium.")
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user,
        consortium_id=consortium_id,
        organisation=organisation,
        role=role,
        defaults={"version": 1},
    )
    if not created:
        raise ValidationError(
            f"{user.get_full_name() or user.username} already holds that role there."
        )
    assignment.save_as(by=by, reason="Role given")
    assignment.record("Role given", by=by)
    security.log(
        security.Kind.ROLE_GIVEN,
        user=by,
        consortium_id=consortium_id,
        detail=f"{_name(user)}: {assignment.get_role_display()}, {organisation}",
    )
    return assignment


def _name(user: User) -> str:
    return f"{user.get_full_name() or user.username} ({user.username})"


@transaction.atomic
def role_revoke(*, by: User, assignment: RoleAssignment, reason: str) -> None:
    _require_setup(by)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the role is being removed."})
    if assignment.user_id == by.pk and assignment.role in (
        RoleAssignment.Role.ADMIN,
        RoleAssignment.Role.LEAD,
    ):
        raise ValidationError("You cannot remove your own administrator or lead role.")
    assignment.record("Role removed", by=by, reason=reason)
    security.log(
        security.Kind.ROLE_REMOVED,
        user=by,
        consortium_id=assignment.consortium_id,
        detail=(
            f"{_name(assignment.user)}: {assignment.get_role_display()}, "
            f"{assignment.organisation}. Reason: {reason}"
        ),
    )
    assignment._history_user = by
    assignment._change_reason = reason
    assignment.delete()


@transaction.atomic
def consortium_update(
    *, by: User, consortium: Consortium, expected_version: int | None, reason: str, **fields: Any
) -> Consortium:
    if not access.actor(by).has(RoleAssignment.Role.ADMIN, RoleAssignment.Role.LEAD):
        raise PermissionDenied("Only an administrator or the consortium lead can change settings.")
    for name, value in fields.items():
        setattr(consortium, name, value)
    consortium.full_clean()
    consortium.save_as(by=by, reason=reason, expected_version=expected_version)
    consortium.record("Settings changed", by=by, reason=reason)
    return consortium


@transaction.atomic
def reminder_preferences_set(*, by: User, consortium_id: int, off: list) -> Any:
    """Record which kinds of reminder email `by` turned off in their consortium (essential
    kinds cannot be turned off and are dropped)."""

    off = sorted(k for k in set(off) if k in KINDS and not KINDS[k].essential)
    pref = (
        ReminderPreference._base_manager.select_for_update()
        .filter(user=by, consortium_id=consortium_id)
        .first()
    ) or ReminderPreference(user=by, consortium_id=consortium_id)
    if pref.pk and pref.off == off:
        return pref
    pref.off = off
    return pref.save_as(by=by, reason="Reminder emails chosen")


def free_username(email: str) -> str:
    """A username for a new person from their email address: the address itself, or with -2,
    -3… when another sign-in (in any consortium) already has it, so nothing reveals whose."""
    User = get_user_model()
    base = email.strip()[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def person_rename(*, by: User, person: User, first_name: str, last_name: str, reason: str) -> User:
    """Change a person's name, with who and why in their history."""
    _require_setup(by)
    person.first_name, person.last_name = first_name, last_name
    person._history_user = by
    person._change_reason = reason
    person.save()
    return person
