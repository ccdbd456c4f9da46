"""Contracts and subcontracts: current terms are the original plus variations, as-at views
from history, bad input refused, and who may see what."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from contracts.models import Contract, Variation
from contracts.services import agreements as services
from sample import PRIVATE_B, make_agreements, person

pytestmark = pytest.mark.django_db


def at(day):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(12)), tick=False)


@pytest.fixture
def agreements(world):
    o = world.orgs
    with at(datetime.date(2026, 3, 1)):
        contract, sub_a = make_agreements(world.home, o["commissioner"], o["lead"], o["cvo_a"], "A")
        _, sub_b = make_agreements(
            world.home, o["lead"], o["lead"], o["cvo_b"], "B", special=PRIVATE_B
        )
    return contract, sub_a, sub_b


def vary(lead, agreement, day, change, new_end=None, reason="More court sessions"):
    with at(day):
        return services.variation_add(
            by=lead,
            agreement=agreement,
            variation=Variation(
                effective_date=day, reason=reason, value_change=D(change), new_end=new_end
            ),
        )


def test_current_terms_are_the_original_plus_variations(world, lead, agreements):
    contract = agreements[0]
    vary(lead, contract, datetime.date(2026, 5, 1), "50000.00")
    vary(lead, contract, datetime.date(2026, 8, 1), "-20000.00", datetime.date(2027, 6, 30))
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.value == D("500000.00")  # the original is kept
    assert contract.terms_at(datetime.date(2026, 4, 30)) == (
        D("500000.00"),
        datetime.date(2027, 3, 31),
    )
    assert contract.terms_at(datetime.date(2026, 5, 1)) == (
        D("550000.00"),
        datetime.date(2027, 3, 31),
    )
    assert contract.terms_at(datetime.date(2026, 9, 1)) == (
        D("530000.00"),
        datetime.date(2027, 6, 30),
    )


def test_a_contract_can_be_viewed_as_at_a_past_date(client, world, lead, agreements):
    contract = agreements[0]
    with at(datetime.date(2026, 4, 10)):
        contract.title = "Renamed in April"
        services.agreement_save(by=lead, agreement=contract, expected_version=contract.version)
    vary(lead, contract, datetime.date(2026, 5, 1), "50000.00")
    client.force_login(lead)
    url = reverse("contracts:contract_detail", args=[contract.pk])
    with at(datetime.date(2026, 9, 1)):
        now = client.get(url).content.decode()
        march = client.get(url + "?as_at=2026-03-15").content.decode()
        before = client.get(url + "?as_at=2026-01-01").content.decode()
    assert "£550,000.00" in now and "Renamed in April" in now
    assert "£500,000.00 (original" in march and "£550,000.00" not in march
    assert "C-A Contract A</h1>" in march and "Renamed in April" not in march
    assert "not yet recorded on that date" in before


def test_bad_terms_are_refused(world, lead, agreements):
    contract = agreements[0]
    contract.block_percent, contract.pbr_percent = D("80"), D("10")
    with pytest.raises(ValidationError) as e:
        services.agreement_save(by=lead, agreement=contract)
    assert "must add up to 100%" in str(e.value)
    contract.block_percent = D("90")
    contract.end = contract.start - datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        services.agreement_save(by=lead, agreement=contract)
    with pytest.raises(ValidationError):
        vary(lead, Contract.objects.get(pk=contract.pk), datetime.date(2026, 5, 1), "-600000.00")
    with pytest.raises(ValidationError):
        vary(
            lead,
            Contract.objects.get(pk=contract.pk),
            datetime.date(2026, 5, 1),
            "1.00",
            reason=" ",
        )


def test_only_the_lead_changes_agreements(world, cvo_a, commissioner, agreements):
    for user in (cvo_a, commissioner):
        with pytest.raises(PermissionDenied):
            services.agreement_save(by=user, agreement=agreements[1])


def test_who_sees_which_agreement(
    client, world, lead, cvo_a, cvo_b, commissioner, supervisor, agreements
):
    contract, sub_a, sub_b = agreements
    cases = {
        lead: {contract: 200, sub_a: 200, sub_b: 200},
        cvo_a: {contract: 404, sub_a: 200, sub_b: 404},
        cvo_b: {contract: 404, sub_a: 404, sub_b: 200},
        commissioner: {contract: 200, sub_a: 404, sub_b: 404},
        supervisor: {contract: 404, sub_a: 404, sub_b: 404},
    }
    for user, expected in cases.items():
        client.force_login(user)
        for obj, status in expected.items():
            assert client.get(obj.get_absolute_url()).status_code == status, (user, obj)
    client.force_login(cvo_a)
    listing = client.get(reverse("contracts:subcontract_list") + "?export=xlsx").getvalue()
    assert b"Subcontract B" not in listing
    client.force_login(cvo_b)
    assert PRIVATE_B in client.get(sub_b.get_absolute_url()).content.decode()


def test_the_lead_adds_a_subcontract_through_the_form(client, world, lead):
    client.force_login(lead)
    response = client.post(
        reverse("contracts:subcontract_create"),
        {
            "lead": world.orgs["lead"].pk,
            "cvo": world.orgs["cvo_a"].pk,
            "reference": "SC-9",
            "title": "Women's pathway",
            "value": "40000.00",
            "start": "2026-04-01",
            "end": "2027-03-31",
            "status": "active",
            "block_percent": "90",
            "pbr_percent": "10",
            "payment_frequency": "monthly",
            "payment_days": "30",
        },
    )
    assert response.status_code == 302
    assert world.orgs["cvo_a"].subcontracts.get().reference == "SC-9"


@pytest.mark.parametrize("n", [2, 30])
def test_contract_lists_use_a_flat_number_of_queries(
    client, world, django_assert_max_num_queries, n
):
    o = world.orgs
    for i in range(n):
        make_agreements(world.home, o["commissioner"], o["lead"], o["cvo_a"], f"N{i}")
    lead2 = person("lead2", world.home, o["lead"], "lead")
    client.force_login(lead2)
    for name in ("contracts:contract_list", "contracts:subcontract_list"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200
    commissioner2 = person("comm2", world.home, o["commissioner"], "commissioner")
    client.force_login(commissioner2)
    # The commissioner's dashboard, with the audit chain's head and their reminders (the
    # reminders panel reads who holds which role, then one query per kind) and their report
    # layouts and latest assurance packs; flat in n. 36 includes stored compliance's first read
    # of the month recording that it is up to date (a savepoint, an insert and its release),
    # and the PbR exposure's figure version (consortium.versions), read before its figures.
    from django.core.cache import cache

    cache.clear()  # measured cold, whatever ran before
    with django_assert_max_num_queries(37):
        assert client.get("/").status_code == 200
