"""Passkeys and security keys (WebAuthn) as a second factor: adding one (password again,
named, logged, recovery codes with a first factor), signing in with one after the password,
the fresh-factor gate, failures counting towards the lockout, removing one (never the last
factor of a role that needs one), and nobody reaching another person's credential.

The ceremonies run for real against django-otp-webauthn's endpoints: tests.webauthn.SoftPasskey
signs as an authenticator would, and the server verifies the signatures."""

import datetime
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from consortium import twofactor
from consortium.models import SecurityEvent
from funding.models import Payment
from sample import PASSWORD, make_allocation, make_payment, make_stream
from tests.conftest import VerifiedClient
from tests.test_security_two_factor import authenticator, code, give, last, password_step
from tests.webauthn import SoftPasskey, b64url

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
NOW = datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC)

BEGIN_REGISTRATION = "otp_webauthn:credential-registration-begin"
COMPLETE_REGISTRATION = "otp_webauthn:credential-registration-complete"
BEGIN_AUTHENTICATION = "otp_webauthn:credential-authentication-begin"
COMPLETE_AUTHENTICATION = "otp_webauthn:credential-authentication-complete"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def money(world, lead):
    o = world.orgs
    stream = make_stream(world.home, o["commissioner"], "Home NHS stream")
    approved = make_allocation(
        stream, [(o["cvo_a"], "60000.00", "A"), (o["cvo_b"], "60000.00", "B")], by=lead
    )
    payment = make_payment(approved, o["cvo_a"], "1000.00", datetime.date(2026, 7, 31), by=lead)
    return payment


def post_json(c, name, data=None, query=""):
    return c.post(
        reverse(name) + query,
        json.dumps(data or {}),
        content_type="application/json",
    )


def add_passkey(c, passkey, *, name="Laptop", password=PASSWORD):
    """Add `passkey` through the pages and the registration ceremony; returns the answer of
    the ceremony's last step."""
    page = c.post(reverse("passkey_add"), {"name": name, "password": password})
    assert page.status_code == 302, page.content.decode()[:500]
    options = post_json(c, BEGIN_REGISTRATION)
    assert options.status_code == 200, options.content.decode()
    return post_json(c, COMPLETE_REGISTRATION, passkey.register(options.json()))


def enrol(user, name="Laptop"):
    """`user` adds a passkey from a fully signed-in session; returns it."""
    c = VerifiedClient()
    c.force_login(user)
    passkey = SoftPasskey()
    done = add_passkey(c, passkey, name=name)
    assert done.status_code == 200, done.content.decode()
    return passkey


def use_passkey(c, passkey, *, next_url="", tamper=False):
    options = post_json(c, BEGIN_AUTHENTICATION)
    assert options.status_code == 200, options.content.decode()
    query = f"?next={next_url}" if next_url else ""
    return post_json(
        c, COMPLETE_AUTHENTICATION, passkey.assert_(options.json(), tamper=tamper), query
    )


# --- adding one -----------------------------------------------------------------------------


def test_adding_a_passkey_needs_the_password_again_and_names_and_logs_it(world, lead, client):
    client.force_login(lead)
    recovery = StaticDevice.objects.create(user=lead, name=twofactor.RECOVERY_NAME)
    recovery.token_set.create(token="abcd2345")
    # Without the password on the Add page, the ceremony does not even start.
    refused = post_json(client, BEGIN_REGISTRATION)
    assert refused.status_code == 403
    wrong = client.post(reverse("passkey_add"), {"name": "Laptop", "password": "not-it"})
    assert "Your password is not right" in wrong.content.decode()
    assert post_json(client, BEGIN_REGISTRATION).status_code == 403

    passkey = SoftPasskey()
    done = add_passkey(client, passkey, name="Work laptop")
    assert done.status_code == 200
    assert done.json()["redirect_url"] == reverse("account_security")
    device = WebAuthnCredential.objects.get(user=lead)
    assert device.name == "Work laptop" and device.confirmed
    assert last(Kind.FACTOR_ADDED, user=lead).detail == "Passkey: Work laptop"
    page = client.get(reverse("account_security")).content.decode()
    assert "Work laptop" in page
    assert reverse("passkey_remove", args=[device.pk]) in page
    # The password given once allowed one passkey, not another.
    assert post_json(client, BEGIN_REGISTRATION).status_code == 403


def test_a_first_factor_that_is_a_passkey_comes_with_recovery_codes(world, cvo_a):
    c = Client()
    c.force_login(cvo_a)  # a CVO manager signs in with a password alone
    done = add_passkey(c, SoftPasskey())
    assert done.status_code == 200
    assert done.json()["redirect_url"] == reverse("two_factor_recovery_codes")
    assert twofactor.recovery_codes_left(cvo_a) == twofactor.RECOVERY_COUNT
    assert c.get(reverse("two_factor_recovery_codes")).status_code == 200
    # From now on the passkey is asked for after the password.
    again = password_step("cvo_a")
    assert again.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_verify"))


def test_a_person_with_a_factor_adds_a_passkey_only_after_giving_it(world, lead):
    authenticator(lead)
    c = password_step("lead")
    page = c.get(reverse("passkey_add"))
    assert page["Location"].startswith(reverse("two_factor_verify"))
    assert post_json(c, BEGIN_REGISTRATION).status_code == 403
    assert not WebAuthnCredential.objects.filter(user=lead).exists()


# --- signing in with one --------------------------------------------------------------------


def test_a_passkey_completes_the_sign_in_like_a_code(world, lead):
    passkey = enrol(lead)
    c = password_step("lead")
    verify = c.get(reverse("dashboard"))["Location"]
    page = c.get(verify).content.decode()
    assert 'id="passkey-verification-button"' in page
    assert 'id="otp_webauthn_config" type="application/json"' in page
    done = use_passkey(c, passkey, next_url=reverse("funding:payment_list"))
    assert done.status_code == 200, done.content.decode()
    assert done.json()["redirect_url"] == reverse("funding:payment_list")
    assert c.session[twofactor.FACTOR_AT] == NOW.timestamp()
    assert c.get(reverse("dashboard")).status_code == 200
    entry = last(Kind.FACTOR_VERIFIED, user=lead)
    assert entry.detail == "Passkey: Laptop"
    assert WebAuthnCredential.objects.get(user=lead).last_used_at is not None


def test_the_code_box_stays_and_no_passkey_is_offered_to_a_person_without_one(world, lead):
    device = authenticator(lead)
    c = password_step("lead")
    page = c.get(reverse("two_factor_verify")).content.decode()
    assert 'name="code"' in page
    assert "passkey-verification-button" not in page
    give(c, code(device))
    assert c.get(reverse("dashboard")).status_code == 200


def test_a_passkey_answers_the_fresh_factor_gate(world, lead, money, _now):
    passkey = enrol(lead)
    url = reverse("funding:payment_approve", args=[money.pk])
    data = {"reason": ""}

    def done():
        return Payment.objects.get(pk=money.pk).status == "approved"

    c = password_step("lead")
    assert use_passkey(c, passkey).status_code == 200
    _now.shift(datetime.timedelta(minutes=16))
    refused = c.post(url, data)
    assert "fresh=1" in refused["Location"]
    page = c.get(refused["Location"]).content.decode()
    assert "Confirm it is you" in page and "passkey-verification-button" in page
    assert not done()
    back = use_passkey(c, passkey, next_url=url)
    assert back.json()["redirect_url"] == url
    assert c.post(url, data).status_code == 302
    assert done()


def test_a_failed_passkey_is_logged_and_counts_towards_the_lockout(world, lead, settings):
    passkey = enrol(lead)
    c = password_step("lead")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        failed = use_passkey(c, passkey, tamper=True)
        assert failed.status_code == 422
    assert last(Kind.FACTOR_FAILED, user=lead).detail.startswith("Passkey")
    locked = use_passkey(c, passkey, tamper=True)
    assert locked.status_code == 429
    # Signed out; signing in again with the password still finds the account locked.
    assert c.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
    again = Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="ConcordTest")
    response = again.post(reverse("login"), {"username": "lead", "password": PASSWORD})
    assert "This account is locked" in response.content.decode()


def test_a_good_passkey_clears_the_count_of_failures(world, lead, settings):
    passkey = enrol(lead)
    c = password_step("lead")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        use_passkey(c, passkey, tamper=True)
    assert use_passkey(c, passkey).status_code == 200
    c2 = password_step("lead")
    assert use_passkey(c2, passkey, tamper=True).status_code == 422


def test_a_passkey_of_a_person_in_another_consortium_is_not_usable(world, lead):
    theirs = enrol(world.users["outsider"], name="Outsider's key")
    enrol(lead)
    c = password_step("lead")
    # The browser is offered only the lead's own credentials…
    options = post_json(c, BEGIN_AUTHENTICATION).json()
    offered = {item["id"] for item in options["allowCredentials"]}
    outsider_key = WebAuthnCredential.objects.get(user=world.users["outsider"])
    mine = bytes(WebAuthnCredential.objects.get(user=lead).credential_id)
    assert offered == {b64url(mine)}
    # …and an answer signed with somebody else's passkey is refused as not found, counted.
    refused = post_json(c, COMPLETE_AUTHENTICATION, theirs.assert_(options))
    assert refused.status_code == 404
    assert last(Kind.FACTOR_FAILED, user=lead).detail == "Passkey: not_found"
    assert c.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_verify"))
    outsider_key.refresh_from_db()
    assert outsider_key.last_used_at is None


def test_a_passkey_is_no_way_to_sign_in_without_the_password(world, lead):
    passkey = enrol(lead)
    c = Client()
    begin = post_json(c, BEGIN_AUTHENTICATION)
    assert begin.status_code == 302 and reverse("login") in begin["Location"]
    assert c.get(reverse("dashboard")).status_code == 302
    assert passkey.sign_count == 0


# --- removing one ---------------------------------------------------------------------------


def test_removing_the_only_factor_of_a_role_that_needs_one_is_refused_even_a_passkey(world, lead):
    passkey = enrol(lead)
    TOTPDevice.objects.filter(user=lead).delete()  # the passkey is the lead's only factor
    c = password_step("lead")
    assert use_passkey(c, passkey).status_code == 200
    device = WebAuthnCredential.objects.get(user=lead)
    response = c.post(reverse("passkey_remove", args=[device.pk]), {"password": PASSWORD})
    assert response.status_code == 200
    assert "cannot remove your only one" in response.content.decode()
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert last(Kind.FACTOR_REMOVAL_REFUSED, user=lead).detail == "Passkey: Laptop"


def test_removing_a_passkey_needs_the_password_and_is_logged(world, lead, client):
    enrol(lead)
    client.force_login(lead)
    device = WebAuthnCredential.objects.get(user=lead)
    url = reverse("passkey_remove", args=[device.pk])
    wrong = client.post(url, {"password": "not-it"})
    assert "Your password is not right" in wrong.content.decode()
    done = client.post(url, {"password": PASSWORD})
    assert done.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert last(Kind.FACTOR_REMOVED, user=lead).detail == "Passkey: Laptop"


def test_nobody_reaches_another_persons_passkey(world, lead, admin_user, client):
    enrol(lead)
    device = WebAuthnCredential.objects.get(user=lead)
    client.force_login(admin_user)
    url = reverse("passkey_remove", args=[device.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"password": PASSWORD}).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()


def test_an_administrator_reset_removes_passkeys_too(world, admin_user, lead):
    enrol(lead)
    removed = twofactor.reset_factors(by=admin_user, user=lead, reason="Lost laptop; called")
    assert removed >= 1
    assert not WebAuthnCredential.objects.filter(user=lead).exists()
    assert "1 passkey" in last(Kind.FACTOR_REMOVED, user=admin_user).detail


def test_the_admin_shows_an_administrator_the_passkeys_of_their_consortium_only_to_read(
    world, lead, admin_user, client
):
    enrol(lead, name="Lead's laptop")
    enrol(world.users["outsider"], name="Outsider's key")
    client.force_login(admin_user)
    listing = client.get(reverse("admin:django_otp_webauthn_webauthncredential_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Lead&#x27;s laptop" in text and "Outsider" not in text
    theirs = WebAuthnCredential.objects.get(user=world.users["outsider"])
    mine = WebAuthnCredential.objects.get(user=lead)
    change = "admin:django_otp_webauthn_webauthncredential_change"
    assert client.get(reverse(change, args=[theirs.pk])).status_code == 404
    assert client.post(reverse(change, args=[mine.pk]), {"name": "Renamed"}).status_code == 403
    delete = "admin:django_otp_webauthn_webauthncredential_delete"
    assert client.post(reverse(delete, args=[mine.pk]), {"post": "yes"}).status_code == 403
    mine.refresh_from_db()
    assert mine.name == "Lead's laptop"
