"""Page speed and SQL query counts at a small and a large scale.

    .venv/bin/python bench/run.py [--scale small|medium|large|both] [--repeat N]
                                  [--no-server] [--summary]

Builds its own database (SQLite under var/bench/, or a PostgreSQL database named
concord_bench when DATABASE_URL is set), fills it with a generated consortium at each scale
and runs ANALYZE. It requests every page in PAGES through the Django test client (query count,
p50/p95), then through gunicorn with production settings (2 workers) with 1 and with 4
clients at once, and compares, in the same run, Concord's lists with the Django admin's
changelists, its exports and upload with openpyxl alone, and its charts with an empty cache
(bench/compare.py). A page whose query count grows with the data is flagged: it runs a query
per row somewhere (N+1). It ends with one table beside issue #13's (bench/summary.py).
Results go to var/bench/results.json and var/bench/summary.md. See bench/README.md.
"""

import argparse
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
# One bench database per checkout (concord_bench_<folder>), so that two checkouts on one
# machine (git worktrees) can measure side by side; CONCORD_BENCH_DB names another.
BENCH_DB = os.environ.get("CONCORD_BENCH_DB") or "concord_bench_" + re.sub(r"\W", "_", ROOT.name)


# --- the database, chosen before Django starts --------------------------------------------


def prepare_environment():
    sys.path.insert(0, str(ROOT))
    from bench.server import KEYS

    os.environ["DJANGO_SETTINGS_MODULE"] = "concord.settings"
    # The server the bench starts uses the same keys, so it reads the sessions written here.
    os.environ.update(KEYS)
    # The bench is never a deployment: development settings, no debug page, quiet logs.
    os.environ["CONCORD_ENV"] = "development"
    os.environ["CONCORD_DEBUG"] = "false"
    os.environ.setdefault("CONCORD_LOG_LEVEL", "ERROR")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["CONCORD_DATA_DIR"] = str(BENCH_DIR)
    url = os.environ.get("DATABASE_URL", "")
    if url:
        os.environ["DATABASE_URL"] = create_postgres_database(url)


def create_postgres_database(url):
    """Point `url` at the concord_bench database on the same server, creating it if needed."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


# --- scales and data generators -----------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    name: str
    organisations: int
    people: int
    sites: int
    history_edits: int  # saved versions of the organisation and site whose history is shown
    practitioners: int = 0  # staff members with posts and supervision requirements
    months: int = 0  # months of supervision sessions behind them
    streams: int = 10
    subcontracts: int = 10
    payments: int = 20
    # Performance returns: subcontracts × monthly returns × indicators.
    return_subcontracts: int = 3
    return_months: int = 6
    return_indicators: int = 10
    # Payment by results: members × claim periods × lines per claim.
    pbr_members: int = 3
    pbr_periods: int = 2
    pbr_lines: int = 5
    # Risks: registers (the consortium's and members') × risks × reviews per risk.
    risk_registers: int = 3
    risks_per_register: int = 5
    risk_reviews: int = 2

    def part(self, fraction, name):
        """A smaller consortium of the same shape (the other consortium in the database)."""
        return Scale(
            name=name,
            organisations=max(4, int(self.organisations * fraction)),
            people=max(8, int(self.people * fraction)),
            sites=max(4, int(self.sites * fraction)),
            history_edits=1,
            practitioners=max(4, int(self.practitioners * fraction)),
            months=min(self.months, 12),
            streams=max(4, int(self.streams * fraction)),
            subcontracts=max(4, int(self.subcontracts * fraction)),
            payments=max(8, int(self.payments * fraction)),
            risk_registers=max(2, int(self.risk_registers * fraction)),
        )


SCALES = {
    # Small stays under one list page (25 rows), so a query per row shows as growth.
    # (Workforce: 12 practitioners and one month of sessions keep the session list under a
    # page too.)
    "small": Scale(
        "small",
        organisations=10,
        people=20,
        sites=20,
        history_edits=3,
        practitioners=12,
        months=1,
    ),
    # A tenth of large (two years of supervision), to try the whole run in minutes.
    "medium": Scale(
        "medium",
        organisations=40,
        people=400,
        sites=200,
        history_edits=10,
        practitioners=400,
        months=24,
        streams=200,
        subcontracts=500,
        payments=6000,
        return_subcontracts=50,
        return_months=24,
        return_indicators=30,
        pbr_members=40,
        pbr_periods=12,
        pbr_lines=20,
        risk_registers=40,
        risks_per_register=20,
        risk_reviews=6,
    ),
    "large": Scale(
        "large",
        organisations=400,
        people=4000,
        sites=2000,
        history_edits=30,
        practitioners=4000,
        months=60,
        streams=2000,
        subcontracts=5000,
        payments=60000,
        # Returns: 500 subcontracts × 60 months × 30 indicators = 900,000 values by default (a
        # tenth of the 5,000 subcontracts; see bench/README.md).
        return_subcontracts=int(os.environ.get("BENCH_RETURN_SUBCONTRACTS", "500")),
        return_months=60,
        return_indicators=30,
        # PbR: 400 members × 12 periods × 100 lines = 480,000 claim lines.
        pbr_members=int(os.environ.get("BENCH_PBR_MEMBERS", "400")),
        pbr_periods=12,
        pbr_lines=100,
        risk_registers=400,
        risks_per_register=50,
        risk_reviews=12,
    ),
}

BOROUGHS = [
    "Barking",
    "Barnet",
    "Bexley",
    "Brent",
    "Camden",
    "Croydon",
    "Ealing",
    "Enfield",
    "Hackney",
    "Haringey",
    "Harrow",
    "Hounslow",
    "Islington",
    "Lambeth",
    "Lewisham",
    "Merton",
    "Newham",
    "Southwark",
    "Sutton",
    "Wandsworth",
]
FIRST_NAMES = ["Ada", "Ben", "Cara", "Dev", "Ella", "Femi", "Grace", "Hari", "Iris", "Jon"]
LAST_NAMES = ["Okafor", "Marsh", "Bennett", "Raman", "Shah", "Whitfield", "Nowak", "Hughes"]


def generate_organisations(scale, consortium, named):
    """Organisations and their memberships: one lead agency, one CVO the bench's CVO manager
    works for, a few commissioners and funders, the rest CVO subcontractors and partners."""
    from consortium.models import Membership, Organisation
    from sample.consortium import MembershipFactory, OrganisationFactory

    K, M = Organisation.Kind, Membership.Role
    prefix = named["prefix"]
    rng = named["rng"]
    shapes = [(K.LEAD_AGENCY, M.LEAD), (K.CVO, M.SUBCONTRACTOR)]
    others = [
        (K.CVO, M.SUBCONTRACTOR),
        (K.CVO, M.SUBCONTRACTOR),
        (K.CVO, M.SUBCONTRACTOR),
        (K.CVO, M.PARTNER),
        (K.COMMISSIONER, M.COMMISSIONER),
        (K.PROBATION, M.COMMISSIONER),
        (K.LOCAL_AUTHORITY, M.FUNDER),
        (K.INDEPENDENT_FUNDER, M.FUNDER),
        (K.POLICE, M.PARTNER),
        (K.NHS_TRUST, M.PARTNER),
    ]
    while len(shapes) < scale.organisations:
        shapes.append(rng.choice(others))
    orgs = Organisation.objects.bulk_create(
        OrganisationFactory.build(
            name=f"{prefix}Organisation {i:04d}",
            kind=kind,
            registered_number=f"{1000000 + i}",
            email=f"office{i}@{prefix}org.example",
            address=f"{i} High Street\n{rng.choice(BOROUGHS)}",
        )
        for i, (kind, _) in enumerate(shapes)
    )
    Membership.objects.bulk_create(
        MembershipFactory.build(consortium=consortium, organisation=org, role=role)
        for org, (_, role) in zip(orgs, shapes, strict=True)
    )
    return {"orgs": orgs, "lead_org": orgs[0], "cvo_org": orgs[1]}


def generate_people(scale, consortium, named):
    """People with role assignments. Named users: admin (also a Django superuser), lead,
    cvo (a CVO manager of cvo_org) and colleague (in cvo_org, with two roles)."""
    import factory
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from consortium.models import Organisation, Role, RoleAssignment
    from sample.consortium import RoleAssignmentFactory, UserFactory

    User = get_user_model()
    prefix, rng = named["prefix"], named["rng"]
    orgs, lead_org, cvo_org = named["orgs"], named["lead_org"], named["cvo_org"]
    password = make_password(None)  # unusable; the bench signs in with force_login
    fixed = [
        ("admin", Role.ADMIN, lead_org),
        ("lead", Role.LEAD, lead_org),
        ("cvo", Role.CVO_MANAGER, cvo_org),
        ("colleague", Role.SUPERVISOR, cvo_org),
    ]
    role_for_kind = {
        Organisation.Kind.LEAD_AGENCY: [Role.LEAD, Role.SUPERVISOR, Role.SUPERVISOR],
        Organisation.Kind.CVO: [Role.CVO_MANAGER, Role.SUPERVISOR, Role.SUPERVISOR],
        Organisation.Kind.COMMISSIONER: [Role.COMMISSIONER],
        Organisation.Kind.PROBATION: [Role.COMMISSIONER],
    }
    plan = list(fixed)
    for i in range(len(fixed), scale.people):
        org = rng.choice(orgs)
        roles = role_for_kind.get(org.kind, [Role.SUPERVISOR])
        plan.append((f"person{i:05d}", rng.choice(roles), org))
    users = User.objects.bulk_create(
        UserFactory.build(
            username=f"{prefix}{username}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            email=f"{prefix}{username}@people.example",
            password=factory.Transformer.Force(password),
            is_staff=username == "admin" and not prefix,
            is_superuser=username == "admin" and not prefix,
        )
        for username, _, _ in plan
    )
    assignments = [
        RoleAssignmentFactory.build(user=user, consortium=consortium, organisation=org, role=role)
        for user, (_, role, org) in zip(users, plan, strict=True)
    ]
    # Some people hold a second role; the colleague always does.
    assignments.append(
        RoleAssignmentFactory.build(
            user=users[3], consortium=consortium, organisation=cvo_org, role=Role.CVO_MANAGER
        )
    )
    for user, (_, role, org) in zip(users[len(fixed) :], plan[len(fixed) :], strict=True):
        if rng.random() < 0.1 and role != Role.SUPERVISOR:
            assignments.append(
                RoleAssignmentFactory.build(
                    user=user, consortium=consortium, organisation=org, role=Role.SUPERVISOR
                )
            )
    RoleAssignment.objects.bulk_create(assignments)
    return {"users": dict(zip([p[0] for p in plan[: len(fixed)]], users, strict=False))}


def generate_sites(scale, consortium, named):
    from consortium.models import Site
    from sample.consortium import SiteFactory

    prefix, rng, orgs = named["prefix"], named["rng"], named["orgs"]
    operators = [o for o in orgs if o.kind in ("lead_agency", "cvo")]
    sites = Site.objects.bulk_create(
        SiteFactory.build(
            consortium=consortium,
            name=f"{prefix}Site {i:04d}",
            kind=rng.choice(Site.Kind.values),
            borough=rng.choice(BOROUGHS),
            address=f"{i} Court Road",
            operated_by=named["cvo_org"] if i < 3 else rng.choice(operators),
        )
        for i in range(scale.sites)
    )
    return {"site": sites[0]}


def generate_history(scale, consortium, named):
    """Saved versions, with who and why, for the organisation and site whose history pages
    are measured (bulk-created rows have none)."""
    org, site, admin = named["cvo_org"], named["site"], named["users"]["admin"]
    orgs = named["orgs"]
    org.save_as(by=admin, reason="Recorded in the bench")
    site.save_as(by=admin, reason="Recorded in the bench")
    for i in range(scale.history_edits):
        org.notes = f"Edit {i}"
        org.email = f"edit{i}@example.org"
        org.save_as(by=admin, reason=f"Bench edit {i}")
        site.borough = BOROUGHS[i % len(BOROUGHS)]
        site.operated_by = orgs[i % 2]
        site.save_as(by=admin, reason=f"Bench edit {i}")
    return {}


def generate_money(scale, consortium, named):
    """Funding streams, approved allocations with lines, contracts, subcontracts and payments.
    The bench's CVO has a line in every allocation, a few subcontracts and some payments."""
    import datetime
    from decimal import Decimal

    from contracts.models import Contract, Subcontract
    from funding.models import Allocation, AllocationLine, FundingStream, Payment
    from sample.contracts import ContractFactory, SubcontractFactory
    from sample.funding import (
        AllocationFactory,
        AllocationLineFactory,
        FundingStreamFactory,
        PaymentFactory,
    )

    rng, prefix, orgs = named["rng"], named["prefix"], named["orgs"]
    lead_org, cvo_org = named["lead_org"], named["cvo_org"]
    cvos = [o for o in orgs if o.kind == "cvo"] or [cvo_org]
    funders = [o for o in orgs if o.kind not in ("cvo", "lead_agency")] or [lead_org]
    today = datetime.date.today()
    statuses = ["secured"] * 6 + ["pending_renewal", "bid_submitted", "ended"]
    streams = FundingStream.objects.bulk_create(
        FundingStreamFactory.build(
            consortium=consortium,
            funder=rng.choice(funders),
            name=f"{prefix}Stream {i:05d}",
            kind=rng.choice(FundingStream.Kind.values),
            amount=Decimal(rng.randrange(5_000_00, 500_000_00)) / 100,
            start=(start := today - datetime.timedelta(days=rng.randrange(0, 330))),
            end=start + datetime.timedelta(days=rng.choice([182, 364, 364, 364, 729])),
            status=rng.choice(statuses),
        )
        for i in range(scale.streams)
    )
    allocations = Allocation.objects.bulk_create(
        AllocationFactory.build(stream=s, formula=Allocation.Formula.EQUAL)
        for s in streams[: max(3, scale.streams // 10)]
    )
    lines = []
    for a in allocations:
        members = [cvo_org, *rng.sample(cvos, min(4, len(cvos)))]
        members = list({m.pk: m for m in members}.values())
        share = (a.pot / len(members)).quantize(Decimal("0.01"))
        for i, m in enumerate(members):
            amount = share if i else a.pot - share * (len(members) - 1)
            lines.append(AllocationLineFactory.build(allocation=a, organisation=m, amount=amount))
    lines = AllocationLine.objects.bulk_create(lines)
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(status="approved")
    contracts = Contract.objects.bulk_create(
        ContractFactory.build(
            consortium=consortium,
            reference=f"{prefix}C-{i:05d}",
            title=f"Prime contract {i}",
            commissioner=rng.choice(funders),
            lead=lead_org,
            value=Decimal(rng.randrange(100_000, 2_000_000)),
            start=today - datetime.timedelta(days=100),
            end=today + datetime.timedelta(days=265),
        )
        for i in range(max(2, scale.subcontracts // 10))
    )
    subs = Subcontract.objects.bulk_create(
        SubcontractFactory.build(
            contract=rng.choice(contracts),
            reference=f"{prefix}S-{i:05d}",
            title=f"Subcontract {i}",
            lead=lead_org,
            cvo=cvo_org if i < 3 else rng.choice(cvos),
            value=Decimal(rng.randrange(10_000, 300_000)),
            start=today - datetime.timedelta(days=100),
            end=today + datetime.timedelta(days=265),
        )
        for i in range(scale.subcontracts)
    )
    cvo_lines = [line for line in lines if line.organisation_id == cvo_org.pk]
    payments = []
    for i in range(scale.payments):
        line = cvo_lines[i % len(cvo_lines)] if i % 10 == 0 else rng.choice(lines)
        due = today + datetime.timedelta(days=rng.randrange(-200, 200))
        status = rng.choice(["scheduled", "approved", "paid", "paid"])
        paid = status == "paid"
        payments.append(
            PaymentFactory.build(
                allocation_line=line,
                description=f"Instalment {i}",
                due_date=due,
                amount=Decimal(rng.randrange(100_00, 20_000_00)) / 100,
                status=status,
                paid_on=due if paid else None,
                reference=f"BACS-{i}" if paid else "",
            )
        )
    payments = Payment.objects.bulk_create(payments, batch_size=5000)
    return {
        "stream": streams[0],
        "allocation": allocations[0],
        "subcontract": subs[0],
        "payment": next(p for p in payments if p.recipient_id == cvo_org.pk),
    }


def generate_returns(scale, consortium, named):
    """A contract, subcontracts (the first for the bench CVO), an indicator library and
    approved monthly returns with every value, bulk-created; the newest month submitted."""
    import datetime
    from decimal import Decimal

    from consortium import dates
    from consortium.models import Organisation
    from contracts.models import (
        Indicator,
        PerformanceReturn,
        ReportingPeriod,
        ReturnValue,
        Subcontract,
        TemplateField,
    )
    from contracts.services.returns import latest_returns_refresh
    from sample.contracts import (
        CommissionerTemplateFactory,
        ContractFactory,
        IndicatorFactory,
        PerformanceReturnFactory,
        ReportingPeriodFactory,
        ReturnValueFactory,
        SubcontractFactory,
        TemplateFieldFactory,
    )

    prefix, rng, orgs = named["prefix"], named["rng"], named["orgs"]
    lead = named["lead_org"]
    commissioner = next((o for o in orgs if o.kind == Organisation.Kind.COMMISSIONER), lead)
    cvos = [named["cvo_org"]] + [o for o in orgs if o.kind == Organisation.Kind.CVO]
    first = datetime.date(2021, 1, 1)
    last = dates.add_months(first, scale.return_months - 1)
    contract = ContractFactory(
        consortium=consortium,
        reference=f"{prefix}RC-1",
        title="Bench contract",
        commissioner=commissioner,
        lead=lead,
        value=Decimal("1000000.00"),
        start=first,
        end=dates.month_end(last),
    )
    subs = Subcontract.objects.bulk_create(
        SubcontractFactory.build(
            contract=contract,
            reference=f"{prefix}RS-{i:05d}",
            title=f"Bench subcontract {i}",
            lead=lead,
            cvo=cvos[i % len(cvos)],
            value=Decimal("10000.00"),
            start=first,
            end=dates.month_end(last),
        )
        for i in range(scale.return_subcontracts)
    )
    inds = Indicator.objects.bulk_create(
        IndicatorFactory.build(
            consortium=consortium,
            code=f"IND_{i:02d}",
            name=f"Indicator {i}",
            definition="What counts and what does not.",
            position=i,
            required=i == 0,
        )
        for i in range(scale.return_indicators)
    )
    spans = dates.month_periods(first, last)
    due = {end: dates.due_date(end, 10) for _, end in spans}
    periods = ReportingPeriod.objects.bulk_create(
        (
            ReportingPeriodFactory.build(subcontract=s, start=a, end=b, due_date=due[b])
            for s in subs
            for a, b in spans
        ),
        batch_size=5000,
    )
    lead_user = named["users"]["lead"]
    rets = PerformanceReturn.objects.bulk_create(
        (
            PerformanceReturnFactory.build(
                period=p,
                status="submitted" if p.start == last else "approved",
                approved_by=lead_user if p.start != last else None,
            )
            for p in periods
        ),
        batch_size=5000,
    )
    values = (
        ReturnValueFactory.build(ret=r, indicator=i, value=Decimal(rng.randint(0, 60)))
        for r in rets
        for i in inds
    )
    ReturnValue.objects.bulk_create(values, batch_size=10000)
    latest_returns_refresh(subcontract_ids=[s.pk for s in subs])
    template = CommissionerTemplateFactory(
        consortium=consortium, commissioner=commissioner, name=f"{prefix}Bench report"
    )
    TemplateField.objects.bulk_create(
        TemplateFieldFactory.build(
            template=template,
            label=f"Field {i.code}",
            group="Activity",
            indicator=i,
            position=n,
        )
        for n, i in enumerate(inds)
    )
    own = next(r for r in rets if r.subcontract_id == subs[0].pk and r.status == "submitted")
    return {"return": own, "report_template": template, "sub": subs[0], "returns_last": last}


# Each generator takes (scale, consortium, named) and returns a dict of things later
# generators and page URLs may use. Add a line here for each new app's data.
def generate_workforce(scale, consortium, named):
    """Posts, practitioners and `scale.months` months of supervision: a 1:1 for each
    practitioner each month (a few missed), a group session for each team of eight and a peer
    reflective session for each trio. Most work for the lead; the CVO manager's organisation
    has its share, supervised by the colleague (a supervisor). Sessions are written a month at
    a time so memory stays flat."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from consortium import dates
    from consortium.models import Role
    from sample.consortium import RoleAssignmentFactory, UserFactory
    from sample.funding import FundingStreamFactory
    from sample.supervision import (
        PostFactory,
        StaffMemberFactory,
        SupervisionRequirementFactory,
        SupervisionSessionFactory,
    )
    from supervision import compliance_store
    from supervision.models import (
        Post,
        SessionKind,
        StaffMember,
        SupervisionRequirement,
        SupervisionSession,
    )

    if not scale.practitioners:
        return {}
    prefix, rng, orgs = named["prefix"], named["rng"], named["orgs"]
    lead_org, cvo_org, users = named["lead_org"], named["cvo_org"], named["users"]
    today = timezone.localdate()
    employers = [o for o in orgs if o.kind in ("lead_agency", "cvo")]
    funders = [o for o in orgs if o.kind in ("commissioner", "probation")] or [lead_org]
    streams = [
        FundingStreamFactory(
            consortium=consortium,
            funder=funders[i % len(funders)],
            name=f"{prefix}Stream {i}",
            kind="contract",
            amount=Decimal("500000.00"),
            start=today - timedelta(days=300),
            end=today + timedelta(days=30 + 90 * i),
        )
        for i in range(3)
    ]
    commissioner = UserFactory(
        username=f"{prefix}bench-commissioner",
        first_name="Bench",
        last_name="Commissioner",
        password=None,
    )
    RoleAssignmentFactory(
        user=commissioner, consortium=consortium, organisation=funders[0], role=Role.COMMISSIONER
    )
    plan = []
    for _ in range(scale.practitioners):
        r = rng.random()
        org = lead_org if r < 0.6 else cvo_org if r < 0.7 else rng.choice(employers)
        plan.append(org)
    vacant = max(1, scale.practitioners // 50)
    posts = Post.objects.bulk_create(
        PostFactory.build(
            consortium=consortium,
            organisation=org,
            title="Forensic mental health practitioner",
            status="vacant" if i < vacant else "filled",
            vacancy_start=today - timedelta(days=10 + i) if i < vacant else None,
        )
        for i, org in enumerate(plan + plan[:vacant])
    )
    filled = posts[: len(plan)]
    Post.funded_by.through.objects.bulk_create(
        Post.funded_by.through(post_id=p.pk, fundingstream_id=streams[i % 3].pk)
        for i, p in enumerate(posts)
    )
    SupervisionRequirement.objects.bulk_create(
        (
            SupervisionRequirementFactory.build(post=p, kind=kind)
            for p in posts
            for kind in (SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER)
        ),
        batch_size=2000,
    )
    colleague, lead = users["colleague"], users["lead"]
    first_month = dates.add_months(dates.month_start(today), -(scale.months - 1))
    staff = StaffMember.objects.bulk_create(
        (
            StaffMemberFactory.build(
                consortium=consortium,
                organisation=org,
                post=post,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                start=first_month - timedelta(days=rng.randint(0, 400)),
                profession="nurse",
                registration_body="nmc",
                registration_number=f"{prefix}{i:06d}",
                registration_expiry=today + timedelta(days=rng.randint(-5, 700)),
                dbs_date=today - timedelta(days=rng.randint(10, 1200)),
                dbs_update_service=i % 2 == 0,
                clinical_supervisor=colleague if org.pk == cvo_org.pk else None,
            )
            for i, (org, post) in enumerate(zip(plan, filled, strict=True))
        ),
        batch_size=2000,
    )
    by_org = {}
    for person in staff:
        by_org.setdefault(person.organisation_id, []).append(person)
    teams = [people[i : i + 8] for people in by_org.values() for i in range(0, len(people), 8)]
    trios = [people[i : i + 3] for people in by_org.values() for i in range(0, len(people), 3)]
    Attendance = SupervisionSession.attendees.through
    counts = {"sessions": 0, "attendances": 0}

    def leader(group):
        return colleague if group[0].organisation_id == cvo_org.pk else lead

    for m in range(scale.months):
        month = dates.add_months(first_month, m)
        last_day = min(dates.month_end(month), today)
        planned = []
        for person in staff:
            if rng.random() < 0.05:
                continue
            day = month.replace(day=rng.randint(1, last_day.day))
            planned.append((SessionKind.ONE_TO_ONE, day, leader([person]), [person]))
        for kind, groups in ((SessionKind.GROUP, teams), (SessionKind.PEER, trios)):
            for group in groups:
                day = month.replace(day=rng.randint(1, last_day.day))
                planned.append((kind, day, leader(group), group))
        created = SupervisionSession.objects.bulk_create(
            (
                SupervisionSessionFactory.build(
                    consortium=consortium, kind=kind, date=day, supervisor=by, themes="caseload"
                )
                for kind, day, by, _ in planned
            ),
            batch_size=2000,
        )
        rows = [
            Attendance(supervisionsession_id=s.pk, staffmember_id=p.pk)
            for s, (_, _, _, group) in zip(created, planned, strict=True)
            for p in group
        ]
        Attendance.objects.bulk_create(rows, batch_size=5000)
        counts["sessions"] += len(created)
        counts["attendances"] += len(rows)
    compliance_store.refresh_consortium(consortium.pk)  # bulk writes send no signals
    if not prefix:
        print(
            f"  workforce: {len(staff)} practitioners, {counts['sessions']} sessions, "
            f"{counts['attendances']} attendances over {scale.months} months",
            flush=True,
        )
    users["commissioner"] = commissioner
    one_to_one = SupervisionSession.objects.filter(
        consortium=consortium, kind=SessionKind.ONE_TO_ONE, supervisor=colleague
    ).first()
    return {
        "staff_member": staff[0],
        "cvo_staff": by_org.get(cvo_org.pk, staff)[0],
        "session": one_to_one,
    }


def generate_pbr(scale, consortium, named):
    """A published binary measure on a contract, claimable by `pbr_members` members (the bench
    CVO first), with an approved claim of `pbr_lines` verified lines per member and monthly
    period, bulk-created (the newest period of each member submitted, not yet approved)."""
    import datetime
    from decimal import Decimal

    from consortium.models import Membership, Organisation, Role, RoleAssignment
    from contracts.models import ClaimLine, MeasureClaimant, OutcomeMeasure, PbRClaim
    from contracts.services.outcomes import participant_hash
    from sample.contracts import ContractFactory, OutcomeMeasureFactory

    prefix, lead_org, cvo_org = named["prefix"], named["lead_org"], named["cvo_org"]
    users = named.get("users", {})
    commissioner = (
        RoleAssignment.objects.filter(user=users.get("commissioner"), role=Role.COMMISSIONER)
        .values_list("organisation", flat=True)
        .first()
    )
    start = datetime.date(2025, 4, 1)
    contract = ContractFactory(
        consortium=consortium,
        reference=f"{prefix}PBR-1",
        commissioner_id=commissioner or lead_org.pk,
        lead=lead_org,
        start=start,
        end=datetime.date(2027, 3, 31),
    )
    measure = OutcomeMeasureFactory(
        contract=contract,
        code="MH28",
        status=OutcomeMeasure.Status.PUBLISHED,
        tariff=Decimal("250.00"),
        period_cap=Decimal("5000000.00"),
        claim_frequency=OutcomeMeasure.Frequency.MONTHLY,
    )
    OutcomeMeasure._base_manager.filter(pk=measure.pk).update(series=measure.pk)
    existing = list(
        Organisation.objects.filter(memberships__consortium=consortium, kind="cvo")
        .exclude(pk=cvo_org.pk)
        .values_list("pk", flat=True)[: scale.pbr_members - 1]
    )
    extra = Organisation.objects.bulk_create(
        Organisation(name=f"{prefix}PbR member {i:04d}", kind="cvo")
        for i in range(max(0, scale.pbr_members - 1 - len(existing)))
    )
    Membership.objects.bulk_create(
        Membership(consortium=consortium, organisation=o, role="subcontractor") for o in extra
    )
    members = [cvo_org.pk, *existing, *[o.pk for o in extra]]
    MeasureClaimant.objects.bulk_create(
        MeasureClaimant(consortium=consortium, measure=measure, organisation_id=m) for m in members
    )
    periods = [
        (datetime.date(2025 + (3 + k) // 12, (3 + k) % 12 + 1, 1)) for k in range(scale.pbr_periods)
    ]
    payable = Decimal("250.00") * scale.pbr_lines
    claims = PbRClaim.objects.bulk_create(
        PbRClaim(
            consortium=consortium,
            measure=measure,
            claimant_id=m,
            period_start=p,
            period_end=p + datetime.timedelta(days=27),
            status="submitted" if k == len(periods) - 1 else "approved",
            engaged=scale.pbr_lines * 2,
            eligible=scale.pbr_lines * 3,
            verification="all",
            earned_amount=None if k == len(periods) - 1 else payable,
            payable_amount=None if k == len(periods) - 1 else payable,
            # An approved claim keeps its lines' tallies, as claim_approve fixes them.
            **(
                {}
                if k == len(periods) - 1
                else dict.fromkeys(
                    (
                        "lines_claimed",
                        "lines_verified",
                        "participants_claimed",
                        "participants_verified",
                    ),
                    scale.pbr_lines,
                )
                | {"lines_refused": 0}
            ),
        )
        for m in members
        for k, p in enumerate(periods)
    )
    batch = []
    for c in claims:
        day = c.period_start + datetime.timedelta(days=3)
        for i in range(scale.pbr_lines):
            batch.append(
                ClaimLine(
                    consortium=consortium,
                    claim=c,
                    series=measure.pk,
                    window="once",
                    participant=participant_hash(
                        consortium.pk, f"{prefix}{c.claimant_id}-{c.period_start}-{i}"
                    ),
                    engagement_date=day,
                    outcome_date=day,
                    evidence_ref=f"Letter {i}",
                    status="verified" if c.status == "approved" else "pending",
                    amount=Decimal("250.00") if c.status == "approved" else None,
                )
            )
            if len(batch) >= 5000:
                ClaimLine.objects.bulk_create(batch)
                batch = []
    ClaimLine.objects.bulk_create(batch)
    mine = next(c for c in claims if c.claimant_id == cvo_org.pk and c.status == "approved")
    return {"pbr_claim": mine, "pbr_first": periods[0]}


def generate_risks(scale, consortium, named):
    """Risk registers: the consortium's and one per member (up to `scale.risk_registers`),
    each with `scale.risks_per_register` risks, an action each and `scale.risk_reviews`
    reviews, a SWOT, and a few escalations waiting. The bench's CVO keeps the second
    register."""
    from datetime import timedelta

    from django.utils import timezone

    from consortium.models import Role
    from risks import services
    from risks.models import (
        Escalation,
        Risk,
        RiskAction,
        RiskCategory,
        RiskRegister,
        RiskReview,
    )
    from sample.consortium import RoleAssignmentFactory, UserFactory
    from sample.risks import make_swot

    prefix, rng, users = named["prefix"], named["rng"], named["users"]
    lead, cvo, cvo_org = users["lead"], users["cvo"], named["cvo_org"]
    if "commissioner" not in users:
        commissioners = [o for o in named["orgs"] if o.kind in ("commissioner", "probation")]
        commissioner_org = (commissioners or named["orgs"])[0]
        users["commissioner"] = UserFactory(username=f"{prefix}risk-commissioner")
        RoleAssignmentFactory(
            user=users["commissioner"],
            consortium=consortium,
            organisation=commissioner_org,
            role=Role.COMMISSIONER,
        )
    today = timezone.localdate()
    settings_row = services.settings_for(consortium.pk)
    categories = list(RiskCategory.objects.filter(consortium=consortium))
    members = [cvo_org] + [
        o for o in named["orgs"] if o.pk not in (cvo_org.pk, named["lead_org"].pk)
    ]
    owners = [None] + members[: scale.risk_registers - 1]
    registers = RiskRegister.objects.bulk_create(
        RiskRegister(
            consortium=consortium,
            organisation=org,
            owner=lead if org is None else cvo,
            matrix=settings_row.matrix,
            prefix="C" if org is None else f"M{i}",
        )
        for i, org in enumerate(owners)
    )
    for register in registers:
        register.matrix = settings_row.matrix
    risks = []
    for register in registers:
        for n in range(scale.risks_per_register):
            lk, c = rng.randint(1, 5), rng.randint(1, 5)
            risk = Risk(
                register=register,
                reference=f"{register.prefix}-{n + 1:03d}",
                title=f"{prefix}Risk {n} of {register.prefix}",
                cause="Short-term funding",
                event="a stream ends",
                consequence="posts are lost",
                category=rng.choice(categories),
                owner=register.owner,
                inherent_likelihood=min(5, lk + 1),
                inherent_consequence=c,
                residual_likelihood=lk,
                residual_consequence=c,
                target_likelihood=1,
                target_consequence=c,
                next_review=today + timedelta(days=rng.randint(-60, 120)),
            )
            risk.rescore()
            risks.append(risk)
    risks = Risk.objects.bulk_create(risks, batch_size=2000)
    RiskAction.objects.bulk_create(
        (
            RiskAction(
                risk=r,
                description="Bid for renewal",
                owner=r.owner,
                due=today + timedelta(days=rng.randint(-90, 90)),
            )
            for r in risks
        ),
        batch_size=5000,
    )
    reviews = (
        RiskReview(
            risk=r,
            reviewed_on=today - timedelta(days=30 * (k + 1)),
            reviewer=r.owner,
            inherent_score=r.inherent_score,
            residual_likelihood=r.residual_likelihood,
            residual_consequence=r.residual_consequence,
            residual_score=max(1, r.residual_score - rng.randint(-2, 2)),
            target_score=r.target_score,
            what_changed="Reviewed",
            next_review=today - timedelta(days=30 * k),
        )
        for r in risks
        for k in range(scale.risk_reviews)
    )
    RiskReview.objects.bulk_create(reviews, batch_size=5000)
    member_risks = [r for r in risks if r.register.organisation_id][:5]
    Escalation.objects.bulk_create(
        Escalation(member_risk=r, requested_by=r.owner, reason="Too big for one member")
        for r in member_risks
    )
    make_swot(lead, title=f"{prefix}SWOT", items=[("threat", "Funding ends", 30)])
    if not prefix:
        print(
            f"  risks: {len(registers)} registers, {len(risks)} risks, "
            f"{len(risks) * scale.risk_reviews} reviews",
            flush=True,
        )
    return {"risk_register": registers[0], "member_register": registers[1], "risk": risks[0]}


def generate_assurance(scale, consortium, named):
    """An assurance pack for the returns contract's last complete quarter, prepared and
    signed off through the services (every app's section computed over the generated data),
    reporting how long it took."""
    import datetime

    from consortium import dates
    from contracts.models.assurance import canonical_json
    from contracts.services import assurance as svc
    from sample.consortium import on

    if "sub" not in named:
        return {}
    contract = named["sub"].contract
    lead = named["users"]["lead"]
    last = named["returns_last"]
    (quarter,) = dates.quarter_periods(dates.add_months(last, -3), dates.add_months(last, -3))
    started = time.perf_counter()
    with on(quarter[1] + datetime.timedelta(days=20)):
        pack = svc.pack_prepare(contract=contract, start=quarter[0], end=quarter[1], by=lead)
        prepared = time.perf_counter() - started
        pack = svc.pack_sign_off(pack=pack, by=lead, confirmed=svc.signoff_gaps(pack, lead))
    if not named["prefix"]:
        print(
            f"  assurance pack: prepared in {prepared:.2f} s, prepared and signed off in "
            f"{time.perf_counter() - started:.2f} s ({len(canonical_json(pack.snapshot))} "
            "bytes of snapshot)",
            flush=True,
        )
    return {"pack": pack}


GENERATORS = [
    generate_organisations,
    generate_people,
    generate_sites,
    generate_history,
    generate_workforce,
    generate_money,
    generate_returns,
    generate_pbr,
    generate_risks,
    generate_assurance,
]


ONLY = None  # --only: the areas measured (their generators and pages, with the basics)
BASICS = ("generate_organisations", "generate_people", "generate_sites")


# Areas whose generator's name does not contain them.
AREA_GENERATORS = {
    "sessions": "generate_workforce",
    "staff": "generate_workforce",
    "compliance": "generate_workforce",
    "statement": "generate_pbr",
}
# What a generator reads from generators other than the basics (`named[...]`), so that
# --only builds those too: the PbR contract's commissioner and the pbr pages' commissioner
# user come from the workforce; the assurance pack covers the returns contract's quarter.
NEEDS = {
    "generate_pbr": ("generate_workforce",),
    "generate_assurance": ("generate_returns",),
}


def generators():
    if ONLY is None:
        return GENERATORS
    wanted = set(BASICS)
    for area in ONLY:
        wanted.update(g.__name__ for g in GENERATORS if area in g.__name__)
        if area in AREA_GENERATORS:
            wanted.add(AREA_GENERATORS[area])
    for name in list(wanted):
        wanted.update(NEEDS.get(name, ()))
    return [g for g in GENERATORS if g.__name__ in wanted]


def pages():
    if ONLY is None:
        return PAGES
    return [
        p
        for p in PAGES
        if any(area.rstrip("s") in p.name for area in ONLY) or p.name == "dashboard"
    ]


SUMMARY_ONLY = False  # --summary: only the pages the summary table reads


def page_roles():
    """(page, role) pairs measured in this run."""
    from bench import summary

    for page in pages():
        for role in page.roles:
            if not SUMMARY_ONLY or (page.name, role) in summary.PAGES:
                yield page, role


def build(scale):
    """The consortium measured at `scale`, and a smaller other consortium beside it."""
    from django_scopes import scopes_disabled

    from consortium.models import Consortium

    with scopes_disabled():
        home = Consortium.objects.create(name="Bench Consortium")
        away = Consortium.objects.create(name="Other Consortium")
        named = {"prefix": "", "rng": random.Random(1), "consortium": home}
        for generate in generators():
            named.update(generate(scale, home, named) or {})
        other = {"prefix": "other-", "rng": random.Random(2), "consortium": away}
        for generate in generators():
            other.update(generate(scale.part(0.25, "other"), away, other) or {})
    return named


# --- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: object  # fn(named) -> path
    roles: tuple = ("lead", "cvo")


# One line per page; `named` is what the generators returned for the measured consortium.
PAGES = [
    Page("dashboard", lambda n: "/"),
    Page("organisations", lambda n: "/consortium/organisations/"),
    Page("sites", lambda n: "/consortium/sites/"),
    Page("people", lambda n: "/consortium/people/"),
    Page("organisations xlsx", lambda n: "/consortium/organisations/?export=xlsx"),
    Page("organisation detail", lambda n: f"/consortium/organisations/{n['cvo_org'].pk}/"),
    Page("person detail", lambda n: f"/consortium/people/{n['users']['colleague'].pk}/"),
    Page("organisation history", lambda n: f"/history/consortium.Organisation/{n['cvo_org'].pk}/"),
    Page("site history", lambda n: f"/history/consortium.Site/{n['site'].pk}/"),
    Page("funding streams", lambda n: "/funding/streams/", ("lead",)),
    Page("funding streams xlsx", lambda n: "/funding/streams/?export=xlsx", ("lead",)),
    Page("stream detail", lambda n: f"/funding/streams/{n['stream'].pk}/", ("lead",)),
    Page("runway", lambda n: "/funding/runway/", ("lead",)),
    Page("runway chart", lambda n: "/funding/runway/chart.svg", ("lead",)),
    Page("allocations", lambda n: "/funding/allocations/", ("lead",)),
    Page("allocation detail", lambda n: f"/funding/allocations/{n['allocation'].pk}/"),
    Page("allocation statement", lambda n: "/funding/statement/", ("cvo",)),
    Page("payments", lambda n: "/funding/payments/"),
    Page("payments overdue", lambda n: "/funding/payments/?status=approved&due_before=2020-01-01"),
    Page("payment detail", lambda n: f"/funding/payments/{n['payment'].pk}/"),
    Page("contracts", lambda n: "/contracts/prime/", ("lead",)),
    Page("subcontracts", lambda n: "/contracts/subcontracts/"),
    Page("subcontract detail", lambda n: f"/contracts/subcontracts/{n['subcontract'].pk}/"),
    Page("admin organisations", lambda n: "/admin/consortium/organisation/", ("admin",)),
    Page("admin sites", lambda n: "/admin/consortium/site/", ("admin",)),
    Page("admin role assignments", lambda n: "/admin/consortium/roleassignment/", ("admin",)),
    Page("dashboard (workforce)", lambda n: "/", ("colleague", "commissioner")),
    Page("posts", lambda n: "/workforce/posts/"),
    Page("staff", lambda n: "/workforce/staff/", ("lead", "cvo", "colleague")),
    Page("sessions", lambda n: "/workforce/sessions/", ("lead", "cvo", "colleague")),
    Page(
        "staff detail",
        lambda n: f"/workforce/staff/{n['cvo_staff'].pk}/",
        ("lead", "cvo", "colleague"),
    ),
    Page(
        "session detail", lambda n: f"/workforce/sessions/{n['session'].pk}/", ("lead", "colleague")
    ),
    Page(
        "compliance matrix",
        lambda n: "/workforce/compliance/",
        ("lead", "cvo", "colleague", "commissioner"),
    ),
    Page(
        "compliance xlsx", lambda n: "/workforce/compliance/?export=xlsx", ("cvo", "commissioner")
    ),
    Page("compliance chart", lambda n: "/workforce/compliance/chart.svg", ("lead", "commissioner")),
    Page("returns", lambda n: "/returns/"),
    Page("return detail", lambda n: f"/returns/{n['return'].pk}/"),
    Page("return template xlsx", lambda n: f"/returns/{n['return'].pk}/template.xlsx", ("cvo",)),
    Page(
        "commissioner report",
        lambda n: (
            f"/reports/{n['report_template'].pk}/report/"
            f"?first={n['returns_last']:%Y-%m-01}&last={n['returns_last']:%Y-%m-01}"
        ),
        ("lead",),
    ),
    Page("pbr claims", lambda n: "/pbr/claims/", ("lead", "cvo", "commissioner")),
    Page("pbr claim detail", lambda n: f"/pbr/claims/{n['pbr_claim'].pk}/", ("lead", "cvo")),
    Page(
        "pbr statement",
        lambda n: f"/pbr/statement/?first={n['pbr_first']:%Y-%m-%d}",
        ("lead", "cvo", "commissioner"),
    ),
    Page(
        "pbr exposure",
        lambda n: f"/pbr/exposure/?first={n['pbr_first']:%Y-%m-%d}",
        ("lead", "cvo", "commissioner"),
    ),
    Page(
        "performance",
        lambda n: (
            f"/performance/?first={n['returns_last']:%Y-%m-01}&last={n['returns_last']:%Y-%m-01}"
        ),
    ),
    Page("risk registers", lambda n: "/risks/", ("lead", "cvo", "commissioner")),
    Page("risk list", lambda n: "/risks/list/", ("lead", "cvo", "commissioner")),
    Page("risk list overdue", lambda n: "/risks/list/?overdue=true&above_appetite=true"),
    Page("risk heat map", lambda n: "/risks/heat-map/", ("lead", "cvo", "commissioner")),
    Page("risk heat map chart", lambda n: "/risks/heat-map/chart.svg", ("lead", "commissioner")),
    Page(
        "risk register detail",
        lambda n: f"/risks/registers/{n['member_register'].pk}/",
        ("lead", "cvo"),
    ),
    Page("risk detail", lambda n: f"/risks/risks/{n['risk'].pk}/", ("lead", "cvo", "commissioner")),
    Page("risk suggestions", lambda n: "/risks/suggested/", ("lead", "cvo")),
    Page("dashboard (risks)", lambda n: "/", ("commissioner",)),
    Page("assurance packs", lambda n: "/assurance/"),
    Page("assurance pack", lambda n: f"/assurance/{n['pack'].pk}/"),
    Page("assurance pack xlsx", lambda n: f"/assurance/{n['pack'].pk}/pack.xlsx"),
    Page("assurance pack pdf", lambda n: f"/assurance/{n['pack'].pk}/pack.pdf", ("lead",)),
]


# --- measuring -----------------------------------------------------------------------------


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def shape(sql):
    """A query with its literal values blanked, so repeats of one query count together."""
    return re.sub(r"\b\d+\b|'[^']*'", "?", sql)


def measure(client, url, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm caches (templates, URL resolvers, dashboard panels)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # Read now: every request start clears the connection's query log.
    queries = [q["sql"] for q in captured.captured_queries]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    repeated = Counter(shape(sql) for sql in queries).most_common(1)
    return {
        "queries": len(queries),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        # A download streams: its size is read through the server (compare.py), not here.
        "bytes": None if response.streaming else len(response.content),
        "most_repeated": {"count": repeated[0][1], "sql": repeated[0][0][:400]}
        if repeated
        else None,
    }


def reset_database():
    from django.core.management import call_command

    from consortium import chain

    # The event and audit tables refuse DELETE (SQLite empties tables with it): lift their
    # triggers for the flush, and put them back.
    chain.set_triggers(install=False)
    call_command("flush", interactive=False, verbosity=0)
    chain.set_triggers(install=True)


def analyze():
    """The state a maintained database is in: on PostgreSQL, VACUUM ANALYZE, as autovacuum
    does after a load (fresh planner statistics, and the visibility map that lets an index
    answer alone, without reading the table); on SQLite, ANALYZE fills sqlite_stat1."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - started


def run_scale(scale, repeat, serve=True):
    # Signed in past the second factor too, as every role must be.
    from tests.conftest import VerifiedClient as Client

    reset_database()
    started = time.perf_counter()
    named = build(scale)
    # The data was bulk-created, which no cached figure's version follows (and the scale
    # before may have left figures under the same consortium id): start with an empty cache.
    from django.core.cache import cache

    cache.clear()
    print(f"{scale.name}: data built in {time.perf_counter() - started:.2f} s", flush=True)
    print(f"{scale.name}: VACUUM ANALYZE in {analyze():.2f} s", flush=True)
    clients = {}
    for role, user in named["users"].items():
        clients[role] = Client()
        clients[role].force_login(user)
    results = []
    for page, role in page_roles():
        url = page.url(named)
        figures = measure(clients[role], url, repeat)
        results.append(
            {"page": page.name, "role": role, "scale": scale.name, "url": url, **figures}
        )
    extras = {}
    if serve:
        extras = run_server(scale, named, results, repeat)
    return results, extras


CONCURRENCY = (1, 4)


def served(result):
    """Pages timed with 1 and 4 clients: not the files (exports and PDFs are timed once
    each in compare.exports, with memory)."""
    return not re.search(r"xlsx|pdf", result["page"])


def run_server(scale, named, results, repeat):
    """The same pages through gunicorn, then the comparisons of bench/compare.py."""
    from bench import compare
    from bench.server import Server, session_cookie, time_page

    started = time.perf_counter()
    server = Server()
    collected, problem = server.collectstatic()
    if problem:
        print(f"{scale.name}: {problem}", flush=True)
    with server:
        print(
            f"{scale.name}: gunicorn ({server.workers} workers, {server.settings} settings) on "
            f"port {server.port}, static files collected in {collected:.1f} s",
            flush=True,
        )
        cookies = {role: session_cookie(user) for role, user in named["users"].items()}
        for r in results:
            if served(r):
                r["server"] = {
                    str(c): time_page(server.port, cookies[r["role"]], r["url"], repeat, c)
                    for c in CONCURRENCY
                }
        urls = {(r["page"], r["role"]): r["url"] for r in results}
        extras = {
            "settings": server.settings,
            "uncached": compare.uncached(server.port, cookies, urls, repeat),
        }
        extras["admin"] = compare.admin_pairs(server.port, cookies, repeat)
        extras["exports"] = compare.exports(server, cookies, named, EXPORT_REPEAT)
        extras["upload"] = compare.upload(named, max(3, repeat))
    print(f"{scale.name}: server timings in {time.perf_counter() - started:.1f} s", flush=True)
    return extras


EXPORT_REPEAT = 3


# --- report --------------------------------------------------------------------------------


def report(results, scales):
    rows = {}
    for r in results:
        rows.setdefault((r["page"], r["role"]), {})[r["scale"]] = r
    headers = ["page", "role"]
    headers += [f"queries({s})" for s in scales]
    for s in scales:
        headers += [f"p50 ms({s})", f"p95 ms({s})"]
    headers.append("")
    lines, growing = [], []
    for (page, role), by_scale in rows.items():
        counts = [by_scale[s]["queries"] for s in scales]
        grows = len(set(counts)) > 1
        line = [page, role, *[str(c) for c in counts]]
        for s in scales:
            line += [f"{by_scale[s]['p50_ms']:.1f}", f"{by_scale[s]['p95_ms']:.1f}"]
        line.append("N+1?" if grows else "")
        lines.append(line)
        if grows:
            growing.append(
                {
                    "page": page,
                    "role": role,
                    "queries": dict(zip(scales, counts, strict=True)),
                    "most_repeated": by_scale[scales[-1]]["most_repeated"],
                }
            )
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(headers)]
    numeric = range(2, len(headers) - 1)
    for line in [headers, ["-" * w for w in widths], *lines]:
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
    if len(scales) > 1:
        print()
        if growing:
            print("Query counts that grow with the data (N+1):")
            for g in growing:
                counts = ", ".join(f"{s} {c}" for s, c in g["queries"].items())
                print(f"- {g['page']} as {g['role']}: {counts}")
                if g["most_repeated"]:
                    print(
                        f"  most repeated query ({g['most_repeated']['count']}x): {g['most_repeated']['sql'][:200]}"
                    )
        else:
            print("No page's query count grows with the data.")
    return growing


def report_server(results, scales):
    """Through the server: p50/p95 with each number of clients at each scale, and the
    largest scale's p50 over the smallest's (1 client)."""
    rows = {}
    for r in results:
        if r.get("server"):
            rows.setdefault((r["page"], r["role"]), {})[r["scale"]] = r["server"]
    if not rows:
        return
    headers = ["page", "role"]
    for s in scales:
        for c in CONCURRENCY:
            headers += [f"p50({s},{c})", f"p95({s},{c})"]
    if len(scales) > 1:
        headers.append(f"{scales[-1]}÷{scales[0]}")
    lines = []
    for (page, role), by_scale in rows.items():
        line = [page, role]
        for s in scales:
            for c in CONCURRENCY:
                f = by_scale.get(s, {}).get(str(c))
                line += [f"{f['p50_ms']:.1f}", f"{f['p95_ms']:.1f}"] if f else ["—", "—"]
        if len(scales) > 1:
            a = by_scale.get(scales[0], {}).get("1")
            b = by_scale.get(scales[-1], {}).get("1")
            line.append(f"{b['p50_ms'] / a['p50_ms']:.1f}×" if a and b else "—")
        lines.append(line)
    print("Through gunicorn (ms, clients at once after the scale):")
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths], *lines]:
        cells = [
            c.rjust(w) if i >= 2 else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def report_extras(extras):
    for scale, ex in extras.items():
        print(f"\n{scale}: lists against the admin's changelists (1 client, same page size)")
        for p in ex.get("admin", []):
            print(
                f"- {p['name']}: list {p['list_p50_ms']:.1f} ms ({p['list_role']}), admin "
                f"{p['admin_p50_ms']:.1f} ms, {p['per_page']} a page: {p['ratio']:.2f}×"
            )
        print(f"{scale}: exports through the server against openpyxl write-only")
        for key, e in ex.get("exports", {}).items():
            if "ratio" in e:
                print(
                    f"- {key}: {e['rows']:,} rows, {e['cells']:,} cells, {e['ms']:,.0f} ms vs "
                    f"{e['raw_ms']:,.0f} ms raw ({e['ratio']:.2f}×), worker peak "
                    f"{e['peak_mb']:.0f} MB (+{e['growth_mb']:.0f} MB)"
                )
            else:
                print(f"- {key}: {e.get('note')}")
        u = ex.get("upload")
        if u:
            print(
                f"{scale}: return upload {u['ms']:.1f} ms vs raw read-only parse "
                f"{u['raw_ms']:.1f} ms ({u['ratio']:.2f}×)"
            )
        for page, c in ex.get("uncached", {}).items():
            print(
                f"{scale}: {page} with an empty cache: p50 {c['p50_ms']:.1f}, "
                f"p95 {c['p95_ms']:.1f} ms"
            )


def served_with(extras):
    kinds = sorted({ex["settings"] for ex in extras.values() if ex.get("settings")})
    if not kinds:
        return ", the test client only"
    return f", through gunicorn with 2 workers, {' / '.join(kinds)} settings"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        default="both",
        help="small, medium, large, both (small and large) or a comma-separated list",
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--only",
        help="some areas, e.g. risks or sessions,pbr: their generators and pages, and the basics",
    )
    parser.add_argument(
        "--no-server", action="store_true", help="the test client only: no gunicorn timings"
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="only what the summary table reads (its pages, exports, upload, admin pairs)",
    )
    parser.add_argument(
        "--export-repeat", type=int, default=3, help="requests for each export (median)"
    )
    args = parser.parse_args()
    global ONLY, SUMMARY_ONLY, EXPORT_REPEAT
    ONLY = args.only.split(",") if args.only else None
    SUMMARY_ONLY = args.summary
    EXPORT_REPEAT = max(1, args.export_repeat)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    scales = ["small", "large"] if args.scale == "both" else args.scale.split(",")
    for name in scales:
        if name not in SCALES:
            parser.error(f"no scale {name!r}: choose from {', '.join(SCALES)}")

    prepare_environment()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import summary

    settings.DEBUG = False
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)

    started = time.perf_counter()
    results, extras = [], {}
    for name in scales:
        scale_results, extras[name] = run_scale(SCALES[name], args.repeat, not args.no_server)
        results += scale_results
    print()
    growing = report(results, scales)
    print()
    report_server(results, scales)
    report_extras({k: v for k, v in extras.items() if v})
    table = summary.rows(results, extras, scales)
    heading = (
        f"Issue #13's table, measured on {connection.vendor} "
        f"({', '.join(scales)}; {args.repeat} requests a page"
        f"{served_with(extras)}) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    print(f"\n{heading}\n")
    print(summary.text(table))
    out = BENCH_DIR / "results.json"
    out.write_text(
        json.dumps(
            {
                "database": connection.vendor,
                "repeat": args.repeat,
                "scales": {s: asdict(SCALES[s]) for s in scales},
                "results": results,
                "growing": growing,
                "compared": extras,
                "summary": [
                    dict(zip(("what", "measured", "target", "met"), r, strict=True)) for r in table
                ],
            },
            indent=2,
            default=str,
        )
    )
    md = BENCH_DIR / "summary.md"
    md.write_text(summary.markdown(table, f"# {heading}"))
    print(f"\nresults written to {out.relative_to(ROOT)} and {md.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
