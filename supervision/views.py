from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from consortium import access
from consortium.dates import add_months, month_range
from consortium.lists import BoundedCountPaginator, ConcordListView, asks_for_download
from consortium.models import Organisation
from consortium.views import act_or_refuse, form_page, record_button, save_or_refuse
from consortium.xlsx import xlsx_response
from funding.models import FundingStream
from supervision import charts, compliance, compliance_store, selectors, services
from supervision.access import (
    can_complete_action,
    can_log_sessions,
    can_manage_workforce,
    can_see_compliance,
    can_see_individuals,
    can_see_post_funding,
    can_see_posts,
    commissioned_staff,
    is_practitioner,
    own_staff_records,
)
from supervision.filters import PostAtRiskFilter, PostFilter, SessionFilter, StaffFilter
from supervision.forms import LeaveForm, PostForm, RequirementForm, SessionForm, StaffForm
from supervision.models import (
    Post,
    SessionAction,
    SessionNote,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)
from supervision.tables import (
    PostAtRiskTable,
    PostMoneyTable,
    PostTable,
    SessionTable,
    StaffTable,
)

MONTHS_SHOWN = 12
MATRIX_PAGE = 50


# --- posts ----------------------------------------------------------------------------------


class PostList(ConcordListView):
    model = Post
    table_class = PostTable
    filterset_class = PostFilter
    title = "Posts and vacancies"
    import_kind = "posts"
    readers = staticmethod(can_see_posts)

    def get_base_queryset(self):
        return Post.objects.select_related("organisation").prefetch_related(
            "sites",
            Prefetch("funded_by", queryset=FundingStream.objects.visible_to(self.request.user)),
        )

    def get(self, request, *args, **kwargs):
        # Funding streams are money: only those who may see money get that column (on the
        # page and in the export).
        self.table_class = PostMoneyTable if can_see_post_funding(request.user) else PostTable
        return super().get(request, *args, **kwargs)

    add_action = ("Add a post", "supervision:post_create", can_manage_workforce)


class PostAtRiskList(ConcordListView):
    """Posts whose funding ends within the widest expiry horizon, soonest first: the list
    behind each count of the runway's summary."""

    model = Post
    table_class = PostAtRiskTable
    filterset_class = PostAtRiskFilter
    title = "Posts at risk"
    empty_text = "No post is at risk: no funding behind a post ends within the horizon"
    readers = staticmethod(can_see_post_funding)
    template_name = "supervision/post_at_risk_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "horizon": max(_horizons())}

    def get_base_queryset(self):
        return selectors.at_risk(Post.objects.select_related("organisation")).order_by(
            "funding_end", "organisation__name", "title", "pk"
        )


@login_required
def post_detail(request, pk):
    post = access.get_visible_or_404(
        Post.objects.select_related("organisation").prefetch_related("sites"), request.user, pk=pk
    )
    streams = list(FundingStream.objects.visible_to(request.user).filter(posts=post))
    all_ends = list(
        post.funded_by.exclude(status=FundingStream.Status.ENDED).values_list("end", flat=True)
    )
    funding_end = min(all_ends) if all_ends else None
    return render(
        request,
        "supervision/post_detail.html",
        {
            "post": post,
            "holders": StaffMember.objects.visible_to(request.user).filter(post=post),
            "requirements": post.requirements.all(),
            "streams": streams,
            "can_see_money": can_see_post_funding(request.user),
            "funding_end": funding_end,
            "at_risk": compliance.funding_at_risk(
                timezone.localdate(), funding_end, max(_horizons())
            ),
            "can_manage": can_manage_workforce(request.user, post.organisation),
        },
    )


def _horizons():
    from django.conf import settings

    return settings.CONCORD_EXPIRY_HORIZONS


@login_required
def post_edit(request, pk=None):
    post = access.get_visible_or_404(Post, request.user, pk=pk) if pk else Post()
    access.require(can_manage_workforce(request.user, post.organisation if pk else None))
    form = PostForm(request.POST or None, instance=post, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.post_save(
            by=request.user,
            post=form.instance,
            sites=form.cleaned_data["sites"],
            funded_by=form.cleaned_data.get("funded_by"),
            expected_version=form.cleaned_data["expected_version"],
        ),
        success=f"{post.title} saved.",
        title=f"Change {post.title}" if pk else "Add a post",
        object=post if pk else None,
    )


# --- staff ----------------------------------------------------------------------------------


class StaffList(ConcordListView):
    model = StaffMember
    table_class = StaffTable
    filterset_class = StaffFilter
    title = "Staff"
    import_kind = "staff"
    readers = staticmethod(can_see_individuals)

    def get_base_queryset(self):
        return StaffMember.objects.select_related("organisation", "post", "clinical_supervisor")

    add_action = ("Add a staff member", "supervision:staff_create", can_manage_workforce)


@login_required
def staff_detail(request, pk):
    staff = access.get_visible_or_404(
        StaffMember.objects.select_related(
            "organisation", "post", "clinical_supervisor", "group_supervisor"
        ),
        request.user,
        pk=pk,
    )
    today = timezone.localdate()
    sessions = (
        SupervisionSession.objects.visible_to(request.user)
        .filter(attendees=staff)
        .select_related("supervisor")[:12]
    )
    return render(
        request,
        "supervision/staff_detail.html",
        {
            "staff": staff,
            "fitness": staff.fitness(today),
            "leave": staff.leave.all(),
            "own_requirements": staff.requirements.all(),
            **selectors.staff_compliance(staff, today),
            "sessions": sessions,
            "can_manage": can_manage_workforce(request.user, staff.organisation),
            "accreditation_lapsed": staff.accreditation_lapsed(today),
        },
    )


@login_required
def staff_edit(request, pk=None):
    staff = access.get_visible_or_404(StaffMember, request.user, pk=pk) if pk else StaffMember()
    access.require(can_manage_workforce(request.user, staff.organisation if pk else None))
    form = StaffForm(request.POST or None, instance=staff, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.staff_save(
            by=request.user,
            staff=form.instance,
            expected_version=form.cleaned_data["expected_version"],
        ),
        success=f"{staff.name} saved.",
        title=f"Change {staff.name}" if pk else "Add a staff member",
        object=staff if pk else None,
    )


def _managed_staff(request, pk):
    staff = access.get_visible_or_404(StaffMember, request.user, pk=pk)
    access.require(can_manage_workforce(request.user, staff.organisation))
    return staff


@login_required
def leave_add(request, pk):
    staff = _managed_staff(request, pk)
    form = LeaveForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: services.leave_add(by=request.user, staff=staff, **form.cleaned_data),
        success="Leave recorded.",
        to=lambda _: staff.get_absolute_url(),
        title=f"Record leave for {staff.name}",
        object=staff,
    )


@login_required
def requirement_add(request, pk):
    staff = _managed_staff(request, pk)
    existing = staff.requirements.all()
    form = RequirementForm(
        request.POST or None, instance=SupervisionRequirement(staff=staff), user=request.user
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        requirement = next((r for r in existing if r.kind == kind), form.instance)
        requirement.interval_months = form.cleaned_data["interval_months"]
        requirement.led_by = form.cleaned_data["led_by"]
        response = save_or_refuse(
            request,
            form,
            lambda: services.requirement_save(by=request.user, requirement=requirement),
            success="Supervision requirement saved.",
            to=lambda _: staff.get_absolute_url(),
        )
        if response:
            return response
    return render(
        request,
        "consortium/form_page.html",
        {"form": form, "title": f"Set a supervision requirement for {staff.name}", "object": staff},
    )


# --- sessions -------------------------------------------------------------------------------


class SessionList(ConcordListView):
    model = SupervisionSession
    table_class = SessionTable
    filterset_class = SessionFilter
    title = "Supervision sessions"
    readers = staticmethod(can_see_individuals)
    empty_noun = "supervision sessions"
    empty_next = ("Log a session", "supervision:session_create", can_log_sessions)
    empty_hint = "Clinical supervisors log the sessions they hold."
    # A consortium logs hundreds of thousands of sessions: count only as far as the page needs.
    table_pagination = {"per_page": 25, "paginator_class": BoundedCountPaginator}

    def get_base_queryset(self):
        return SupervisionSession.objects.select_related("supervisor").prefetch_related(
            Prefetch("attendees", queryset=StaffMember.objects.visible_to(self.request.user))
        )

    def get_actions(self):
        if can_log_sessions(self.request.user):
            return [
                ("Log a 1:1", reverse("supervision:session_create") + "?kind=one_to_one"),
                ("Log a group session", reverse("supervision:session_create") + "?kind=group"),
            ]
        return []


@login_required
def session_create(request):
    access.require(can_log_sessions(request.user))
    initial = {"date": timezone.localdate(), "kind": request.GET.get("kind", "one_to_one")}
    form = SessionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = save_or_refuse(
            request,
            form,
            lambda: services.session_record(
                by=request.user,
                kind=data["kind"],
                date=data["date"],
                attendees=data["attendees"],
                duration_minutes=data["duration_minutes"],
                format=data["format"],
                themes=data["themes"],
                notes=data["notes"],
                status=data["status"],
                status_reason=data["status_reason"],
                rescheduled_to=data["rescheduled_to"],
                actions=data["actions"],
            ),
            success=lambda session: f"{session} logged.",
        )
        if response:
            return response
    return render(
        request,
        "supervision/session_form.html",
        {"form": form, "title": "Log a supervision session"},
    )


@login_required
def session_detail(request, pk):
    session = access.get_visible_or_404(
        SupervisionSession.objects.select_related("supervisor"), request.user, pk=pk
    )
    # Only the supervisor and the supervisees get a row back here.
    note = SessionNote.objects.visible_to(request.user).filter(session=session).first()
    actions = list(session.actions.all())
    return render(
        request,
        "supervision/session_detail.html",
        {
            "session": session,
            "attendees": StaffMember.objects.visible_to(request.user)
            .filter(sessions=session)
            .select_related("organisation"),
            "note": note,
            "actions": actions,
            "can_complete": bool(actions) and can_complete_action(request.user, actions[0]),
        },
    )


def _action(request, pk):
    return access.get_visible_or_404(
        SessionAction.objects.select_related("session"), request.user, pk=pk
    )


@record_button(_action, can_complete_action)
def action_done(request, action):
    return act_or_refuse(
        request,
        lambda: services.action_complete(by=request.user, action=action),
        success="Action marked as done.",
        back=action.session.get_absolute_url(),
    )


# --- a practitioner's own pages -------------------------------------------------------------


@login_required
def my_record(request):
    access.require(is_practitioner(request.user))
    staff = own_staff_records(request.user).order_by("-start").first()
    access.require(staff is not None)
    return redirect(staff.get_absolute_url())


@login_required
def my_supervision(request):
    access.require(is_practitioner(request.user))
    mine = own_staff_records(request.user)
    sessions = (
        SupervisionSession.objects.visible_to(request.user)
        .filter(attendees__in=mine)
        .distinct()
        .select_related("supervisor")
        .order_by("-date", "-pk")
    )
    actions = (
        SessionAction.objects.visible_to(request.user)
        .filter(session__attendees__in=mine, done_on__isnull=True)
        .distinct()
        .select_related("session")
        .order_by("due", "pk")
    )
    page = Paginator(sessions, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/my_supervision.html",
        {"page": page, "actions": actions, "today": timezone.localdate()},
    )


# --- compliance -----------------------------------------------------------------------------


def _scope(user):
    """The staff whose compliance `user` may see, and whether as named individuals."""
    if can_see_individuals(user):
        return StaffMember.objects.visible_to(user), True
    return commissioned_staff(user), False


def _months(today):
    first = add_months(today, -(MONTHS_SHOWN - 1))
    return month_range(first, today)


def _org_rows(summary, user):
    names = dict(
        # Every member's name (a short list), not only those in the summary: the same one
        # query whether or not anyone is counted.
        Organisation.objects.visible_to(user).values_list("pk", "name")
    )
    rows = [
        (names.get(org_id, "—"), tallies[3], tallies[12])
        for org_id, tallies in summary.rates.by_organisation.items()
    ]
    return sorted(rows, key=lambda r: r[0])


def _matrix_rows(page_qs, summary, months):
    """One row per practitioner on the page: the stored month cells, rates from the scope's
    summary (2 queries)."""
    cells = compliance_store.month_cells(page_qs, months)
    rows = []
    for staff in page_qs.select_related("organisation").order_by("last_name", "first_name", "pk"):
        mine = cells.get(staff.pk, {})
        row_cells = []
        for m in months:
            status, detail = mine.get(m, (None, ""))
            row_cells.append(
                {
                    "status": status,
                    "label": compliance.LABELS[status] if status else "—",
                    "detail": detail,
                }
            )
        tallies = summary.rates.by_practitioner[staff.pk]
        rows.append(
            {
                "staff": staff,
                "cells": row_cells,
                "rate3": tallies[3].rate,
                "rate12": tallies[12].rate,
                "owed": summary.rates.owed[staff.pk],
            }
        )
    return rows


def _chart_points(summary):
    return [(f"{m:%b %Y}", t.rate, t.met, t.due) for m, t in summary.monthly]


def _summary(user, today):
    staff_qs, named = _scope(user)
    return (
        staff_qs,
        named,
        selectors.compliance_summary(staff_qs, access.actor(user).consortium_id, today),
    )


def _vacancy_gaps(user, today):
    """The vacant posts, with their days without a practitioner: in all, and the longest."""
    vacant = Post.objects.visible_to(user).filter(status=Post.Status.VACANT)
    gaps = [p.gap_days(today) or 0 for p in vacant]
    return {
        "vacancies": len(gaps),
        "gap_days_total": sum(gaps),
        "gap_days_longest": max(gaps) if gaps else None,
    }


@login_required
def compliance_matrix(request):
    access.require(can_see_compliance(request.user))
    user = request.user
    today = timezone.localdate()
    staff_qs, named, summary = _summary(user, today)
    months = _months(today)
    org_rows = _org_rows(summary, user)
    points = _chart_points(summary)
    export = asks_for_download(request)
    rows, page = [], None
    if named:
        if export:
            page_ids = summary.active_ids
        else:
            page = Paginator(summary.active_ids, MATRIX_PAGE).get_page(request.GET.get("page"))
            page_ids = list(page.object_list)
        rows = _matrix_rows(staff_qs.filter(pk__in=page_ids), summary, months)
    if export:
        return _matrix_export(today, months, rows, org_rows, summary, named)
    return render(
        request,
        "supervision/compliance.html",
        {
            "months": months,
            "rows": rows,
            "page": page,
            "named": named,
            "org_rows": org_rows,
            "overall": summary.rates.overall,
            "points": points,
            "chart_version": charts.data_hash(points),
            "threshold": compliance.THRESHOLD,
            **_vacancy_gaps(user, today),
            "practitioners": len(summary.current_ids),
            "can_add_staff": can_manage_workforce(user),
        },
    )


def _rate_text(rate):
    return "" if rate is None else rate


def _matrix_export(today, months, rows, org_rows, summary, named):
    if named:
        headers = ["Name", "Organisation", *[f"{m:%b %Y}" for m in months]]
        headers += ["3-month rate (%)", "12-month rate (%)", "Sessions owed this month"]
        out = [
            [
                r["staff"].name,
                r["staff"].organisation.name,
                *[c["label"] + (f" ({c['detail']})" if c["detail"] else "") for c in r["cells"]],
                _rate_text(r["rate3"]),
                _rate_text(r["rate12"]),
                r["owed"],
            ]
            for r in rows
        ]
        return xlsx_response(f"supervision-compliance-{today:%Y-%m-%d}", headers, out, "Compliance")
    headers = ["Organisation", "3-month rate (%)", "12-month rate (%)", "Met (12)", "Due (12)"]
    out = [
        [name, _rate_text(t3.rate), _rate_text(t12.rate), t12.met, t12.due]
        for name, t3, t12 in org_rows
    ]
    out.append(
        [
            "All",
            _rate_text(summary.rates.overall[3].rate),
            _rate_text(summary.rates.overall[12].rate),
            summary.rates.overall[12].met,
            summary.rates.overall[12].due,
        ]
    )
    return xlsx_response(f"supervision-compliance-{today:%Y-%m-%d}", headers, out, "Compliance")


@login_required
def compliance_chart(request):
    access.require(can_see_compliance(request.user))
    today = timezone.localdate()
    _, _, summary = _summary(request.user, today)
    svg = charts.compliance_svg(_chart_points(summary))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response
