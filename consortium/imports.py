"""The consortium's own import kinds: organisations and memberships, sites, and people with
their roles (the machinery is consortium.importing)."""

from django.db import transaction

from consortium import access, services
from consortium.importing import (
    Column,
    ImportKind,
    organisation_named,
    register,
    unknown_organisations,
)
from consortium.models import Consortium, Membership, Organisation, Role, RoleAssignment, Site


@register
class OrganisationImport(ImportKind):
    key = "organisations"
    order = 10
    title = "Organisations and memberships"
    sheet = "Organisations"
    noun = ("organisation", "organisations")
    natural_key = ("name",)
    list_url = "consortium:organisation_list"
    columns = [
        Column("Name", "name", required=True),
        Column("Kind", "kind", "choice", required=True, choices=Organisation.Kind),
        Column(
            "Role in the consortium",
            "role",
            "choice",
            required=True,
            choices=Membership.Role,
        ),
        Column("Charity or company number", "registered_number", max_length=40),
        Column("Email", "email", "email", max_length=254),
        Column("Address", "address", max_length=1000),
    ]
    check = staticmethod(access.can_manage_setup)

    def existing(self, user):
        out = {}
        for m in Membership.objects.visible_to(user).select_related("organisation"):
            org = m.organisation
            org.import_role = m.role
            out[(org.name.strip().casefold(),)] = org
        return out

    def values_of(self, org):
        return {
            "name": org.name,
            "kind": org.kind,
            "role": org.import_role,
            "registered_number": org.registered_number,
            "email": org.email,
            "address": org.address,
        }

    def save(self, user, org, values, *, reason):

        fields = {k: v for k, v in values.items() if k != "role"}
        if org is None:
            consortium = Consortium.objects.get(pk=access.actor(user).consortium_id)
            return services.organisation_create(
                by=user, consortium=consortium, role=values["role"], **fields
            )
        return services.organisation_update(
            by=user,
            organisation=org,
            expected_version=None,
            reason=f"Imported from a spreadsheet: {reason}",
            role=values["role"],
            **fields,
        )


@register
class SiteImport(ImportKind):
    key = "sites"
    order = 20
    title = "Sites"
    sheet = "Sites"
    noun = ("site", "sites")
    natural_key = ("name",)
    list_url = "consortium:site_list"
    columns = [
        Column("Name", "name", required=True),
        Column("Kind", "kind", "choice", required=True, choices=Site.Kind),
        Column("Borough", "borough", max_length=100),
        Column("Address", "address", max_length=1000),
        Column(
            "Operated by",
            "operated_by",
            help="The member whose practitioners work here, by its name in Concord.",
            refers=True,
        ),
    ]
    check = staticmethod(access.can_manage_setup)

    def existing(self, user):
        sites = Site.objects.visible_to(user).select_related("operated_by")
        return {(s.name.strip().casefold(),): s for s in sites}

    def values_of(self, site):
        return {
            "name": site.name,
            "kind": site.kind,
            "borough": site.borough,
            "address": site.address,
            "operated_by": site.operated_by.name if site.operated_by else "",
        }

    def validate(self, user, rows):
        return unknown_organisations(self, user, rows, "operated_by")

    def save(self, user, site, values, *, reason):

        site = site or Site()
        for name in ("name", "kind", "borough", "address"):
            setattr(site, name, values[name])
        site.operated_by = organisation_named(user, values["operated_by"])
        return services.site_save(
            by=user, site=site, reason=f"Imported from a spreadsheet: {reason}"
        )


@register
class PeopleImport(ImportKind):
    """People and their roles, a row per role: a new person is invited by email to set a
    password (sent once the whole file is saved). A person is matched by email address among
    the people of this consortium only: an address also used in another consortium gets a
    sign-in of its own here, and nothing says so."""

    key = "people"
    order = 30
    title = "People and roles"
    sheet = "People"
    noun = ("role", "roles")
    natural_key = ("email", "organisation", "role")
    list_url = "consortium:people"
    fresh_factor = True  # giving roles asks for a fresh second factor, as on the page
    columns = [
        Column("First name", "first_name", required=True, max_length=150),
        Column("Last name", "last_name", required=True, max_length=150),
        Column("Email", "email", "email", required=True, max_length=254),
        Column("Organisation", "organisation", required=True, refers=True),
        Column("Role", "role", "choice", required=True, choices=Role),
    ]
    check = staticmethod(access.can_manage_setup)

    def existing(self, user):
        out = {}
        for a in RoleAssignment.objects.visible_to(user).select_related("user", "organisation"):
            out[(a.user.email.strip().casefold(), a.organisation.name.casefold(), a.role)] = a
        return out

    def key_of(self, values):
        return (
            str(values.get("email") or "").strip().casefold(),
            str(values.get("organisation") or "").strip().casefold(),
            values.get("role") or "",
        )

    def values_of(self, a):
        return {
            "first_name": a.user.first_name,
            "last_name": a.user.last_name,
            "email": a.user.email,
            "organisation": a.organisation.name,
            "role": a.role,
        }

    def validate(self, user, rows):
        return unknown_organisations(self, user, rows, "organisation")

    def save(self, user, assignment, values, *, reason):
        from django.conf import settings

        if assignment is not None:
            return services.person_rename(
                by=user,
                person=assignment.user,
                first_name=values["first_name"],
                last_name=values["last_name"],
                reason=f"Imported from a spreadsheet: {reason}",
            )
        email = values["email"]
        person = next(
            (
                a.user
                for a in RoleAssignment.objects.visible_to(user).select_related("user")
                if a.user.email.casefold() == email.casefold()
            ),
            None,
        )
        if person is None:
            person = services.person_create(
                by=user,
                username=services.free_username(email),
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=email,
            )
            transaction.on_commit(
                lambda: services.person_invite(
                    by=user, user=person, base_url=settings.CONCORD_SITE_URL
                )
            )
        return services.role_assign(
            by=user,
            user=person,
            organisation=organisation_named(user, values["organisation"]),
            role=values["role"],
        )
