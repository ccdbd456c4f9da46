"""Concord's background work, on Django's task framework (django-tasks, the backport of
Django 6's django.tasks; `manage.py db_worker` runs the queue). A task takes only ids and
reads everything else afresh: who asked, and what they may see, can change between the
asking and the doing."""

from django_tasks import task

from consortium import downloads


@task()
def prepare_download(download_id: int):
    """Write a large list download for the person who asked (consortium.downloads)."""
    return downloads.prepare(download_id)


@task()
def remove_expired_downloads():
    """Delete prepared downloads past their expiry, and their files."""
    return downloads.remove_expired()
