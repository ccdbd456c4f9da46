"""Reminder digests as tasks: `send_reminders --in-background` queues one task a person, which
sends the same digest the command would, and tries again (up to three times) when it cannot."""

import logging

import pytest
from django.core import mail
from django_scopes import scope

from consortium.models import ReminderDigest, ReminderSent
from tests.test_reminders import emails_to, frozen, send, wf  # noqa: F401


def bodies():
    return sorted((m.to[0], m.subject, m.body) for m in mail.outbox)


@pytest.mark.django_db
def test_queued_digests_are_the_digests_the_command_sends(wf, capsys):  # noqa: F811
    send(in_background=True)
    assert "digests queued for the task workers" in capsys.readouterr().out
    queued = bodies()
    assert "Your registration expires 30 Mar 2026" in emails_to("practitioner")[0].body
    assert len(emails_to("lead")) == 1
    # A second run sends nothing: the claims are the command's own.
    send(in_background=True)
    assert bodies() == queued
    with scope(consortium=wf.home.pk):
        ReminderSent.objects.all().delete()
        ReminderDigest.objects.all().delete()
    mail.outbox.clear()
    send()
    assert bodies() == queued


class RefusingLead:
    """An email backend that refuses every message to the lead (the others go through)."""

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        if any("lead@example.org" in m.to for m in messages):
            raise ConnectionRefusedError("SMTP server refused the connection")
        return self.inner.send_messages(messages)


@pytest.mark.django_db
def test_a_digest_that_cannot_be_sent_is_tried_three_times_and_then_by_the_next_run(
    wf,  # noqa: F811
    settings,
    caplog,
):
    settings.EMAIL_BACKEND = "tests.test_reminders_tasks.RefusingLead"
    with caplog.at_level(logging.WARNING, logger="consortium.tasks"):
        send(in_background=True)
    lead = wf.users["lead"].pk
    tries = [r.getMessage() for r in caplog.records if r.name == "consortium.tasks"]
    assert tries == [
        f"Reminder digest to user {lead} failed (try 1 of 3); trying again later.",
        f"Reminder digest to user {lead} failed (try 2 of 3); trying again later.",
        f"Reminder digest to user {lead} failed 3 times.",
    ]
    assert emails_to("lead") == [] and len(emails_to("admin")) == 1
    with scope(consortium=wf.home.pk):
        assert not ReminderSent.objects.filter(user=wf.users["lead"]).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(in_background=True)
    assert len(emails_to("lead")) == 1


@pytest.mark.django_db
def test_a_failed_digest_is_queued_again_with_its_delay_and_then_sent_once(
    wf,  # noqa: F811
    settings,
):
    """Through a queue that keeps what is enqueued and runs nothing (the dummy backend): the
    retry is a second task, due DIGEST_RETRY_AFTER later, which sends the digest once."""
    from django.utils import timezone
    from django_tasks import default_task_backend

    from consortium.tasks import DIGEST_RETRY_AFTER, send_digest
    from tests.test_reminders import DAY

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = "tests.test_reminders_tasks.RefusingLead"
    lead = wf.users["lead"].pk
    args = [wf.home.pk, lead, DAY.isoformat()]
    send_digest.enqueue(*args)
    (first,) = default_task_backend.results
    with pytest.raises(ConnectionRefusedError):
        first.task.call(*first.args)
    first, again = default_task_backend.results
    assert (again.task.module_path, again.args) == ("consortium.tasks.send_digest", [*args, 2])
    assert again.task.run_after == timezone.now() + DIGEST_RETRY_AFTER  # time stands still here
    assert first.task.run_after is None
    assert emails_to("lead") == []
    with scope(consortium=wf.home.pk):
        assert not ReminderSent.objects.filter(user=lead).exists()

    # The server takes mail again by the time the retry is due: sent once, however often run.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert again.task.call(*again.args) > 0
    assert again.task.call(*again.args) == 0
    assert len(emails_to("lead")) == 1
    assert len(default_task_backend.results) == 2
    with scope(consortium=wf.home.pk):
        assert ReminderDigest.objects.filter(user=lead).count() == 1
