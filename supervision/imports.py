"""Staff and their checks, and posts, from a spreadsheet (consortium.imports)."""

from consortium.imports import (
    Column,
    ImportKind,
    organisation_named,
    reference,
    register,
    unknown_organisations,
)
from supervision.access import can_manage_workforce
from supervision.models import Post, StaffMember
from supervision.services import staff_save


@register
class StaffImport(ImportKind):
    """Staff with their registration, DBS and vetting, matched by work email. The lead imports
    anyone's staff; a CVO manager their own organisation's."""

    key = "staff"
    order = 40
    title = "Staff and their checks"
    sheet = "Staff"
    noun = ("staff member", "staff")
    natural_key = ("email",)
    list_url = "supervision:staff_list"
    columns = [
        Column("First name", "first_name", required=True, max_length=150),
        Column("Last name", "last_name", required=True, max_length=150),
        Column("Work email", "email", "email", required=True, max_length=254),
        Column(
            "Organisation",
            "organisation",
            required=True,
            help="The employer, as in Concord.",
            refers=True,
        ),
        Column(
            "Post",
            "post",
            help="The post's title at that organisation, if it has one.",
            refers=True,
        ),
        Column("Start date", "start", "date", required=True),
        Column("End date", "end", "date"),
        Column("Profession", "profession", "choice", required=True, choices=StaffMember.Profession),
        Column(
            "Registration body", "registration_body", "choice", choices=StaffMember.RegistrationBody
        ),
        Column("Registration number", "registration_number", max_length=40),
        Column("Registration expiry", "registration_expiry", "date"),
        Column("DBS check date", "dbs_date", "date", past=True),
        Column("On the DBS update service", "dbs_update_service", "yesno"),
        Column("Works in police custody", "needs_police_vetting", "yesno"),
        Column("Police vetting expiry", "police_vetting_expiry", "date"),
    ]
    check = staticmethod(can_manage_workforce)

    def existing(self, user):
        staff = StaffMember.objects.visible_to(user).select_related("organisation", "post")
        return {(s.email.strip().casefold(),): s for s in staff if s.email}

    def values_of(self, s):
        return {
            "first_name": s.first_name,
            "last_name": s.last_name,
            "email": s.email,
            "organisation": s.organisation.name,
            "post": s.post.title if s.post else "",
            "start": s.start,
            "end": s.end,
            "profession": s.profession,
            "registration_body": s.registration_body,
            "registration_number": s.registration_number,
            "registration_expiry": s.registration_expiry,
            "dbs_date": s.dbs_date,
            "dbs_update_service": s.dbs_update_service,
            "needs_police_vetting": s.needs_police_vetting,
            "police_vetting_expiry": s.police_vetting_expiry,
        }

    def validate(self, user, rows):
        problems = unknown_organisations(self, user, rows, "organisation")
        for row in rows:
            v = row.values
            start, end = v.get("start"), v.get("end")
            if start and end and end < start:
                reference(
                    problems,
                    row,
                    "end",
                    self,
                    f"End date: {end:%-d %B %Y} is before the start date, {start:%-d %B %Y}.",
                )
            if v.get("registration_number") and not v.get("registration_body"):
                reference(
                    problems,
                    row,
                    "registration_body",
                    self,
                    "Registration body: give the body the registration number is with.",
                )
            if v.get("post") and not problems_for(problems, row):
                org = organisation_named(user, v.get("organisation"))
                found = _posts_called(user, org, v["post"])
                if len(found) != 1:
                    reference(
                        problems,
                        row,
                        "post",
                        self,
                        f"Post: {org} has {'no post' if not found else f'{len(found)} posts'} "
                        f"called {v['post']}. "
                        + (
                            "Import or add the post first, or leave it empty."
                            if not found
                            else "Leave it empty and choose the post on the staff record."
                        ),
                    )
        return problems

    def save(self, user, staff, values, *, reason):
        staff = staff or StaffMember()
        for name, value in values.items():
            if name not in ("organisation", "post"):
                setattr(staff, name, value)
        staff.organisation = organisation_named(user, values["organisation"])
        posts = _posts_called(user, staff.organisation, values["post"]) if values["post"] else []
        staff.post = posts[0] if posts else None
        return staff_save(by=user, staff=staff, reason=f"Imported from a spreadsheet: {reason}")


def problems_for(problems, row):
    return any(p.row == row.number for p in problems)


def _posts_called(user, organisation, title):
    return list(
        Post.objects.visible_to(user).filter(organisation=organisation, title__iexact=title.strip())
    )
