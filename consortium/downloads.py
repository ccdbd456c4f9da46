"""Large list downloads, prepared in the background: a list whose download holds more rows
than settings.CONCORD_DOWNLOAD_BACKGROUND_ROWS asks a task (consortium.tasks) to write it,
and the person watches its progress on a page of its own, then fetches it from there or from
their dashboard.

The task never receives a queryset: it re-reads the person and their roles in the consortium
they asked in, opens the list's own view as them (the same filters, the same access policy)
and writes what that view would have sent. The file is kept in private storage (never served
as a static or media file) for CONCORD_DOWNLOAD_KEEP_HOURS; fetching it checks again that it
is the person's own and that they may still open the list.
"""

import datetime
import tempfile

from django.conf import settings
from django.core.files import File
from django.db.models import F, Q
from django.http import HttpRequest, QueryDict
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_scopes import scope

from consortium import access, security
from consortium.consequence import Consequence
from consortium.dashboard import panel
from consortium.models import PreparedDownload
from consortium.xlsx import write_workbook

Status = PreparedDownload.Status


def start(request, *, title, filename, rows):
    """Ask for the list at this request's address (with its filters) to be prepared as a
    file for the person asking, and send them to the page that shows its progress."""
    query = request.GET.copy()
    for name in ("download_token", "page"):
        query.pop(name, None)
    # Asking again for a list already being prepared opens its page (the link is a GET).
    same = PreparedDownload.objects.visible_to(request.user).filter(
        path=request.path_info[:300],
        query=query.urlencode(),
        status__in=[Status.QUEUED, Status.RUNNING],
        expires_at__gt=timezone.now(),
    )
    # The dashboard looks for the person's files only once they have asked for one here.
    request.session[SESSION_KEY] = True
    if (found := same.first()) is not None:
        return redirect("consortium:download_status", found.pk)
    download = PreparedDownload.objects.create(
        consortium_id=request.actor.consortium_id,
        user=request.user,
        title=title[:200],
        path=request.path_info[:300],
        query=query.urlencode(),
        filename=filename[:200],
        rows_total=rows,
        expires_at=timezone.now() + keep_for(),
    )
    enqueue(download)
    return redirect("consortium:download_status", download.pk)


SESSION_KEY = "concord_prepared_downloads"


def keep_for():
    return datetime.timedelta(hours=settings.CONCORD_DOWNLOAD_KEEP_HOURS)


def enqueue(download):
    """Queue the task that prepares `download` (again, after a failure)."""
    from consortium.tasks import prepare_download

    prepare_download.enqueue(download.pk)


# A download still waiting or being prepared this long after it was asked for has lost its
# worker (stopped, or none running): the page says it failed, and it can be tried again.
STALLED_AFTER = datetime.timedelta(hours=1)


def stalled(download, now=None):
    cutoff = (now or timezone.now()) - STALLED_AFTER
    return download.status in (Status.QUEUED, Status.RUNNING) and download.created_at < cutoff


def failed(download):
    """Whether the person is told the download failed (and offered to try again)."""
    return download.status == Status.FAILED or stalled(download)


def retry(download):
    """Start a failed (or stalled) download again from the beginning."""
    retryable = Q(status=Status.FAILED) | Q(
        status__in=[Status.QUEUED, Status.RUNNING],
        created_at__lt=timezone.now() - STALLED_AFTER,
    )
    changed = PreparedDownload._base_manager.filter(retryable, pk=download.pk).update(
        created_at=timezone.now(),
        status=Status.QUEUED,
        rows_done=0,
        started_at=None,
        finished_at=None,
        expires_at=timezone.now() + keep_for(),
    )
    if changed:
        enqueue(download)


class NoLongerAllowed(Exception):
    """The person may no longer open the list they asked to download."""


def list_view_for(download, user):
    """The list's view, set up as `user` would open it at the download's address with its
    filters, or NoLongerAllowed. The person's roles are read afresh, in the consortium they
    asked in."""
    from consortium.lists import ConcordListView

    actor = access.load_actor(user, download.consortium_id)
    if actor.consortium_id != download.consortium_id:
        raise NoLongerAllowed
    try:
        match = resolve(download.path)
    except Resolver404:
        raise NoLongerAllowed from None
    view_class = getattr(match.func, "view_class", None)
    if view_class is None or not issubclass(view_class, ConcordListView):
        raise NoLongerAllowed
    # The request the list's view reads: its address, its filters, its person.
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = download.path
    request.GET = QueryDict(download.query)
    request.META = {"QUERY_STRING": download.query, "REQUEST_METHOD": "GET"}
    request.user = user
    setattr(user, access.ACTOR_ATTR, actor)
    request.actor = actor
    request.session = {}
    if view_class.readers is not None and not view_class.readers(user):
        raise NoLongerAllowed
    view = view_class(**match.func.view_initkwargs)
    view.setup(request, *match.args, **match.kwargs)
    return view


def may_fetch(download, user):
    """Whether `user` may still fetch `download`: their own, and the list still theirs to
    open."""
    if download.user_id != user.pk:
        return False
    try:
        with scope(consortium=[download.consortium_id]):
            list_view_for(download, user)
    except NoLongerAllowed:
        return False
    return True


def prepare(download_id):
    """Write the download's file (the task's work). Progress is saved as rows are written,
    so the person's page can show it; a failure is saved too, and raised again for the
    worker to record."""
    # The task works for one person in one consortium, named by the download itself.
    download = PreparedDownload._base_manager.select_related("user").get(pk=download_id)
    if download.status not in (Status.QUEUED, Status.RUNNING):
        return download.status
    rows = PreparedDownload._base_manager.filter(pk=download.pk)
    rows.update(
        status=Status.RUNNING,
        started_at=timezone.now(),
        rows_done=0,
        attempts=F("attempts") + 1,
    )
    try:
        with scope(consortium=[download.consortium_id]):
            view = list_view_for(download, download.user)
            with security.acting_for(view.request):
                filename, headers, make_rows, total = view.export_parts()
                with tempfile.TemporaryFile(suffix=".xlsx") as file:

                    def progress(done):
                        rows.update(rows_done=done, rows_total=max(total, done))

                    count = write_workbook(file, headers, make_rows, view.title, progress)
                    file.seek(0)
                    download.file.save(f"{filename}.xlsx", File(file), save=False)
                security.log(
                    security.Kind.EXPORT,
                    detail=f"{view.title}: {filename}.xlsx, {count} rows (prepared to fetch)",
                )
    except BaseException:
        rows.update(status=Status.FAILED, finished_at=timezone.now())
        raise
    rows.update(
        status=Status.READY,
        file=download.file.name,
        filename=filename,
        rows_done=count,
        rows_total=count,
        finished_at=timezone.now(),
        expires_at=timezone.now() + keep_for(),
    )
    return Status.READY


def progress_of(download, now=None):
    """What the status page says: the share done (0–100), rows done and an estimate of the
    time left, in words, or None before there is enough to go on."""
    now = now or timezone.now()
    total = max(download.rows_total, 1)
    done = min(download.rows_done, total)
    percent = 100 if download.status == Status.READY else int(done * 100 / total)
    left = None
    if download.status == Status.RUNNING and download.started_at and done:
        spent = (now - download.started_at).total_seconds()
        seconds = spent * (total - done) / done
        left = _in_words(seconds)
    return {"percent": percent, "done": done, "total": download.rows_total, "left": left}


def progress_words(download, progress):
    """The progress bar's label and the words under it (partials/_progress.html)."""
    label = "Waiting to start" if download.status == Status.QUEUED else "Preparing the spreadsheet"
    left = f", {progress['left']} left" if progress["left"] else ""
    done = f"{progress['percent']}% done: {progress['done']} of {progress['total']} rows{left}."
    return {"label": label, "words": done}


def _in_words(seconds):
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"


def remove_expired(now=None):
    """Delete prepared downloads (and their files) past their expiry. Returns how many."""
    now = now or timezone.now()
    removed = 0
    for download in PreparedDownload._base_manager.filter(expires_at__lte=now):
        if download.file:
            download.file.delete(save=False)
        download.delete()
        removed += 1
    return removed


def downloads_of(user, consortium_id):
    """The person's own prepared downloads in this consortium, not yet expired."""
    return PreparedDownload.objects.visible_to(user).filter(
        consortium_id=consortium_id, expires_at__gt=timezone.now()
    )


@panel(check=access.member_of_consortium, order=2, consequence=Consequence.WAITING)
def your_files(request):
    """Files prepared for this person: "your file is ready", or still being prepared, or
    failed (with the way to try again on its page)."""
    session = getattr(request, "session", {})
    if not session.get(SESSION_KEY):
        return None  # never asked for one: no query on every dashboard
    mine = list(downloads_of(request.user, request.actor.consortium_id)[:10])
    if not mine:
        session.pop(SESSION_KEY, None)
        return None
    ready = [d for d in mine if d.status == Status.READY]
    words = {
        Status.READY: "ready to download",
        Status.QUEUED: "waiting to start",
        Status.RUNNING: "being prepared",
        Status.FAILED: "could not be prepared — try again",
    }
    items = [
        (
            f"{d.title} ({d.rows_total:,} rows): {words[Status.FAILED if failed(d) else d.status]}",
            reverse("consortium:download_status", args=[d.pk]),
        )
        for d in mine
    ]
    return {
        "title": "Your file is ready" if len(ready) == 1 else "Your files",
        "headline": (
            f"Your file is ready: {ready[0].title}"
            if len(ready) == 1
            else f"Your files are ready: {len(ready)}"
        ),
        "count": len(ready),
        "needs_you": bool(ready),
        "consequence": Consequence.WAITING if ready else Consequence.INFORMATION,
        "items": items,
        "open": True,
        "label": "Ready",
    }
