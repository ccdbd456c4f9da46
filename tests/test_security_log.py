"""The security log: sign-ins, failures, lockouts, password resets and changes, role changes,
exports and out-of-scope requests, each with who, when and from where; administrators read
their consortium's log, filter it and download it; nobody edits it."""

import io

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from consortium.models import SecurityEvent
from sample import PASSWORD

Kind = SecurityEvent.Kind
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) ConcordTest/1.0"


def browser(ip="203.0.113.7"):
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER)


def last(kind, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters).order_by("-id").first()


@pytest.mark.django_db
def test_a_sign_in_is_logged_with_who_when_the_address_and_the_browser(world, cvo_a):
    c = browser()
    c.post(reverse("login"), {"username": "cvo_a", "password": PASSWORD})
    entry = last(Kind.SIGNED_IN)
    assert entry.user == cvo_a
    assert entry.consortium == world.home
    assert entry.ip_address == "203.0.113.7"
    assert entry.user_agent == BROWSER
    assert entry.at is not None


@pytest.mark.django_db
def test_a_failed_sign_in_is_logged_with_the_username_typed(world, lead):
    browser().post(reverse("login"), {"username": "lead", "password": "not-the-password"})
    entry = last(Kind.SIGN_IN_FAILED)
    assert entry.username == "lead" and entry.user == lead
    assert entry.consortium == world.home
    browser().post(reverse("login"), {"username": "nobody-here", "password": "x"})
    stranger = last(Kind.SIGN_IN_FAILED)
    assert stranger.username == "nobody-here" and stranger.consortium is None


@pytest.mark.django_db
def test_a_lockout_is_logged(world, cvo_a):
    c = browser()
    for _ in range(5):
        c.post(reverse("login"), {"username": "cvo_a", "password": "wrong-password-1"})
    entry = last(Kind.LOCKED_OUT)
    assert entry is not None and entry.user == cvo_a


@pytest.mark.django_db
def test_signing_out_is_logged(world, cvo_a):
    c = browser()
    c.post(reverse("login"), {"username": "cvo_a", "password": PASSWORD})
    c.post(reverse("logout"))
    assert last(Kind.SIGNED_OUT, user=cvo_a) is not None


@pytest.mark.django_db
def test_a_password_reset_request_and_its_use_are_logged(world, cvo_a):
    c = browser()
    c.post(reverse("password_reset"), {"email": cvo_a.email})
    assert last(Kind.PASSWORD_RESET_REQUESTED, user=cvo_a) is not None
    link = next(w for w in mail.outbox[-1].body.split() if "/account/reset/" in w)
    form = c.get(link, follow=True)
    new = "a-brand-new-passphrase-42"
    c.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert last(Kind.PASSWORD_RESET, user=cvo_a) is not None


@pytest.mark.django_db
def test_password_reset_emails_are_throttled_per_address(world, cvo_a, settings):
    settings.CONCORD_PASSWORD_RESETS_PER_ADDRESS = 3
    for i in range(5):
        # From different clients: the limit is the address's, whoever asks.
        response = browser(ip=f"203.0.113.{10 + i}").post(
            reverse("password_reset"), {"email": cvo_a.email.upper()}
        )
        assert response.status_code == 302  # the same answer whether sent or not
    assert len(mail.outbox) == 3
    refused = SecurityEvent.objects.filter(
        kind=Kind.PASSWORD_RESET_REQUESTED, detail__contains="not sent"
    )
    assert refused.count() == 2


@pytest.mark.django_db
def test_password_reset_requests_are_throttled_per_client(world, cvo_a, cvo_b, lead, settings):
    settings.CONCORD_PASSWORD_RESETS_PER_CLIENT = 2
    c = browser(ip="198.51.100.9")
    for user in (cvo_a, cvo_b, lead):
        c.post(reverse("password_reset"), {"email": user.email})
    assert [m.to for m in mail.outbox] == [[cvo_a.email], [cvo_b.email]]
    # Another client is not held back by the first one's requests.
    browser(ip="198.51.100.10").post(reverse("password_reset"), {"email": lead.email})
    assert mail.outbox[-1].to == [lead.email]


@pytest.mark.django_db
def test_a_password_change_is_logged(client, world, cvo_a):
    client.force_login(cvo_a)
    new = "another-long-passphrase-77"
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert last(Kind.PASSWORD_CHANGED, user=cvo_a) is not None


@pytest.mark.django_db
def test_giving_and_removing_a_role_are_logged_with_who_did_it(client, world, lead, cvo_a):
    client.force_login(lead)
    client.post(
        reverse("consortium:person_detail", args=[cvo_a.pk]),
        {"organisation": world.orgs["cvo_b"].pk, "role": "supervisor"},
    )
    given = last(Kind.ROLE_GIVEN)
    assert given.user == lead and "cvo_a" in given.detail and "Clinical supervisor" in given.detail
    assignment = cvo_a.role_assignments.get(role="supervisor")
    client.post(
        reverse("consortium:role_revoke", args=[assignment.pk]), {"reason": "Given by mistake"}
    )
    removed = last(Kind.ROLE_REMOVED)
    assert removed.user == lead and "Given by mistake" in removed.detail
    assert removed.consortium == world.home


@pytest.mark.django_db
def test_an_export_of_personal_data_is_logged(client, world, lead):
    client.force_login(lead)
    response = client.get(reverse("supervision:staff_list"), {"export": "xlsx"})
    assert response.status_code == 200
    entry = last(Kind.EXPORT)
    assert entry.user == lead and "xlsx" in entry.detail


@pytest.mark.django_db
def test_the_compliance_export_is_logged(client, world, lead):
    client.force_login(lead)
    response = client.get(reverse("supervision:compliance"), {"export": "xlsx"})
    assert response.status_code == 200
    assert "supervision-compliance" in last(Kind.EXPORT, user=lead).detail


@pytest.mark.django_db
def test_asking_for_an_object_out_of_scope_is_logged_and_answers_404(client, world, cvo_a):
    client.force_login(cvo_a)
    other = world.orgs["away_cvo"]
    url = reverse("consortium:organisation_detail", args=[other.pk])
    assert client.get(url).status_code == 404
    entry = last(Kind.OUT_OF_SCOPE)
    assert entry.user == cvo_a and f"pk={other.pk}" in entry.detail
    assert entry.path == url


@pytest.mark.django_db
def test_a_page_the_role_may_not_open_is_logged_as_out_of_scope(client, world, cvo_a):
    client.force_login(cvo_a)
    assert client.get(reverse("consortium:organisation_create")).status_code == 404
    assert last(Kind.OUT_OF_SCOPE, user=cvo_a).path == reverse("consortium:organisation_create")


@pytest.mark.django_db
def test_an_object_that_does_not_exist_at_all_is_not_logged_as_out_of_scope(client, world, lead):
    client.force_login(lead)
    assert client.get(reverse("consortium:organisation_detail", args=[999999])).status_code == 404
    assert last(Kind.OUT_OF_SCOPE) is None


@pytest.mark.django_db
def test_an_administrator_reads_filters_and_downloads_their_consortiums_log(
    client, world, admin_user, lead, outsider
):
    browser().post(reverse("login"), {"username": "lead", "password": "wrong"})
    browser().post(reverse("login"), {"username": "outsider", "password": "wrong"})
    client.force_login(admin_user)
    url = reverse("consortium:security_log")
    page = client.get(url, {"kind": Kind.SIGN_IN_FAILED}).content.decode()
    assert "203.0.113.7" in page and ">lead<" in page
    assert "outsider" not in page  # another consortium's log
    xlsx = client.get(url, {"kind": Kind.SIGN_IN_FAILED, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.getvalue())).active.values)
    assert rows[0][:3] == ("When", "Kind", "Who")
    assert [r[2] for r in rows[1:]] == ["lead"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["lead", "cvo_a", "supervisor", "commissioner"])
def test_nobody_but_an_administrator_opens_the_security_log(client, world, role):
    client.force_login(world.users[role])
    assert client.get(reverse("consortium:security_log")).status_code == 404


@pytest.mark.django_db
def test_the_admin_site_offers_no_way_to_change_the_security_log(client, world, admin_user):
    from django.contrib import admin

    assert SecurityEvent not in admin.site._registry
