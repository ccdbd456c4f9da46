"""Who is who: users, consortia, organisations, memberships, role assignments and sites, and
the standard two-consortium test world."""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass, field

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from consortium.models import Consortium, Membership, Organisation, Role, RoleAssignment, Site

PASSWORD = "correct-horse-battery-staple"


@contextmanager
def on(moment):
    """Do what the block does as if it were `moment` (a date means mid-morning that day), so
    that services stamp history rows, events and timestamps with the date the act would have
    had. Time stands still inside the block."""
    import time_machine

    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime.combine(moment, datetime.time(10, 30))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    with time_machine.travel(moment, tick=False):
        yield


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class ConsortiumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consortium

    name = factory.Sequence(lambda n: f"Consortium {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.CVO


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    consortium = factory.SubFactory(ConsortiumFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.SUBCONTRACTOR


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment
        django_get_or_create = ("user", "consortium", "organisation", "role")

    user = factory.SubFactory(UserFactory)
    consortium = factory.SubFactory(ConsortiumFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CVO_MANAGER


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    consortium = factory.SubFactory(ConsortiumFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    kind = Site.Kind.MAGISTRATES_COURT


def member(consortium, name, kind, role, **kwargs):
    """An organisation that belongs to `consortium` in `role`."""
    org = OrganisationFactory(name=name, kind=kind, **kwargs)
    MembershipFactory(consortium=consortium, organisation=org, role=role)
    return org


def person(username, consortium, org, role, **kwargs):
    """A user who holds `role` in `org` within `consortium`."""
    user = UserFactory(username=username, **kwargs)
    RoleAssignmentFactory(user=user, consortium=consortium, organisation=org, role=role)
    return user


@dataclass
class ConsortiumWorld:
    """Two consortia. At home: a lead agency, CVO A, CVO B and a commissioner, with one person
    per role. Away: another lead agency and CVO, whose names carry the SENTINEL marker that
    must never appear in a page at home."""

    home: Consortium = None
    away: Consortium = None
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    sites: dict = field(default_factory=dict)

    SENTINEL = "SENTINEL-AWAY"

    @classmethod
    def build(cls):
        w = cls()
        K, M = Organisation.Kind, Membership.Role
        w.home = ConsortiumFactory(name="Home Consortium")
        w.away = ConsortiumFactory(name=f"Away Consortium {cls.SENTINEL}")
        w.orgs["lead"] = member(w.home, "Home Lead Agency", K.LEAD_AGENCY, M.LEAD)
        w.orgs["cvo_a"] = member(w.home, "CVO Alpha", K.CVO, M.SUBCONTRACTOR)
        w.orgs["cvo_b"] = member(w.home, "CVO Beta", K.CVO, M.SUBCONTRACTOR)
        w.orgs["commissioner"] = member(w.home, "Home Commissioner", K.COMMISSIONER, M.COMMISSIONER)
        w.orgs["away_lead"] = member(w.away, f"Away Lead {cls.SENTINEL}", K.LEAD_AGENCY, M.LEAD)
        w.orgs["away_cvo"] = member(w.away, f"Away CVO {cls.SENTINEL}", K.CVO, M.SUBCONTRACTOR)
        w.users["admin"] = person(
            "admin", w.home, w.orgs["lead"], Role.ADMIN, is_staff=True, is_superuser=True
        )
        w.users["lead"] = person("lead", w.home, w.orgs["lead"], Role.LEAD)
        w.users["cvo_a"] = person("cvo_a", w.home, w.orgs["cvo_a"], Role.CVO_MANAGER)
        w.users["cvo_b"] = person(
            "cvo_b", w.home, w.orgs["cvo_b"], Role.CVO_MANAGER, last_name="SENTINEL-B-PRIVATE"
        )
        w.users["supervisor"] = person("supervisor", w.home, w.orgs["lead"], Role.SUPERVISOR)
        w.users["commissioner"] = person(
            "commissioner", w.home, w.orgs["commissioner"], Role.COMMISSIONER
        )
        # A member of CVO A's staff who signs in (linked to their staff record by the workforce).
        w.users["practitioner"] = person("practitioner", w.home, w.orgs["cvo_a"], Role.PRACTITIONER)
        w.users["outsider"] = person(
            "outsider", w.away, w.orgs["away_lead"], Role.LEAD, last_name=cls.SENTINEL
        )
        w.sites["home"] = SiteFactory(
            consortium=w.home, name="Home Magistrates' Court", operated_by=w.orgs["cvo_a"]
        )
        w.sites["away"] = SiteFactory(
            consortium=w.away, name=f"Away Court {cls.SENTINEL}", operated_by=w.orgs["away_cvo"]
        )
        return w
