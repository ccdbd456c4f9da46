"""Day one in a real browser, every page checked by axe: `start_consortium` invites the first
administrator, who sets a password and an authenticator through the emailed link, meets the
Getting started checklist and empty lists that name their next step, and imports the
consortium's organisations, people, funding streams and staff from the templates; the lead,
invited by that import, signs in and sees the staff and streams on the dashboard."""

import datetime
import re
from io import BytesIO, StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from openpyxl import load_workbook

from consortium import importing
from consortium.models import RoleAssignment
from tests.browser.conftest import assert_accessible, login, path_of

pytestmark = pytest.mark.browser

PASSWORD = "a long password for day one"


def go(page, url):
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    assert_accessible(page)


def link_in(email):
    return re.search(r"https?://\S+/account/reset/\S+/", email.body).group(0)


def set_password_and_sign_in(page, live_server, email, username):
    go(page, link_in(email))
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password confirmation", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()
    assert_accessible(page)
    login(page, live_server, username, PASSWORD)
    assert path_of(page) == "/", path_of(page)
    assert_accessible(page)


def template_with(kind, user, rows):
    """The kind's template as the person would download it, with `rows` added."""
    wb = load_workbook(BytesIO(importing.template(importing.KINDS[kind], user)))
    for row in rows:
        wb.worksheets[0].append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def import_file(page, live_server, kind, data):
    go(page, f"{live_server.url}/consortium/import/{kind}/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": f"{kind}.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    page.get_by_label("Reason").fill("Moving our records into Concord")
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_load_state()
    banner = page.locator(".govuk-notification-banner--success")
    assert banner.count() and "imported:" in banner.inner_text(), page.locator("main").inner_text()
    assert_accessible(page)


def test_a_consortium_starts_from_nothing_and_imports_its_spreadsheets(page, live_server, settings):
    """The whole day-one walk (start, two invitations, four imports, two people signing in,
    every page through axe): half a minute or more."""
    settings.CONCORD_SITE_URL = live_server.url  # where the people import's invitations point
    call_command(
        "start_consortium",
        "Riverside Liaison and Diversion",
        lead="Riverside Minds",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        site_url=live_server.url,
        stdout=StringIO(),
    )
    (invitation,) = mail.outbox
    set_password_and_sign_in(page, live_server, invitation, "ada@example.org")
    assert page.get_by_role("heading", name=re.compile("Getting started")).is_visible()
    go(page, f"{live_server.url}/funding/streams/")
    assert page.get_by_text("No funding streams yet").is_visible()
    admin = RoleAssignment.objects.get(role="admin").user
    import_file(
        page,
        live_server,
        "organisations",
        template_with(
            "organisations",
            admin,
            [
                ["Harbour Women's Centre", "cvo", "Subcontractor", "", "", ""],
                ["NHS Health and Justice", "commissioner", "Commissioner", "", "", ""],
            ],
        ),
    )
    mail.outbox.clear()
    import_file(
        page,
        live_server,
        "people",
        template_with(
            "people",
            admin,
            [["Lena", "Lead", "lena@example.org", "Riverside Minds", "Consortium lead"]],
        ),
    )
    import_file(
        page,
        live_server,
        "funding-streams",
        template_with(
            "funding-streams",
            admin,
            [
                [
                    "NHS L&D 2026-27",
                    "NHS Health and Justice",
                    "Contract",
                    "450,000.00",
                    datetime.date(2026, 4, 1),
                    datetime.date(2027, 3, 31),
                    "Secured",
                ]
            ],
        ),
    )
    import_file(
        page,
        live_server,
        "staff",
        template_with(
            "staff",
            admin,
            [
                [
                    "Ben",
                    "Barker",
                    "ben@harbour.example.org",
                    "Harbour Women's Centre",
                    None,
                    datetime.date(2025, 9, 1),
                    None,
                    "Mental health nurse",
                    "NMC",
                    "12A3456B",
                    datetime.date(2027, 6, 30),
                    datetime.date(2025, 8, 1),
                    "Yes",
                    "No",
                ]
            ],
        ),
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    (lead_invitation,) = mail.outbox
    assert lead_invitation.to == ["lena@example.org"]
    set_password_and_sign_in(page, live_server, lead_invitation, "lena@example.org")
    checklist = page.locator(".govuk-task-list").inner_text()
    assert "1 staff member" in checklist and "1 funding stream" in checklist
    go(page, f"{live_server.url}/funding/streams/")
    assert page.get_by_role("link", name="NHS L&D 2026-27").is_visible()
    go(page, f"{live_server.url}/workforce/staff/")
    assert page.get_by_role("link", name=re.compile("Ben Barker")).is_visible()
    assert not page.problems, page.problems
