"""The navigation agrees with the views: for every role, every page the menu shows opens
(200) and every page it hides answers 404 — because the menu entry and the view ask the same
check. And every entry a person may open is in the menu they see."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from consortium import navigation

PERSONAS = ["lead", "admin", "cvo_a", "cvo_b", "supervisor", "commissioner", "outsider"]


def nav_links(html):
    """URLs linked from the main navigation and the section navigation of a page."""
    links = []
    for label in ("Main", "Section"):
        marker = f'aria-label="{label}"'
        if marker in html:
            nav = html.split(marker, 1)[1].split("</nav>", 1)[0]
            links += re.findall(r'href="([^"]+)"', nav)
    return links


def test_every_app_registers_its_pages():
    sections = {e.section for e in navigation.entries()}
    assert sections == {
        "Dashboard",
        "Money",
        "Contracts",
        "Performance",
        "Workforce",
        "Risks",
        "Your work",
        "Consortium",
    }
    assert [e.section for e in navigation.entries()][0] == "Dashboard"
    # Each entry names a page that exists.
    for entry in navigation.entries():
        reverse(entry.url_name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", PERSONAS)
def test_the_menu_shows_exactly_the_pages_the_person_may_open(client, world, role):
    """Every menu entry's page requested as one person, and the menu read on each page it
    shows: some thirty-five pages (1–3 s a person)."""
    user = world.users[role]
    client.force_login(user)
    shown = navigation.entries_for(user)
    assert shown, f"{role} sees no page at all"
    shown_urls = {reverse(e.url_name) for e in shown}
    wrong = []
    for entry in navigation.entries():
        url = reverse(entry.url_name)
        response = client.get(url)
        if entry in shown:
            if response.status_code != 200:
                wrong.append(
                    f"{role}: {entry.label} shown but {url} answered {response.status_code}"
                )
                continue
            # The page's own menu links to it (in the main or the section navigation) and to
            # nothing the person may not open.
            links = nav_links(response.content.decode())
            if url not in links:
                wrong.append(f"{role}: {entry.label} is not in the menu on its own page")
            wrong += [f"{role}: menu on {url} links to {x}" for x in set(links) - shown_urls]
        elif response.status_code != 404:
            wrong.append(f"{role}: {entry.label} hidden but {url} answered {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("role", PERSONAS)
def test_the_dashboard_menu_leads_to_every_section_the_person_may_open(client, world, role):
    user = world.users[role]
    client.force_login(user)
    links = nav_links(client.get(reverse("dashboard")).content.decode())
    first_of_each_section = {}
    for entry in navigation.entries_for(user):
        first_of_each_section.setdefault(entry.section, reverse(entry.url_name))
    assert links == list(first_of_each_section.values())


@pytest.mark.django_db
def test_a_person_without_a_role_opens_only_what_the_checks_allow(client, world):
    user = get_user_model().objects.create_user("norole", password="x")
    client.force_login(user)
    wrong = []
    for entry in navigation.entries():
        expected = 200 if entry.check(user) else 404
        status = client.get(reverse(entry.url_name)).status_code
        if status != expected:
            wrong.append(f"{entry.label}: {status}, expected {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_signed_out_every_page_of_the_menu_asks_to_sign_in(client, world):
    for entry in navigation.entries():
        response = client.get(reverse(entry.url_name))
        assert response.status_code == 302 and "login" in response["Location"], entry.label


@pytest.mark.django_db
def test_a_record_page_has_breadcrumbs_to_its_list_and_its_history_keeps_the_menu_there(
    client, world, lead
):
    from sample import build_money

    build_money(world)
    payment = world.money["pay_a"]
    client.force_login(lead)

    def crumbs(html):
        if 'aria-label="Breadcrumb"' not in html:
            return None
        nav = html.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'href="([^"]+)">([^<]+)<', nav)

    def current(html):
        sub = html.split('aria-label="Section"', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'href="([^"]+)" aria-current="[^"]+">([^<]+)<', sub)

    listing = reverse("funding:payment_list")
    expected = [("/", "Home"), (reverse("funding:stream_list"), "Money"), (listing, "Payments")]
    detail = client.get(payment.get_absolute_url()).content.decode()
    assert crumbs(detail) == expected
    history = client.get(reverse("history", args=["funding.Payment", payment.pk])).content.decode()
    assert crumbs(history) == expected
    assert current(history) == [(listing, "Payments")]
    # "Back" goes to the list from a record, and to the record from its history.
    assert f'href="{listing}" class="govuk-back-link">Back to Payments<' in detail
    assert (
        f'href="{payment.get_absolute_url()}" class="govuk-back-link">'
        "Back to the record<" in history
    )
    # A page in the menu needs no breadcrumbs.
    assert crumbs(client.get(listing).content.decode()) is None
    assert crumbs(client.get("/").content.decode()) is None
