"""factory_boy factories and the standard test world."""

from dataclasses import dataclass, field

import factory
from django.contrib.auth import get_user_model

from consortium.models import Consortium, Membership, Organisation, Role, RoleAssignment, Site

PASSWORD = "correct-horse-battery-staple"


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


def member(consortium, name, kind, role):
    org = OrganisationFactory(name=name, kind=kind)
    Membership.objects.create(consortium=consortium, organisation=org, role=role)
    return org


def person(username, consortium, org, role, **kwargs):
    user = UserFactory(username=username, **kwargs)
    RoleAssignment.objects.create(user=user, consortium=consortium, organisation=org, role=role)
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
        w.users["outsider"] = person(
            "outsider", w.away, w.orgs["away_lead"], Role.LEAD, last_name=cls.SENTINEL
        )
        w.sites["home"] = Site.objects.create(
            consortium=w.home,
            name="Home Magistrates' Court",
            kind=Site.Kind.MAGISTRATES_COURT,
            operated_by=w.orgs["cvo_a"],
        )
        w.sites["away"] = Site.objects.create(
            consortium=w.away,
            name=f"Away Court {cls.SENTINEL}",
            kind=Site.Kind.MAGISTRATES_COURT,
            operated_by=w.orgs["away_cvo"],
        )
        return w


# --- money ---------------------------------------------------------------------------------

PRIVATE_B = "SENTINEL-B-PRIVATE"


def make_stream(consortium, funder, name="Stream", amount="120000.00", start=None, end=None, **kw):
    import datetime
    from decimal import Decimal

    from funding.models import FundingStream

    start = start or datetime.date(2026, 4, 1)
    end = end or datetime.date(2027, 3, 31)
    return FundingStream.objects.create(
        consortium=consortium,
        funder=funder,
        name=name,
        kind=kw.pop("kind", FundingStream.Kind.CONTRACT),
        amount=Decimal(amount),
        start=start,
        end=end,
        **kw,
    )


def make_allocation(stream, lines, *, approved=True, revision=1, by=None, pot=None):
    """An allocation of the whole stream with `lines` = [(organisation, amount, arithmetic)]."""
    from decimal import Decimal

    from funding.models import Allocation, AllocationLine

    total = sum((Decimal(a) for _, a, _ in lines), Decimal("0"))
    allocation = Allocation.objects.create(
        consortium=stream.consortium,
        stream=stream,
        period_start=stream.start,
        period_end=stream.end,
        pot=pot or total,
        formula=Allocation.Formula.FIXED,
        revision=revision,
        inputs={str(o.pk): {"figure": "1"} for o, _, _ in lines},
    )
    for org, amount, words in lines:
        AllocationLine.objects.create(
            allocation=allocation, organisation=org, amount=Decimal(amount), arithmetic=words
        )
    if approved:
        allocation.status = Allocation.Status.APPROVED
        allocation.approved_by = by
        allocation.save()
    return allocation


def make_payment(allocation, org, amount, due, **kw):
    from decimal import Decimal

    from funding.models import Payment

    line = allocation.lines.filter(organisation=org).first() if allocation else None
    return Payment.objects.create(
        consortium=(allocation.consortium if allocation else kw.pop("consortium")),
        recipient=org,
        allocation_line=line,
        amount=Decimal(amount),
        due_date=due,
        **kw,
    )


def make_agreements(consortium, commissioner, lead, cvo, ref, special=""):
    import datetime
    from decimal import Decimal

    from contracts.models import Contract, Subcontract

    contract = Contract.objects.create(
        consortium=consortium,
        reference=f"C-{ref}",
        title=f"Contract {ref}",
        commissioner=commissioner,
        lead=lead,
        value=Decimal("500000.00"),
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2027, 3, 31),
    )
    sub = Subcontract.objects.create(
        consortium=consortium,
        contract=contract,
        reference=f"S-{ref}",
        title=f"Subcontract {ref}",
        lead=lead,
        cvo=cvo,
        value=Decimal("100000.00"),
        start=contract.start,
        end=contract.end,
        special_terms=special,
    )
    return contract, sub


def build_money(w):
    """Money for the standard world: streams, allocations (approved, a draft v2, one with only
    CVO B), payments, contracts and subcontracts at home and away. CVO B's private data
    carries PRIVATE_B; the home consortium keeps allocations closed-book so CVO A must not
    see B's line."""
    import datetime

    from contracts.models import Variation

    o = w.orgs
    w.home.open_book_allocations = False
    w.home.save()
    m = {}
    m["stream"] = make_stream(w.home, o["commissioner"], "Home NHS stream")
    m["stream_other"] = make_stream(w.home, o["lead"], "Lead's own trust grant", amount="5000.00")
    m["alloc"] = make_allocation(
        m["stream"],
        [
            (o["lead"], "12000.00", "Management fee"),
            (o["cvo_a"], "60000.00", "A's share"),
            (o["cvo_b"], "48000.00", f"B's share {PRIVATE_B}"),
        ],
        by=w.users["lead"],
    )
    m["draft"] = make_allocation(
        m["stream"],
        [(o["cvo_a"], "70000.00", "A"), (o["cvo_b"], "50000.00", f"B {PRIVATE_B}")],
        approved=False,
        revision=2,
    )
    m["alloc_b_only"] = make_allocation(
        m["stream_other"], [(o["cvo_b"], "5000.00", f"B only {PRIVATE_B}")]
    )
    m["pay_a"] = make_payment(m["alloc"], o["cvo_a"], "5000.00", datetime.date(2026, 5, 1))
    m["pay_b"] = make_payment(
        m["alloc"],
        o["cvo_b"],
        "4000.00",
        datetime.date(2026, 5, 1),
        status="paid",
        paid_on=datetime.date(2026, 5, 2),
        reference=PRIVATE_B,
    )
    m["contract"], m["sub_a"] = make_agreements(
        w.home, o["commissioner"], o["lead"], o["cvo_a"], "A"
    )
    m["contract_b"], m["sub_b"] = make_agreements(
        w.home, o["lead"], o["lead"], o["cvo_b"], "B", special=PRIVATE_B
    )
    m["contract"].funding_streams.set([m["stream"]])
    m["sub_b"].funding_streams.set([m["stream"]])
    m["variation_b"] = Variation.objects.create(
        consortium=w.home,
        subcontract=m["sub_b"],
        effective_date=datetime.date(2026, 6, 1),
        reason=f"More hours {PRIVATE_B}",
    )
    # Away: everything again, in the other consortium.
    m["away_stream"] = make_stream(w.away, o["away_lead"], f"Away stream {w.SENTINEL}")
    m["away_alloc"] = make_allocation(m["away_stream"], [(o["away_cvo"], "1000.00", w.SENTINEL)])
    m["away_draft"] = make_allocation(
        m["away_stream"], [(o["away_cvo"], "1000.00", w.SENTINEL)], approved=False, revision=2
    )
    m["away_pay"] = make_payment(
        m["away_alloc"], o["away_cvo"], "100.00", datetime.date(2026, 5, 1), reference=w.SENTINEL
    )
    m["away_contract"], m["away_sub"] = make_agreements(
        w.away, o["away_lead"], o["away_lead"], o["away_cvo"], "X", special=w.SENTINEL
    )
    w.money = m
    return m
