"""A large download goes through the real queue: the request stores a task in the database
and a separate `manage.py db_worker` process, started here, prepares the file."""

import datetime
import io
import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from consortium.models import PreparedDownload
from sample import ConsortiumWorld, make_payment


def run_worker(tmp_path):
    """Run one worker process over every task queued, then let it exit. The worker reads this
    test's database: on PostgreSQL by its name; on SQLite (in memory, so out of another
    process's reach) through a copy on disk that is copied back once the worker is done."""
    env = {**os.environ, "CONCORD_PRIVATE_FILES_DIR": str(django_settings.PRIVATE_FILES_DIR)}
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["CONCORD_DATA_DIR"] = str(tmp_path)
        copy = sqlite3.connect(tmp_path / "concord.sqlite3")
        connection.connection.backup(copy)
        copy.close()
    else:
        env["DATABASE_URL"] = (
            os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
        )
    worker = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--verbosity",
            "2",
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(tmp_path / "concord.sqlite3")
        copy.backup(connection.connection)
        copy.close()
    return worker.stdout + worker.stderr


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_prepares_a_large_download(client, settings, tmp_path):
    """Starts a worker process (a Django starting up, about 3 s)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS = 3
    w = ConsortiumWorld.build()
    for i in range(5):
        make_payment(
            None,
            w.orgs["cvo_a"],
            f"{100 + i}.00",
            datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            consortium=w.home,
        )
    client.force_login(w.users["lead"])
    response = client.get("/funding/payments/?export=xlsx")
    download = PreparedDownload.objects.get()
    assert response["Location"] == f"/consortium/downloads/{download.pk}/"
    assert download.status == "queued"
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "consortium.tasks.prepare_download",
        [download.pk],
    )
    page = client.get(response["Location"]).content.decode()
    assert "Waiting to start" in page and 'data-refresh="3"' in page

    log = run_worker(tmp_path)

    download.refresh_from_db()
    assert (download.status, download.rows_done, download.attempts) == ("ready", 5, 1), log
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    file = client.get(f"/consortium/downloads/{download.pk}/file/")
    rows = list(load_workbook(io.BytesIO(b"".join(file.streaming_content))).active.values)
    assert len(rows) == 6 and rows[0][0] is not None
    download.file.delete()
