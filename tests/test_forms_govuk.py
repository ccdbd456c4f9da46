"""GOV.UK form patterns wherever a person types: dates in day, month and year boxes with
GOV.UK's messages, amounts with a £ prefix, required fields that say what to do, and error
summaries whose links land on the field in error."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from funding.models import FundingStream


def stream_data(world, **changes):
    data = {
        "funder": world.orgs["commissioner"].pk,
        "name": "New grant",
        "kind": "grant",
        "amount": "£12,500.00",
        "start_day": "1",
        "start_month": "4",
        "start_year": "2026",
        "end_day": "31",
        "end_month": "3",
        "end_year": "2027",
        "status": "secured",
        "notice_period_days": "0",
    }
    data.update(changes)
    return data


def summary_links(page):
    summary = page.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return re.findall(r'href="#([^"]+)"[^>]*>([^<]+)<', summary)


@pytest.mark.django_db
def test_a_date_is_asked_for_in_day_month_and_year_boxes(client, world, lead):
    client.force_login(lead)
    page = client.get(reverse("funding:stream_create")).content.decode()
    start = page.split('<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Start')[1]
    start = start.split("</fieldset>")[0]
    assert 'class="govuk-date-input"' in start
    assert [
        label for label in re.findall(r'govuk-date-input__label" for="[^"]+">(\w+)<', start)
    ] == [
        "Day",
        "Month",
        "Year",
    ]
    assert 'name="start_day"' in start and 'inputmode="numeric"' in start
    assert 'type="date"' not in page
    # The amount: a text box with a £ prefix and a decimal keypad.
    assert 'class="govuk-input__prefix" aria-hidden="true">£<' in page
    assert re.search(r'<input[^>]+inputmode="decimal"[^>]+name="amount"', page) or re.search(
        r'<input[^>]+name="amount"[^>]+inputmode="decimal"', page
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2026"), "Start must be a real date"),
        (("1", "", "2026"), "Start must include a month"),
        (("", "", "2026"), "Start must include a day and a month"),
        (("1", "4", "26"), "Start year must include 4 numbers"),
        (("1", "April", "2026"), "Start must be a real date"),
        (("", "", ""), "Enter the start"),
    ],
)
def test_a_date_that_is_not_one_gets_govuk_messages_and_saves_nothing(
    client, world, lead, parts, message
):
    client.force_login(lead)
    data = stream_data(world, start_day=parts[0], start_month=parts[1], start_year=parts[2])
    response = client.post(reverse("funding:stream_create"), data)
    page = response.content.decode()
    assert response.status_code == 200 and not FundingStream.objects.exists()
    assert ("id_start_0", message) in summary_links(page)
    assert 'id="id_start_0"' in page  # the link lands on the day box
    # What was typed is shown again as typed, to be corrected.
    for part, typed in zip(("day", "month", "year"), parts, strict=True):
        shown = re.search(rf'<input[^>]*name="start_{part}"[^>]*>', page).group(0)
        assert (f'value="{typed}"' in shown) if typed else ("value=" not in shown)
    assert page.split("<title>")[1].startswith("Error: ")


@pytest.mark.django_db
def test_a_real_date_and_an_amount_with_a_pound_sign_and_commas_are_saved(client, world, lead):
    client.force_login(lead)
    response = client.post(reverse("funding:stream_create"), stream_data(world))
    assert response.status_code == 302
    stream = FundingStream.objects.get()
    assert stream.start == datetime.date(2026, 4, 1) and stream.end == datetime.date(2027, 3, 31)
    assert stream.amount == D("12500.00")
    # Shown again for a change: the boxes hold the date, the amount its separators.
    page = client.get(reverse("funding:stream_edit", args=[stream.pk])).content.decode()
    assert 'name="start_day" value="1"' in page and 'name="start_year" value="2026"' in page
    assert 'value="12,500.00"' in page


@pytest.mark.django_db
def test_an_amount_that_could_be_misread_is_refused_beside_its_box(client, world, lead):
    client.force_login(lead)
    page = client.post(
        reverse("funding:stream_create"), stream_data(world, amount="1,5")
    ).content.decode()
    assert not FundingStream.objects.exists()
    (link,) = [(target, text) for target, text in summary_links(page) if target == "id_amount"]
    assert "could mean two different figures" in link[1]
    assert 'id="id_amount-error"' in page


@pytest.mark.django_db
def test_a_database_rule_that_refuses_a_save_is_a_sentence_not_its_name(client, world, lead):
    client.force_login(lead)
    page = client.post(
        reverse("funding:stream_create"),
        stream_data(world, end_day="1", end_month="1", end_year="2026"),
    ).content.decode()
    assert not FundingStream.objects.exists()
    assert "stream_ends_after_start" not in page and "Constraint" not in page
    assert "The end date must be the same as or after the start date." in page


def test_a_rule_without_its_own_sentence_is_read_out_in_words():
    from django.db import IntegrityError

    from consortium import constraints
    from funding.models import Payment

    pg = IntegrityError('new row violates check constraint "withheld_payment_has_reason"')
    sqlite = IntegrityError("CHECK constraint failed: line_has_an_event")
    assert constraints.explain_integrity_error(Payment, pg) == "Say why the payment is withheld."
    assert "line has an event" in constraints.explain_integrity_error(None, sqlite)
    assert "_" not in constraints.explain_integrity_error(None, sqlite)


@pytest.mark.django_db
def test_a_text_box_with_a_limit_counts_down_and_the_server_says_the_limit(client, world, lead):
    from sample import build_money, build_returns

    build_money(world)
    build_returns(world)
    ret = world.returns["draft_a"]
    client.force_login(world.users["cvo_a"])
    page = client.get(f"/returns/{ret.pk}/edit/").content.decode()
    assert 'data-module="govuk-character-count" data-maxlength="5000"' in page
    assert "maxlength=" not in page.replace("data-maxlength", "")
    data = {"expected_version": ret.version, "narrative": "x" * 5001}
    page = client.post(f"/returns/{ret.pk}/edit/", data).content.decode()
    assert "Narrative must be 5,000 characters or fewer" in page
