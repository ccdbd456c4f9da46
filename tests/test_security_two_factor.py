"""Two-factor sign-in: who must use it, setting it up, recovery codes, refused and reused
codes, the lockout, changing factors, and the fresh-factor gate on sensitive acts.

These tests walk the real sign-in with a plain Client (password, then code); the other tests'
persona clients are verified already (tests/conftest.py VerifiedClient)."""

import datetime
import re
import time
from decimal import Decimal as D

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from consortium import twofactor
from consortium.models import RoleAssignment, SecurityEvent
from funding.models import Allocation, Payment
from sample import PASSWORD, make_allocation, make_payment, make_stream

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
REQUIRED = ["admin", "lead", "commissioner", "supervisor"]
NOW = datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def code(device, *, steps=0):
    """The code `device` shows now (or `steps` 30-second windows away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def authenticator(user):
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def password_step(username):
    c = Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="ConcordTest")
    response = c.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return c


def give(c, value, next_url=""):
    return c.post(reverse("two_factor_verify"), {"code": value, "next": next_url})


def last(kind, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters).order_by("-id").first()


# --- who must use it -------------------------------------------------------------------------


@pytest.mark.parametrize("role", REQUIRED)
def test_a_role_that_needs_a_second_factor_and_has_none_is_walked_through_setting_one_up(
    world, role
):
    c = password_step(role)
    response = c.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    assert c.get(reverse("funding:payment_list")).status_code == 302


@pytest.mark.parametrize("role", REQUIRED)
def test_a_role_that_needs_a_second_factor_signs_in_with_password_and_code(world, role):
    device = authenticator(world.users[role])
    c = password_step(role)
    response = c.get(reverse("dashboard"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    done = give(c, code(device), reverse("dashboard"))
    assert done.status_code == 302 and done["Location"] == reverse("dashboard")
    assert c.get(reverse("dashboard")).status_code == 200
    assert last(Kind.FACTOR_VERIFIED, user=world.users[role]) is not None


@pytest.mark.parametrize("role", ["cvo_a", "cvo_b"])
def test_a_cvo_manager_signs_in_with_a_password_alone(world, role):
    c = password_step(role)
    assert c.get(reverse("dashboard")).status_code == 200


def test_whoever_has_a_second_factor_uses_it_even_if_their_role_does_not_need_one(world, cvo_a):
    device = authenticator(cvo_a)
    c = password_step("cvo_a")
    assert c.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_verify"))
    give(c, code(device))
    assert c.get(reverse("dashboard")).status_code == 200


def test_a_consortium_may_require_a_second_factor_of_everyone(world, cvo_a):
    world.home.two_factor_for_everyone = True
    world.home.save()
    c = password_step("cvo_a")
    assert c.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_setup"))


# --- setting one up --------------------------------------------------------------------------


def pending(c):
    key = c.session[twofactor.PENDING_KEY]
    return TOTPDevice(key=key)


def test_setting_up_an_authenticator_confirms_it_with_a_code_and_shows_recovery_codes_once(
    world, lead
):
    c = password_step("lead")
    page = c.get(reverse("two_factor_setup")).content.decode()
    assert 'id="totp-secret"' in page and "<svg" in page
    assert 'name="password"' not in page  # the password was given a moment ago
    wrong = c.post(reverse("two_factor_setup"), {"name": "Phone", "code": "000000"})
    assert "The code is not right" in wrong.content.decode()
    response = c.post(reverse("two_factor_setup"), {"name": "Phone", "code": code(pending(c))})
    assert response["Location"].startswith(reverse("two_factor_recovery_codes"))
    codes_page = c.get(response["Location"]).content.decode()
    codes = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4})</code>", codes_page)
    assert len(codes) == 10
    # Shown once only.
    assert c.get(reverse("two_factor_recovery_codes")).status_code == 302
    assert twofactor.factors(lead)[0].name == "Phone"
    assert c.get(reverse("dashboard")).status_code == 200
    assert last(Kind.FACTOR_ADDED, user=lead) is not None
    assert last(Kind.RECOVERY_CODES_ISSUED, user=lead) is not None


def test_with_only_a_password_nobody_can_add_an_authenticator_to_an_account_that_has_one(
    world, lead
):
    authenticator(lead)
    c = password_step("lead")
    response = c.get(reverse("two_factor_setup"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    c.post(reverse("two_factor_setup"), {"name": "Attacker", "code": "123456"})
    assert len(twofactor.factors(lead)) == 1


def test_adding_another_authenticator_needs_the_password_again(world, lead):
    first = authenticator(lead)
    c = password_step("lead")
    give(c, code(first))
    page = c.get(reverse("two_factor_setup")).content.decode()
    assert 'name="password"' in page
    device = pending(c)
    no_password = c.post(reverse("two_factor_setup"), {"name": "Tablet", "code": code(device)})
    assert no_password.status_code == 200 and len(twofactor.factors(lead)) == 1
    wrong = c.post(
        reverse("two_factor_setup"), {"name": "Tablet", "code": code(device), "password": "nope"}
    )
    assert "Your password is not right" in wrong.content.decode()
    assert last(Kind.SIGN_IN_FAILED, user=lead) is not None
    c.post(
        reverse("two_factor_setup"),
        {"name": "Tablet", "code": code(device), "password": PASSWORD},
    )
    assert [d.name for d in twofactor.factors(lead)] == ["Phone", "Tablet"]


# --- bad codes ---------------------------------------------------------------------------


def test_a_wrong_code_is_refused_and_logged(world, lead):
    authenticator(lead)
    c = password_step("lead")
    response = give(c, "123456")
    assert "That code is not right" in response.content.decode()
    assert c.get(reverse("dashboard")).status_code == 302
    assert last(Kind.FACTOR_FAILED, user=lead) is not None


def test_a_code_is_accepted_once_only(world, lead):
    device = authenticator(lead)
    first = password_step("lead")
    value = code(device)
    assert give(first, value).status_code == 302
    second = password_step("lead")
    assert "not right" in give(second, value).content.decode()
    assert second.get(reverse("dashboard")).status_code == 302


def test_a_code_from_the_previous_window_is_accepted_once_and_then_refused(world, lead, _now):
    device = authenticator(lead)
    earlier = code(device, steps=-1)
    c = password_step("lead")
    assert give(c, earlier).status_code == 302
    again = password_step("lead")
    assert "not right" in give(again, earlier).content.decode()
    assert last(Kind.FACTOR_FAILED, user=lead) is not None


def test_a_recovery_code_signs_in_once_and_is_refused_the_second_time(world, lead):
    authenticator(lead)
    # Issue codes the way the sign-in settings page does, as a verified person.
    verified = password_step("lead")
    give(verified, code(TOTPDevice.objects.get(user=lead)))
    verified.post(reverse("recovery_codes_renew"), {"codes-password": PASSWORD})
    page = verified.get(reverse("two_factor_recovery_codes")).content.decode()
    codes = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4})</code>", page)
    assert len(codes) == 10
    use = password_step("lead")
    assert give(use, codes[0].upper()).status_code == 302  # case and dash do not matter
    assert use.get(reverse("dashboard")).status_code == 200
    assert last(Kind.RECOVERY_CODE_USED, user=lead).detail == "9 left"
    again = password_step("lead")
    assert "not right" in give(again, codes[0]).content.decode()
    assert last(Kind.FACTOR_FAILED, user=lead) is not None


def test_wrong_codes_count_towards_the_lockout_and_it_is_logged(world, lead):
    device = authenticator(lead)
    c = password_step("lead")
    for _ in range(4):
        give(c, "000000")
    locked = give(c, "000000")
    assert "This account is locked" in locked.content.decode()
    assert last(Kind.LOCKED_OUT, user=lead) is not None
    # Signed out, and neither the password nor the right code gets back in.
    assert c.get(reverse("dashboard")).status_code == 302
    again = Client(REMOTE_ADDR="198.51.100.4").post(
        reverse("login"), {"username": "lead", "password": PASSWORD}
    )
    assert "This account is locked" in again.content.decode()
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def test_signing_in_again_with_the_password_does_not_clear_the_count_of_wrong_codes(world, lead):
    authenticator(lead)
    for _ in range(2):
        c = password_step("lead")
        give(c, "000000")
        give(c, "000000")
    c = password_step("lead")
    assert "This account is locked" in give(c, "000000").content.decode()


# --- removing factors ------------------------------------------------------------------------


def test_removing_the_only_factor_of_a_role_that_needs_one_is_refused_and_logged(world, lead):
    device = authenticator(lead)
    c = password_step("lead")
    give(c, code(device))
    response = c.post(reverse("factor_remove", args=[device.pk]), {"password": PASSWORD})
    assert "cannot remove your only one" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert last(Kind.FACTOR_REMOVAL_REFUSED, user=lead) is not None


def test_removing_a_factor_needs_the_password_and_is_logged(world, cvo_a):
    device = authenticator(cvo_a)
    StaticDevice.objects.create(user=cvo_a, name=twofactor.RECOVERY_NAME)
    c = password_step("cvo_a")
    give(c, code(device))
    wrong = c.post(reverse("factor_remove", args=[device.pk]), {"password": "wrong"})
    assert "Your password is not right" in wrong.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    c.post(reverse("factor_remove", args=[device.pk]), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=cvo_a).exists()
    assert not StaticDevice.objects.filter(user=cvo_a).exists()
    assert last(Kind.FACTOR_REMOVED, user=cvo_a) is not None
    assert c.get(reverse("dashboard")).status_code == 200


def test_a_lead_may_remove_one_of_two_factors(world, lead):
    phone, tablet = authenticator(lead), authenticator(lead)
    c = password_step("lead")
    give(c, code(phone))
    c.post(reverse("factor_remove", args=[tablet.pk]), {"password": PASSWORD})
    assert twofactor.factors(lead) == [phone]


# --- the fresh-factor gate ------------------------------------------------------------------


@pytest.fixture
def money(world, lead):
    o = world.orgs
    stream = make_stream(world.home, o["commissioner"], "Home NHS stream")
    approved = make_allocation(
        stream, [(o["cvo_a"], "60000.00", "A"), (o["cvo_b"], "60000.00", "B")], by=lead
    )
    draft = make_allocation(
        stream,
        [(o["cvo_a"], "50000.00", "A"), (o["cvo_b"], "70000.00", "B")],
        approved=False,
        revision=2,
    )
    payment = make_payment(approved, o["cvo_a"], "1000.00", datetime.date(2026, 7, 31), by=lead)
    return {"draft": draft, "payment": payment}


def sensitive_acts(world, money):
    cvo_a = world.users["cvo_a"]
    assignment = cvo_a.role_assignments.get()
    return {
        "approve a payment": (
            reverse("funding:payment_approve", args=[money["payment"].pk]),
            {"reason": ""},
            lambda: Payment.objects.get(pk=money["payment"].pk).status == "approved",
        ),
        "approve an allocation": (
            reverse("funding:allocation_approve", args=[money["draft"].pk]),
            {"reason": ""},
            lambda: Allocation.objects.get(pk=money["draft"].pk).is_approved,
        ),
        "give a role": (
            reverse("consortium:person_detail", args=[cvo_a.pk]),
            {"organisation": world.orgs["cvo_b"].pk, "role": "cvo_manager"},
            lambda: RoleAssignment.objects.filter(user=cvo_a).count() == 2,
        ),
        "remove a role": (
            reverse("consortium:role_revoke", args=[assignment.pk]),
            {"reason": "Left"},
            lambda: not RoleAssignment.objects.filter(pk=assignment.pk).exists(),
        ),
    }


@pytest.mark.parametrize(
    "act", ["approve a payment", "approve an allocation", "give a role", "remove a role"]
)
def test_a_sensitive_act_asks_for_a_fresh_code_when_the_last_is_older_than_the_setting(
    world, lead, money, act, _now
):
    device = authenticator(lead)
    url, data, done = sensitive_acts(world, money)[act]
    c = password_step("lead")
    give(c, code(device))
    _now.shift(datetime.timedelta(minutes=16))
    refused = c.post(url, data)
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("two_factor_verify"))
    assert "fresh=1" in refused["Location"]
    assert not done()
    page = c.get(refused["Location"]).content.decode()
    assert "Confirm it is you" in page
    back = give(c, code(device), url)
    assert back["Location"] == url
    assert c.post(url, data).status_code == 302
    assert done()


def test_a_code_given_within_the_setting_lets_a_sensitive_act_through(world, lead, money, _now):
    device = authenticator(lead)
    url, data, done = sensitive_acts(world, money)["approve a payment"]
    c = password_step("lead")
    give(c, code(device))
    _now.shift(datetime.timedelta(minutes=14))
    assert c.post(url, data).status_code == 302
    assert done()


def test_the_fresh_factor_window_is_a_setting(world, lead, money, settings, _now):
    settings.CONCORD_FRESH_FACTOR_MINUTES = 5
    device = authenticator(lead)
    url, data, done = sensitive_acts(world, money)["approve a payment"]
    c = password_step("lead")
    give(c, code(device))
    _now.shift(datetime.timedelta(minutes=6))
    assert c.post(url, data)["Location"].startswith(reverse("two_factor_verify"))


def test_the_fresh_factor_decorator_guards_any_view(rf, world, lead):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    @twofactor.fresh_factor_required(methods=("POST",))
    def sign_off(request):
        return HttpResponse("signed off")

    device = authenticator(lead)
    request = rf.post("/packs/1/sign-off/")
    request.user = lead
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    lead.is_verified = lambda: False
    assert sign_off(request).status_code == 302
    twofactor.verify_session(request, device)
    lead.is_verified = lambda: True
    assert sign_off(request).content == b"signed off"
    assert sign_off(rf.get("/packs/1/sign-off/")).content == b"signed off"


def test_a_person_who_may_not_act_still_gets_404_not_a_request_for_a_code(
    world, cvo_a, money, _now
):
    device = authenticator(cvo_a)
    c = password_step("cvo_a")
    give(c, code(device))
    _now.shift(datetime.timedelta(hours=1))
    url, data, _ = sensitive_acts(world, money)["approve a payment"]
    assert c.post(url, data).status_code == 404


def test_the_payment_total_is_untouched_by_a_refused_act(world, lead, money, _now):
    device = authenticator(lead)
    c = password_step("lead")
    give(c, code(device))
    _now.shift(datetime.timedelta(minutes=30))
    url, data, _ = sensitive_acts(world, money)["approve a payment"]
    c.post(url, data)
    assert Payment.objects.get(pk=money["payment"].pk).amount == D("1000.00")
    assert Payment.objects.get(pk=money["payment"].pk).status != "approved"


# --- the demo -------------------------------------------------------------------------------


def test_demo_code_prints_the_code_a_demo_users_authenticator_accepts(world, lead, settings):
    from io import StringIO

    from django.core.management import call_command

    from demo.consortium import demo_authenticator

    device = demo_authenticator(lead)
    out = StringIO()
    call_command("demo_code", "lead", stdout=out)
    assert device.verify_token(out.getvalue().strip())
    settings.PRODUCTION = True
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo_code", "lead", stdout=StringIO())


def test_the_code_page_shows_a_demo_users_current_code_outside_production(
    world, lead, cvo_a, settings
):
    from demo.consortium import demo_authenticator

    device = demo_authenticator(lead)
    c = Client()
    c.force_login(lead)
    page = c.get(reverse("two_factor_verify")).content.decode()
    found = re.search(r"Demo: the current code for this user is <strong>(\d{6})</strong>", page)
    assert found and device.verify_token(found.group(1))
    # Somebody with an authenticator of their own is never shown a code.
    authenticator(cvo_a)
    c.force_login(cvo_a)
    assert "Demo: the current code" not in c.get(reverse("two_factor_verify")).content.decode()
    settings.PRODUCTION = True
    c.force_login(lead)
    assert "Demo: the current code" not in c.get(reverse("two_factor_verify")).content.decode()


def test_production_refuses_to_start_while_a_demo_authenticator_exists(world, lead, settings):
    from django.core.exceptions import ImproperlyConfigured

    from demo.consortium import demo_authenticator

    settings.PRODUCTION = True
    twofactor.refuse_demo_authenticators_in_production()  # none yet: it starts
    demo_authenticator(lead)
    with pytest.raises(ImproperlyConfigured, match="1 demo authenticator exists"):
        twofactor.refuse_demo_authenticators_in_production()
    settings.PRODUCTION = False
    twofactor.refuse_demo_authenticators_in_production()  # the demo itself runs


# --- an administrator resets a lost factor ---------------------------------------------------


def test_an_administrator_resets_the_factors_of_a_person_who_lost_them(world, admin_user, lead):
    phone = authenticator(lead)
    StaticDevice.objects.create(user=lead, name=twofactor.RECOVERY_NAME)
    own = authenticator(admin_user)
    c = password_step("admin")
    give(c, code(own))
    url = reverse("consortium:person_reset_two_factor", args=[lead.pk])
    person_page = c.get(reverse("consortium:person_detail", args=[lead.pk])).content.decode()
    assert f'href="{url}"' in person_page and "1 authenticator app" in person_page
    assert "Reset second factors" in c.get(url).content.decode()
    assert c.post(url, {"reason": ""}).status_code == 200
    assert TOTPDevice.objects.filter(pk=phone.pk).exists()
    done = c.post(url, {"reason": "Lost phone; checked by video call"})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=lead).exists()
    assert not StaticDevice.objects.filter(user=lead).exists()
    entry = last(Kind.FACTOR_REMOVED, user=admin_user)
    assert "lead" in entry.detail and "video call" in entry.detail
    # At their next sign-in the lead sets up a new authenticator.
    again = password_step("lead")
    assert again.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_setup"))


def test_resetting_factors_asks_the_administrator_for_a_fresh_code(world, admin_user, lead, _now):
    own = authenticator(admin_user)
    c = password_step("admin")
    give(c, code(own))
    _now.shift(datetime.timedelta(minutes=20))
    url = reverse("consortium:person_reset_two_factor", args=[lead.pk])
    assert c.post(url, {"reason": "Lost phone"})["Location"].startswith(
        reverse("two_factor_verify")
    )


@pytest.mark.parametrize("role", ["lead", "cvo_a", "commissioner"])
def test_only_an_administrator_resets_another_persons_factors(client, world, role):
    client.force_login(world.users[role])
    url = reverse("consortium:person_reset_two_factor", args=[world.users["supervisor"].pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
