"""Large list downloads are prepared by a task for the person who asked, shown with their
progress, fetched only by that person while they may still open the list, and removed after
a day. (Tasks run at once here, in the immediate backend; test_downloads_worker.py runs one
through a real worker process.)"""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from consortium import downloads
from consortium.models import PreparedDownload, RoleAssignment, SecurityEvent
from sample import make_payment

URL = "/funding/payments/"


def payments(world, n, org="cvo_a", **kw):
    for i in range(n):
        make_payment(
            None,
            world.orgs[org],
            f"{100 + i}.00",
            datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            consortium=world.home,
            **kw,
        )


@pytest.fixture
def small_threshold(settings):
    settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS = 3


def ask(client, url=URL, query="export=xlsx"):
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302, response
    return PreparedDownload.objects.latest("id"), response["Location"]


@pytest.mark.django_db
def test_a_download_over_the_threshold_is_prepared_and_fetched_by_its_person(
    client, world, lead, small_threshold
):
    """Five requests, a task run in the request and two workbooks read back (about 2 s on
    PostgreSQL)."""
    payments(world, 5, description="=1+1")
    client.force_login(lead)
    page = client.get(URL)
    assert "Prepare a spreadsheet (XLSX) to download" in page.content.decode()
    download, location = ask(client)
    assert location == f"/consortium/downloads/{download.pk}/"
    assert (download.status, download.rows_total, download.rows_done) == ("ready", 5, 5)
    assert download.user == lead and download.consortium == world.home
    status = client.get(location).content.decode()
    assert "Your file is ready" in status and "data-refresh" not in status
    file = client.get(f"{location}file/")
    assert file["Content-Disposition"].startswith('attachment; filename="payments-')
    ws = load_workbook(io.BytesIO(b"".join(file.streaming_content))).active
    rows = [list(r) for r in ws.values]
    assert len(rows) == 6
    column = rows[0].index("Payment") + 1
    assert (ws.cell(row=2, column=column).value, ws.cell(row=2, column=column).data_type) == (
        "=1+1",
        "s",
    )
    details = list(
        SecurityEvent.objects.filter(kind="export", user=lead)
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert details[-2].endswith("5 rows (prepared to fetch)")
    assert details[-1].startswith("Payments: payments-") and details[-1].endswith(", 5 rows")
    assert "Your file is ready" in client.get("/").content.decode()
    download.file.delete()


@pytest.mark.django_db
def test_a_download_within_the_threshold_still_arrives_at_once(
    client, world, lead, small_threshold
):
    payments(world, 3)
    client.force_login(lead)
    assert "Download as a spreadsheet (XLSX)" in client.get(URL).content.decode()
    response = client.get(f"{URL}?export=xlsx")
    assert response.status_code == 200 and response.streaming
    assert not PreparedDownload.objects.exists()


@pytest.mark.django_db
def test_the_prepared_file_holds_the_filtered_rows_the_person_may_see(
    client, world, cvo_a, small_threshold
):
    payments(world, 5)
    payments(world, 5, org="cvo_b")
    client.force_login(cvo_a)
    download, location = ask(client)
    file = client.get(f"{location}file/")
    rows = list(load_workbook(io.BytesIO(b"".join(file.streaming_content))).active.values)
    to = rows[0].index("To")
    assert [r[to] for r in rows[1:]] == ["CVO Alpha"] * 5
    download.file.delete()


@pytest.mark.django_db
def test_nobody_else_sees_or_fetches_a_prepared_file(
    client, world, lead, commissioner, cvo_a, outsider, small_threshold
):
    payments(world, 5)
    client.force_login(lead)
    download, location = ask(client)
    for other in (commissioner, cvo_a, outsider):
        client.force_login(other)
        assert client.get(location).status_code == 404
        assert client.get(f"{location}file/").status_code == 404
        assert client.post(f"{location}retry/").status_code == 404
    download.file.delete()


@pytest.mark.django_db
def test_a_person_who_may_no_longer_open_the_list_cannot_fetch_their_file(
    client, world, cvo_a, small_threshold
):
    payments(world, 5)
    client.force_login(cvo_a)
    download, location = ask(client)
    assert client.get(f"{location}file/").status_code == 200
    RoleAssignment.objects.filter(user=cvo_a, consortium=world.home).delete()
    RoleAssignment.objects.create(
        user=cvo_a, consortium=world.home, organisation=world.orgs["cvo_a"], role="practitioner"
    )
    assert client.get(f"{location}file/").status_code == 404
    download.file.delete()


@pytest.mark.django_db
def test_a_failed_download_says_so_and_can_be_tried_again(client, world, cvo_a, small_threshold):
    payments(world, 5)
    client.force_login(cvo_a)
    first, _ = ask(client)  # settles the session's consortium
    first.file.delete()
    download = PreparedDownload.objects.create(
        consortium=world.home,
        user=cvo_a,
        title="Payments",
        path=URL,
        query="export=xlsx",
        filename="payments",
        rows_total=5,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    # Between the asking and the doing, the person lost the role that opens the list.
    roles = list(RoleAssignment.objects.filter(user=cvo_a, consortium=world.home).values())
    RoleAssignment.objects.filter(user=cvo_a, consortium=world.home).delete()
    with pytest.raises(downloads.NoLongerAllowed):
        downloads.prepare(download.pk)
    download.refresh_from_db()
    assert download.status == "failed" and not download.file
    for role in roles:
        RoleAssignment.objects.create(**role)
    page = client.get(f"/consortium/downloads/{download.pk}/").content.decode()
    assert "The file could not be prepared" in page and "Try again" in page
    assert client.get("/").content.decode().count("could not be prepared — try again") == 1
    response = client.post(f"/consortium/downloads/{download.pk}/retry/")
    assert response.status_code == 302
    download.refresh_from_db()
    assert (download.status, download.rows_done, download.attempts) == ("ready", 5, 2)
    download.file.delete()


@pytest.mark.django_db
def test_a_download_being_prepared_shows_its_progress_and_refreshes(
    client, world, lead, small_threshold
):
    payments(world, 5)
    client.force_login(lead)
    client.get(URL)
    now = timezone.now()
    download = PreparedDownload.objects.create(
        consortium=world.home,
        user=lead,
        title="Payments",
        path=URL,
        query="export=xlsx",
        filename="payments",
        status="running",
        rows_total=40000,
        rows_done=10000,
        started_at=now - datetime.timedelta(seconds=60),
        expires_at=now + datetime.timedelta(days=1),
    )
    assert downloads.progress_of(download, now=now) == {
        "percent": 25,
        "done": 10000,
        "total": 40000,
        "left": "about 3 minutes",
    }
    page = client.get(f"/consortium/downloads/{download.pk}/").content.decode()
    assert '<div id="download-state" data-refresh="3">' in page
    assert '<progress class="concord-progress" id="download-progress" max="100" value="25">' in (
        page
    )
    assert "25% done: 10000 of 40000 rows" in page
    # Asking again for the same list opens the same page rather than a second file.
    response = client.get(f"{URL}?export=xlsx")
    assert response["Location"] == f"/consortium/downloads/{download.pk}/"


@pytest.mark.django_db
def test_prepared_files_are_removed_after_a_day(client, world, lead, small_threshold):
    payments(world, 5)
    client.force_login(lead)
    download, _ = ask(client)
    storage, name = download.file.storage, download.file.name
    assert storage.exists(name)
    assert downloads.remove_expired() == 0
    later = timezone.now() + datetime.timedelta(hours=24, minutes=1)
    assert downloads.remove_expired(now=later) == 1
    assert not storage.exists(name) and not PreparedDownload.objects.exists()


@pytest.mark.django_db
def test_the_daily_command_removes_expired_downloads(client, world, lead, small_threshold):
    from django.core.management import call_command

    payments(world, 5)
    client.force_login(lead)
    download, _ = ask(client)
    storage, name = download.file.storage, download.file.name
    PreparedDownload.objects.filter(pk=download.pk).update(expires_at=timezone.now())
    out = io.StringIO()
    call_command("remove_expired_downloads", stdout=out)
    assert out.getvalue() == "Removed 1 expired download.\n"
    assert not storage.exists(name)


@pytest.mark.django_db
def test_a_download_whose_worker_stopped_says_it_failed_and_can_be_tried_again(
    client, world, lead, small_threshold
):
    payments(world, 5)
    client.force_login(lead)
    client.get(URL)
    download = PreparedDownload.objects.create(
        consortium=world.home,
        user=lead,
        title="Payments",
        path=URL,
        query="export=xlsx",
        filename="payments",
        status="running",
        rows_total=5,
        rows_done=1,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    url = f"/consortium/downloads/{download.pk}/"
    assert client.post(f"{url}retry/").status_code == 404  # still within the hour
    PreparedDownload.objects.filter(pk=download.pk).update(
        created_at=timezone.now() - downloads.STALLED_AFTER - datetime.timedelta(minutes=1)
    )
    page = client.get(url).content.decode()
    assert "The file could not be prepared" in page and "data-refresh" not in page
    assert client.post(f"{url}retry/").status_code == 302
    download.refresh_from_db()
    assert (download.status, download.rows_done) == ("ready", 5)
    download.file.delete()
