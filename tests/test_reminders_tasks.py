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
