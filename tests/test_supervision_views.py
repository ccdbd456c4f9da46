"""Workforce pages: confidentiality of notes on every path, bad input, access, not deployable,
posts at risk and query budgets."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from consortium.models import Event
from sample import NOTES_SENTINEL, PRIVATE_B, build_workforce, session, staff
from supervision import services
from supervision.models import (
    Post,
    SessionKind,
    SessionNote,
    StaffMember,
    SupervisionSession,
)


@pytest.fixture
def wf(workforce_world):
    return workforce_world


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def xlsx_text(response):
    wb = load_workbook(io.BytesIO(response.getvalue()), read_only=True)
    return " ".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )


NOT_READERS = ["lead", "admin", "cvo_a", "cvo_b", "commissioner"]


# --- confidential notes ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_READERS)
def test_notes_never_show_on_the_session_page_to_anyone_else(client, wf, role):
    url = reverse("supervision:session_detail", args=[wf.extra["sessions"]["a"].pk])
    response = get(client, wf.users[role], url)
    assert NOTES_SENTINEL not in response.content.decode()
    if role in ("lead", "admin", "cvo_a"):
        assert response.status_code == 200
        assert "readable only by the supervisor" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "practitioner"])
def test_the_supervisor_and_the_supervisee_read_the_notes(client, wf, role):
    url = reverse("supervision:session_detail", args=[wf.extra["sessions"]["a"].pk])
    text = get(client, wf.users[role], url).content.decode()
    assert f"{NOTES_SENTINEL} about Alice" in text


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*NOT_READERS, "supervisor"])
def test_notes_are_never_in_exports(client, wf, role):
    for name in ("session_list", "staff_list", "post_list", "compliance"):
        response = get(client, wf.users[role], reverse(f"supervision:{name}"), export="xlsx")
        # Commissioners read no named lists and supervisors no posts: those answer 404.
        closed = (role, name) in {
            ("commissioner", "session_list"),
            ("commissioner", "staff_list"),
            ("supervisor", "post_list"),
        }
        assert response.status_code == (404 if closed else 200)
        if not closed:
            assert NOTES_SENTINEL not in xlsx_text(response)


@pytest.mark.django_db
def test_notes_cannot_be_searched(client, wf):
    url = reverse("supervision:session_list")
    # There is no notes filter; an unknown parameter is ignored, and themes do not match.
    for role in ("lead", "cvo_a", "supervisor"):
        response = get(client, wf.users[role], url, themes=NOTES_SENTINEL)
        assert "0 results" in response.content.decode()
        # Unknown parameters are ignored: the list is unfiltered, and shows no note text.
        everything = get(client, wf.users[role], url).content.decode()
        response = get(client, wf.users[role], url, notes="about Alice", q="about Alice")
        text = response.content.decode()
        assert "about Alice" not in text.replace("about+Alice", "")
        assert text.count("govuk-table__row") == everything.count("govuk-table__row")
    admin_list = reverse("admin:supervision_supervisionsession_changelist")
    response = get(client, wf.users["admin"], admin_list, q=NOTES_SENTINEL)
    assert response.status_code == 200
    assert "0 supervision sessions" in response.content.decode()


@pytest.mark.django_db
def test_notes_are_not_in_the_admin(client, wf):
    s = wf.extra["sessions"]["a"]
    admin = wf.users["admin"]
    page = get(client, admin, reverse("admin:supervision_supervisionsession_change", args=[s.pk]))
    assert page.status_code == 200 and NOTES_SENTINEL not in page.content.decode()
    index = get(client, admin, reverse("admin:index")).content.decode()
    assert "Session notes" not in index
    assert get(
        client, admin, f"/admin/supervision/sessionnote/{s.note.pk}/change/"
    ).status_code in (
        404,
        302,
    )


@pytest.mark.django_db
def test_history_of_notes_is_as_private_as_the_notes(client, wf):
    s = wf.extra["sessions"]["a"]
    services.note_update(by=wf.users["supervisor"], note=s.note, text="Revised wording")
    note_history = reverse("history", args=["supervision.SessionNote", s.note.pk])
    session_history = reverse("history", args=["supervision.SupervisionSession", s.pk])
    for role in NOT_READERS:
        assert get(client, wf.users[role], note_history).status_code == 404
        text = get(client, wf.users[role], session_history).content.decode()
        assert NOTES_SENTINEL not in text and "Revised wording" not in text
    text = get(client, wf.users["supervisor"], note_history).content.decode()
    assert NOTES_SENTINEL in text and "Revised wording" in text


@pytest.mark.django_db
def test_nothing_about_note_content_is_stored_in_session_history_or_events(wf):
    sup = wf.users["supervisor"]
    a1 = wf.extra["staff"]["a1"]
    s = services.session_record(
        by=sup,
        kind=SessionKind.ONE_TO_ONE,
        date=timezone.localdate(),
        attendees=[a1],
        notes="SENTINEL-NOTES written through the service",
        themes="boundaries",
    )
    for record in SupervisionSession.history.filter(id=s.pk).values():
        assert "SENTINEL-NOTES" not in repr(record)
    for event in Event.objects.filter(object_model="supervision.SupervisionSession").values():
        assert "SENTINEL-NOTES" not in repr(event)
    assert SessionNote.objects.get(session=s).text.startswith("SENTINEL-NOTES")


# --- bad input ------------------------------------------------------------------------------


def post_session(client, user, **data):
    client.force_login(user)
    payload = {
        "kind": "one_to_one",
        "date": timezone.localdate().isoformat(),
        "duration_minutes": 60,
        "format": "in_person",
        "status": "held",
        **data,
    }
    return client.post(reverse("supervision:session_create"), payload)


@pytest.mark.django_db
def test_a_session_dated_in_the_future_is_refused(client, wf):
    response = post_session(
        client,
        wf.users["supervisor"],
        attendees=[wf.extra["staff"]["a1"].pk],
        date=(timezone.localdate() + timedelta(days=1)).isoformat(),
    )
    assert "A held session cannot be dated in the future" in response.content.decode()
    assert not SupervisionSession.objects.filter(date__gt=timezone.localdate()).exists()


@pytest.mark.django_db
def test_a_supervisee_outside_the_supervisors_list_is_refused(client, wf):
    response = post_session(client, wf.users["supervisor"], attendees=[wf.extra["staff"]["b"].pk])
    assert "Choose only people on your list of supervisees." in response.content.decode()
    # The service says so too, for any caller.
    outsider = staff(wf.home, wf.orgs["cvo_a"], "Olu", "Other", None, wf.users["supervisor_b"])
    with pytest.raises(Exception) as e:
        services.session_record(
            by=wf.users["supervisor"],
            kind=SessionKind.ONE_TO_ONE,
            date=timezone.localdate(),
            attendees=[outsider],
        )
    assert "Olu Other is not on your list of supervisees" in str(e.value)


@pytest.mark.django_db
def test_an_attendee_from_an_organisation_the_supervisor_does_not_cover_is_refused(wf):
    stray = staff(wf.home, wf.orgs["cvo_b"], "Sid", "Stray", None, wf.users["supervisor"])
    with pytest.raises(Exception) as e:
        services.session_record(
            by=wf.users["supervisor"],
            kind=SessionKind.GROUP,
            date=timezone.localdate(),
            attendees=[wf.extra["staff"]["a1"], stray],
        )
    assert "Sid Stray works for an organisation you do not supervise for" in str(e.value)


@pytest.mark.django_db
def test_a_one_to_one_has_one_supervisee(wf):
    people = [wf.extra["staff"]["a1"], wf.extra["staff"]["a2"]]
    with pytest.raises(Exception) as e:
        services.session_record(
            by=wf.users["supervisor"],
            kind=SessionKind.ONE_TO_ONE,
            date=timezone.localdate(),
            attendees=people,
        )
    assert "A clinical 1:1 has exactly one supervisee" in str(e.value)


@pytest.mark.django_db
def test_overlapping_employment_in_one_post_is_refused(client, wf):
    post = wf.extra["posts"]["a"]
    client.force_login(wf.users["cvo_a"])
    response = client.post(
        reverse("supervision:staff_create"),
        {
            "first_name": "Nia",
            "last_name": "New",
            "organisation": wf.orgs["cvo_a"].pk,
            "post": post.pk,
            "start": timezone.localdate().isoformat(),
            "profession": "nurse",
        },
    )
    text = response.content.decode()
    assert "Alice Aston holds this post from" in text
    assert "employment in one post cannot overlap" in text
    assert not StaffMember.objects.filter(last_name="New").exists()


@pytest.mark.django_db
def test_a_post_falls_vacant_when_its_holder_leaves_and_fills_again(wf):
    today = timezone.localdate()
    a1 = wf.extra["staff"]["a1"]
    a1.end = today - timedelta(days=10)
    services.staff_save(by=wf.users["cvo_a"], staff=a1, reason="Left")
    post = Post.objects.get(pk=a1.post_id)
    assert post.status == Post.Status.VACANT
    assert post.vacancy_start == today - timedelta(days=9)
    assert post.gap_days() == 9
    newcomer = StaffMember(
        consortium=wf.home,
        organisation=wf.orgs["cvo_a"],
        first_name="Nia",
        last_name="New",
        post=post,
        start=today,
        profession="nurse",
    )
    services.staff_save(by=wf.users["cvo_a"], staff=newcomer)
    post.refresh_from_db()
    assert post.status == Post.Status.FILLED and post.vacancy_start is None
    assert post.history.first().history_change_reason == "Filled by Nia New"


@pytest.mark.django_db
def test_a_cvo_manager_cannot_add_staff_to_another_organisation(wf):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.staff_save(
            by=wf.users["cvo_a"],
            staff=StaffMember(
                organisation=wf.orgs["cvo_b"],
                first_name="X",
                last_name="Y",
                start=timezone.localdate(),
                profession="nurse",
            ),
        )


# --- the journey through pages --------------------------------------------------------------


@pytest.mark.django_db
def test_a_group_session_moves_compliance_for_the_cvo_manager(client, wf):
    sup = wf.users["supervisor"]
    a2 = wf.extra["staff"]["a2"]
    url = reverse("supervision:staff_detail", args=[a2.pk])
    before = get(client, wf.users["cvo_a"], url).content.decode()
    response = post_session(
        client,
        sup,
        kind="peer",
        attendees=[a2.pk, wf.extra["staff"]["a1"].pk, wf.extra["staff"]["lead"].pk],
        themes="reflective practice",
        notes=f"{NOTES_SENTINEL} peer",
        action_1="Book the next session",
        action_1_due=(timezone.localdate() + timedelta(days=14)).isoformat(),
    )
    assert response.status_code == 302, response.content.decode()
    created = SupervisionSession.objects.get(kind="peer")
    assert created.attendees.count() == 3 and created.actions.count() == 1
    after = get(client, wf.users["cvo_a"], url).content.decode()
    assert after.count(">Met<") == before.count(">Met<") + 1
    page = get(client, wf.users["cvo_a"], created.get_absolute_url()).content.decode()
    assert "reflective practice" in page and NOTES_SENTINEL not in page


@pytest.mark.django_db
def test_only_supervisors_log_sessions(client, wf):
    for role in ("lead", "cvo_a", "commissioner"):
        assert get(client, wf.users[role], reverse("supervision:session_create")).status_code == 404
    assert (
        get(client, wf.users["supervisor"], reverse("supervision:session_create")).status_code
        == 200
    )


@pytest.mark.django_db
def test_the_commissioner_sees_figures_without_names(client, wf):
    c = wf.users["commissioner"]
    text = get(client, c, reverse("supervision:compliance")).content.decode()
    assert "Individual practitioners are not named" in text
    assert "CVO Alpha" in text  # the employer's name, with its rate
    for name in ("Alice", "Aston", "Amir", "Leo Lund"):
        assert name not in text
    export = xlsx_text(get(client, c, reverse("supervision:compliance"), export="xlsx"))
    assert "CVO Alpha" in export and "Aston" not in export
    dashboard = get(client, c, reverse("dashboard")).content.decode()
    assert "Workforce assurance" in dashboard and "Vacant posts: 1 of 3" in dashboard
    assert "Aston" not in dashboard
    assert get(client, c, reverse("supervision:staff_list")).content.decode().count("Aston") == 0


@pytest.mark.django_db
def test_supervisors_never_see_money(client, wf):
    sup = wf.users["supervisor"]
    for url in (
        reverse("supervision:post_list"),
        reverse("supervision:compliance"),
        reverse("dashboard"),
        reverse("supervision:staff_detail", args=[wf.extra["staff"]["a1"].pk]),
    ):
        assert "Health and justice contract" not in get(client, sup, url).content.decode()
    lead_page = get(client, wf.users["lead"], reverse("supervision:post_list")).content.decode()
    assert "Health and justice contract" in lead_page
    cvo_page = get(client, wf.users["cvo_a"], reverse("supervision:post_list")).content.decode()
    assert "Health and justice contract" not in cvo_page


@pytest.mark.django_db
def test_supervisors_see_only_their_supervisees(client, wf):
    text = get(client, wf.users["supervisor"], reverse("supervision:staff_list")).content.decode()
    assert "Aston" in text and "Lund" in text and PRIVATE_B not in text
    text = get(client, wf.users["supervisor"], reverse("supervision:compliance")).content.decode()
    assert "Aston" in text and PRIVATE_B not in text


@pytest.mark.django_db
def test_not_deployable_shows_wherever_the_person_appears(client, wf):
    a3 = wf.extra["staff"]["a3"]  # registration lapsed yesterday
    sup, manager = wf.users["supervisor"], wf.users["cvo_a"]
    assert (
        "Not deployable" in get(client, manager, reverse("supervision:staff_list")).content.decode()
    )
    detail = get(client, manager, a3.get_absolute_url()).content.decode()
    assert "Registration lapsed on" in detail
    assert (
        "Not deployable: Ava Abbott" in get(client, manager, reverse("dashboard")).content.decode()
    )
    form = get(client, sup, reverse("supervision:session_create")).content.decode()
    assert "Ava Abbott, CVO Alpha (not deployable)" in form
    matrix = get(client, sup, reverse("supervision:compliance")).content.decode()
    assert "Not deployable" in matrix


@pytest.mark.django_db
def test_expiry_horizons_and_posts_at_risk_on_the_dashboard(client, wf):
    a2 = wf.extra["staff"]["a2"]
    a2.registration_expiry = timezone.localdate() + timedelta(days=20)
    a2.save()
    text = get(client, wf.users["cvo_a"], reverse("dashboard")).content.decode()
    assert "Amir Aziz: Registration expires" in text and "(within 30 days)" in text
    # The stream paying for CVO A's posts ends in 60 days: within the horizon.
    assert "At risk: 2 posts, CVO Alpha: funding ends" in text
    assert "Court liaison practitioner, CVO Alpha: vacant 45 days" in text
    lead_text = get(client, wf.users["lead"], reverse("dashboard")).content.decode()
    assert "At risk: Forensic mental health practitioner" in lead_text


@pytest.mark.django_db
def test_supervisor_dashboard_shows_due_overdue_and_actions(client, wf):
    text = get(client, wf.users["supervisor"], reverse("dashboard")).content.decode()
    assert "Supervision due this month" in text
    assert "Overdue supervision" in text
    assert "Read the risk policy" in text


@pytest.mark.django_db
def test_the_chart_is_svg_and_cached(client, wf):
    url = reverse("supervision:compliance_chart")
    first = get(client, wf.users["lead"], url)
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content.startswith(b"<?xml")
    assert get(client, wf.users["lead"], url).content == first.content


@pytest.mark.django_db
def test_an_action_can_be_marked_done_by_the_supervisor(client, wf):
    action = wf.extra["actions"]["a"]
    client.force_login(wf.users["supervisor"])
    client.post(reverse("supervision:action_done", args=[action.pk]))
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()


# --- query budgets --------------------------------------------------------------------------


def grow(wf, n):
    sup = wf.users["supervisor"]
    post = wf.extra["posts"]["a"]
    for i in range(n):
        s = staff(wf.home, wf.orgs["cvo_a"], f"Extra{i}", f"Person{i}", None, sup)
        session(wf.home, sup, [s], days_ago=5 + i)
        session(wf.home, sup, [s, wf.extra["staff"]["a1"]], kind=SessionKind.GROUP, days_ago=40)
        p = Post.objects.create(consortium=wf.home, organisation=wf.orgs["cvo_a"], title=f"P{i}")
        p.funded_by.set(post.funded_by.all())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,url_name",
    [
        ("lead", "supervision:post_list"),
        ("lead", "supervision:staff_list"),
        ("lead", "supervision:session_list"),
        ("supervisor", "supervision:session_list"),
        ("lead", "supervision:compliance"),
        ("supervisor", "supervision:compliance"),
        ("commissioner", "supervision:compliance"),
        ("lead", "dashboard"),
        ("cvo_a", "dashboard"),
        ("supervisor", "dashboard"),
        ("commissioner", "dashboard"),
    ],
)
def test_query_counts_stay_flat_as_data_grows(
    client, wf, role, url_name, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(wf.users[role])
    url = reverse(url_name)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(wf, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


# --- history, leave, requirements, cancelled sessions ---------------------------------------


@pytest.mark.django_db
def test_staff_history_records_who_changed_what(client, wf):
    a1 = wf.extra["staff"]["a1"]
    client.force_login(wf.users["cvo_a"])
    data = {
        "first_name": a1.first_name,
        "last_name": a1.last_name,
        "organisation": a1.organisation_id,
        "post": a1.post_id,
        "start": a1.start.isoformat(),
        "profession": a1.profession,
        "registration_body": "nmc",
        "registration_number": "99Z9999Z",
        "registration_expiry": a1.registration_expiry.isoformat(),
        "dbs_date": a1.dbs_date.isoformat(),
        "clinical_supervisor": wf.users["supervisor"].pk,
        "expected_version": a1.version,
    }
    response = client.post(reverse("supervision:staff_edit", args=[a1.pk]), data)
    assert response.status_code == 302, response.content.decode()
    url = reverse("history", args=["supervision.StaffMember", a1.pk])
    text = get(client, wf.users["lead"], url).content.decode()
    assert "99Z9999Z" in text and "12A3456E" in text
    assert get(client, wf.users["cvo_b"], url).status_code == 404
    # A second save from the same stale form is refused.
    client.force_login(wf.users["cvo_a"])
    response = client.post(reverse("supervision:staff_edit", args=[a1.pk]), data)
    assert response.status_code == 302
    assert StaffMember.objects.get(pk=a1.pk).version == a1.version + 1


@pytest.mark.django_db
def test_a_manager_records_leave_and_a_requirement(client, wf):
    a2 = wf.extra["staff"]["a2"]
    today = timezone.localdate()
    client.force_login(wf.users["cvo_a"])
    response = client.post(
        reverse("supervision:leave_add", args=[a2.pk]),
        {
            "start": today.isoformat(),
            "end": (today + timedelta(days=60)).isoformat(),
            "reason": "Parental leave",
        },
    )
    assert response.status_code == 302
    assert a2.leave.get().reason == "Parental leave"
    response = client.post(
        reverse("supervision:requirement_add", args=[a2.pk]),
        {"kind": "line", "interval_months": 3, "led_by": "line_manager"},
    )
    assert response.status_code == 302
    assert a2.requirements.get(kind="line").interval_months == 3
    text = get(client, wf.users["cvo_a"], a2.get_absolute_url()).content.decode()
    assert "Parental leave" in text and "Line management, every 3 months" in text
    # Someone else's manager cannot.
    assert (
        get(client, wf.users["cvo_b"], reverse("supervision:leave_add", args=[a2.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_a_cancelled_session_needs_a_reason_and_does_not_count(wf):
    a2 = wf.extra["staff"]["a2"]
    sup = wf.users["supervisor"]
    with pytest.raises(Exception) as e:
        services.session_record(
            by=sup,
            kind=SessionKind.ONE_TO_ONE,
            date=timezone.localdate(),
            attendees=[a2],
            status=SupervisionSession.Status.CANCELLED,
        )
    assert "Say why the session was cancelled or rescheduled" in str(e.value)
    services.session_record(
        by=sup,
        kind=SessionKind.ONE_TO_ONE,
        date=timezone.localdate() + timedelta(days=3),  # a future date is fine if not held
        attendees=[a2],
        status=SupervisionSession.Status.RESCHEDULED,
        status_reason="Court overran",
        rescheduled_to=timezone.localdate() + timedelta(days=5),
    )
    from supervision import selectors

    data = selectors.compliance_for(StaffMember.objects.filter(pk=a2.pk))
    assert data.held.get(a2.pk, {}).get("one_to_one", []) == []


@pytest.mark.django_db
def test_the_cached_summary_moves_when_a_session_is_logged(wf):
    from django.utils import timezone as tz

    from supervision import selectors

    staff_qs = StaffMember.objects.filter(organisation=wf.orgs["cvo_a"])
    before = selectors.compliance_summary(staff_qs, wf.home.pk)
    a2 = wf.extra["staff"]["a2"]
    owed = before.rates.owed[a2.pk]
    services.session_record(
        by=wf.users["supervisor"], kind=SessionKind.PEER, date=tz.localdate(), attendees=[a2]
    )
    after = selectors.compliance_summary(staff_qs, wf.home.pk)
    assert after.rates.owed[a2.pk] == owed - 1


@pytest.mark.django_db
def test_posts_at_risk_list_each_post_with_its_funding_end(wf):
    from supervision import selectors

    at_risk = selectors.posts_at_risk(Post.objects.filter(consortium=wf.home))
    end = timezone.localdate() + timedelta(days=60)
    assert sorted((p.title, e) for p, e in at_risk) == sorted(
        (wf.extra["posts"][k].title, end) for k in ("lead", "a", "a_vacant")
    )
    grouped = selectors.posts_at_risk_by_employer(Post.objects.filter(consortium=wf.home))
    assert [(org, n) for org, _, n, _, _ in grouped] == [("CVO Alpha", 2), ("Home Lead Agency", 1)]


@pytest.mark.django_db
def test_an_administrator_cannot_link_themselves_to_a_staff_record_to_read_notes(client, wf):
    a1 = wf.extra["staff"]["a1"]
    admin = wf.users["admin"]
    url = reverse("admin:supervision_staffmember_change", args=[a1.pk])
    page = get(client, admin, url).content.decode()
    assert 'name="user"' not in page
    client.post(
        url,
        {
            "user": admin.pk,
            "first_name": a1.first_name,
            "last_name": a1.last_name,
            "organisation": a1.organisation_id,
            "start": a1.start.isoformat(),
            "profession": a1.profession,
        },
    )
    a1.refresh_from_db()
    assert a1.user == wf.users["practitioner"]
    session_url = reverse("supervision:session_detail", args=[wf.extra["sessions"]["a"].pk])
    assert NOTES_SENTINEL not in get(client, admin, session_url).content.decode()
    # The staff form has no sign-in field either.
    form = get(client, wf.users["lead"], reverse("supervision:staff_edit", args=[a1.pk]))
    assert 'name="user"' not in form.content.decode()


@pytest.mark.django_db
def test_a_group_supervisor_logs_group_sessions_but_not_one_to_ones(client, wf):
    psychologist = person_with_role(wf, "psychologist")
    a1 = wf.extra["staff"]["a1"]
    a1.group_supervisor = psychologist
    services.staff_save(by=wf.users["cvo_a"], staff=a1)
    services.session_record(
        by=psychologist, kind=SessionKind.GROUP, date=timezone.localdate(), attendees=[a1]
    )
    with pytest.raises(Exception) as e:
        services.session_record(
            by=psychologist, kind=SessionKind.ONE_TO_ONE, date=timezone.localdate(), attendees=[a1]
        )
    assert "is not on your list of supervisees for this type of session" in str(e.value)
    # They see the person they lead group supervision for, and nobody else's.
    text = get(client, psychologist, reverse("supervision:staff_list")).content.decode()
    assert "Aston" in text and "Aziz" not in text


@pytest.mark.django_db
def test_a_supervisor_must_supervise_for_the_staff_members_organisation(wf):
    a1 = wf.extra["staff"]["a1"]
    a1.group_supervisor = wf.users["supervisor_b"]  # supervises for CVO B only
    with pytest.raises(Exception) as e:
        services.staff_save(by=wf.users["cvo_a"], staff=a1)
    assert "does not supervise for CVO Alpha" in str(e.value)


def person_with_role(wf, username):
    from consortium.models import Role
    from sample import person

    return person(username, wf.home, wf.orgs["cvo_a"], Role.SUPERVISOR)


@pytest.mark.django_db
def test_the_staff_page_shows_hand_worked_months_on_a_frozen_day(client, world, time_machine):
    """10 June 2026: someone who joined on 20 March owes nothing for March, missed May's 1:1,
    met April's, and June's is due by the 30th."""
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False)
    wf = build_workforce(world)
    joiner = staff(
        wf.home,
        wf.orgs["cvo_a"],
        "Jo",
        "Joiner",
        None,
        wf.users["supervisor"],
        start=dt.date(2026, 3, 20),
        registration_expiry=dt.date(2026, 7, 1),
    )
    from supervision.models import SupervisionRequirement

    SupervisionRequirement.objects.create(consortium=wf.home, staff=joiner, kind="one_to_one")
    services.session_record(
        by=wf.users["supervisor"], kind="one_to_one", date=dt.date(2026, 4, 14), attendees=[joiner]
    )
    text = get(client, wf.users["cvo_a"], joiner.get_absolute_url()).content.decode()
    assert "Not expected</span> (Joined on 20 Mar 2026)" in text
    assert "Not yet due</span> (Due by 30 Jun 2026)" in text
    assert text.count(">Met<") == 1 and text.count(">Missed<") == 1
    # Over the last three complete months (Mar–May): April met, May missed.
    assert "<strong>50.0%</strong>" in text
    assert "Registration expires 1 Jul 2026 (within 30 days)" in text


@pytest.mark.django_db
def test_posts_at_risk_appear_on_the_funding_runway_for_the_lead_only(client, wf):
    runway = reverse("funding:runway")
    text = get(client, wf.users["lead"], runway).content.decode()
    assert "Posts at risk" in text
    # A summary, not the posts: counts by employer and month, each opening the paged list.
    month = f"{timezone.localdate() + timedelta(days=60):%B %Y}"
    assert f">{month}</th>" in text
    for key in ("lead", "a", "a_vacant"):
        assert escape(wf.extra["posts"][key].title) not in text
    list_url = reverse("supervision:post_at_risk_list")
    assert f"{list_url}?organisation={wf.orgs['cvo_a'].pk}" in text
    assert "All 3 posts at risk" in text
    member = get(
        client, wf.users["lead"], f"{runway}?member={wf.orgs['cvo_a'].pk}"
    ).content.decode()
    assert "All 2 posts at risk" in member
    commissioner = get(client, wf.users["commissioner"], runway).content.decode()
    assert "Posts at risk" not in commissioner
