"""A practitioner signs in: their own record, their sessions and the notes of those they
attended, their actions — and nothing else."""

import pytest
from django.urls import reverse

from sample.supervision import NOT_ATTENDED_SENTINEL, NOTES_SENTINEL


@pytest.fixture
def wf(workforce_world):
    return workforce_world


@pytest.fixture
def signed_in(client, wf):
    client.force_login(wf.users["practitioner"])
    return client


@pytest.mark.django_db
def test_a_practitioner_opens_their_own_record_from_the_menu(signed_in, wf):
    response = signed_in.get(reverse("supervision:my_record"))
    assert response.status_code == 302
    assert response["Location"] == wf.extra["staff"]["a1"].get_absolute_url()
    page = signed_in.get(response["Location"]).content.decode()
    assert "Alice" in page


@pytest.mark.django_db
def test_a_practitioner_reads_the_notes_of_sessions_they_attended_only(signed_in, wf):
    sessions = wf.extra["sessions"]
    for key in ("a", "group"):
        page = signed_in.get(sessions[key].get_absolute_url()).content.decode()
        assert NOTES_SENTINEL in page
    assert signed_in.get(sessions["a2"].get_absolute_url()).status_code == 404
    assert signed_in.get(sessions["b"].get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_my_supervision_lists_their_sessions_and_open_actions(signed_in, wf):
    page = signed_in.get(reverse("supervision:my_supervision")).content.decode()
    assert "Read the risk policy" in page
    assert wf.extra["sessions"]["a"].get_absolute_url() in page
    assert wf.extra["sessions"]["a2"].get_absolute_url() not in page
    assert NOT_ATTENDED_SENTINEL not in page


@pytest.mark.django_db
def test_a_practitioner_sees_no_other_person_no_money_and_no_returns(signed_in, wf):
    for name in (
        "consortium:organisation_list",
        "consortium:people",
        "consortium:site_list",
        "consortium:settings",
        "supervision:staff_list",
        "supervision:session_list",
        "supervision:compliance",
        "supervision:post_list",
        "funding:payment_list",
        "returns:return_list",
        "returns:indicator_list",
        "risks:register_list",
        "outcomes:claim_list",
    ):
        assert signed_in.get(reverse(name)).status_code == 404, name
    assert signed_in.get(wf.extra["staff"]["a2"].get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_a_practitioners_menu_and_dashboard_are_their_own(signed_in, wf):
    page = signed_in.get(reverse("dashboard")).content.decode()
    assert "Your work" in page
    assert reverse("supervision:my_supervision") in page
    assert reverse("consortium:organisation_list") not in page
    assert "Your record" in page
    assert "Open actions from supervision: 1" in page
    assert "The consortium at a glance" not in page


@pytest.mark.django_db
def test_a_practitioner_without_a_staff_record_is_told_so(client, world):
    client.force_login(world.users["practitioner"])
    assert "not linked to a staff record" in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("supervision:my_record")).status_code == 404
