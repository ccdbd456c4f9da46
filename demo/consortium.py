"""Demo data: a believable London liaison and diversion consortium (all names invented)."""

from dataclasses import dataclass, field

from consortium.models import Consortium, Membership, Organisation, Role, Site
from consortium.twofactor import DEMO_AUTHENTICATOR
from sample.consortium import (
    ConsortiumFactory,
    RoleAssignmentFactory,
    SiteFactory,
    UserFactory,
    member,
)

K = Organisation.Kind
M = Membership.Role

CONSORTIUM_NAME = "North and East London Liaison and Diversion Consortium"
CONSORTIUM_DESCRIPTION = (
    "Forensic mental health practitioners in courts, police custody suites and probation "
    "offices across twenty London boroughs, led by Thameside Minds with four community and "
    "voluntary organisations."
)

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
    # A practitioner of the lead agency who signs in: the workforce demo links them to their
    # staff record (Ben Barker), supervised by Sam.
    ("practitioner", "Ben", "Barker", Role.PRACTITIONER, "lead"),
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
# name, kind, borough, operator
OTHER_SITES = [
    ("Snaresbrook-on-Thames Crown Court", Site.Kind.CROWN_COURT, "Eastmere", "lead"),
    ("Northgate Crown Court", Site.Kind.CROWN_COURT, "Northgate", "lead"),
    ("Larkspur Community Hub", Site.Kind.COMMUNITY_HUB, "Riverside", "women"),
]
# People who work in the demo but do not sign in (no password).
OTHER_PEOPLE = [
    ("hmoss", "Hana", "Moss", Role.CVO_MANAGER, "housing"),
    ("jokafor", "Jude", "Okafor-Reid", Role.CVO_MANAGER, "advocacy"),
]


@dataclass
class DemoContext:
    password: str
    consortium: Consortium | None = None
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    sites: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def demo_authenticator(user):
    """Every demo user signs in with a second factor, from an authenticator whose secret is
    known (derived from the username): `seed_demo` prints it, and `manage.py demo_code USER`
    prints the current code. Never for real accounts: the secret is public."""
    import hashlib

    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = hashlib.sha1(f"concord-demo-{user.username}".encode()).hexdigest()
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_AUTHENTICATOR, defaults={"key": key, "confirmed": True}
    )
    return device


def seed(ctx):
    consortium = Consortium.objects.filter(name=CONSORTIUM_NAME).first() or ConsortiumFactory(
        name=CONSORTIUM_NAME, description=CONSORTIUM_DESCRIPTION
    )
    ctx.consortium = consortium
    for key, (name, kind, role) in ORGANISATIONS.items():
        org = Organisation.objects.filter(name=name, memberships__consortium=consortium).first()
        ctx.orgs[key] = org or member(consortium, name, kind, role)

    labels = {
        Site.Kind.MAGISTRATES_COURT: "Magistrates' Court",
        Site.Kind.POLICE_CUSTODY: "Police Custody Suite",
        Site.Kind.PROBATION_OFFICE: "Probation Office",
    }
    plan = [
        (
            f"{borough} {labels[SITE_KINDS[i % len(SITE_KINDS)]]}",
            SITE_KINDS[i % len(SITE_KINDS)],
            borough,
            SITE_OPERATORS[i % len(SITE_OPERATORS)],
        )
        for i, borough in enumerate(BOROUGHS)
    ] + OTHER_SITES
    for name, kind, borough, operator in plan:
        site = Site.objects.filter(consortium=consortium, name=name).first() or SiteFactory(
            consortium=consortium,
            name=name,
            kind=kind,
            borough=borough,
            operated_by=ctx.orgs[operator],
        )
        ctx.sites.append(site)

    for username, first, last, role, org_key in DEMO_USERS:
        user = UserFactory(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@concord.example",
            password=ctx.password,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        if not user.check_password(ctx.password):
            user.set_password(ctx.password)
            user.save()
        RoleAssignmentFactory(
            user=user, consortium=consortium, organisation=ctx.orgs[org_key], role=role
        )
        demo_authenticator(user)
        ctx.users[username] = user
    # Managers of the two smaller CVOs: they fill in their returns but do not sign in here.
    for username, first, last, role, org_key in OTHER_PEOPLE:
        user = UserFactory(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@concord.example",
            password=None,
        )
        RoleAssignmentFactory(
            user=user, consortium=consortium, organisation=ctx.orgs[org_key], role=role
        )
        ctx.users[username] = user
