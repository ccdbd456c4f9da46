"""Day one: a consortium starts from nothing. `consortium_start` creates the consortium, its
lead organisation and its first administrator, and invites the administrator to set a
password (and then a second factor) through the one invitation email. The operator calls it
from `manage.py start_consortium` or the Django admin's "Start a consortium" page."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django_scopes import scopes_disabled

from consortium import security
from consortium.models import Consortium, Membership, Organisation, Role, RoleAssignment
from consortium.services import free_username, send_invitation


def can_start_consortium(user) -> bool:
    """The operator: a superuser who holds no role in any consortium (made with
    `createsuperuser`). A consortium's own administrators, superusers of the admin scoped to
    their consortium, cannot start another one."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_superuser
        and not RoleAssignment._base_manager.filter(user=user).exists()
    )


@dataclass
class Started:
    consortium: Consortium
    lead: Organisation
    administrator: User


@transaction.atomic
def consortium_start(
    *,
    by: User | None,
    name: str,
    lead_name: str,
    first_name: str,
    last_name: str,
    email: str,
    username: str = "",
    base_url: str,
) -> Started:
    """Create the consortium `name`, its lead agency `lead_name` and its first administrator
    (who also uses the Django admin, scoped to the consortium), and email the administrator
    an invitation. `by` is the operator, or None from the command line. A consortium of the
    same name (in any letter case) refuses; an address somebody already uses elsewhere gets
    a new, separate sign-in (its username the address with -2, -3… when the address is already
    somebody's username), and nothing in the invitation names any other consortium."""
    if by is not None and not can_start_consortium(by):
        raise PermissionDenied("Only the operator can start a consortium.")
    name, lead_name = name.strip(), lead_name.strip()
    email = email.strip()
    username = username.strip()
    errors = {}
    if not name:
        errors["name"] = "Enter the consortium's name."
    if not lead_name:
        errors["lead_name"] = "Enter the lead organisation's name."
    if not first_name.strip() or not last_name.strip():
        errors["first_name"] = "Enter the administrator's first and last names."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter the administrator's email address, like name@example.org."
    with scopes_disabled():
        if name and Consortium._base_manager.filter(name__iexact=name).exists():
            errors["name"] = f"A consortium called {name} already exists. Choose another name."
        if username and get_user_model().objects.filter(username__iexact=username).exists():
            errors["username"] = "That username is taken. Choose another."
        if errors:
            raise ValidationError(errors)
        # Without a username of their choosing, the address (with -2, -3… if another sign-in
        # anywhere has it), so nothing says whose it is.
        username = username or free_username(email)
        how = "Started from the command line" if by is None else "Started in the admin"
        consortium = Consortium(name=name)
        consortium.full_clean()
        consortium.save_as(by=by, reason=how)
        lead = Organisation(name=lead_name, kind=Organisation.Kind.LEAD_AGENCY)
        lead.full_clean()
        lead.save_as(by=by, reason="Lead organisation of a new consortium")
        membership = Membership(consortium=consortium, organisation=lead, role=Membership.Role.LEAD)
        membership.full_clean()
        membership.save_as(by=by, reason="Joined the consortium")
        admin = get_user_model()(
            username=username,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email,
            # The consortium's administrator uses the Django admin too, which is scoped to
            # the consortium by the access policy (as the demo's administrator does).
            is_staff=True,
            is_superuser=True,
        )
        admin.set_unusable_password()
        admin._history_user = by
        admin._change_reason = "First administrator of a new consortium"
        admin.save()
        assignment = RoleAssignment(
            user=admin, consortium=consortium, organisation=lead, role=Role.ADMIN
        )
        assignment.save_as(by=by, reason="First administrator of a new consortium")
        consortium.record("Consortium started", by=by, reason=how)
        assignment.record("Role given", by=by, reason="First administrator")

        security.log(
            security.Kind.ROLE_GIVEN,
            user=admin,
            consortium_id=consortium.pk,
            detail=f"{admin.get_full_name()} ({admin.username}): Administrator, {lead} "
            f"({how.lower()})",
        )
        # Sent once the rows are committed, so the link never names an account that a
        # rolled-back start left behind.
        transaction.on_commit(
            lambda: send_invitation(
                user=admin,
                base_url=base_url,
                subject=f"You are the administrator of {consortium.name} in Concord",
                opening=(
                    f"{consortium.name} has been started in Concord, with {lead.name} as its "
                    "lead organisation, and you are its first administrator: you set up its "
                    "organisations, sites, people and roles."
                ),
            )
        )
    return Started(consortium=consortium, lead=lead, administrator=admin)
