import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scope
from django_scopes.exceptions import ScopeError
from openpyxl import load_workbook

from consortium.models import Consortium, Event, Organisation, RoleAssignment, Site
from consortium.xlsx import put, safe_cell_value

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = ("consortium", "funding", "contracts", "supervision", "risks")
# Append-only records of history itself.
# The record of history itself (events, the audit chain, the security log) is append-only and
# keeps no history of its own.
WITHOUT_HISTORY = {
    "consortium.Event",
    "consortium.AuditEntry",
    "consortium.AuditHead",
    "consortium.SecurityEvent",
    # Which reminders were sent, and the daily digests: a record of sending, never edited.
    "consortium.ReminderSent",
    "consortium.ReminderDigest",
    # A file prepared for one person and deleted after a day; asking for it and fetching it
    # are in the security log.
    "consortium.PreparedDownload",
    # API keys: making, revoking, refusing and using one from a new address are in the
    # security log (who, when, from where); the key itself is never kept. A POST's answer kept
    # for a day so that a retry gets it again.
    "consortium.ApiToken",
    "consortium.ApiRequest",
    # Compliance worked out from sessions, leave and requirements (which keep history), and the
    # month it was last brought up to: derived, rewritten whenever its sources change.
    "supervision.ComplianceMonth",
    "supervision.ComplianceRefresh",
    # Each subcontract's latest approved return: derived from the returns (which keep history),
    # rewritten whenever one is approved, locked or reopened.
    "contracts.LatestReturn",
    # The token a cached figure is kept under, changed by every write to its inputs.
    "consortium.FigureVersion",
}


def test_every_model_keeps_history():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model.__name__.startswith("Historical"):
            continue
        if model._meta.label not in WITHOUT_HISTORY and not hasattr(model, "history"):
            missing.append(model._meta.label)
    assert missing == []
    from django.contrib.auth import get_user_model

    assert hasattr(get_user_model(), "history")


@pytest.mark.django_db
def test_an_unscoped_query_outside_a_request_is_refused():
    with scope(consortium=[]):
        pass
    from django_scopes.state import state

    token = state.set({"_enabled": True})
    try:
        with pytest.raises(ScopeError):
            list(Organisation.objects.all())
    finally:
        state.reset(token)


@pytest.mark.django_db
def test_queries_are_fenced_to_the_active_consortium(world):
    with scope(consortium=[world.home.pk]):
        names = set(Organisation.objects.values_list("name", flat=True))
    assert "CVO Alpha" in names
    assert not any(world.SENTINEL in n for n in names)


@pytest.mark.django_db
def test_history_records_who_changed_what(client, world, lead):
    client.force_login(lead)
    org = world.orgs["cvo_a"]
    response = client.post(
        reverse("consortium:organisation_edit", args=[org.pk]),
        {
            "name": "CVO Alpha Renamed",
            "kind": "cvo",
            "role": "subcontractor",
            "expected_version": org.version,
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    record = org.history.first()
    assert record.history_user == lead
    page = client.get(reverse("history", args=["consortium.Organisation", org.pk]))
    text = page.content.decode()
    assert "CVO Alpha Renamed" in text and "CVO Alpha" in text
    assert lead.get_full_name() in text


@pytest.mark.django_db
def test_a_stale_edit_is_refused_and_the_newer_one_kept(client, world, lead, admin_user):
    org = world.orgs["cvo_a"]
    url = reverse("consortium:organisation_edit", args=[org.pk])
    start = org.version
    client.force_login(admin_user)
    first = client.post(
        url,
        {"name": "First edit", "kind": "cvo", "role": "subcontractor", "expected_version": start},
    )
    assert first.status_code == 302
    client.force_login(lead)
    second = client.post(
        url,
        {"name": "Second edit", "kind": "cvo", "role": "subcontractor", "expected_version": start},
        follow=True,
    )
    org.refresh_from_db()
    assert org.name == "First edit"
    assert "Somebody else saved this record" in second.content.decode()


@pytest.mark.django_db
def test_only_leads_and_administrators_change_setup(client, world, cvo_a):
    client.force_login(cvo_a)
    response = client.post(
        reverse("consortium:organisation_create"),
        {"name": "Sneaky", "kind": "cvo", "role": "subcontractor"},
    )
    assert response.status_code == 404
    assert not Organisation.objects.filter(name="Sneaky").exists()


@pytest.mark.django_db
def test_adding_an_organisation_adds_its_membership_and_an_event(client, world, lead):
    client.force_login(lead)
    response = client.post(
        reverse("consortium:organisation_create"),
        {"name": "New Housing CVO", "kind": "cvo", "role": "subcontractor"},
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="New Housing CVO")
    assert org.memberships.get().consortium == world.home
    assert Event.objects.filter(
        object_model="consortium.Organisation",
        object_id=str(org.pk),
        verb="Organisation added",
        by=lead,
    ).exists()


@pytest.mark.django_db
def test_bad_input_shows_plain_errors_and_writes_nothing(client, world, lead):
    client.force_login(lead)
    before = Site.objects.count()
    response = client.post(reverse("consortium:site_create"), {"name": "", "kind": "nonsense"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text and "govuk-error-summary" in text
    assert Site.objects.count() == before


@pytest.mark.django_db
def test_filter_choices_list_only_the_consortiums_objects(client, world, cvo_a):
    client.force_login(cvo_a)
    text = client.get(reverse("consortium:site_list")).content.decode()
    assert "CVO Alpha" in text
    assert world.SENTINEL not in text


@pytest.mark.django_db
def test_a_list_exports_its_filtered_rows_as_xlsx_with_formula_text_kept_as_text(
    client, world, lead
):
    Organisation.objects.filter(pk=world.orgs["cvo_a"].pk).update(name="=HYPERLINK(1)")
    client.force_login(lead)
    response = client.get(reverse("consortium:organisation_list") + "?export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.getvalue()))
    cells = [row[0] for row in wb.active.iter_rows(min_row=2)]
    names = [c.value for c in cells]
    # The name is exactly what was typed, and it is a text cell: no spreadsheet will run it.
    (hyperlink,) = [c for c in cells if c.value == "=HYPERLINK(1)"]
    assert hyperlink.data_type == "s"
    assert all(c.data_type == "s" for c in cells)
    assert not any(world.SENTINEL in n for n in names)
    assert len(names) == 4


def test_text_that_a_spreadsheet_would_run_is_written_as_a_text_cell():
    from openpyxl import Workbook

    ws = Workbook().active
    for i, text in enumerate(("=cmd()", "+cmd", "-cmd", "@cmd", "#N/A", "plain", "="), start=1):
        cell = put(ws, i, 1, text)
        assert cell.value == text
        assert cell.data_type == "s"
    assert safe_cell_value(1.5) == Decimal("1.5")


@pytest.mark.django_db
def test_the_admin_answers_404_for_another_consortiums_object(client, world, admin_user):
    client.force_login(admin_user)
    away = world.orgs["away_cvo"]
    assert client.get(f"/admin/consortium/organisation/{away.pk}/change/").status_code == 404
    listing = client.get("/admin/consortium/organisation/").content.decode()
    assert "CVO Alpha" in listing and world.SENTINEL not in listing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    ["dashboard", "consortium:organisation_list", "consortium:site_list", "consortium:people"],
)
def test_list_query_counts_stay_flat_as_data_grows(
    client, world, lead, url_name, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(lead)
    url = reverse(url_name)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(30):
        org = Organisation.objects.create(name=f"Extra {i}", kind="cvo")
        world.home.memberships.create(organisation=org, role="subcontractor")
        Site.objects.create(
            consortium=world.home, name=f"Site {i}", kind="community_hub", operated_by=org
        )
        from sample import person

        person(f"extra{i}", world.home, org, "cvo_manager")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_an_account_locks_after_five_wrong_passwords(client, world):
    url = reverse("login")
    for _ in range(5):
        client.post(url, {"username": "lead", "password": "wrong-password-1"})
    from sample import PASSWORD

    response = client.post(url, {"username": "lead", "password": PASSWORD})
    assert "This account is locked" in response.content.decode()


@pytest.mark.django_db
def test_the_right_password_signs_in(client, world):
    from sample import PASSWORD

    response = client.post(reverse("login"), {"username": "cvo_a", "password": PASSWORD})
    assert response.status_code == 302
    assert "CVO Alpha" in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_weak_passwords_are_refused(client, world, lead):
    from sample import PASSWORD

    client.force_login(lead)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    assert "too common" in response.content.decode()


@pytest.mark.django_db
def test_the_demo_seeds_idempotently(demo_db):
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    counts = [m.objects.count() for m in (Consortium, Organisation, Site, RoleAssignment)]
    out = io.StringIO()
    call_command("seed_demo", password="demo-password-for-tests", stdout=out)
    assert [m.objects.count() for m in (Consortium, Organisation, Site, RoleAssignment)] == counts
    for username in ("admin", "lead", "cvo1", "cvo2", "supervisor", "commissioner"):
        assert username in out.getvalue()
    cvo_orgs = RoleAssignment.objects.filter(user__username__in=["cvo1", "cvo2"]).values_list(
        "organisation", flat=True
    )
    assert len(set(cvo_orgs)) == 2


def test_production_settings_pass_the_deploy_check():
    """`manage.py check --deploy` passes with production settings, in a process of its own (a
    second Django starting up)."""
    env = dict(os.environ)
    env.update(
        CONCORD_ENV="production",
        CONCORD_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        CONCORD_PSEUDONYM_KEY="p" * 32,
        CONCORD_ALLOWED_HOSTS="concord.example.org",
        CONCORD_AUDIT_KEY="y" * 20 + "a-separate-long-random-audit-key",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = dict(os.environ, CONCORD_ENV="production", CONCORD_ALLOWED_HOSTS="x.org")
    env.pop("CONCORD_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CONCORD_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_sign_in_lockout_turned_off():
    env = dict(os.environ)
    env.update(
        CONCORD_ENV="production",
        CONCORD_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        CONCORD_PSEUDONYM_KEY="p" * 32,
        CONCORD_ALLOWED_HOSTS="concord.example.org",
        CONCORD_AUDIT_KEY="y" * 20 + "a-separate-long-random-audit-key",
        CONCORD_LOGIN_LOCKOUT="false",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CONCORD_LOGIN_LOCKOUT cannot be turned off in production" in result.stderr


@pytest.mark.django_db
def test_the_history_page_query_count_stays_flat(
    client, world, lead, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    site = world.sites["home"]
    url = reverse("history", args=["consortium.Site", site.pk])
    client.force_login(lead)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        site.operated_by = world.orgs["cvo_b" if i % 2 else "cvo_a"]
        site.save_as(by=lead, reason=f"Handover {i}")
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        text = client.get(url).content.decode()
    assert "Handover 9" in text and "CVO Beta" in text


@pytest.mark.django_db
def test_adding_a_person_gives_a_role_and_emails_a_set_password_link(
    client, world, lead, mailoutbox
):
    client.force_login(lead)
    response = client.post(
        reverse("consortium:person_create"),
        {
            "person-first_name": "Nadia",
            "person-last_name": "Ellis",
            "person-email": "nadia@example.org",
            "person-username": "nellis",
            "role-organisation": world.orgs["cvo_a"].pk,
            "role-role": "cvo_manager",
        },
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user__username="nellis")
    assert assignment.organisation == world.orgs["cvo_a"]
    assert len(mailoutbox) == 1 and "nellis" in mailoutbox[0].body
    assert assignment.user.history.get().history_user == lead
    link = next(w for w in mailoutbox[0].body.split() if "/account/reset/" in w)
    client.logout()
    form_page = client.get(link, follow=True)
    assert "Set a new password" in form_page.content.decode()


@pytest.mark.django_db
def test_a_role_in_another_consortiums_organisation_is_refused(client, world, lead):
    client.force_login(lead)
    before = RoleAssignment.objects.count()
    response = client.post(
        reverse("consortium:person_detail", args=[world.users["cvo_a"].pk]),
        {"organisation": world.orgs["away_cvo"].pk, "role": "lead"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert RoleAssignment.objects.count() == before


@pytest.mark.django_db
def test_a_role_is_removed_only_with_a_reason_that_history_keeps(client, world, lead):
    from consortium.models import Event

    client.force_login(lead)
    assignment = world.users["cvo_a"].role_assignments.get()
    url = reverse("consortium:role_revoke", args=[assignment.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert client.post(url, {"reason": "Left the organisation"}).status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = Event.objects.get(verb="Role removed")
    assert event.reason == "Left the organisation" and event.by == lead


@pytest.mark.django_db
def test_the_navigation_groups_pages_by_section(client, world, lead, supervisor):
    import re

    def main_nav(text):
        nav = text.split('aria-label="Main"')[1].split("</nav>")[0]
        return re.findall(r'service-navigation__link"[^>]*>(?:<strong[^>]*>)?([^<]+)<', nav)

    def section_nav(text):
        if 'aria-label="Section"' not in text:
            return []
        nav = text.split('aria-label="Section"')[1].split("</nav>")[0]
        return re.findall(r'sub-navigation__link"[^>]*>([^<]+)<', nav)

    client.force_login(lead)
    page = client.get(reverse("consortium:site_list")).content.decode()
    assert main_nav(page) == [
        "Dashboard",
        "Money",
        "Contracts",
        "Performance",
        "Workforce",
        "Risks",
        "Consortium",
    ]
    assert section_nav(page) == [
        "Organisations",
        "Sites",
        "People and roles",
        "Settings",
        "Import from spreadsheets",
    ]
    client.force_login(supervisor)
    page = client.get(reverse("dashboard")).content.decode()
    # A section with one page for this person is named after the page: of the performance
    # pages a supervisor may open only the indicator library.
    assert "Indicators" in main_nav(page) and "Performance" not in main_nav(page)
    assert section_nav(page) == []


@pytest.mark.django_db
def test_record_writes_the_event_in_the_consortium_its_access_path_names(world, lead):
    from consortium.models import Event

    org = world.orgs["cvo_a"]
    event = world.home.record("Settings changed", by=lead, reason="Tidy", details={"a": 1})
    assert (event.consortium_id, event.object_model, event.by) == (
        world.home.pk,
        "consortium.Consortium",
        lead,
    )
    assert Event.objects.filter(verb="Settings changed", reason="Tidy").count() == 1
    assert org.record("Checked", by=lead).consortium_id == world.home.pk


@pytest.mark.django_db
def test_every_model_is_fenced_by_the_path_its_access_class_names(world):
    from consortium.base import ConcordModel, ConsortiumManager

    for model in apps.get_models():
        if not issubclass(model, ConcordModel):
            continue
        assert isinstance(model._default_manager, ConsortiumManager), model
        with scope(consortium=world.home.pk):
            sql = str(model.objects.all().query)
        assert "consortium" in sql.lower() or model is Consortium, model
        with scope(consortium=world.home.pk):
            assert all(row.consortium_pk() == world.home.pk for row in model.objects.all()[:5])


@pytest.mark.django_db
def test_an_object_out_of_scope_answers_concords_own_page_not_found(client, world, cvo_a):
    client.force_login(cvo_a)
    response = client.get(
        reverse("consortium:organisation_detail", args=[world.orgs["away_lead"].pk])
    )
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text and "Go to your dashboard" in text
    assert world.SENTINEL not in text
    assert 'class="govuk-heading-l"' in text  # the house style, not the server's plain page


def test_a_server_error_answers_concords_own_page_without_touching_the_database():
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    text = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with Concord" in text
    assert "nothing is ever half-saved" in text


@pytest.mark.django_db
def test_an_expired_form_answers_in_plain_english(world):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "lead", "password": "x"}
    )
    assert response.status_code == 403
    assert "Sorry, you will need to start again" in response.content.decode()


def test_production_static_files_collect_with_every_file_the_stylesheets_name(tmp_path):
    """Production stores static files under hashed names and refuses a stylesheet that points
    at a file the build does not hold: the deployment's collectstatic must succeed. It copies
    and hashes every static file, the admin's and GOV.UK's included."""
    from django.core.management import call_command
    from django.test import override_settings

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "build/concord.css" in manifest
    assert "build/assets/images/govuk-crest.svg" in manifest


@pytest.mark.django_db
def test_opening_an_action_address_answers_concords_own_page_not_an_empty_405(client, world, lead):
    client.force_login(lead)
    response = client.get(reverse("outcomes:claim_pay", args=[1]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    text = response.content.decode()
    assert "This address only takes a form" in text and "Go to your dashboard" in text
    assert 'class="govuk-heading-l"' in text
