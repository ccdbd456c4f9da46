"""The passkey journey, with Chromium's virtual authenticator (a platform passkey with user
verification, driven over the DevTools protocol): the lead adds a passkey from their sign-in
settings, signs out, signs in with password and passkey, and confirms a payment approval with
the passkey when the fresh-factor gate asks. Every page is checked by axe and the content
security policy refuses nothing the passkey scripts need."""

import datetime
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_scopes import scopes_disabled

from consortium import twofactor
from funding.models import Payment
from sample import (
    PASSWORD,
    ConsortiumWorld,
    make_allocation,
    make_payment,
    make_stream,
)
from tests.browser.conftest import LOGIN_PATH, VERIFY_PATH, assert_accessible, login, path_of
from tests.browser.test_security_journey import watch_csp

pytestmark = pytest.mark.browser


def virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def age_the_factor(page):
    """Make the browser's session's last second factor an hour old."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[twofactor.FACTOR_AT] = time.time() - 3600
    session.save()


def test_the_lead_adds_a_passkey_signs_in_with_it_and_confirms_an_approval(
    page, live_server, settings
):
    """A passkey added, used to sign in and to confirm an approval, through Chromium's virtual
    authenticator: several sign-ins and pages in a real browser, each scanned by axe."""
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")  # the relying party is localhost
    refused = watch_csp(page)
    world = ConsortiumWorld.build()
    with scopes_disabled():
        o = world.orgs
        lead = world.users["lead"]
        stream = make_stream(world.home, o["commissioner"], "Home NHS stream")
        allocation = make_allocation(
            stream, [(o["cvo_a"], "60000.00", "A"), (o["cvo_b"], "60000.00", "B")], by=lead
        )
        payment = make_payment(allocation, o["cvo_a"], "1000.00", datetime.date.today(), by=lead)
    cdp, authenticator = virtual_authenticator(page)

    # First sign-in: password, then an authenticator app set up through the pages.
    login(page, live_server, "lead", PASSWORD)
    page.get_by_role("link", name="Sign-in settings").click()
    page.wait_for_load_state()
    assert "You have no passkey" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Add a passkey or security key").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("A name for this passkey").fill("Work laptop")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    button = page.get_by_role("button", name="Add the passkey")
    button.wait_for()
    assert_accessible(page)
    button.click()
    page.wait_for_url("**/account/security/")
    assert "Work laptop" in page.locator("#passkeys").inner_text()
    assert_accessible(page)
    kept = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(kept["credentials"]) == 1
    with scopes_disabled():
        assert WebAuthnCredential.objects.filter(user=lead, name="Work laptop").exists()

    # Sign out, then in again: password, then the passkey instead of a code.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(live_server.url + LOGIN_PATH)
    page.get_by_label("Username", exact=True).fill("lead")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert path_of(page).startswith(VERIFY_PATH)
    assert page.get_by_label("Code", exact=True).is_visible()  # the code box stays
    use = page.get_by_role("button", name="Use a passkey or security key")
    use.wait_for()
    assert_accessible(page)
    use.click()
    page.wait_for_url(live_server.url + "/")
    assert path_of(page) == "/"

    # A sensitive act after the factor has aged: the gate offers the passkey.
    age_the_factor(page)
    page.goto(f"{live_server.url}/funding/payments/{payment.pk}/")
    page.get_by_role("link", name="Approve", exact=True).click()
    page.wait_for_load_state()
    assert path_of(page).startswith(VERIFY_PATH)
    assert page.locator("h1").inner_text() == "Confirm it is you"
    use = page.get_by_role("button", name="Use a passkey or security key")
    use.wait_for()
    assert_accessible(page)
    use.click()
    page.wait_for_url(f"**/funding/payments/{payment.pk}/approve/")
    assert_accessible(page)
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_load_state()
    with scopes_disabled():
        payment.refresh_from_db()
    assert payment.status == Payment.Status.APPROVED
    assert refused == []
    assert page.problems == []


def test_a_browser_without_passkeys_shows_only_the_code_box(page, live_server):
    """A browser without passkeys is offered only the box for a code."""
    refused = watch_csp(page)
    world = ConsortiumWorld.build()
    with scopes_disabled():
        lead = world.users["lead"]
        TOTPDevice.objects.create(user=lead, name="Phone", confirmed=True)
        WebAuthnCredential.objects.create(
            user=lead, name="Laptop", credential_id=b"laptop", public_key=b"-"
        )
    page.add_init_script("delete window.PublicKeyCredential")
    page.goto(live_server.url + LOGIN_PATH)
    page.get_by_label("Username", exact=True).fill("lead")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert path_of(page).startswith(VERIFY_PATH)
    page.wait_for_function("!document.getElementById('passkey-verification-placeholder')")
    assert page.get_by_role("button", name="Use a passkey or security key").count() == 0
    assert page.get_by_label("Code", exact=True).is_visible()
    assert_accessible(page)
    assert refused == []
    assert page.problems == []
