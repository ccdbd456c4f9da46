"""Demo data: a believable London liaison and diversion consortium (all names invented)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from consortium.models import Consortium, Membership, Organisation, Role, RoleAssignment, Site

K = Organisation.Kind
M = Membership.Role

ORGANISATIONS = {
    # key: (name, kind, role in consortium)
    "lead": ("Thameside Minds", K.LEAD_AGENCY, M.LEAD),
    "women": ("Larkspur Women's Centre", K.CVO, M.SUBCONTRACTOR),
    "recovery": ("Clearwater Recovery Service", K.CVO, M.SUBCONTRACTOR),
    "housing": ("Keystone Housing Charity", K.CVO, M.SUBCONTRACTOR),
    "advocacy": ("Voices Forward", K.CVO, M.SUBCONTRACTOR),
    "nhs": ("NHS London Health and Justice Commissioning", K.COMMISSIONER, M.COMMISSIONER),
    "probation": ("London Probation Region", K.PROBATION, M.COMMISSIONER),
    "la_east": ("Eastmere Borough Council", K.LOCAL_AUTHORITY, M.FUNDER),
    "la_north": ("Northgate Borough Council", K.LOCAL_AUTHORITY, M.FUNDER),
    "trust_a": ("The Harwood Charitable Trust", K.INDEPENDENT_FUNDER, M.FUNDER),
    "trust_b": ("Lindenfield Foundation", K.INDEPENDENT_FUNDER, M.FUNDER),
    "police": ("Metropolitan Custody Partnership", K.POLICE, M.PARTNER),
}

# username, first name, last name, role, organisation key
DEMO_USERS = [
    ("admin", "Ada", "Okafor", Role.ADMIN, "lead"),
    ("lead", "Lena", "Marsh", Role.LEAD, "lead"),
    ("cvo1", "Cara", "Bennett", Role.CVO_MANAGER, "women"),
    ("cvo2", "Dev", "Raman", Role.CVO_MANAGER, "recovery"),
    ("supervisor", "Sam", "Whitfield", Role.SUPERVISOR, "lead"),
    ("commissioner", "Priya", "Shah", Role.COMMISSIONER, "nhs"),
]

BOROUGHS = [
    "Eastmere",
    "Northgate",
    "Southwick",
    "Westbury",
    "Riverside",
    "Highfield",
    "Kingsmead",
    "Ashdown",
    "Brookvale",
    "Cedarholm",
    "Fairbridge",
    "Greyfriars",
    "Hollins",
    "Ironbridge",
    "Juniper Vale",
    "Larchmont",
    "Millbrook",
    "Oakhurst",
    "Penfold",
    "Queensholm",
]
SITE_KINDS = [
    Site.Kind.MAGISTRATES_COURT,
    Site.Kind.POLICE_CUSTODY,
    Site.Kind.PROBATION_OFFICE,
]
SITE_OPERATORS = ["lead", "lead", "lead", "women", "recovery", "housing", "advocacy"]


@dataclass
class DemoContext:
    password: str
    consortium: Consortium | None = None
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    sites: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def seed(ctx):
    consortium, _ = Consortium.objects.get_or_create(
        name="North and East London Liaison and Diversion Consortium",
        defaults={
            "description": (
                "Forensic mental health practitioners in courts, police custody suites and "
                "probation offices across twenty London boroughs, led by Thameside Minds with "
                "four community and voluntary organisations."
            )
        },
    )
    ctx.consortium = consortium
    for key, (name, kind, role) in ORGANISATIONS.items():
        org = Organisation.objects.filter(name=name, memberships__consortium=consortium).first()
        if org is None:
            org = Organisation.objects.create(name=name, kind=kind)
            Membership.objects.create(consortium=consortium, organisation=org, role=role)
        ctx.orgs[key] = org

    for i, borough in enumerate(BOROUGHS):
        kind = SITE_KINDS[i % len(SITE_KINDS)]
        label = {
            Site.Kind.MAGISTRATES_COURT: "Magistrates' Court",
            Site.Kind.POLICE_CUSTODY: "Police Custody Suite",
            Site.Kind.PROBATION_OFFICE: "Probation Office",
        }[kind]
        site, _ = Site.objects.get_or_create(
            consortium=consortium,
            name=f"{borough} {label}",
            defaults={
                "kind": kind,
                "borough": borough,
                "operated_by": ctx.orgs[SITE_OPERATORS[i % len(SITE_OPERATORS)]],
            },
        )
        ctx.sites.append(site)
    for name, borough in [
        ("Snaresbrook-on-Thames Crown Court", "Eastmere"),
        ("Northgate Crown Court", "Northgate"),
    ]:
        site, _ = Site.objects.get_or_create(
            consortium=consortium,
            name=name,
            defaults={
                "kind": Site.Kind.CROWN_COURT,
                "borough": borough,
                "operated_by": ctx.orgs["lead"],
            },
        )
        ctx.sites.append(site)
    site, _ = Site.objects.get_or_create(
        consortium=consortium,
        name="Larkspur Community Hub",
        defaults={
            "kind": Site.Kind.COMMUNITY_HUB,
            "borough": "Riverside",
            "operated_by": ctx.orgs["women"],
        },
    )
    ctx.sites.append(site)

    User = get_user_model()
    for username, first, last, role, org_key in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@concord.example",
            },
        )
        if created or not user.check_password(ctx.password):
            user.set_password(ctx.password)
            if role == Role.ADMIN:
                user.is_staff = True
                user.is_superuser = True
            user.save()
        RoleAssignment.objects.get_or_create(
            user=user, consortium=consortium, organisation=ctx.orgs[org_key], role=role
        )
        ctx.users[username] = user
