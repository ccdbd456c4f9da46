import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from consortium import (
    access,
    constraints,
    downloads,
    importing,
    reminders,
    security,
    services,
    tokens,
    twofactor,
)
from consortium.base import RecordFrozen, StaleEdit
from consortium.dashboard import queue_for
from consortium.filters import OrganisationFilter, PeopleFilter, SecurityEventFilter, SiteFilter
from consortium.forms import (
    ConsortiumSettingsForm,
    ImportForm,
    OrganisationForm,
    PersonForm,
    ReasonForm,
    ReminderPreferenceForm,
    RoleAssignmentForm,
    SiteForm,
)
from consortium.lists import ConcordListView
from consortium.middleware import SESSION_KEY
from consortium.models import (
    ApiToken,
    Consortium,
    Membership,
    Organisation,
    PreparedDownload,
    ReminderPreference,
    RoleAssignment,
    SecurityEvent,
    Site,
)
from consortium.tables import OrganisationTable, PeopleTable, SecurityEventTable, SiteTable
from consortium.xlsx import SEND_BLOCK, XLSX_CONTENT_TYPE, xlsx_file_response
from consortium.xlsx_guard import UploadInvalid, UploadRefused, read_upload

STALE_MESSAGE = (
    "Somebody else saved this record after you opened it, so your changes were not saved. "
    "The page now shows their version: make your changes again."
)


# What a service raises when the rules say no: a rule (ValidationError), a person's roles
# (PermissionDenied) or a record locked by its state (RecordFrozen). Every page says why.
REFUSED = (ValidationError, PermissionDenied, RecordFrozen)


def reasons(error):
    """The plain-English reasons a refusal gives, one message each."""
    return getattr(error, "messages", None) or [str(error)]


def apply_errors(form, error):
    """Put a service's refusal on the form: a ValidationError field by field where it names
    one, any other refusal as a message for the whole form."""
    if not isinstance(error, ValidationError):
        error = ValidationError(reasons(error))
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def save_or_refuse(request, form, save, *, success, to=None, refused=apply_errors):
    """The POST of an edit view, once the form is valid: `save()` calls the service.

    Saved: the success message (text, or a function of what `save()` returned) and a redirect
    to `to(saved)`, or to the saved object's page. A stale edit (somebody saved the record
    after this person opened it): STALE_MESSAGE and the edit page again, showing the other
    person's version. A refusal (REFUSED) goes on the form through
    `refused(form, error)` and None is returned, so the view shows the person's input again.
    """
    try:
        saved = save()
    except StaleEdit:
        messages.error(request, STALE_MESSAGE)
        return redirect(request.path)
    except REFUSED as error:
        refused(form, error)
        return None
    except IntegrityError as error:
        # A rule the database enforces (two people saving at once can still meet one).
        model = getattr(getattr(form, "_meta", None), "model", None)
        form.add_error(None, constraints.explain_integrity_error(model, error))
        return None
    messages.success(request, success(saved) if callable(success) else success)
    return redirect(to(saved) if to else saved)


def act_or_refuse(request, act, *, success, back, to=None, prefix=""):
    """A button on a record's page, once the view has checked who may press it: `act()` calls
    the service. Done: the success message (text, or a function of what `act()` returned) and a
    redirect to `to(done)`, else to `back`. A stale edit or a refusal (REFUSED): each reason
    as an error message, after `prefix`, and back to `back`, the page that says why."""
    try:
        done = act()
    except StaleEdit:
        messages.error(request, STALE_MESSAGE)
    except REFUSED as error:
        for reason in reasons(error):
            messages.error(request, prefix + reason)
    else:
        messages.success(request, success(done) if callable(success) else success)
        return redirect(to(done) if to else back)
    return redirect(back)


def take_upload(form, take, *, max_bytes):
    """An upload page's POST, once its form is valid: the file read (within `max_bytes`), then
    `take(data, filename)`, the service that takes it all or nothing. Returns what `take`
    returned, or None with the reason on the form's file field: a file Concord will not open,
    wrong rows (listed row by row in `form.problems`, with `form.checked` rows read), a
    stale edit, or any other refusal."""
    upload = form.cleaned_data["file"]
    form.problems = form.checked = None
    try:
        return take(read_upload(upload, max_bytes=max_bytes), upload.name)
    except UploadRefused as e:
        form.add_error("file", str(e))
    except UploadInvalid as e:
        form.problems, form.checked = e.problems, e.rows_checked
        form.add_error("file", e.summary)
    except StaleEdit:
        form.add_error("file", STALE_MESSAGE)
    except REFUSED as e:
        form.add_error("file", " ".join(reasons(e)))
    return None


def record_button(find, allowed, *, fresh=False):
    """A view for one button on a record's page: POST only; `find(request, pk)` gives the
    record (404 outside this person's scope) and `allowed(user, record)` must hold (404
    otherwise). With `fresh`, the person confirms a fresh second factor first and comes back
    to the record's page to press it again (acts that decide money). The view is called as
    view(request, record)."""

    def wrap(view):
        @login_required
        @require_POST
        @functools.wraps(view)
        def button(request, pk):
            record = find(request, pk)
            access.require(allowed(request.user, record))
            if fresh:
                ask = twofactor.fresh_factor_response(request, next_url=record.get_absolute_url())
                if ask:
                    return ask
            return view(request, record)

        return button

    return wrap


def form_page(
    request, form, save, *, success, to=None, template="consortium/form_page.html", **context
):
    """An edit page: the form, and on a valid POST `save_or_refuse` with the same arguments.
    Whatever is not saved (a refusal, or the first visit) shows the page again with `context`
    (title, object, submit_label, ...)."""
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(request, form, save, success=success, to=to)
        if response:
            return response
    return render(request, template, {"form": form, **context})


@login_required
def dashboard(request):
    queue = queue_for(request)
    today = [s for s in queue if s.needs_you]
    return render(request, "consortium/dashboard.html", {"queue": queue, "today": today})


@login_required
def switch_consortium(request):
    actor = request.actor
    choices = list(Consortium._base_manager.filter(pk__in=actor.consortium_ids).order_by("name"))
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("consortium", ""))
        except ValueError:
            chosen = None
        if chosen in actor.consortium_ids:
            request.session[SESSION_KEY] = chosen
            return redirect("dashboard")
        messages.error(request, "Choose one of your consortia.")
    return render(request, "consortium/switch.html", {"choices": choices})


class OrganisationList(ConcordListView):
    model = Organisation
    table_class = OrganisationTable
    filterset_class = OrganisationFilter
    title = "Organisations"
    import_kind = "organisations"
    readers = staticmethod(access.reads_consortium)

    def get_base_queryset(self):
        return Organisation.objects.prefetch_related(
            Prefetch(
                "memberships", queryset=Membership.objects.all(), to_attr="consortium_memberships"
            )
        )

    add_action = ("Add an organisation", "consortium:organisation_create", access.can_manage_setup)


@login_required
def organisation_detail(request, pk):
    org = access.get_visible_or_404(Organisation, request.user, pk=pk)
    membership = Membership.objects.filter(organisation=org).first()
    people = (
        RoleAssignment.objects.visible_to(request.user)
        .filter(organisation=org)
        .select_related("user")
    )
    sites = Site.objects.visible_to(request.user).filter(operated_by=org)
    return render(
        request,
        "consortium/organisation_detail.html",
        {
            "org": org,
            "membership": membership,
            "people": people,
            "sites": sites,
            "can_manage": access.can_manage_setup(request.user),
        },
    )


@login_required
def organisation_edit(request, pk=None):
    access.require(access.can_manage_setup(request.user))
    org = access.get_visible_or_404(Organisation, request.user, pk=pk) if pk else None
    membership = Membership.objects.filter(organisation=org).first() if org else None
    initial = {"role": membership.role} if membership else {}
    form = OrganisationForm(request.POST or None, instance=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in OrganisationForm.Meta.fields}
        role = form.cleaned_data["role"]
        if org is None:
            consortium = Consortium.objects.get(pk=request.actor.consortium_id)
            response = save_or_refuse(
                request,
                form,
                lambda: services.organisation_create(
                    by=request.user, consortium=consortium, role=role, **data
                ),
                success=lambda org: f"{org.name} added to the consortium.",
                to=lambda org: reverse("consortium:organisation_detail", args=[org.pk]),
            )
        else:
            response = save_or_refuse(
                request,
                form,
                lambda: services.organisation_update(
                    by=request.user,
                    organisation=org,
                    expected_version=form.cleaned_data["expected_version"],
                    role=role,
                    **data,
                ),
                success=lambda org: f"{org.name} saved.",
                to=lambda org: reverse("consortium:organisation_detail", args=[org.pk]),
            )
        if response:
            return response
    title = f"Change {org.name}" if org else "Add an organisation"
    return render(
        request, "consortium/form_page.html", {"form": form, "title": title, "object": org}
    )


class SiteList(ConcordListView):
    model = Site
    table_class = SiteTable
    filterset_class = SiteFilter
    title = "Sites"
    import_kind = "sites"
    readers = staticmethod(access.reads_consortium)

    def get_base_queryset(self):
        return Site.objects.select_related("operated_by")

    add_action = ("Add a site", "consortium:site_create", access.can_manage_setup)


@login_required
def site_detail(request, pk):
    site = access.get_visible_or_404(
        Site.objects.select_related("operated_by"), request.user, pk=pk
    )
    return render(
        request,
        "consortium/site_detail.html",
        {"site": site, "can_manage": access.can_manage_setup(request.user)},
    )


@login_required
def site_edit(request, pk=None):
    access.require(access.can_manage_setup(request.user))
    site = access.get_visible_or_404(Site, request.user, pk=pk) if pk else Site()
    form = SiteForm(request.POST or None, instance=site, user=request.user)
    title = f"Change {site.name}" if pk else "Add a site"
    return form_page(
        request,
        form,
        lambda: services.site_save(
            by=request.user,
            site=form.instance,
            expected_version=form.cleaned_data["expected_version"],
        ),
        success=f"{site.name} saved.",
        to=lambda site: reverse("consortium:site_detail", args=[site.pk]),
        title=title,
        object=site if pk else None,
    )


class People(ConcordListView):
    model = RoleAssignment
    table_class = PeopleTable
    filterset_class = PeopleFilter
    title = "People and roles"
    import_kind = "people"
    export_name = "people-and-roles"
    readers = staticmethod(access.reads_consortium)

    def get_base_queryset(self):
        return RoleAssignment.objects.select_related("user", "organisation")

    add_action = ("Add a person", "consortium:person_create", access.can_manage_setup)


@login_required
def person_create(request):
    access.require(access.can_manage_setup(request.user))
    if ask := twofactor.fresh_factor_response(request):
        return ask
    form = PersonForm(request.POST or None, prefix="person")
    role_form = RoleAssignmentForm(request.POST or None, user=request.user, prefix="role")
    if request.method == "POST" and form.is_valid() and role_form.is_valid():

        def save():
            user = services.person_create(by=request.user, **form.cleaned_data)
            services.role_assign(by=request.user, user=user, **role_form.cleaned_data)
            services.person_invite(
                by=request.user, user=user, base_url=request.build_absolute_uri("/")
            )
            return user

        response = save_or_refuse(
            request,
            form,
            save,
            success=lambda user: (
                f"{user.get_full_name()} added. We have emailed them a link to set a password."
            ),
            to=_person_url,
        )
        if response:
            return response
    return render(
        request,
        "consortium/person_form.html",
        {"form": form, "role_form": role_form, "title": "Add a person"},
    )


def _person_url(person):
    return reverse("consortium:person_detail", kwargs={"user_id": person.pk})


def _visible_person(request, user_id):
    assignments = (
        RoleAssignment.objects.visible_to(request.user)
        .filter(user_id=user_id)
        .select_related("user", "organisation")
    )
    assignments = list(assignments)
    if not assignments:
        raise Http404("Not found")
    return assignments[0].user, assignments


@login_required
def person_detail(request, user_id):
    person, assignments = _visible_person(request, user_id)
    can_manage = access.can_manage_setup(request.user)
    form = RoleAssignmentForm(request.POST or None, user=request.user) if can_manage else None
    if request.method == "POST":
        access.require(access.can_manage_setup(request.user))
        if ask := twofactor.fresh_factor_response(request):
            return ask
        if form.is_valid():
            response = save_or_refuse(
                request,
                form,
                lambda: services.role_assign(by=request.user, user=person, **form.cleaned_data),
                success="Role given.",
                to=lambda _: _person_url(person),
            )
            if response:
                return response
    return render(
        request,
        "consortium/person_detail.html",
        {
            "person": person,
            "assignments": assignments,
            "form": form,
            "can_manage": can_manage,
            "can_reset_factors": access.can_reset_second_factors(request.user)
            and person.pk != request.user.pk,
            "factor_count": len(twofactor.factors(person)),
        },
    )


@login_required
def person_reset_two_factor(request, user_id):
    """An administrator resets the second factors of a person who lost them."""
    access.require(access.can_reset_second_factors(request.user))
    person, _assignments = _visible_person(request, user_id)
    if ask := twofactor.fresh_factor_response(request):
        return ask
    form = ReasonForm(
        request.POST or None, help_text="Say why, and how you checked who asked for it."
    )
    if request.method == "POST" and form.is_valid():
        response = save_or_refuse(
            request,
            form,
            lambda: twofactor.reset_factors(
                by=request.user, user=person, reason=form.cleaned_data["reason"]
            ),
            success=f"Second factors reset. {person.get_full_name() or person.username} sets up "
            "a new one at their next sign-in.",
            to=lambda _: _person_url(person),
        )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {
            "form": form,
            "title": f"Reset the second factors of {person.get_full_name() or person.username}",
            "submit_label": "Reset second factors",
        },
    )


@login_required
def role_revoke(request, pk):
    access.require(access.can_manage_setup(request.user))
    assignment = access.get_visible_or_404(
        RoleAssignment.objects.select_related("user", "organisation"), request.user, pk=pk
    )
    if ask := twofactor.fresh_factor_response(request):
        return ask
    form = ReasonForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: services.role_revoke(
            by=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
        ),
        success="Role removed.",
        to=lambda _: reverse("consortium:people"),
        title=f"Remove role: {assignment}",
        submit_label="Remove role",
    )


@login_required
def consortium_settings(request):
    access.require(access.reads_consortium(request.user))
    consortium = access.get_visible_or_404(Consortium, request.user, pk=request.actor.consortium_id)
    if not access.can_manage_setup(request.user):
        return render(request, "consortium/settings.html", {"consortium": consortium})
    form = ConsortiumSettingsForm(request.POST or None, instance=consortium)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ConsortiumSettingsForm.Meta.fields}
        response = save_or_refuse(
            request,
            form,
            lambda: services.consortium_update(
                by=request.user,
                consortium=consortium,
                expected_version=form.cleaned_data["expected_version"],
                reason=form.cleaned_data["reason"],
                **data,
            ),
            success="Settings saved.",
            to=lambda _: reverse("consortium:settings"),
        )
        if response:
            return response
    return render(request, "consortium/settings.html", {"consortium": consortium, "form": form})


class SecurityLog(ConcordListView):
    """The consortium's security log, for its administrators: read-only, as every entry is."""

    model = SecurityEvent
    table_class = SecurityEventTable
    filterset_class = SecurityEventFilter
    title = "Security log"
    export_name = "security-log"
    readers = staticmethod(access.can_read_security_log)
    table_pagination = {"per_page": 50}

    def get_base_queryset(self):
        return SecurityEvent.objects.all()


@login_required
def api_keys(request):
    """Every API key of the consortium, with its owner: administrators only."""
    access.require(access.can_manage_api_keys(request.user))
    keys = ApiToken.objects.visible_to(request.user).select_related("user", "revoked_by")
    return render(request, "consortium/api_keys.html", {"keys": keys})


@login_required
@require_POST
def api_key_revoke(request, pk):
    """An administrator revokes any key of the consortium, after a fresh second factor."""
    access.require(access.can_manage_api_keys(request.user))
    token = access.get_visible_or_404(ApiToken.objects.select_related("user"), request.user, pk=pk)
    access.require(access.can_revoke_token(request.user, token))
    back = reverse("consortium:api_keys")
    if ask := twofactor.fresh_factor_response(request, next_url=back):
        return ask
    return act_or_refuse(
        request,
        lambda: tokens.token_revoke(by=request.user, token=token),
        success=lambda t: (
            f"API key “{t.name}” of {t.user.get_full_name() or t.user.username} revoked. "
            "It no longer works."
        ),
        back=back,
    )


@login_required
def account_reminders(request):
    """The person's own choice of reminder emails: kinds that apply to their roles; the
    essential ones are always sent."""

    access.require(access.member_of_consortium(request.user))
    kinds = reminders.kinds_for(request.user)
    pref = ReminderPreference.objects.filter(user=request.user).first()
    off = set(pref.off if pref else ())
    optional = [k for k in kinds if not k.essential]
    form = ReminderPreferenceForm(
        request.POST or None,
        kinds=optional,
        initial={"send": [k.key for k in optional if k.key not in off]},
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["send"])
        services.reminder_preferences_set(
            by=request.user,
            consortium_id=request.actor.consortium_id,
            off=[k.key for k in optional if k.key not in chosen],
        )
        messages.success(request, "Your reminder emails are saved.")
        return redirect("account_reminders")
    return render(
        request,
        "consortium/reminders.html",
        {"form": form, "essential": [k for k in kinds if k.essential], "optional": optional},
    )


# --- set-up imports (consortium.importing) -------------------------------------------------


@login_required
def import_list(request):
    """The kinds of record this person may import from a spreadsheet."""

    access.require(importing.can_import(request.user))
    kinds = importing.kinds_for(request.user)
    return render(request, "consortium/import_list.html", {"kinds": kinds})


def _import_kind(request, key):

    kind = importing.KINDS.get(key)
    access.require(kind is not None and kind.check(request.user))
    return kind


@login_required
def import_template(request, kind):
    """The kind's template, holding the records this person may see."""
    kind = _import_kind(request, kind)
    data = importing.template(kind, request.user)
    # The template carries the records it holds (staff names and checks among them) out of
    # Concord, as every download does.
    security.log(security.Kind.EXPORT, detail=f"{kind.title}: {kind.key}-template.xlsx")
    return xlsx_file_response(data, f"{kind.key}-template")


@login_required
def import_upload(request, kind):
    """Upload a filled-in template: all or nothing, with every problem by row and column."""

    kind = _import_kind(request, kind)
    if getattr(kind, "fresh_factor", False) and (ask := twofactor.fresh_factor_response(request)):
        return ask
    form = ImportForm(request.POST or None, request.FILES or None)

    def take(data, filename):
        read = importing.read(kind, data, filename=filename, user=request.user)
        if read.problems:
            raise importing.ImportInvalid(read.problems)
        reason = form.cleaned_data["reason"]
        return importing.import_rows(
            kind=kind, by=request.user, rows=read.rows, reason=reason, filename=filename
        )

    if request.method == "POST" and form.is_valid():
        outcome = take_upload(form, take, max_bytes=importing.MAX_BYTES)
        if outcome is not None:
            messages.success(request, f"{kind.title} imported: {outcome}.")
            return redirect(kind.list_url)
    return render(
        request,
        "consortium/import_upload.html",
        {"kind": kind, "form": form, "problems": getattr(form, "problems", None)},
    )


@login_required
def download_status(request, pk):
    """A large download's progress, then its link (or what went wrong, and a way to try
    again). The page refreshes itself while the file is prepared."""
    download = access.get_visible_or_404(PreparedDownload, request.user, pk=pk)
    failed = downloads.failed(download)
    preparing = not failed and download.status != PreparedDownload.Status.READY
    progress = downloads.progress_of(download)
    return render(
        request,
        "consortium/download_status.html",
        {
            "download": download,
            "progress": progress,
            "words": downloads.progress_words(download, progress),
            "preparing": preparing,
            "failed": failed,
            "title": download.title,
        },
    )


@login_required
def download_file(request, pk):
    """The prepared file, for the person who asked while they may still open the list."""
    download = access.get_visible_or_404(
        PreparedDownload.objects.filter(status=PreparedDownload.Status.READY),
        request.user,
        pk=pk,
    )
    access.require(downloads.may_fetch(download, request.user) and download.file)
    security.log(
        security.Kind.EXPORT,
        detail=f"{download.title}: {download.filename}.xlsx, {download.rows_total} rows",
    )
    response = FileResponse(
        download.file.open("rb"),
        as_attachment=True,
        filename=f"{download.filename}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
    response.block_size = SEND_BLOCK
    return response


@login_required
@require_POST
def download_retry(request, pk):
    """Prepare a download that failed again, from the beginning."""
    download = access.get_visible_or_404(PreparedDownload, request.user, pk=pk)
    access.require(downloads.failed(download) and downloads.may_fetch(download, request.user))
    downloads.retry(download)
    return redirect("consortium:download_status", download.pk)
