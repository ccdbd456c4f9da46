"""Lists as people use them: one "Any" per filter, filters labelled without "(optional)",
yes-or-no fields as "Yes" and "No" on screen and in downloads, and the payments list newest
first, with an overdue filter and only members to choose from."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sample import make_payment


@pytest.fixture
def money(money_world):
    world = money_world
    m = world.money
    # One payment to CVO A overdue since March, one due next year.
    m["late"] = make_payment(m["alloc"], world.orgs["cvo_a"], "750.00", datetime.date(2026, 3, 1))
    m["later"] = make_payment(
        m["alloc"],
        world.orgs["cvo_a"],
        "500.00",
        datetime.date(2027, 6, 1),
        is_adjustment=True,
        adjustment_reason="Extra sessions",
    )
    return world


def selects(page):
    form = page.split('class="concord-filter__fields">')[1].split("</form>")[0]
    return {
        name: re.findall(r"<option[^>]*>([^<]*)</option>", body)
        for name, body in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', form, re.S)
    }


@pytest.mark.django_db
def test_each_filter_offers_any_once_and_payments_go_only_to_members(client, money, lead):
    client.force_login(lead)
    page = client.get(reverse("funding:payment_list")).content.decode()
    options = selects(page)
    for name, labels in options.items():
        assert labels.count("Any") == 1 and labels[0] == "Any", (name, labels)
        assert "Unknown" not in labels and "---------" not in labels
    assert "Home Commissioner" not in options["recipient"]
    assert {"CVO Alpha", "CVO Beta", "Home Lead Agency"} <= set(options["recipient"])
    assert options["overdue"] == ["Any", "Yes", "No"]
    filters = page.split('class="concord-filter__fields">')[1].split("</form>")[0]
    assert "(optional)" not in filters
    assert re.search(r'<input type="date" name="due_before"', filters)


@pytest.mark.django_db
def test_payments_list_newest_first_and_filters_the_overdue(client, money, lead):
    client.force_login(lead)
    with_time = reverse("funding:payment_list")
    page = client.get(with_time).content.decode()
    body = page.split("<tbody")[1]
    dues = [
        datetime.datetime.strptime(d, "%d %b %Y").date()
        for d in re.findall(r"\d{1,2} \w{3} \d{4}", body)
    ]
    due_dates = sorted({d for d in dues if d.year in (2026, 2027)}, reverse=True)
    assert dues.index(due_dates[0]) < dues.index(due_dates[-1])
    overdue = client.get(with_time + "?overdue=true").content.decode()
    rows = overdue.split("<tbody")[1].split("</tbody>")[0]
    assert "£750.00" in rows and "£500.00" not in rows
    not_overdue = client.get(with_time + "?overdue=false").content.decode()
    assert (
        "£500.00" in not_overdue.split("<tbody")[1]
        and "£750.00" not in not_overdue.split("<tbody")[1]
    )


@pytest.mark.django_db
def test_yes_or_no_fields_read_yes_and_no_on_screen_and_in_the_download(client, money, lead):
    client.force_login(lead)
    url = reverse("funding:payment_list")
    page = client.get(url).content.decode()
    body = page.split("<tbody")[1].split("</tbody>")[0]
    assert "✔" not in body and "✘" not in body
    assert ">Yes<" in body and ">No<" in body
    wb = load_workbook(io.BytesIO(client.get(url + "?export=xlsx").getvalue()))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    column = headers.index("Is adjustment")
    values = {row[column] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert values == {"Yes", "No"}


@pytest.mark.django_db
def test_states_are_coloured_tags_with_their_words_and_words_in_the_download(client, money, lead):
    client.force_login(lead)
    url = reverse("funding:payment_list")
    body = client.get(url).content.decode().split("<tbody")[1]
    assert '<strong class="govuk-tag govuk-tag--blue">Scheduled</strong>' in body
    assert '<strong class="govuk-tag govuk-tag--green">Paid</strong>' in body
    ws = load_workbook(io.BytesIO(client.get(url + "?export=xlsx").getvalue())).active
    column = [c.value for c in ws[1]].index("Status")
    assert {row[column] for row in ws.iter_rows(min_row=2, values_only=True)} >= {
        "Scheduled",
        "Paid",
    }


def test_date_columns_read_as_the_date_filter_writes_them_without_a_template_per_cell():
    import datetime

    from django.template import Context, Template
    from django.utils import timezone

    from consortium.columns import DateColumn, DateTimeColumn
    from funding.tables import StreamTable

    table = StreamTable([])
    assert type(table.base_columns["start"]) is DateColumn  # made for every date field
    day = datetime.date(2026, 4, 1)
    when = timezone.make_aware(datetime.datetime(2026, 6, 30, 23, 30), datetime.UTC)
    for column, value, fmt in (
        (DateColumn(format="j M Y"), day, "j M Y"),
        (DateColumn(), day, "SHORT_DATE_FORMAT"),
        (DateTimeColumn(format="j M Y H:i"), when, "j M Y H:i"),
    ):
        bound = table.columns["start"]
        code = "{{ value|date:fmt }}"
        expected = Template(code).render(Context({"value": value, "fmt": fmt}))
        assert column.render(value=value, bound_column=bound) == expected
        assert column.render(value=None, bound_column=bound) == bound.default


def test_a_page_of_a_list_has_the_cells_django_tables2_would_make(money, lead):
    """The lighter renderer (consortium.columns.CellPlan) makes every cell as django-tables2's
    own BoundRow does: labels of choices, links, money, dates, tags and defaults."""
    from django.test import RequestFactory
    from django_tables2.rows import BoundRow

    from funding.models import FundingStream, Payment
    from funding.tables import PaymentTable, StreamTable
    from supervision.models import SupervisionSession
    from supervision.tables import SessionTable

    request = RequestFactory().get("/")
    request.user = lead
    checked = 0
    for table_class, model in (
        (PaymentTable, Payment),
        (StreamTable, FundingStream),
        (SessionTable, SupervisionSession),
    ):
        table = table_class(model.objects.visible_to(lead), request=request)
        table.paginate(per_page=25)
        planned = [[(c.name, cell) for c, cell in row.items()] for row in table.paginated_rows]
        own = [
            [(c.name, BoundRow(r.record, table=table).get_cell(c.name)) for c in table.columns]
            for r in table.page.object_list
        ]
        assert planned == own
        checked += len(own)
    assert checked > 0
