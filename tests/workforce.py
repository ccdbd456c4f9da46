"""The standard workforce on top of the test world (tests.factories.ConsortiumWorld).

At home: the supervisor supervises two practitioners of CVO A (and covers the lead and CVO A);
CVO B has its own supervisor and a practitioner whose data carries SENTINEL-B-PRIVATE. Every
session note carries NOTES_SENTINEL, which only the session's supervisor and supervisees may
read. Away: a post, a practitioner and a session in the other consortium.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from consortium.models import Role, RoleAssignment
from funding.models import FundingStream
from supervision.models import (
    LeavePeriod,
    Post,
    SessionAction,
    SessionKind,
    SessionNote,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)
from tests.factories import person

NOTES_SENTINEL = "SENTINEL-NOTES"
PRIVATE_B = "SENTINEL-B-PRIVATE"


def staff(consortium, org, first, last, post=None, supervisor=None, **kwargs):
    today = timezone.localdate()
    defaults = {
        "start": today - timedelta(days=800),
        "profession": StaffMember.Profession.NURSE,
        "qualification": StaffMember.Qualification.MASTERS,
        "years_experience": 4,
        "registration_body": StaffMember.RegistrationBody.NMC,
        "registration_number": "12A3456E",
        "registration_expiry": today + timedelta(days=400),
        "dbs_date": today - timedelta(days=300),
    }
    defaults.update(kwargs)
    return StaffMember.objects.create(
        consortium=consortium,
        organisation=org,
        first_name=first,
        last_name=last,
        post=post,
        clinical_supervisor=supervisor,
        **defaults,
    )


def requirements_for(post):
    for kind in (SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER):
        SupervisionRequirement.objects.create(consortium=post.consortium, post=post, kind=kind)


def session(consortium, supervisor, attendees, kind=SessionKind.ONE_TO_ONE, days_ago=3, **kw):
    s = SupervisionSession.objects.create(
        consortium=consortium,
        kind=kind,
        date=timezone.localdate() - timedelta(days=days_ago),
        supervisor=supervisor,
        **kw,
    )
    s.attendees.set(attendees)
    return s


def build_workforce(w):
    from django.core.cache import cache

    cache.clear()  # compliance summaries are cached; each test starts cold
    home, away = w.home, w.away
    if not hasattr(w, "extra"):
        w.extra = {}
    today = timezone.localdate()
    sup = w.users["supervisor"]
    RoleAssignment.objects.create(
        user=sup, consortium=home, organisation=w.orgs["cvo_a"], role=Role.SUPERVISOR
    )
    w.users["supervisor_b"] = person("supervisor_b", home, w.orgs["cvo_b"], Role.SUPERVISOR)
    # A practitioner of CVO A who signs in (as a peer facilitator) and reads their own notes.
    w.users["practitioner"] = person("practitioner", home, w.orgs["cvo_a"], Role.SUPERVISOR)

    stream = FundingStream.objects.create(
        consortium=home,
        funder=w.orgs["commissioner"],
        name="Health and justice contract",
        kind=FundingStream.Kind.CONTRACT,
        amount=Decimal("250000.00"),
        start=today - timedelta(days=300),
        end=today + timedelta(days=60),
    )
    posts = w.extra.setdefault("posts", {})
    posts["lead"] = Post.objects.create(
        consortium=home,
        organisation=w.orgs["lead"],
        title="Forensic mental health practitioner",
        status=Post.Status.FILLED,
    )
    posts["a"] = Post.objects.create(
        consortium=home,
        organisation=w.orgs["cvo_a"],
        title="Women's liaison practitioner",
        status=Post.Status.FILLED,
    )
    posts["a_vacant"] = Post.objects.create(
        consortium=home,
        organisation=w.orgs["cvo_a"],
        title="Court liaison practitioner",
        status=Post.Status.VACANT,
        vacancy_start=today - timedelta(days=45),
    )
    posts["b"] = Post.objects.create(
        consortium=home,
        organisation=w.orgs["cvo_b"],
        title="Recovery worker",
        status=Post.Status.FILLED,
        cover_arrangements=f"Covered by {PRIVATE_B}",
    )
    for key in ("lead", "a", "a_vacant"):
        posts[key].funded_by.add(stream)
    for p in posts.values():
        requirements_for(p)

    people = w.extra.setdefault("staff", {})
    people["a1"] = staff(
        home, w.orgs["cvo_a"], "Alice", "Aston", posts["a"], sup, user=w.users["practitioner"]
    )
    people["a2"] = staff(home, w.orgs["cvo_a"], "Amir", "Aziz", None, sup)
    people["a3"] = staff(
        home,
        w.orgs["cvo_a"],
        "Ava",
        "Abbott",
        None,
        sup,
        registration_expiry=today - timedelta(days=1),
    )
    for key in ("a2", "a3"):  # no post: their own requirements
        for kind in (SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER):
            SupervisionRequirement.objects.create(consortium=home, staff=people[key], kind=kind)
    people["lead"] = staff(home, w.orgs["lead"], "Leo", "Lund", posts["lead"], sup)
    people["b"] = staff(
        home,
        w.orgs["cvo_b"],
        "Bea",
        PRIVATE_B,
        posts["b"],
        w.users["supervisor_b"],
        registration_number=PRIVATE_B,
    )
    LeavePeriod.objects.create(
        staff=people["b"],
        start=today - timedelta(days=100),
        end=today - timedelta(days=90),
        reason=f"Leave {PRIVATE_B}",
    )

    sessions = w.extra.setdefault("sessions", {})
    sessions["a"] = session(home, sup, [people["a1"]], themes="risk formulation")
    SessionNote.objects.create(session=sessions["a"], text=f"{NOTES_SENTINEL} about Alice")
    sessions["group"] = session(
        home,
        sup,
        [people["a1"], people["a2"], people["lead"]],
        kind=SessionKind.GROUP,
        themes="vicarious trauma",
    )
    SessionNote.objects.create(session=sessions["group"], text=f"{NOTES_SENTINEL} group")
    sessions["b"] = session(home, w.users["supervisor_b"], [people["b"]], themes=PRIVATE_B)
    SessionNote.objects.create(session=sessions["b"], text=f"{NOTES_SENTINEL} {PRIVATE_B}")
    actions = w.extra.setdefault("actions", {})
    actions["a"] = SessionAction.objects.create(
        session=sessions["a"], description="Read the risk policy", due=today + timedelta(days=7)
    )
    actions["b"] = SessionAction.objects.create(
        session=sessions["b"], description=f"Action {PRIVATE_B}", due=today + timedelta(days=7)
    )

    # The other consortium.
    away_org = w.orgs["away_cvo"]
    posts["away"] = Post.objects.create(
        consortium=away, organisation=away_org, title=f"Away post {w.SENTINEL}"
    )
    people["away"] = staff(away, away_org, "Away", w.SENTINEL, posts["away"])
    w.extra["away_leave"] = LeavePeriod.objects.create(
        staff=people["away"], start=today, end=today, reason=w.SENTINEL
    )
    w.extra["away_requirement"] = SupervisionRequirement.objects.create(
        consortium=away, post=posts["away"], kind=SessionKind.ONE_TO_ONE
    )
    sessions["away"] = session(away, w.users["outsider"], [people["away"]], themes=w.SENTINEL)
    actions["away"] = SessionAction.objects.create(
        session=sessions["away"], description=w.SENTINEL, due=today
    )
    return w
