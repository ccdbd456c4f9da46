"""Day one: a consortium started with `manage.py start_consortium`, its administrator signing
in through the invitation, and every page of the project opened by its administrator, lead
and CVO manager while it holds nothing: no server error, nothing of another consortium, and no
list that is an empty table with headers only."""

import re
from io import BytesIO, StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from consortium import onboarding, services, twofactor
from consortium.models import (
    Consortium,
    Event,
    Membership,
    Organisation,
    Role,
    RoleAssignment,
)
from sample import PASSWORD
from tests.test_access_matrix import all_entries, reverse_entry
from tests.test_security_two_factor import code

pytestmark = pytest.mark.django_db

# Text of the standard world's two consortia that must never show in the new one.
OTHERS = (
    "SENTINEL-AWAY",
    "SENTINEL-B-PRIVATE",
    "Home Consortium",
    "Home Lead Agency",
    "CVO Alpha",
    "CVO Beta",
    "Home Commissioner",
)
# A table with headers and no rows, or whose only row is a sentence across every column.
EMPTY_TABLE = re.compile(
    r"<tbody[^>]*>\s*(<tr[^>]*>\s*<td[^>]*colspan[^>]*>(?:(?!</td>).)*</td>\s*</tr>\s*)?</tbody>",
    re.S,
)


def start(name="Riverside Liaison and Diversion", email="ada@example.org", **kwargs):
    out = StringIO()
    call_command(
        "start_consortium",
        name,
        lead=kwargs.pop("lead", "Riverside Minds"),
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        stdout=out,
        **kwargs,
    )
    consortium = Consortium._base_manager.get(name=name)
    admin = RoleAssignment._base_manager.get(consortium=consortium, role=Role.ADMIN).user
    return consortium, admin, out.getvalue()


def staff_of(consortium, admin):
    """A lead person and a CVO with its manager, added through the pages' services."""
    lead_org = Organisation.objects.get(memberships__consortium=consortium)
    lead = services.person_create(
        by=admin, username="lena", first_name="Lena", last_name="Lead", email="lena@example.org"
    )
    services.role_assign(by=admin, user=lead, organisation=lead_org, role=Role.LEAD)
    cvo = services.organisation_create(
        by=admin,
        consortium=consortium,
        role=Membership.Role.SUBCONTRACTOR,
        name="Harbour Women's Centre",
        kind=Organisation.Kind.CVO,
    )
    manager = services.person_create(
        by=admin, username="cara", first_name="Cara", last_name="Manager", email="c@example.org"
    )
    services.role_assign(by=admin, user=manager, organisation=cvo, role=Role.CVO_MANAGER)
    return {"admin": admin, "lead": lead, "cvo_manager": manager}


# --- starting ------------------------------------------------------------------------------


def test_start_consortium_creates_the_consortium_its_lead_and_its_administrator(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        consortium, admin, said = start()
    assert "Started Riverside Liaison and Diversion with Riverside Minds" in said
    lead = Organisation.objects.get(memberships__consortium=consortium)
    assert lead.kind == Organisation.Kind.LEAD_AGENCY
    assert Membership.objects.get(organisation=lead).role == Membership.Role.LEAD
    assert (admin.username, admin.email, admin.get_full_name()) == (
        "ada@example.org",
        "ada@example.org",
        "Ada Lovelace",
    )
    assert not admin.has_usable_password()
    assert admin.is_staff
    assert Event.objects.filter(consortium=consortium, verb="Consortium started").exists()
    assert consortium.history.get().history_change_reason == "Started from the command line"
    (email,) = mail.outbox
    assert email.to == ["ada@example.org"]
    assert "/account/reset/" in email.body and "second factor" in email.body


def test_a_second_consortium_of_the_same_name_is_refused():
    start()
    with pytest.raises(CommandError, match="A consortium called .* already exists"):
        start(name="RIVERSIDE Liaison and Diversion", email="someone@example.org")
    assert Consortium._base_manager.count() == 1


def test_an_invitation_to_an_address_used_in_another_consortium_names_only_the_new_one(
    world, django_capture_on_commit_callbacks
):
    outsider = world.users["outsider"]
    outsider.email = "shared@example.org"
    outsider.save()
    with django_capture_on_commit_callbacks(execute=True):
        _, admin, said = start(email="shared@example.org", username="riverside-admin")
    assert admin.pk != outsider.pk
    (email,) = mail.outbox
    for text in (email.subject, email.body, said):
        assert world.away.name not in text and "SENTINEL" not in text


def test_only_the_operator_starts_a_consortium_in_the_admin(world, client):
    from django.contrib.auth import get_user_model

    operator = get_user_model().objects.create_superuser("operator", "op@example.org", PASSWORD)
    url = reverse("admin:consortium_consortium_start")
    # A consortium's own administrator (a superuser scoped to it) may not.
    client.force_login(world.users["admin"])
    assert client.get(url).status_code == 404
    client.force_login(operator)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Harbour Consortium",
            "lead_name": "Harbour Trust",
            "first_name": "Hal",
            "last_name": "Admin",
            "email": "hal@example.org",
            "username": "",
        },
    )
    assert response.status_code == 302
    assert Consortium._base_manager.filter(name="Harbour Consortium").exists()
    again = client.post(
        url,
        {
            "name": "harbour consortium",
            "lead_name": "X",
            "first_name": "A",
            "last_name": "B",
            "email": "x@example.org",
        },
    )
    assert "already exists" in again.content.decode()


def sign_in_through_invitation(email, username):
    """A plain client (no shortcut past the second factor) that follows the invitation: sets
    the password, signs in and sets up an authenticator through the pages."""
    link = re.search(r"http://\S+/account/reset/\S+/", email.body).group(0)
    path = link.split("8000", 1)[1]
    c = Client()
    form_page = c.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    new = "a long new password 4 Riverside"
    done = c.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    # The link works once.
    assert "new_password1" not in Client().get(path, follow=True).content.decode()
    response = c.post(reverse("login"), {"username": username, "password": new})
    assert response.status_code == 302
    assert c.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_setup"))
    c.get(reverse("two_factor_setup"))
    device = TOTPDevice(key=c.session[twofactor.PENDING_KEY])
    response = c.post(reverse("two_factor_setup"), {"name": "Phone", "code": code(device)})
    assert response["Location"].startswith(reverse("two_factor_recovery_codes"))
    return c


def test_the_administrator_sets_a_password_then_a_second_factor_through_the_invitation(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _, admin, _ = start()
    c = sign_in_through_invitation(mail.outbox[0], admin.username)
    page = c.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "Getting started" in page.content.decode()


# --- every page, empty ---------------------------------------------------------------------


def crawl(client, users, world, extra_urls=()):
    """Every URL pattern as each person: the pages without arguments (and their download),
    the rest with objects of the standard world's consortia (out of reach: 404) and
    `extra_urls` (the new consortium's own objects). Returns the problems found."""
    problems = []
    urls = set(extra_urls)
    for name, entry in all_entries().items():
        if entry is None or name.startswith("admin") or name in SKIP:
            continue
        for make in (entry.reachable, entry.outside):
            if make is None:
                continue
            try:
                url = entry.url(world) if callable(entry.url) else entry.url
                url = url or reverse_entry(name, make(world))
            except Exception:  # an object this world does not hold
                continue
            urls.add(url)
    for role, user in users.items():
        if isinstance(user, Client):
            browser = user  # signed in already, through the pages
        else:
            browser = client
            browser.force_login(user)
        assert browser.get(reverse("dashboard")).status_code == 200, f"{role} is not signed in"
        for url in sorted(urls):
            for asked in (url, f"{url}{'&' if '?' in url else '?'}export=xlsx"):
                response = browser.get(asked)
                if response.status_code >= 500:
                    problems.append(f"{role} {asked}: {response.status_code}")
                    continue
                text = _text(response)
                problems += [f"{role} {asked}: shows {t!r}" for t in OTHERS if t in text]
                if response.status_code == 200 and EMPTY_TABLE.search(text):
                    problems.append(f"{role} {asked}: an empty table")
                if "Nothing matches these filters" in text:
                    problems.append(f"{role} {asked}: an empty list without its next step")
    return problems


# Pages that end the session or act on it rather than show anything.
SKIP = {"logout", "consortium:switch"}


def _text(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode(errors="ignore")
    return response.content.decode(errors="ignore")


def test_every_page_of_a_new_consortium_works_empty(
    everything, client, django_capture_on_commit_callbacks
):
    """Some 1,500 requests (every URL pattern and its download, as three people): the longest
    test of this module. The administrator crawls signed in through the invitation."""
    with django_capture_on_commit_callbacks(execute=True):
        consortium, admin, _ = start()
    users = staff_of(consortium, admin)
    users["admin"] = sign_in_through_invitation(mail.outbox[0], admin.username)
    problems = crawl(client, users, everything)
    assert not problems, "\n".join(problems)


def test_the_operator_check_refuses_anyone_with_a_role(world):
    assert not onboarding.can_start_consortium(world.users["admin"])
    assert not onboarding.can_start_consortium(world.users["lead"])


def test_approved_activity_downloads_headers_alone_while_there_are_no_indicators(client):
    from openpyxl import load_workbook

    consortium, admin, _ = start()
    users = staff_of(consortium, admin)
    client.force_login(users["lead"])
    page = client.get(reverse("returns:activity")).content.decode()
    assert "No count indicators yet" in page and reverse("returns:indicator_create") in page
    response = client.get(reverse("returns:activity") + "?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(_text_bytes(response))).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Member", "Activity, approved returns"]
    ]


def _text_bytes(response):
    return b"".join(response.streaming_content)


# --- getting started -----------------------------------------------------------------------


def test_the_administrator_and_the_lead_see_the_getting_started_checklist_ticked_from_the_data(
    client,
):
    from consortium.models import Site

    consortium, admin, _ = start()
    users = staff_of(consortium, admin)
    Site.objects.create(consortium=consortium, name="Riverside Magistrates", kind="crown_court")
    for role in ("admin", "lead"):
        page = client_page(client, users[role])
        assert "Getting started" in page
        lines = dict(
            re.findall(
                r'class="govuk-link govuk-task-list__link" href="[^"]+"[^>]*>([^<]+)</a>\s*<div[^>]*>([^<]+)</div>',
                page,
            )
        )
        assert lines == {
            "Organisations and memberships": "2 organisations, 1 member besides the lead",
            "Sites": "1 site",
            "People and roles": "3 people",
            "Staff and posts": "0 staff members, 0 posts",
            "Funding streams": "0 funding streams",
            "Contracts and subcontracts": "0 contracts, 0 subcontracts",
            "Indicators and reporting periods": "0 indicators, 0 reporting periods",
        }
        assert page.count(">Done</div>") == 3
        assert "3 of 7 done" in page
    assert "Getting started" not in client_page(client, users["cvo_manager"])


def test_the_checklist_goes_once_everything_is_in(everything, client):
    assert "Getting started" not in client_page(client, everything.users["lead"])


def client_page(client, user):
    client.force_login(user)
    return client.get(reverse("dashboard")).content.decode()


def test_an_empty_list_names_its_next_step_and_downloads_its_headers(client):
    from openpyxl import load_workbook

    consortium, admin, _ = start()
    users = staff_of(consortium, admin)
    client.force_login(users["lead"])
    page = client.get(reverse("funding:stream_list")).content.decode()
    assert (
        f'No funding streams yet — <a class="govuk-link" href="{reverse("funding:stream_create")}">'
        "add a funding stream</a>, or "
        f'<a class="govuk-link" href="{reverse("consortium:import_upload", args=["funding-streams"])}">'
        "import them from a spreadsheet</a>." in page
    )
    assert "<table" not in page
    response = client.get(reverse("funding:stream_list") + "?export=xlsx")
    rows = list(load_workbook(BytesIO(_text_bytes(response))).active.iter_rows(values_only=True))
    assert len(rows) == 1 and rows[0][0]
    # Somebody who may not take the step is told who does.
    client.force_login(users["cvo_manager"])
    page = client.get(reverse("returns:return_list")).content.decode()
    assert "No performance returns yet." in page
    assert "once the lead sets reporting periods" in page


def test_a_lost_invitation_is_sent_again_only_to_somebody_without_a_password():
    consortium, admin, _ = start()
    mail.outbox.clear()
    out = StringIO()
    call_command("resend_invitation", admin.username, stdout=out)
    (email,) = mail.outbox
    assert email.to == ["ada@example.org"] and "/account/reset/" in email.body
    admin.set_password("a password they chose")
    admin.save()
    with pytest.raises(CommandError, match="has set a password already"):
        call_command("resend_invitation", admin.username, stdout=out)


def test_an_address_that_is_already_a_username_elsewhere_gets_a_username_of_its_own(world):
    outsider = world.users["outsider"]
    outsider.username = "shared@example.org"
    outsider.save()
    _, admin, said = start(email="shared@example.org")
    assert admin.username == "shared@example.org-2"
    assert world.away.name not in said
