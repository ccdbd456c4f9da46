"""Staff and their checks, and posts, from a spreadsheet (consortium.importing)."""

from consortium.importing import (
    Column,
    ImportKind,
    organisation_named,
    problem_at,
    register,
    unknown_organisations,
)
from consortium.models import Site
from funding.models import FundingStream
from supervision.access import can_manage_workforce, can_see_post_funding
from supervision.models import Post, StaffMember
from supervision.services import post_save, staff_save


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
            help="The post they hold, by its post reference (or its title, if no other post at "
            "the organisation has it).",
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
            "post": (s.post.reference or s.post.title) if s.post else "",
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
                problem_at(
                    problems,
                    row,
                    "end",
                    self,
                    f"End date: {end:%-d %B %Y} is before the start date, {start:%-d %B %Y}.",
                )
            if v.get("registration_number") and not v.get("registration_body"):
                problem_at(
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
                    problem_at(
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


def _posts_called(user, organisation, name):
    """The organisation's posts with this post reference, else with this title."""
    posts = Post.objects.visible_to(user).filter(organisation=organisation)
    found = list(posts.filter(reference__iexact=name.strip()))
    return found or list(posts.filter(title__iexact=name.strip()))


def _named(queryset, field, text):
    """[(name, record or None)] for names separated by semicolons."""
    names = [n.strip() for n in (text or "").split(";") if n.strip()]
    known = {getattr(r, field).casefold(): r for r in queryset}
    return [(n, known.get(n.casefold())) for n in names]


@register
class PostImport(ImportKind):
    """Posts, matched by their post reference. The lead imports anyone's posts, with the
    funding streams that pay for them; a CVO manager their own organisation's, without
    funding (which only the lead sees)."""

    key = "posts"
    order = 35
    title = "Posts"
    sheet = "Posts"
    noun = ("post", "posts")
    natural_key = ("reference",)
    list_url = "supervision:post_list"
    defaults = {"fte": Post._meta.get_field("fte").default, "status": Post.Status.VACANT}
    columns = [
        Column("Post reference", "reference", required=True, max_length=40),
        Column("Organisation", "organisation", required=True, help="The employer.", refers=True),
        Column("Title", "title", required=True),
        Column(
            "FTE",
            "fte",
            "decimal",
            help="More than 0 and at most 1 (full time); empty means full time.",
        ),
        Column("Status", "status", "choice", choices=Post.Status, help="Empty means vacant."),
        Column("Vacant since", "vacancy_start", "date", past=True),
        Column(
            "Sites",
            "sites",
            max_length=2000,
            help="Where it works, by site name, separated by semicolons.",
            refers=True,
        ),
        Column(
            "Funding streams",
            "funded_by",
            max_length=2000,
            help="The streams that pay for it, by name, separated by semicolons (the lead only).",
            refers=True,
        ),
        Column("Cover arrangements", "cover_arrangements", max_length=2000),
    ]
    check = staticmethod(can_manage_workforce)

    def existing(self, user):
        sees_funding = can_see_post_funding(user)
        posts = Post.objects.visible_to(user).select_related("organisation")
        out = {}
        for p in posts.prefetch_related("sites", "funded_by"):
            if p.reference:
                p.import_funding = sees_funding
                out[(p.reference.strip().casefold(),)] = p
        return out

    def values_of(self, p):
        funding = sorted(s.name for s in p.funded_by.all()) if p.import_funding else []
        return {
            "reference": p.reference,
            "organisation": p.organisation.name,
            "title": p.title,
            "fte": p.fte,
            "status": p.status,
            "vacancy_start": p.vacancy_start,
            "sites": "; ".join(sorted(s.name for s in p.sites.all())),
            "funded_by": "; ".join(funding),
            "cover_arrangements": p.cover_arrangements,
        }

    def validate(self, user, rows):
        problems = unknown_organisations(self, user, rows, "organisation")
        sites = Site.objects.visible_to(user)
        streams = FundingStream.objects.visible_to(user)
        sees_funding = can_see_post_funding(user)
        for row in rows:
            vacant = row.values.get("status") == Post.Status.VACANT
            if vacant and row.values.get("vacancy_start") is None:
                problem_at(
                    problems,
                    row,
                    "vacancy_start",
                    self,
                    "Vacant since: give the date the post fell vacant (its gap is counted from it).",
                )
            elif not vacant and row.values.get("vacancy_start"):
                problem_at(
                    problems,
                    row,
                    "vacancy_start",
                    self,
                    "Vacant since: only a vacant post has one. Leave it empty, or make the status "
                    "Vacant.",
                )
            missing = [n for n, s in _named(sites, "name", row.values.get("sites")) if s is None]
            if missing:
                problem_at(
                    problems,
                    row,
                    "sites",
                    self,
                    f"Sites: no site is called {', '.join(missing)}. Import or add the sites "
                    "first, or correct the names.",
                )
            if row.values.get("funded_by") and not sees_funding:
                problem_at(
                    problems,
                    row,
                    "funded_by",
                    self,
                    "Funding streams: only the consortium lead records what pays for a post. "
                    "Leave it empty.",
                )
                continue
            named = _named(streams, "name", row.values.get("funded_by"))
            missing = [n for n, s in named if s is None]
            if missing:
                problem_at(
                    problems,
                    row,
                    "funded_by",
                    self,
                    f"Funding streams: no funding stream is called {', '.join(missing)}. Import "
                    "or add the streams first, or correct the names.",
                )
        return problems

    def save(self, user, post, values, *, reason):
        post = post or Post()
        for name in ("reference", "title", "fte", "status", "vacancy_start", "cover_arrangements"):
            setattr(post, name, values[name])
        post.organisation = organisation_named(user, values["organisation"])
        sites = [s for _, s in _named(Site.objects.visible_to(user), "name", values["sites"])]
        funded_by = None  # left as it is for those who may not see it
        if can_see_post_funding(user):
            streams = FundingStream.objects.visible_to(user)
            funded_by = [s for _, s in _named(streams, "name", values["funded_by"])]
        return post_save(
            by=user,
            post=post,
            sites=sites,
            funded_by=funded_by,
            reason=f"Imported from a spreadsheet: {reason}",
        )
