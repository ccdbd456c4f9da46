"""Signing a pack off through its page: the lead's request decides the sign-off, and a task
freezes the figures and writes the PDF while the lead watches its progress. Until it is done
the pack is "being signed off", read by nobody outside the lead's office; a failure says so,
and the lead alone can try again. (Tasks run at once here, in the immediate backend; the
queued state is seen through the dummy backend, which keeps what is enqueued and runs
nothing.)"""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks import default_task_backend

from consortium.models import Event
from contracts.models import AssurancePack
from contracts.models.assurance import digest_of
from contracts.services import assurance as svc
from sample import make_pack
from tests.test_assurance_packs import _flat, pdf_pages

JUNE = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
QUEUE = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def june_pack(w):
    return make_pack(w.money["contract"], *JUNE, by=w.users["lead"])


def sign_off(client, pack):
    response = client.post(f"/assurance/{pack.pk}/sign-off/", {"confirm": "on"})
    assert response.status_code == 302
    return response["Location"]


def status(client, user, url, method="get"):
    client.force_login(user)
    return getattr(client, method)(url).status_code


def signed_off_events(pack):
    return Event.objects.filter(verb="assurance pack signed off", object_id=str(pack.pk)).count()


@pytest.mark.django_db
def test_a_queued_sign_off_shows_its_progress_and_then_the_signed_off_pack(
    packs_world, client, monkeypatch
):
    """Renders the pack's PDF once, in the task, and reads every page (about 3 s)."""
    from contracts.pdf import assurance as pdf

    w = packs_world
    pack = june_pack(w)
    client.force_login(w.users["lead"])
    with override_settings(TASKS=QUEUE):
        location = sign_off(client, pack)
        (queued,) = default_task_backend.results
    assert location == f"/assurance/{pack.pk}/signing/"
    assert (queued.task.module_path, queued.args) == ("contracts.tasks.finish_sign_off", [pack.pk])
    pack.refresh_from_db()
    assert (pack.state, pack.build, pack.digest) == ("signing", "queued", "")
    assert pack.signed_off_by == w.users["lead"]

    page = client.get(location).content.decode()
    assert '<div id="signing-state" data-refresh="3">' in page
    assert '<progress class="concord-progress" id="signing-progress" max="100" value="0">' in page
    assert "Waiting to start" in page and "Try again" not in page
    detail = client.get(f"/assurance/{pack.pk}/").content.decode()
    assert "This pack is signed off and being prepared" in detail
    assert "Being signed off" in detail and f"/assurance/{pack.pk}/sign-off/" not in detail
    dashboard = client.get("/").content.decode()
    assert f"Being signed off: {pack}" in dashboard and location in dashboard
    # Frozen from the sign-off on: nothing changes the figures the task is freezing.
    assert client.get(f"/assurance/{pack.pk}/narrative/").status_code == 302
    assert client.get(f"/assurance/{pack.pk}/sign-off/")["Location"] == location
    # Nobody outside the lead's office reads it yet, nor its progress.
    for person in ("commissioner", "cvo_a"):
        for url in (f"/assurance/{pack.pk}/", location, f"/assurance/{pack.pk}/pack.pdf"):
            assert status(client, w.users[person], url) == 404, (person, url)

    # Half way through the sections.
    total = len(svc.assurance.sections()) + 1
    AssurancePack._base_manager.filter(pk=pack.pk).update(build="running", build_total=total)
    AssurancePack._base_manager.filter(pk=pack.pk).update(build_done=total // 2)
    client.force_login(w.users["lead"])
    page = client.get(location).content.decode()
    percent = int((total // 2) * 100 / total)
    assert "Taking the figures" in page
    assert f"{percent}% done: {total // 2} of {total - 1} sections taken." in page

    # The worker runs the task: the figures frozen with their digest, and the PDF written.
    renders = []
    real = pdf.pdf_bytes
    monkeypatch.setattr(pdf, "pdf_bytes", lambda *a, **k: renders.append(1) or real(*a, **k))
    assert queued.task.call(*queued.args) == "signed_off"
    pack = AssurancePack.objects.get(pk=pack.pk)
    assert (pack.state, pack.build, pack.build_attempts) == ("signed_off", "", 1)
    assert pack.digest == digest_of(pack.snapshot) and pack.figures_at is not None
    assert signed_off_events(pack) == 1
    page = client.get(location).content.decode()
    assert "data-refresh" not in page and "Signed off" in page and pack.digest in page
    assert f'href="/assurance/{pack.pk}/"' in page

    # The commissioner reads it now, and the PDF the task wrote is the one they download.
    client.force_login(w.users["commissioner"])
    assert client.get(f"/assurance/{pack.pk}/").status_code == 200
    data = client.get(f"/assurance/{pack.pk}/pack.pdf").content
    assert len(renders) == 1
    pages = pdf_pages(data)
    for n, text in enumerate(pages, start=1):
        assert f"SHA-256{pack.digest}" in _flat(text), n
        assert f"Page {n} of {len(pages)}" in text, n

    # The task run again (a worker retrying it) changes nothing.
    assert queued.task.call(*queued.args) == "signed_off"
    assert AssurancePack.objects.get(pk=pack.pk).version == pack.version
    assert signed_off_events(pack) == 1


@pytest.mark.django_db
def test_a_failed_sign_off_says_so_and_only_the_lead_can_try_again(
    packs_world, client, monkeypatch
):
    """Renders the pack's PDF once, on the second try (about 2 s)."""
    from contracts.pdf import assurance as pdf

    w = packs_world
    pack = june_pack(w)
    real = pdf.pdf_bytes

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(pdf, "pdf_bytes", broken)
    client.force_login(w.users["lead"])
    location = sign_off(client, pack)
    assert location == f"/assurance/{pack.pk}/signing/"
    pack.refresh_from_db()
    assert (pack.state, pack.build, pack.build_attempts, pack.digest) == (
        "signing",
        "failed",
        1,
        "",
    )
    assert signed_off_events(pack) == 0

    page = client.get(location).content.decode()
    assert "The sign-off could not be finished" in page and "data-refresh" not in page
    assert f'action="/assurance/{pack.pk}/signing/retry/"' in page and "Try again" in page
    detail = client.get(f"/assurance/{pack.pk}/").content.decode()
    assert "The sign-off could not be finished" in detail

    # The administrator sees it failed, but trying again is the lead's.
    admin = w.users["admin"]
    client.force_login(admin)
    page = client.get(location).content.decode()
    assert "The sign-off could not be finished" in page and "The lead can try again." in page
    assert "/signing/retry/" not in page
    retry = f"/assurance/{pack.pk}/signing/retry/"
    assert status(client, admin, retry, "post") == 404
    # The commissioner and the members do not see the pack, its failure or the way to retry.
    for person in ("commissioner", "cvo_a", "cvo_b"):
        for url in (f"/assurance/{pack.pk}/", location):
            assert status(client, w.users[person], url) == 404, (person, url)
        assert status(client, w.users[person], retry, "post") == 404, person
    pack.refresh_from_db()
    assert (pack.state, pack.build, pack.build_attempts) == ("signing", "failed", 1)

    # The lead tries again, and it works; pressing again does nothing more.
    monkeypatch.setattr(pdf, "pdf_bytes", real)
    client.force_login(w.users["lead"])
    assert client.post(retry)["Location"] == location
    pack.refresh_from_db()
    assert (pack.state, pack.build, pack.build_attempts) == ("signed_off", "", 2)
    assert pack.digest == digest_of(pack.snapshot)
    assert "Signed off" in client.get(location).content.decode()
    assert client.post(retry)["Location"] == location
    assert AssurancePack.objects.get(pk=pack.pk).version == pack.version
    assert signed_off_events(pack) == 1
    assert (
        Event.objects.filter(
            verb="assurance pack sign-off tried again", object_id=str(pack.pk)
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_a_sign_off_whose_worker_stopped_says_it_failed_and_is_queued_again_once(
    packs_world, client
):
    """A queued sign-off, its worker gone, its retry and the PDF written: a few seconds."""
    w = packs_world
    pack = june_pack(w)
    client.force_login(w.users["lead"])
    retry = f"/assurance/{pack.pk}/signing/retry/"
    with override_settings(TASKS=QUEUE):
        location = sign_off(client, pack)
        # Still within the hour: waiting, and not to be queued twice.
        client.post(retry)
        assert len(default_task_backend.results) == 1
        AssurancePack._base_manager.filter(pk=pack.pk).update(
            build_asked_at=timezone.now() - datetime.timedelta(hours=1, minutes=1)
        )
        assert "The sign-off could not be finished" in client.get(location).content.decode()
        client.post(retry)
        client.post(retry)
        first, again = default_task_backend.results
    assert again.args == first.args == [pack.pk]
    pack.refresh_from_db()
    assert (pack.state, pack.build) == ("signing", "queued")
    assert 'data-refresh="3"' in client.get(location).content.decode()
    # Both tasks run (the first worker woke up after all): signed off once.
    assert first.task.call(*first.args) == again.task.call(*again.args) == "signed_off"
    assert signed_off_events(pack) == 1
