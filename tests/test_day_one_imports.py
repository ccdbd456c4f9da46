"""Set-up imports (consortium.importing): each kind's template downloaded, filled in and uploaded
as a person would — valid files, each kind of error (named by row and column, nothing saved),
the same file again (nothing changes) and a changed row (updated, with history)."""

import datetime
from decimal import Decimal as D
from io import BytesIO

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from consortium.models import Event, Membership, Organisation, RoleAssignment, Site
from funding.models import FundingStream
from tests.test_day_one import staff_of, start

pytestmark = pytest.mark.django_db
TODAY = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def new(client):
    consortium, admin, _ = start()
    users = staff_of(consortium, admin)
    client.force_login(users["admin"])
    return consortium, users


def template(client, kind):
    response = client.get(reverse("consortium:import_template", args=[kind]))
    assert response.status_code == 200
    return load_workbook(BytesIO(response.content))


def filled(client, kind, rows, *, keep=True):
    """The kind's template with `rows` added under what it already holds (or in place of it)."""
    wb = template(client, kind)
    ws = wb.worksheets[0]
    if not keep:
        ws.delete_rows(2, ws.max_row)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, kind, data, name="filled.xlsx", reason="Moving our records into Concord"):
    return client.post(
        reverse("consortium:import_upload", args=[kind]),
        {"file": SimpleUploadedFile(name, data), "reason": reason},
    )


def problems(response):
    import re

    text = response.content.decode()
    table = re.search(r'id="upload-problems".*?</table>', text, re.S)
    assert table, "no problem table on the page"
    cells = re.findall(r'<td class="govuk-table__cell">(.*?)</td>', table.group(0))
    return [tuple(cells[i : i + 3]) for i in range(0, len(cells), 3)]


def imported_events(consortium):
    return Event.objects.filter(consortium=consortium, verb__endswith="from a spreadsheet")


# --- organisations -------------------------------------------------------------------------

ORGS = [
    [
        "Larkspur Women's Centre",
        "Community and voluntary organisation",
        "Subcontractor",
        "1100",
        "",
        "",
    ],
    ["NHS Health and Justice", "commissioner", "Commissioner", "", "hj@example.org", ""],
]


def test_organisations_import_adds_members_and_a_second_import_changes_nothing(client, new):
    consortium, users = new
    data = filled(client, "organisations", ORGS)
    response = upload(client, "organisations", data)
    assert response.status_code == 302, problems(response)
    larkspur = Organisation.objects.get(name="Larkspur Women's Centre")
    assert (larkspur.kind, larkspur.registered_number) == ("cvo", "1100")
    assert Membership.objects.get(organisation=larkspur).role == "subcontractor"
    assert larkspur.history.get().history_user == users["admin"]
    (event,) = imported_events(consortium)
    assert event.reason == "Moving our records into Concord"
    assert event.details | {} == {
        "kind": "organisations",
        "file": "filled.xlsx",
        "added": 2,
        "changed": 0,
        "unchanged": 2,
    }
    # The template now holds every member; uploading it again changes nothing.
    again = template(client, "organisations")
    names = [r[0] for r in again.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert names == sorted(names, key=str.casefold) and len(names) == 4
    out = BytesIO()
    again.save(out)
    response = upload(client, "organisations", out.getvalue())
    assert response.status_code == 302
    assert imported_events(consortium).count() == 1
    assert larkspur.history.count() == 1


def test_a_changed_organisation_row_updates_it_with_history(client, new):
    consortium, users = new
    upload(client, "organisations", filled(client, "organisations", ORGS))
    wb = template(client, "organisations")
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "Larkspur Women's Centre":
            row[3].value = "2200"
    out = BytesIO()
    wb.save(out)
    assert upload(client, "organisations", out.getvalue(), reason="New number").status_code == 302
    larkspur = Organisation.objects.get(name="Larkspur Women's Centre")
    assert larkspur.registered_number == "2200"
    latest = larkspur.history.first()
    assert latest.history_change_reason == "Imported from a spreadsheet: New number"
    assert latest.history_user == users["admin"]
    assert imported_events(consortium).first().details["changed"] == 1


def test_organisation_rows_with_problems_are_named_by_row_and_column_and_nothing_is_saved(
    client, new
):
    rows = [
        ["Larkspur Women's Centre", "A charity", "Subcontractor", "", "", ""],
        ["", "cvo", "Subcontractor", "", "not-an-address", ""],
        ["larkspur women's centre", "cvo", "Partner", "", "", ""],
        ["Ok Org", "cvo", "Subcontractor", "=1+1", "", ""],
    ]
    response = upload(client, "organisations", filled(client, "organisations", rows, keep=False))
    assert response.status_code == 200
    found = problems(response)
    assert found == [
        ("2", "B", found[0][2]),
        ("3", "A", "Name: is empty. Fill it in."),
        ("3", "E", found[2][2]),
        ("4", "A", found[3][2]),
        ("5", "D", "Charity or company number is a formula. Type the value itself."),
    ]
    assert "is not one of the choices" in found[0][2]
    assert "is not an email address" in found[2][2]
    assert "the same name as row 2" in found[3][2]
    assert not Organisation.objects.filter(name__icontains="larkspur").exists()
    assert "nothing was imported" in response.content.decode()


def test_a_file_that_is_not_a_workbook_or_not_the_template_is_refused(client, new):
    response = upload(client, "organisations", b"name,kind\n", name="orgs.csv")
    assert "Upload the organisations and memberships template as an Excel Workbook" in (
        response.content.decode()
    )
    sites = filled(client, "sites", [])
    response = upload(client, "organisations", sites)
    assert "The workbook has no sheet called Organisations" in response.content.decode()


# --- sites ---------------------------------------------------------------------------------


def test_sites_import_names_an_unknown_operator_and_then_imports(client, new):
    consortium, _ = new
    rows = [
        ["Riverside Magistrates' Court", "Magistrates' court", "Riverside", "", "Nobody Ltd"],
        ["Riverside Custody Suite", "police_custody", "Riverside", "", ""],
    ]
    response = upload(client, "sites", filled(client, "sites", rows))
    assert problems(response) == [
        (
            "2",
            "E",
            "Operated by: no member of the consortium is called Nobody Ltd. Import or add the "
            "organisation first, or correct the name.",
        )
    ]
    rows[0][4] = "harbour women's centre"
    response = upload(client, "sites", filled(client, "sites", rows))
    assert response.status_code == 302, problems(response)
    court = Site.objects.get(name="Riverside Magistrates' Court")
    assert (court.consortium, court.operated_by.name) == (consortium, "Harbour Women's Centre")
    assert upload(client, "sites", filled(client, "sites", [])).status_code == 302
    assert imported_events(consortium).count() == 1


# --- people and roles ----------------------------------------------------------------------


def test_people_import_invites_each_new_person_once_and_adds_roles(
    client, new, django_capture_on_commit_callbacks
):
    consortium, users = new
    rows = [
        ["Priya", "Patel", "priya@example.org", "Harbour Women's Centre", "CVO manager"],
        ["Priya", "Patel", "priya@example.org", "Harbour Women's Centre", "Practitioner"],
        ["Sam", "Super", "sam@example.org", "Riverside Minds", "supervisor"],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "people", filled(client, "people", rows))
    assert response.status_code == 302, problems(response)
    priya = RoleAssignment.objects.filter(user__email="priya@example.org")
    assert sorted(priya.values_list("role", flat=True)) == ["cvo_manager", "practitioner"]
    assert len({a.user_id for a in priya}) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["priya@example.org", "sam@example.org"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(client, "people", filled(client, "people", []))
    assert again.status_code == 302 and not mail.outbox


def test_a_person_whose_address_is_used_in_another_consortium_gets_a_sign_in_here(
    client, new, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    elsewhere = get_user_model().objects.create(username="pat@example.org", email="pat@example.org")
    rows = [["Pat", "Jones", "pat@example.org", "Riverside Minds", "Consortium lead"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "people", filled(client, "people", rows))
    assert response.status_code == 302, problems(response)
    pat = RoleAssignment.objects.get(user__email="pat@example.org").user
    assert pat.pk != elsewhere.pk and pat.username == "pat@example.org-2"
    (email,) = mail.outbox
    assert "Riverside" not in email.subject


# --- funding streams -----------------------------------------------------------------------

STREAMS = [
    [
        "NHS L&D 2026-27",
        "Riverside Minds",
        "Contract",
        "450,000.00",
        datetime.date(2026, 4, 1),
        datetime.date(2027, 3, 31),
        "Secured",
        None,
        90,
        "",
        "Court liaison",
    ],
]


def test_funding_streams_import_reads_money_exactly_and_refuses_an_end_before_the_start(
    client, new
):
    consortium, users = new
    client.force_login(users["lead"])
    bad = [list(STREAMS[0]), list(STREAMS[0])]
    bad[1][0] = "Trust grant"
    bad[1][3] = "1,000.005"
    bad[1][5] = datetime.date(2026, 1, 1)
    response = upload(client, "funding-streams", filled(client, "funding-streams", bad))
    found = problems(response)
    assert [(r, c) for r, c, _ in found] == [("3", "D"), ("3", "F")]
    assert "no more than 2 decimal places" in found[0][2]
    assert found[1][2] == "End date: 1 January 2026 is before the start date, 1 April 2026."
    assert not FundingStream.objects.exists()
    response = upload(client, "funding-streams", filled(client, "funding-streams", STREAMS))
    assert response.status_code == 302, problems(response)
    stream = FundingStream.objects.get(name="NHS L&D 2026-27")
    assert (stream.amount, stream.notice_period_days, stream.funder.name) == (
        D("450000.00"),
        90,
        "Riverside Minds",
    )
    assert (
        upload(client, "funding-streams", filled(client, "funding-streams", [])).status_code == 302
    )
    assert stream.history.count() == 1


def test_a_cvo_manager_imports_only_staff(client, new):
    _, users = new
    client.force_login(users["cvo_manager"])
    for kind in ("organisations", "sites", "people", "funding-streams"):
        assert client.get(reverse("consortium:import_upload", args=[kind])).status_code == 404
        assert client.get(reverse("consortium:import_template", args=[kind])).status_code == 404
    page = client.get(reverse("consortium:import_list")).content.decode()
    assert "Staff and their checks" in page and "Funding streams" not in page


# --- staff ---------------------------------------------------------------------------------


def staff_row(**changes):
    row = {
        "first": "Ben",
        "last": "Barker",
        "email": "ben@harbour.example.org",
        "org": "Harbour Women's Centre",
        "post": None,
        "start": datetime.date(2025, 9, 1),
        "end": None,
        "profession": "Mental health nurse",
        "body": "NMC",
        "number": "12A3456B",
        "expiry": datetime.date(2027, 6, 30),
        "dbs": datetime.date(2025, 8, 1),
        "update": "Yes",
        "custody": "No",
        "vetting": None,
    }
    row.update(changes)
    return list(row.values())


def test_staff_import_keeps_their_checks_and_matches_them_by_work_email(client, new):
    consortium, users = new
    client.force_login(users["cvo_manager"])
    response = upload(client, "staff", filled(client, "staff", [staff_row()]))
    assert response.status_code == 302, problems(response)
    from supervision.models import StaffMember

    ben = StaffMember.objects.get(email="ben@harbour.example.org")
    assert (
        ben.registration_body,
        ben.registration_expiry,
        ben.dbs_date,
        ben.dbs_update_service,
    ) == (
        "nmc",
        datetime.date(2027, 6, 30),
        datetime.date(2025, 8, 1),
        True,
    )
    assert upload(client, "staff", filled(client, "staff", [])).status_code == 302
    assert ben.history.count() == 1
    # A renewed registration: the row changes, the record follows with history.
    response = upload(
        client,
        "staff",
        filled(client, "staff", [staff_row(expiry=datetime.date(2028, 6, 30))], keep=False),
        reason="Registration renewed",
    )
    assert response.status_code == 302
    ben.refresh_from_db()
    assert ben.registration_expiry == datetime.date(2028, 6, 30)
    assert ben.history.first().history_change_reason == (
        "Imported from a spreadsheet: Registration renewed"
    )


def test_staff_rows_with_dates_in_the_wrong_order_or_to_come_are_refused_by_row(client, new):
    _, users = new
    client.force_login(users["lead"])
    rows = [
        staff_row(dbs=datetime.date(2027, 1, 1)),
        staff_row(email="amy@harbour.example.org", end=datetime.date(2025, 1, 1)),
        staff_row(email="zoe@example.org", org="Nowhere Trust"),
        staff_row(email="BEN@harbour.example.org"),
        staff_row(email="kim@example.org", post="Custody practitioner"),
    ]
    response = upload(client, "staff", filled(client, "staff", rows, keep=False))
    found = problems(response)
    assert [(r, c) for r, c, _ in found] == [
        ("2", "L"),
        ("3", "G"),
        ("4", "D"),
        ("5", "C"),
        ("6", "E"),
    ], found
    assert (
        found[0][2] == "DBS check date: 1 January 2027 is in the future. Give the date it happened."
    )
    assert found[1][2] == "End date: 1 January 2025 is before the start date, 1 September 2025."
    assert "no member of the consortium is called Nowhere Trust" in found[2][2]
    assert "the same work email as row 2" in found[3][2]
    assert "has no post called Custody practitioner" in found[4][2]


def test_a_cvo_manager_imports_only_their_own_organisations_staff(client, new):
    _, users = new
    client.force_login(users["cvo_manager"])
    response = upload(
        client, "staff", filled(client, "staff", [staff_row(org="Riverside Minds")], keep=False)
    )
    (found,) = problems(response)
    assert found[0] == "2" and "employing organisation" in found[2]


# --- contracts and subcontracts ------------------------------------------------------------


def contract_row(**changes):
    row = {
        "reference": "NHS-LD-2026",
        "title": "Liaison and diversion, Riverside",
        "commissioner": "NHS Health and Justice",
        "lead": "Riverside Minds",
        "value": "1,200,000.00",
        "start": datetime.date(2026, 4, 1),
        "end": datetime.date(2029, 3, 31),
        "status": "Active",
        "block": None,
        "pbr": None,
        "frequency": "Quarterly",
        "days": None,
        "streams": "NHS L&D 2026-27",
    }
    row.update(changes)
    return list(row.values())


def sub_row(**changes):
    row = {
        "reference": "SUB-HWC-1",
        "title": "Women's pathway",
        "contract": "nhs-ld-2026",
        "lead": "Riverside Minds",
        "cvo": "Harbour Women's Centre",
        "value": 180000,
        "start": datetime.date(2026, 4, 1),
        "end": datetime.date(2027, 3, 31),
        "status": "active",
        "block": 90,
        "pbr": 10,
        "frequency": None,
        "days": 30,
        "terms": "",
    }
    row.update(changes)
    return list(row.values())


def test_contracts_then_subcontracts_import_by_reference_and_again_change_nothing(client, new):
    from contracts.models import Contract, Subcontract

    consortium, users = new
    client.force_login(users["lead"])
    upload(client, "organisations", filled(client, "organisations", ORGS))
    # Subcontracts first: their prime contract is not there yet.
    response = upload(client, "subcontracts", filled(client, "subcontracts", [sub_row()]))
    assert problems(response) == [
        (
            "2",
            "C",
            "Prime contract: no contract has the reference nhs-ld-2026. Import the contracts "
            "first, or correct the reference.",
        )
    ]
    response = upload(client, "contracts", filled(client, "contracts", [contract_row()]))
    assert problems(response)[0][:2] == ("2", "M")  # the stream is not there yet
    assert (
        upload(client, "funding-streams", filled(client, "funding-streams", STREAMS)).status_code
        == 302
    )
    for kind, row in (("contracts", contract_row()), ("subcontracts", sub_row())):
        response = upload(client, kind, filled(client, kind, [row]))
        assert response.status_code == 302, problems(response)
    contract = Contract.objects.get(reference="NHS-LD-2026")
    assert (contract.value, contract.block_percent, contract.payment_days) == (
        D("1200000.00"),
        100,
        30,
    )
    assert [s.name for s in contract.funding_streams.all()] == ["NHS L&D 2026-27"]
    sub = Subcontract.objects.get(reference="SUB-HWC-1")
    assert (sub.contract, sub.cvo.name, sub.block_percent, sub.pbr_percent) == (
        contract,
        "Harbour Women's Centre",
        90,
        10,
    )
    events = imported_events(consortium).count()
    for kind, row in (("contracts", contract_row()), ("subcontracts", sub_row())):
        assert upload(client, kind, filled(client, kind, [row], keep=False)).status_code == 302
        assert upload(client, kind, filled(client, kind, [])).status_code == 302
    assert imported_events(consortium).count() == events
    assert contract.history.count() == 1 and sub.history.count() == 1
    response = upload(
        client, "subcontracts", filled(client, "subcontracts", [sub_row(block=80)], keep=False)
    )
    assert "must add up to 100%" in problems(response)[0][2]


# --- every page, after an import of each kind -----------------------------------------------


def test_every_page_works_after_an_import_of_each_kind(everything, client):
    """Some 1,700 requests (every URL pattern and its download as three people, and each
    imported record's page): the longest test of this module."""
    from contracts.models import Contract, Subcontract
    from supervision.models import Post, StaffMember
    from tests.test_day_one import crawl

    consortium, admin, _ = start()
    users = staff_of(consortium, admin)
    client.force_login(admin)
    files = [
        ("organisations", ORGS),
        (
            "sites",
            [["Riverside Custody Suite", "police_custody", "Riverside", "", "Riverside Minds"]],
        ),
        ("people", [["Sam", "Super", "sam@example.org", "Riverside Minds", "supervisor"]]),
        ("funding-streams", STREAMS),
        ("posts", [post_row()]),
        ("staff", [staff_row(post="HWC-FMHP-01")]),
        ("contracts", [contract_row()]),
        ("subcontracts", [sub_row()]),
    ]
    for kind, rows in files:
        response = upload(client, kind, filled(client, kind, rows))
        assert response.status_code == 302, (kind, problems(response))
    records = [
        *Organisation.objects.filter(memberships__consortium=consortium),
        *Site.objects.filter(consortium=consortium),
        *FundingStream.objects.filter(consortium=consortium),
        *StaffMember.objects.filter(consortium=consortium),
        *Post.objects.filter(consortium=consortium),
        *Contract.objects.filter(consortium=consortium),
        *Subcontract.objects.filter(consortium=consortium),
    ]
    assert len(records) == 10
    urls = [r.get_absolute_url() for r in records]
    urls += [reverse("history", args=[r._meta.label, r.pk]) for r in records]
    problems_found = crawl(client, users, everything, extra_urls=urls)
    assert not problems_found, "\n".join(problems_found)


# --- posts ---------------------------------------------------------------------------------


def post_row(**changes):
    row = {
        "reference": "HWC-FMHP-01",
        "org": "Harbour Women's Centre",
        "title": "Forensic mental health practitioner",
        "fte": 0.8,
        "status": "Vacant",
        "since": datetime.date(2026, 10, 1),
        "sites": "Riverside Custody Suite",
        "funded_by": "NHS L&D 2026-27",
        "cover": "",
    }
    row.update(changes)
    return list(row.values())


def test_posts_import_by_reference_with_their_sites_and_funding_and_staff_name_them(client, new):
    from supervision.models import Post, StaffMember

    consortium, users = new
    client.force_login(users["lead"])
    upload(client, "funding-streams", filled(client, "funding-streams", STREAMS))
    site = [["Riverside Custody Suite", "police_custody", "Riverside", "", ""]]
    upload(client, "sites", filled(client, "sites", site))
    rows = [post_row(), post_row(reference="HWC-FMHP-02", status="Filled", since=None)]
    response = upload(client, "posts", filled(client, "posts", rows))
    assert response.status_code == 302, problems(response)
    post = Post.objects.get(reference="HWC-FMHP-01")
    assert (post.fte, post.vacancy_start) == (D("0.80"), datetime.date(2026, 10, 1))
    assert [s.name for s in post.sites.all()] == ["Riverside Custody Suite"]
    assert [s.name for s in post.funded_by.all()] == ["NHS L&D 2026-27"]
    assert upload(client, "posts", filled(client, "posts", [])).status_code == 302
    assert post.history.count() == 1
    # Two posts share a title: staff name theirs by its reference.
    response = upload(client, "staff", filled(client, "staff", [staff_row(post="hwc-fmhp-02")]))
    assert response.status_code == 302, problems(response)
    assert StaffMember.objects.get(email="ben@harbour.example.org").post.reference == "HWC-FMHP-02"
    response = upload(
        client,
        "staff",
        filled(
            client,
            "staff",
            [staff_row(email="amy@example.org", post="Forensic mental health practitioner")],
        ),
    )
    assert "has 2 posts called" in problems(response)[0][2]


def test_post_rows_with_unknown_sites_or_streams_or_a_missing_vacancy_date_are_refused(client, new):
    _, users = new
    client.force_login(users["cvo_manager"])
    rows = [
        post_row(since=None, funded_by=""),
        post_row(reference="X-2", sites="Nowhere Court", funded_by=""),
        post_row(reference="X-3", since=datetime.date(2027, 1, 1), funded_by=""),
        post_row(reference="X-4", sites=""),
    ]
    found = problems(upload(client, "posts", filled(client, "posts", rows)))
    assert [(r, c) for r, c, _ in found] == [
        ("2", "F"),
        ("2", "G"),
        ("3", "G"),
        ("4", "F"),
        ("4", "G"),
        ("5", "H"),
    ], found
    assert found[0][2].startswith("Vacant since: give the date")
    assert found[2][2].startswith("Sites: no site is called Nowhere Court.")
    assert "is in the future" in found[3][2]
    assert "only the consortium lead records what pays for a post" in found[5][2]


@pytest.mark.parametrize("n", [2, 12])
def test_the_members_are_read_once_however_many_rows_name_one(client, new, n):
    """A staff import reads the consortium's organisations once to check the file and once to
    save it, not once for every row that names an employer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    consortium, users = new
    client.force_login(users["cvo_manager"])
    rows = [
        staff_row(first=f"Ben{i}", email=f"ben{i}@harbour.example.org", number=f"12A34{i:02d}B")
        for i in range(n)
    ]
    data = filled(client, "staff", rows, keep=False)
    with CaptureQueriesContext(connection) as queries:
        response = upload(client, "staff", data)
    assert response.status_code == 302, problems(response)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and 'FROM "consortium_organisation"' in q["sql"]
        and "LIMIT" not in q["sql"].upper()  # a row's own employer, looked up by the service
    ]
    assert len(reads) <= 4, reads
