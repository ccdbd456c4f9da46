"""Concord's background work, on Django's task framework (django-tasks, the backport of
Django 6's django.tasks; `manage.py db_worker` runs the queue). A task takes only ids and
reads everything else afresh: who asked, and what they may see, can change between the
asking and the doing."""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

from consortium import downloads, reminders

log = logging.getLogger(__name__)

# A digest that cannot be sent is tried again this many times in all, this long apart.
DIGEST_TRIES = 3
DIGEST_RETRY_AFTER = datetime.timedelta(minutes=15)


@task()
def prepare_download(download_id: int):
    """Write a large list download for the person who asked (consortium.downloads)."""
    return downloads.prepare(download_id)


@task()
def remove_expired_downloads():
    """Delete prepared downloads past their expiry, and their files."""
    return downloads.remove_expired()


@task()
def send_digest(consortium_id: int, user_id: int, as_of: str, attempt: int = 1):
    """One person's reminder digest for one day (`send_reminders --in-background` queues one a
    person). If it cannot be sent it is queued again, DIGEST_RETRY_AFTER later, up to
    DIGEST_TRIES tries; each failed try is recorded as a failed task."""
    try:
        return reminders.send_digest_to(
            consortium_id=consortium_id,
            user_id=user_id,
            as_of=datetime.date.fromisoformat(as_of),
        )
    except Exception:
        if attempt < DIGEST_TRIES:
            log.warning(
                "Reminder digest to user %s failed (try %s of %s); trying again later.",
                user_id,
                attempt,
                DIGEST_TRIES,
            )
            again = send_digest
            if again.get_backend().supports_defer:
                again = again.using(run_after=timezone.now() + DIGEST_RETRY_AFTER)
            again.enqueue(consortium_id, user_id, as_of, attempt + 1)
        else:
            log.error("Reminder digest to user %s failed %s times.", user_id, attempt)
        raise
