"""The supervision app's part of the API: staff the person may see (a supervisor's supervisees
among them), supervision sessions (list what the person may see; a clinical supervisor logs
them) and staff checks expiring. Reads go through the access policy, sessions are logged by
the same service as the screens' form (supervision.services.session_record)."""

import datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from consortium import access
from consortium.api import (
    Cursor,
    Id,
    Incoming,
    Limit,
    Page,
    Scope,
    answers,
    etag,
    listing,
    needs,
    one,
)
from supervision import selectors, services
from supervision.access import can_manage_workforce, can_see_individuals
from supervision.models import SessionKind, StaffMember, SupervisionSession

router = Router(tags=["Supervision"])
READS_SESSIONS = (Scope.READ, Scope.SESSIONS)


class StaffOut(Schema):
    id: int
    version: int
    name: str
    organisation: int = Field(alias="organisation_id")
    start: datetime.date
    end: datetime.date | None
    supervised_by_you: bool = Field(description="You are their clinical or group supervisor.")
    updated_at: datetime.datetime


class StaffPage(Page):
    items: list[StaffOut]


class SessionOut(Schema):
    id: int
    version: int
    kind: str
    date: datetime.date
    duration_minutes: int
    format: str
    supervisor: int = Field(alias="supervisor_id")
    attendees: list[int]
    themes: str
    status: str
    status_reason: str
    rescheduled_to: datetime.date | None
    updated_at: datetime.datetime


class SessionPage(Page):
    items: list[SessionOut]


class ActionIn(Incoming):
    description: str = Field(min_length=1, max_length=300)
    due: datetime.date


class SessionIn(Incoming):
    kind: SessionKind
    date: datetime.date
    attendees: list[Id] = Field(min_length=1, max_length=50, description="Staff ids.")
    duration_minutes: int = Field(60, ge=1, le=32767)
    format: SupervisionSession.Format = SupervisionSession.Format.IN_PERSON
    themes: str = Field("", max_length=300)
    notes: str = Field("", max_length=20000, description="Confidential: stored apart.")
    status: SupervisionSession.Status = SupervisionSession.Status.HELD
    status_reason: str = Field("", max_length=2000)
    rescheduled_to: datetime.date | None = None
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)


class CheckOut(Schema):
    staff: int
    name: str
    organisation: int
    check: str = Field(description="What expires, and when, in words.")
    expires: datetime.date
    within_days: int


class LapsedOut(Schema):
    staff: int
    name: str
    organisation: int
    reasons: list[str]


class ChecksOut(Schema):
    expiring: list[CheckOut]
    not_deployable: list[LapsedOut]


def _staff_out(user):
    def out(s):
        return {
            **s.__dict__,
            "name": s.name,
            "supervised_by_you": user.pk in (s.clinical_supervisor_id, s.group_supervisor_id),
        }

    return out


def _session_out(session):
    return {**session.__dict__, "attendees": sorted(a.pk for a in session.attendees.all())}


def _staff_qs(request):
    access.require(can_see_individuals(request.user))
    return StaffMember.objects.all()


@router.get("/staff", response=answers({200: StaffPage}))
@needs(*READS_SESSIONS)
def staff(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    supervised_by_me: bool = False,
):
    """Staff the person may see by name; `supervised_by_me` narrows to a supervisor's own
    supervisees (those a session may be logged for)."""
    qs = _staff_qs(request)
    if supervised_by_me:
        qs = qs.filter(clinical_supervisor=request.user) | qs.filter(group_supervisor=request.user)
    return listing(
        request,
        qs,
        _staff_out(request.user),
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )


@router.get("/staff/expiring-checks", response=answers({200: ChecksOut}))
@needs(*READS_SESSIONS)
def expiring_checks(request):
    """Registrations, DBS checks and police vetting expiring within 90 days, and who is not
    deployable now, among the staff the person manages (their own organisation's, for a
    member)."""
    access.require(can_manage_workforce(request.user))
    alerts, lapsed = selectors.expiring_checks(
        StaffMember.objects.visible_to(request.user), timezone.localdate()
    )
    return {
        "expiring": [
            {
                "staff": s.pk,
                "name": s.name,
                "organisation": s.organisation_id,
                "check": a.text,
                "expires": a.expiry,
                "within_days": a.horizon,
            }
            for s, a in alerts
        ],
        "not_deployable": [
            {"staff": s.pk, "name": s.name, "organisation": s.organisation_id, "reasons": list(r)}
            for s, r in lapsed
        ],
    }


@router.get("/staff/{pk}", response=answers({200: StaffOut}))
@needs(*READS_SESSIONS)
def staff_member(request, pk: Id, response: HttpResponse):
    return _staff_out(request.user)(one(request, response, _staff_qs(request), pk))


@router.get("/sessions", response=answers({200: SessionPage}))
@needs(*READS_SESSIONS)
def sessions(
    request,
    cursor: Cursor = None,
    limit: Limit = 100,
    updated_since: datetime.datetime = None,
    date_from: datetime.date = None,
    date_to: datetime.date = None,
):
    """Supervision sessions the person may see (a supervisor: those they led)."""
    qs = SupervisionSession.objects.prefetch_related("attendees")
    if date_from is not None:
        qs = qs.filter(date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    return listing(
        request, qs, _session_out, cursor=cursor, limit=limit, updated_since=updated_since
    )


@router.get("/sessions/{pk}", response=answers({200: SessionOut}), url_name="session")
@needs(*READS_SESSIONS)
def session(request, pk: Id, response: HttpResponse):
    return _session_out(
        one(request, response, SupervisionSession.objects.prefetch_related("attendees"), pk)
    )


@router.post("/sessions", response=answers({201: SessionOut}))
@needs(Scope.SESSIONS)
def session_log(request, body: SessionIn, response: HttpResponse):
    """Log a supervision session you led (clinical supervisors), with the same checks as the
    screen: your supervisees only, in post on the day, a held session not in the future."""
    wanted = set(body.attendees)
    attendees = list(StaffMember.objects.visible_to(request.user).filter(pk__in=wanted))
    if len(attendees) != len(wanted):
        raise ValidationError({"attendees": "Choose only people on your list of supervisees."})
    logged = services.session_record(
        by=request.user,
        kind=body.kind,
        date=body.date,
        attendees=attendees,
        duration_minutes=body.duration_minutes,
        format=body.format,
        themes=body.themes,
        notes=body.notes,
        status=body.status,
        status_reason=body.status_reason,
        rescheduled_to=body.rescheduled_to,
        actions=[(a.description, a.due) for a in body.actions],
    )
    response["ETag"] = etag(logged)
    response["Location"] = reverse("api-v1:session", kwargs={"pk": logged.pk})
    return Status(201, _session_out(logged))
