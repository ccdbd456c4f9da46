"""Demo workforce: about forty practitioners (mostly the lead's forensic mental health
practitioners in courts, custody suites and probation offices, plus CVO staff), two years of
supervision (mostly kept, with a few gaps and a spell of leave), two vacancies and some
registrations about to expire. All names invented. Idempotent: skipped once posts exist.

Posts, staff and their requirements are saved one by one (with history); the two years of
sessions are bulk-created, as an import would be."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from consortium.models import Role, RoleAssignment
from funding.models import FundingStream
from supervision import compliance
from supervision.models import (
    LeavePeriod,
    Post,
    SessionKind,
    SessionNote,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
    SupervisorQualification,
)

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


def seed(ctx):
    consortium = ctx.consortium
    User = get_user_model()
    sam = ctx.users["supervisor"]
    # Sam also provides external clinical supervision to Larkspur's practitioners.
    RoleAssignment.objects.get_or_create(
        user=sam, consortium=consortium, organisation=ctx.orgs["women"], role=Role.SUPERVISOR
    )
    if Post.objects.filter(consortium=consortium).exists():
        return
    rng = random.Random(5)
    from django.utils import timezone

    today = timezone.localdate()
    first_month = compliance.add_months(compliance.month_start(today), -(MONTHS - 1))

    # Other supervisors: a forensic psychologist in the lead, and one for the smaller CVOs
    # whose accreditation has lapsed (flagged on the dashboards).
    supervisors = {"sam": sam}
    for key, username, first, last, org_keys in [
        ("kerr", "nkerr", "Nadia", "Kerr", ["lead", "women"]),
        ("reyes", "treyes", "Tom", "Reyes", ["recovery", "housing", "advocacy"]),
    ]:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@concord.example",
            },
        )
        if user.has_usable_password():
            user.set_unusable_password()
            user.save()
        for org_key in org_keys:
            RoleAssignment.objects.get_or_create(
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
                FundingStream.objects.create(
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
        post = Post(
            consortium=consortium,
            organisation=org,
            title=title,
            status=status,
            vacancy_start=vacancy_start,
            cover_arrangements=(
                "Covered two days a week by the neighbouring court's practitioner."
                if status == Post.Status.VACANT
                else ""
            ),
        )
        post.save_as(by=ctx.users["lead"], reason="Demo data")
        org_sites = sites_by_org.get(org.pk, [])
        if org_sites:
            post.sites.set([org_sites[i % len(org_sites)]])
        paying = _streams_for(org_key, streams, ctx.orgs)
        if paying:
            post.funded_by.set([paying[i % len(paying)]])
        for kind in (SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER):
            led_by = {
                SessionKind.ONE_TO_ONE: SupervisorQualification.ACCREDITED,
                SessionKind.GROUP: SupervisorQualification.FORENSIC_PSYCHOLOGIST,
                SessionKind.PEER: SupervisorQualification.PEER_FACILITATOR,
            }[kind]
            SupervisionRequirement(
                consortium=consortium, post=post, kind=kind, led_by=led_by
            ).save_as(by=ctx.users["lead"], reason="Demo data")
        return post

    people = []
    n = 0
    for org_key, count, title in TEAMS:
        for i in range(count):
            post = add_post(org_key, title, i=n)
            if org_key == "lead":
                supervisor = sam if i < 10 else supervisors["kerr"]
            elif org_key == "women":
                supervisor = sam
            else:
                supervisor = supervisors["reyes"]
            profession, body = PROFESSIONS[n % len(PROFESSIONS)]
            # Most started before the two years shown; a few joined part-way, mid-month.
            if n % 9 == 4:
                start = compliance.add_months(first_month, 6 + n % 12) + timedelta(days=17)
            else:
                start = first_month - timedelta(days=200 + 37 * n)
            person = StaffMember(
                consortium=consortium,
                organisation=ctx.orgs[org_key],
                first_name=FIRST[n],
                last_name=LAST[n],
                post=post,
                start=start,
                profession=profession,
                qualification=StaffMember.Qualification.MASTERS,
                years_experience=2 + n % 9,
                registration_body=body,
                registration_number=f"{body.upper()}{100000 + 7919 * n % 900000}",
                registration_expiry=today + timedelta(days=120 + (n * 53) % 600),
                dbs_date=today - timedelta(days=100 + (n * 97) % 900),
                dbs_update_service=n % 3 == 0,
                needs_police_vetting=post.sites.filter(kind="police_custody").exists(),
                police_vetting_expiry=today + timedelta(days=300 + n * 11),
                clinical_supervisor=supervisor,
                # Group supervision with the forensic psychologist, for the lead's and
                # Larkspur's practitioners; the others' clinical supervisor leads theirs.
                group_supervisor=supervisors["kerr"] if org_key in ("lead", "women") else None,
            )
            people.append(person)
            n += 1
    # Registrations about to expire, one lapsed, and a DBS overdue for renewal.
    people[3].registration_expiry = today + timedelta(days=21)
    people[12].registration_expiry = today + timedelta(days=64)
    people[30].registration_expiry = today + timedelta(days=12)
    people[17].registration_expiry = today - timedelta(days=6)
    people[22].dbs_date = today - timedelta(days=3 * 365 + 20)
    people[22].dbs_update_service = False
    for person in people:
        person.save_as(by=ctx.users["lead"], reason="Demo data")

    # Two vacancies: the weak point of single-practitioner posts.
    add_post(
        "lead",
        "Forensic mental health practitioner",
        Post.Status.VACANT,
        today - timedelta(days=47),
        i=n,
    )
    add_post(
        "recovery",
        "Substance misuse liaison practitioner",
        Post.Status.VACANT,
        today - timedelta(days=96),
        i=n + 1,
    )

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
        StaffMember(
            consortium=consortium,
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
        ).save_as(by=ctx.users["lead"], reason="Demo data")

    # A spell of parental leave and a practitioner who went three months unsupervised.
    on_leave = people[8]
    leave_start = compliance.add_months(first_month, 10) + timedelta(days=3)
    leave = LeavePeriod(
        staff=on_leave,
        start=leave_start,
        end=compliance.month_end(compliance.add_months(leave_start, 4)),
        reason="Parental leave",
    )
    leave.save_as(by=ctx.users["lead"], reason="Demo data")
    gap_person = people[20]
    gap_months = {compliance.add_months(first_month, m) for m in (15, 16, 17)}

    _sessions(consortium, people, today, first_month, rng, leave, gap_person, gap_months)


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


def _sessions(consortium, people, today, first_month, rng, leave, gap_person, gap_months):
    Attendance = SupervisionSession.attendees.through
    sessions, attendance, notes = [], [], []

    def in_post(person, day):
        if person.start > day:
            return False
        if person.pk == leave.staff_id and leave.start <= day <= leave.end:
            return False
        return not (person is gap_person and compliance.month_start(day) in gap_months)

    cohorts, groups = {}, {}
    for person in people:
        cohorts.setdefault(person.clinical_supervisor_id, []).append(person)
        leader = person.group_supervisor_id or person.clinical_supervisor_id
        groups.setdefault(leader, []).append(person)
    supervisors = {p.clinical_supervisor_id: p.clinical_supervisor for p in people}
    supervisors.update({p.group_supervisor_id: p.group_supervisor for p in people})

    for m in range(MONTHS):
        month = compliance.add_months(first_month, m)
        last_day = min(compliance.month_end(month), today)
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
                    sessions.append(
                        (
                            SupervisionSession(
                                consortium=consortium,
                                kind=kind,
                                date=day,
                                duration_minutes=90,
                                supervisor=supervisors[supervisor_id],
                                themes=", ".join(rng.sample(THEMES, 2)),
                            ),
                            present,
                        )
                    )
        for supervisor_id, cohort in cohorts.items():
            for person in cohort:
                day = month.replace(day=rng.randint(2, 27))
                if day > last_day or not in_post(person, day) or rng.random() < 0.04:
                    continue
                sessions.append(
                    (
                        SupervisionSession(
                            consortium=consortium,
                            kind=SessionKind.ONE_TO_ONE,
                            date=day,
                            duration_minutes=60,
                            format=rng.choice(["in_person", "in_person", "remote"]),
                            supervisor=supervisors[supervisor_id],
                            themes=", ".join(rng.sample(THEMES, 2)),
                        ),
                        [person],
                    )
                )
    created = SupervisionSession.objects.bulk_create([s for s, _ in sessions], batch_size=500)
    for session, (_, present) in zip(created, sessions, strict=True):
        for person in present:
            attendance.append(
                Attendance(supervisionsession_id=session.pk, staffmember_id=person.pk)
            )
        if session.kind == SessionKind.ONE_TO_ONE:
            notes.append(
                SessionNote(
                    session=session,
                    text=(
                        "Talked through the week's assessments and one complex referral; "
                        "agreed to revisit the risk plan next time."
                    ),
                )
            )
    Attendance.objects.bulk_create(attendance, batch_size=1000)
    SessionNote.objects.bulk_create(notes, batch_size=500)
