"""Demo workforce: about forty practitioners (mostly the lead's forensic mental health
practitioners in courts, custody suites and probation offices, plus CVO staff), two years of
supervision (mostly kept, with a few gaps and a spell of leave), two vacancies and some
registrations about to expire. All names invented. Idempotent: skipped once posts exist.

Everything goes through the supervision services on the day it would have happened: the
lead records posts, staff and requirements when the consortium started keeping them here (or
on the day a practitioner joined), and each supervisor logs their sessions on the day they
were held."""

import datetime
import random
from datetime import timedelta
from decimal import Decimal

from consortium import dates
from consortium.models import Role
from funding.models import FundingStream
from sample.consortium import RoleAssignmentFactory, UserFactory, on
from sample.funding import FundingStreamFactory
from sample.supervision import (
    PostFactory,
    StaffMemberFactory,
    SupervisionRequirementFactory,
)
from supervision import compliance_store, services
from supervision.models import Post, SessionKind, StaffMember, SupervisorQualification

FIRST = [
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Efua",
    "Farah",
    "George",
    "Hannah",
    "Imran",
    "Jade",
    "Kwame",
    "Laura",
    "Marcus",
    "Niamh",
    "Oliver",
    "Priya",
    "Rhys",
    "Sofia",
    "Tariq",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yasmin",
    "Zoe",
    "Adam",
    "Bethan",
    "Callum",
    "Deepa",
    "Ellis",
    "Fiona",
    "Gareth",
    "Hollie",
    "Isaac",
    "Joanna",
    "Kieran",
    "Leah",
    "Mohammed",
    "Nadia",
    "Owen",
]
LAST = [
    "Adeyemi",
    "Barker",
    "Chowdhury",
    "Doyle",
    "Ellison",
    "Fletcher",
    "Gallagher",
    "Hussain",
    "Iqbal",
    "Jennings",
    "Kowalski",
    "Lambert",
    "Mensah",
    "Nolan",
    "O'Connor",
    "Patel",
    "Quinn",
    "Rahman",
    "Sullivan",
    "Thornton",
    "Underwood",
    "Vaughan",
    "Walsh",
    "Yusuf",
    "Zielinski",
    "Ashworth",
    "Bello",
    "Carver",
    "Dlamini",
    "Evans",
    "Forde",
    "Gordon",
    "Holt",
    "Ibrahim",
    "Jarvis",
    "Kaur",
    "Lowe",
    "Mistry",
    "Nwosu",
    "Osei",
]
PROFESSIONS = [
    (StaffMember.Profession.NURSE, StaffMember.RegistrationBody.NMC),
    (StaffMember.Profession.NURSE, StaffMember.RegistrationBody.NMC),
    (StaffMember.Profession.SOCIAL_WORKER, StaffMember.RegistrationBody.SWE),
    (StaffMember.Profession.OCCUPATIONAL_THERAPIST, StaffMember.RegistrationBody.HCPC),
    (StaffMember.Profession.PSYCHOLOGIST, StaffMember.RegistrationBody.HCPC),
    (StaffMember.Profession.PSYCHOTHERAPIST, StaffMember.RegistrationBody.UKCP),
]
THEMES = [
    "risk formulation",
    "vicarious trauma",
    "boundaries",
    "caseload",
    "court reports",
    "safeguarding",
    "diversion pathways",
    "working alone in custody",
    "reflective practice",
    "liaison with probation",
    "self-care",
    "complex trauma",
]
# (organisation key, how many practitioners, post title)
TEAMS = [
    ("lead", 28, "Forensic mental health practitioner"),
    ("women", 4, "Women's liaison and diversion practitioner"),
    ("recovery", 3, "Substance misuse liaison practitioner"),
    ("housing", 2, "Housing and resettlement worker"),
    ("advocacy", 2, "Peer advocate"),
]
MONTHS = 24


LED_BY = {
    SessionKind.ONE_TO_ONE: SupervisorQualification.ACCREDITED,
    SessionKind.GROUP: SupervisorQualification.FORENSIC_PSYCHOLOGIST,
    SessionKind.PEER: SupervisorQualification.PEER_FACILITATOR,
}
NOTE = (
    "Talked through the week's assessments and one complex referral; agreed to revisit the "
    "risk plan next time."
)


def seed(ctx):
    # Stored compliance is worked out once for the whole workforce, not once per session.
    with compliance_store.deferred():
        _seed(ctx)


def _seed(ctx):
    consortium = ctx.consortium
    sam = ctx.users["supervisor"]
    lead = ctx.users["lead"]
    # Sam also provides external clinical supervision to Larkspur's practitioners.
    RoleAssignmentFactory(
        user=sam, consortium=consortium, organisation=ctx.orgs["women"], role=Role.SUPERVISOR
    )
    if Post.objects.filter(consortium=consortium).exists():
        return
    rng = random.Random(5)
    from django.utils import timezone

    today = timezone.localdate()
    first_month = dates.add_months(dates.month_start(today), -(MONTHS - 1))
    # The day the lead started keeping the workforce here, a week before the months shown.
    setup_day = first_month - timedelta(days=7)

    # Other supervisors: a forensic psychologist in the lead, and one for the smaller CVOs
    # whose accreditation has lapsed (flagged on the dashboards). They do not sign in.
    supervisors = {"sam": sam}
    for key, username, first, last, org_keys in [
        ("kerr", "nkerr", "Nadia", "Kerr", ["lead", "women"]),
        ("reyes", "treyes", "Tom", "Reyes", ["recovery", "housing", "advocacy"]),
    ]:
        user = UserFactory(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@concord.example",
            password=None,
        )
        for org_key in org_keys:
            RoleAssignmentFactory(
                user=user,
                consortium=consortium,
                organisation=ctx.orgs[org_key],
                role=Role.SUPERVISOR,
            )
        supervisors[key] = user

    streams = list(FundingStream.objects.filter(consortium=consortium).order_by("end"))
    if not streams:
        # The funding app's demo normally supplies the streams; without it, two modest ones so
        # that posts are funded, one of them ending within the horizon.
        for funder, name, kind, amount, days in [
            ("nhs", "Liaison and diversion contract", "contract", "1200000.00", 75),
            ("probation", "Probation court liaison grant", "grant", "640000.00", 230),
        ]:
            streams.append(
                FundingStreamFactory(
                    consortium=consortium,
                    funder=ctx.orgs[funder],
                    name=name,
                    kind=kind,
                    amount=Decimal(amount),
                    start=today + timedelta(days=days) - timedelta(days=364),
                    end=today + timedelta(days=days),
                )
            )
    sites_by_org = {}
    for site in ctx.sites:
        if site.operated_by_id:
            sites_by_org.setdefault(site.operated_by_id, []).append(site)

    def add_post(org_key, title, status=Post.Status.FILLED, vacancy_start=None, i=0):
        org = ctx.orgs[org_key]
        org_sites = sites_by_org.get(org.pk, [])
        paying = _streams_for(org_key, streams, ctx.orgs)
        post = services.post_save(
            by=lead,
            post=PostFactory.build(
                organisation=org,
                title=title,
                status=status,
                vacancy_start=vacancy_start,
                cover_arrangements=(
                    "Covered two days a week by the neighbouring court's practitioner."
                    if status == Post.Status.VACANT
                    else ""
                ),
            ),
            sites=[org_sites[i % len(org_sites)]] if org_sites else None,
            funded_by=[paying[i % len(paying)]] if paying else None,
        )
        for kind in (SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER):
            services.requirement_save(
                by=lead,
                requirement=SupervisionRequirementFactory.build(
                    post=post, kind=kind, led_by=LED_BY[kind]
                ),
            )
        return post

    # Registrations about to expire, one lapsed, and a DBS overdue for renewal.
    expiring = {3: 21, 12: 64, 30: 12, 17: -6}
    people = []
    n = 0
    for org_key, count, title in TEAMS:
        for i in range(count):
            if org_key == "lead":
                supervisor = sam if i < 10 else supervisors["kerr"]
            elif org_key == "women":
                supervisor = sam
            else:
                supervisor = supervisors["reyes"]
            profession, body = PROFESSIONS[n % len(PROFESSIONS)]
            # Most started before the two years shown; a few joined part-way, mid-month.
            if n % 9 == 4:
                start = dates.add_months(first_month, 6 + n % 12) + timedelta(days=17)
            else:
                start = first_month - timedelta(days=200 + 37 * n)
            with on(max(start, setup_day)):
                post = add_post(org_key, title, i=n)
                person = StaffMemberFactory.build(
                    organisation=ctx.orgs[org_key],
                    # The demo's practitioner signs in and reads their own record and notes.
                    user=ctx.users.get("practitioner") if n == 1 else None,
                    first_name=FIRST[n],
                    last_name=LAST[n],
                    post=post,
                    start=start,
                    profession=profession,
                    qualification=StaffMember.Qualification.MASTERS,
                    years_experience=2 + n % 9,
                    registration_body=body,
                    registration_number=f"{body.upper()}{100000 + 7919 * n % 900000}",
                    registration_expiry=today
                    + timedelta(days=expiring.get(n, 120 + (n * 53) % 600)),
                    dbs_date=today
                    - timedelta(days=3 * 365 + 20 if n == 22 else 100 + (n * 97) % 900),
                    dbs_update_service=n % 3 == 0 and n != 22,
                    needs_police_vetting=post.sites.filter(kind="police_custody").exists(),
                    police_vetting_expiry=today + timedelta(days=300 + n * 11),
                    clinical_supervisor=supervisor,
                    # Group supervision with the forensic psychologist, for the lead's and
                    # Larkspur's practitioners; the others' clinical supervisor leads theirs.
                    group_supervisor=(
                        supervisors["kerr"] if org_key in ("lead", "women") else None
                    ),
                )
                people.append(services.staff_save(by=lead, staff=person))
            n += 1

    # Two vacancies: the weak point of single-practitioner posts.
    for org_key, title, days_vacant, i in [
        ("lead", "Forensic mental health practitioner", 47, n),
        ("recovery", "Substance misuse liaison practitioner", 96, n + 1),
    ]:
        vacant_since = today - timedelta(days=days_vacant)
        with on(vacant_since):
            add_post(org_key, title, Post.Status.VACANT, vacant_since, i=i)

    # The supervisors' own records (their accreditation).
    for user, org_key, qualification, expiry in [
        (sam, "lead", SupervisorQualification.ACCREDITED, today + timedelta(days=400)),
        (
            supervisors["kerr"],
            "lead",
            SupervisorQualification.FORENSIC_PSYCHOLOGIST,
            today + timedelta(days=250),
        ),
        (
            supervisors["reyes"],
            "recovery",
            SupervisorQualification.ACCREDITED,
            today - timedelta(days=20),
        ),
    ]:
        with on(setup_day):
            services.staff_save(
                by=lead,
                staff=StaffMemberFactory.build(
                    organisation=ctx.orgs[org_key],
                    user=user,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    start=first_month - timedelta(days=900),
                    profession=StaffMember.Profession.PSYCHOLOGIST,
                    qualification=StaffMember.Qualification.DOCTORATE,
                    years_experience=12,
                    registration_body=StaffMember.RegistrationBody.HCPC,
                    registration_number="PYL0" + str(user.pk),
                    registration_expiry=today + timedelta(days=500),
                    dbs_date=today - timedelta(days=200),
                    dbs_update_service=True,
                    supervisor_qualification=qualification,
                    supervisor_accreditation_expiry=expiry,
                ),
            )

    # A spell of parental leave, recorded a month ahead, and a practitioner who went three
    # months unsupervised.
    on_leave = people[8]
    leave_start = dates.add_months(first_month, 10) + timedelta(days=3)
    with on(leave_start - timedelta(days=30)):
        leave = services.leave_add(
            by=lead,
            staff=on_leave,
            start=leave_start,
            end=dates.month_end(dates.add_months(leave_start, 4)),
            reason="Parental leave",
        )
    gap_person = people[20]
    gap_months = {dates.add_months(first_month, m) for m in (15, 16, 17)}

    _sessions(people, today, first_month, rng, leave, gap_person, gap_months)
    # Each act kept the stored compliance as of the day it happened; bring it to today.
    compliance_store.refresh_consortium(consortium.pk)


# Which streams pay for which employer's posts: the CVOs' own grants by subject; the lead's
# practitioners from the health-and-justice contract and probation.
STREAM_WORDS = {
    "women": "women",
    "housing": "housing",
    "recovery": "recovery",
    "advocacy": "advoca",
}


def _streams_for(org_key, streams, orgs):
    word = STREAM_WORDS.get(org_key)
    if word:
        matched = [s for s in streams if word in s.name.lower()]
    else:
        funders = {orgs["nhs"].pk, orgs["probation"].pk}
        matched = [s for s in streams if s.funder_id in funders]
    return matched or streams


def _sessions(people, today, first_month, rng, leave, gap_person, gap_months):
    """Two years of sessions, each logged by its supervisor on the day it was held (a 1:1's
    notes with it)."""
    planned = []

    def in_post(person, day):
        if person.start > day:
            return False
        if person.pk == leave.staff_id and leave.start <= day <= leave.end:
            return False
        return not (person is gap_person and dates.month_start(day) in gap_months)

    cohorts, groups = {}, {}
    for person in people:
        cohorts.setdefault(person.clinical_supervisor_id, []).append(person)
        leader = person.group_supervisor_id or person.clinical_supervisor_id
        groups.setdefault(leader, []).append(person)
    supervisors = {p.clinical_supervisor_id: p.clinical_supervisor for p in people}
    supervisors.update({p.group_supervisor_id: p.group_supervisor for p in people})

    for m in range(MONTHS):
        month = dates.add_months(first_month, m)
        last_day = min(dates.month_end(month), today)
        gatherings = [(SessionKind.GROUP, 9, groups), (SessionKind.PEER, 23, cohorts)]
        for kind, day_of_month, by_leader in gatherings:
            # Groups of up to eight.
            teams = [
                (leader, members[i : i + 8])
                for leader, members in by_leader.items()
                for i in range(0, len(members), 8)
            ]
            for supervisor_id, cohort in teams:
                day = month.replace(day=day_of_month)
                if day > today:
                    continue
                present = [p for p in cohort if in_post(p, day) and rng.random() > 0.06]
                if present:
                    planned.append(
                        dict(
                            by=supervisors[supervisor_id],
                            kind=kind,
                            date=day,
                            attendees=present,
                            duration_minutes=90,
                            themes=", ".join(rng.sample(THEMES, 2)),
                        )
                    )
        for supervisor_id, cohort in cohorts.items():
            for person in cohort:
                day = month.replace(day=rng.randint(2, 27))
                if day > last_day or not in_post(person, day) or rng.random() < 0.04:
                    continue
                planned.append(
                    dict(
                        by=supervisors[supervisor_id],
                        kind=SessionKind.ONE_TO_ONE,
                        date=day,
                        attendees=[person],
                        duration_minutes=60,
                        format=rng.choice(["in_person", "in_person", "remote"]),
                        themes=", ".join(rng.sample(THEMES, 2)),
                        notes=NOTE,
                    )
                )
    for session in sorted(planned, key=lambda s: s["date"]):
        # Logged at the end of the day it was held.
        with on(datetime.datetime.combine(session["date"], datetime.time(17, 0))):
            services.session_record(**session)
