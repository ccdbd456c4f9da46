"""The workforce: posts, practitioners, their supervision requirements, leave and sessions,
and the standard workforce on top of the test world (sample.ConsortiumWorld).

At home in the standard workforce: the supervisor supervises two practitioners of CVO A (and
covers the lead and CVO A); CVO B has its own supervisor and a practitioner whose data carries
SENTINEL-B-PRIVATE. Every session note carries NOTES_SENTINEL, which only the session's
supervisor and supervisees may read. Away: a post, a practitioner and a session in the other
consortium.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from consortium.models import Role
from sample.consortium import (
    ConsortiumFactory,
    OrganisationFactory,
    RoleAssignmentFactory,
    person,
)
from sample.funding import FundingStreamFactory
from supervision import services
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

NOTES_SENTINEL = "SENTINEL-NOTES"
PRIVATE_B = "SENTINEL-B-PRIVATE"
NOT_ATTENDED_SENTINEL = "SENTINEL-NOT-ATTENDED"
KINDS = (SessionKind.ONE_TO_ONE, SessionKind.GROUP, SessionKind.PEER)


def _today():
    return timezone.localdate()


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    consortium = factory.SubFactory(ConsortiumFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    title = "Forensic mental health practitioner"
    status = Post.Status.FILLED


class StaffMemberFactory(factory.django.DjangoModelFactory):
    """A registered nurse with a master's degree, in post for a couple of years, registration
    and DBS check current."""

    class Meta:
        model = StaffMember

    consortium = factory.SubFactory(ConsortiumFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    start = factory.LazyFunction(lambda: _today() - timedelta(days=800))
    profession = StaffMember.Profession.NURSE
    qualification = StaffMember.Qualification.MASTERS
    years_experience = 4
    registration_body = StaffMember.RegistrationBody.NMC
    registration_number = "12A3456E"
    registration_expiry = factory.LazyFunction(lambda: _today() + timedelta(days=400))
    dbs_date = factory.LazyFunction(lambda: _today() - timedelta(days=300))


class SupervisionRequirementFactory(factory.django.DjangoModelFactory):
    """Monthly, on a post (or pass `staff` and post=None for one practitioner)."""

    class Meta:
        model = SupervisionRequirement

    post = factory.SubFactory(PostFactory)
    consortium = factory.LazyAttribute(lambda r: (r.post or r.staff).consortium)
    kind = SessionKind.ONE_TO_ONE


class LeavePeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeavePeriod

    staff = factory.SubFactory(StaffMemberFactory)
    start = factory.LazyFunction(_today)
    end = factory.LazyAttribute(lambda leave: leave.start + timedelta(days=13))
    reason = "Annual leave"


class SupervisionSessionFactory(factory.django.DjangoModelFactory):
    """A held 1:1 of an hour, in person, three days ago. Sessions somebody leads are logged
    through supervision.services.session_record: see `session`."""

    class Meta:
        model = SupervisionSession
        skip_postgeneration_save = True

    consortium = factory.SubFactory(ConsortiumFactory)
    kind = SessionKind.ONE_TO_ONE
    date = factory.LazyFunction(lambda: _today() - timedelta(days=3))
    duration_minutes = 60

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        if create and extracted:
            self.attendees.set(extracted)


def staff(consortium, org, first, last, post=None, supervisor=None, **kwargs):
    return StaffMemberFactory(
        consortium=consortium,
        organisation=org,
        first_name=first,
        last_name=last,
        post=post,
        clinical_supervisor=supervisor,
        **kwargs,
    )


def requirements_for(post=None, *, staff=None, **kwargs):
    """The three monthly requirements (1:1, group, peer) on a post or one practitioner."""
    owner = post or staff
    return [
        SupervisionRequirementFactory(
            consortium=owner.consortium, post=post, staff=staff, kind=kind, **kwargs
        )
        for kind in KINDS
    ]


def session(consortium, supervisor, attendees, kind=SessionKind.ONE_TO_ONE, days_ago=3, **kw):
    """A held session `days_ago`, logged by its supervisor through the service."""
    return services.session_record(
        by=supervisor,
        kind=kind,
        date=timezone.localdate() - timedelta(days=days_ago),
        attendees=attendees,
        **kw,
    )


def build_workforce(w):
    from django.core.cache import cache

    cache.clear()  # charts are cached; each test starts cold
    home, away = w.home, w.away
    if not hasattr(w, "extra"):
        w.extra = {}
    today = timezone.localdate()
    sup = w.users["supervisor"]
    RoleAssignmentFactory(
        user=sup, consortium=home, organisation=w.orgs["cvo_a"], role=Role.SUPERVISOR
    )
    w.users["supervisor_b"] = person("supervisor_b", home, w.orgs["cvo_b"], Role.SUPERVISOR)
    # The practitioner persona (Alice, below) signs in and reads their own notes.

    stream = FundingStreamFactory(
        consortium=home,
        funder=w.orgs["commissioner"],
        name="Health and justice contract",
        amount=Decimal("250000.00"),
        start=today - timedelta(days=300),
        end=today + timedelta(days=60),
    )
    posts = w.extra.setdefault("posts", {})
    posts["lead"] = PostFactory(consortium=home, organisation=w.orgs["lead"])
    posts["a"] = PostFactory(
        consortium=home, organisation=w.orgs["cvo_a"], title="Women's liaison practitioner"
    )
    posts["a_vacant"] = PostFactory(
        consortium=home,
        organisation=w.orgs["cvo_a"],
        title="Court liaison practitioner",
        status=Post.Status.VACANT,
        vacancy_start=today - timedelta(days=45),
    )
    posts["b"] = PostFactory(
        consortium=home,
        organisation=w.orgs["cvo_b"],
        title="Recovery worker",
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
        requirements_for(staff=people[key])
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
    LeavePeriodFactory(
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
    # A session of CVO A that Alice did not attend: its notes are not hers to read.
    sessions["a2"] = session(home, sup, [people["a3"]], themes="caseload", days_ago=40)
    SessionNote.objects.create(
        session=sessions["a2"], text=f"{NOTES_SENTINEL} {NOT_ATTENDED_SENTINEL}"
    )
    actions = w.extra.setdefault("actions", {})
    actions["a"] = SessionAction.objects.create(
        session=sessions["a"], description="Read the risk policy", due=today + timedelta(days=7)
    )
    actions["b"] = SessionAction.objects.create(
        session=sessions["b"], description=f"Action {PRIVATE_B}", due=today + timedelta(days=7)
    )

    # The other consortium: its lead is nobody's clinical supervisor, so its session is
    # written as it stands rather than logged.
    away_org = w.orgs["away_cvo"]
    posts["away"] = PostFactory(
        consortium=away,
        organisation=away_org,
        title=f"Away post {w.SENTINEL}",
        status=Post.Status.VACANT,
    )
    people["away"] = staff(away, away_org, "Away", w.SENTINEL, posts["away"])
    w.extra["away_leave"] = LeavePeriodFactory(
        staff=people["away"], start=today, end=today, reason=w.SENTINEL
    )
    w.extra["away_requirement"] = SupervisionRequirementFactory(
        consortium=away, post=posts["away"], kind=SessionKind.ONE_TO_ONE
    )
    sessions["away"] = SupervisionSessionFactory(
        consortium=away,
        supervisor=w.users["outsider"],
        attendees=[people["away"]],
        themes=w.SENTINEL,
    )
    actions["away"] = SessionAction.objects.create(
        session=sessions["away"], description=w.SENTINEL, due=today
    )
    return w
