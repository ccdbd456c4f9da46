"""The workforce's reminders: registrations, DBS and vetting expiring (to the practitioner
and their managers), supervision overdue (to the supervisor and the practitioner), and
actions agreed in supervision falling due."""

import heapq
from datetime import timedelta
from functools import partial

from django.urls import reverse

from consortium import reminders as mechanism
from consortium.consequence import Consequence
from consortium.models import Role
from consortium.reminders import DUE, EXPIRING, LATE, Item, object_key, reminder_kind
from supervision import selectors
from supervision.access import can_manage_workforce, is_practitioner, takes_part_in_supervision
from supervision.models import SessionAction, SessionKind, StaffMember, SupervisionSession

ACTIONS_DUE_DAYS = 7
KIND_LABELS = dict(SessionKind.choices)


def _check_entries(checks, own):
    """(order, staff, Item without its link) for each expiring or lapsed registration, DBS
    check or vetting in `checks` (selectors.expiring_checks' answer); `order` ranks them as
    the reminders of one kind are shown (urgency, then what they are about, then text)."""
    alerts, lapsed = checks
    for s, reasons in lapsed:
        who = "You are" if own else f"{s.name} is"
        text = f"{who} not deployable: {'; '.join(reasons)}"
        about = "not deployable"
        yield (
            (LATE, about, text),
            s,
            partial(
                Item, object_key=object_key(s), stage="lapsed", about=about, text=text, urgency=LATE
            ),
        )
    for s, alert in alerts:
        about = f"{alert.label} {alert.horizon} days"[:40]
        text = (f"Your {alert.label.lower()}" if own else f"{s.name}: {alert.label}") + (
            f" expires {alert.expiry:%-d %b %Y} (within {alert.horizon} days)"
        )
        yield (
            (EXPIRING, about, text),
            s,
            partial(
                Item,
                object_key=object_key(s),
                stage="expiring",
                about=about,
                text=text,
                urgency=EXPIRING,
            ),
        )


def _check_items(run, checks, own):
    """(staff, Item) for the checks. For one person's dashboard, where every item is theirs,
    only the most urgent that it names are made, and how many there are in all is noted (as
    run.rows does for a queryset)."""
    entries = list(_check_entries(checks, own))
    if run.only is not None and len(entries) > mechanism.PER_KIND:
        run.totals[run.kind] = len(entries)
        entries = heapq.nsmallest(mechanism.PER_KIND + 1, entries, key=lambda e: e[0])
    for _order, s, item in entries:
        yield s, item(url=s.get_absolute_url())


@reminder_kind(
    "workforce.own_checks",
    "Your own registration, DBS check or police vetting expiring",
    consequence=Consequence.NOT_SAFE,
    check=is_practitioner,
    essential=True,
)
def own_checks(run):
    staff = StaffMember.objects.filter(
        consortium_id=run.consortium_id, user__in=run.users(Role.PRACTITIONER)
    )
    for s, item in _check_items(run, selectors.expiring_checks(staff, run.as_of), own=True):
        yield s.user_id, item


@reminder_kind(
    "workforce.staff_checks",
    "Registrations, DBS checks and police vetting of your staff expiring",
    consequence=Consequence.NOT_SAFE,
    check=can_manage_workforce,
    essential=True,
)
def staff_checks(run):
    leads = run.users(Role.ADMIN, Role.LEAD)
    managers = run.holders(Role.CVO_MANAGER)
    if leads:
        # Everyone's checks: the same read as the lead's dashboard panel beside it.
        checks = selectors.consortium_expiring_checks(run.consortium_id, run.as_of)
    else:
        staff = StaffMember.objects.filter(
            consortium_id=run.consortium_id, organisation__in=list(managers)
        )
        checks = selectors.expiring_checks(staff, run.as_of)
    for s, item in _check_items(run, checks, own=False):
        for user_id in leads | managers.get(s.organisation_id, set()):
            yield user_id, item


@reminder_kind(
    "workforce.supervision_overdue",
    "Supervision missed last month",
    check=takes_part_in_supervision,
)
def supervision_overdue(run):
    supervisors = run.users(Role.SUPERVISOR)
    practitioners = run.users(Role.PRACTITIONER)
    staff = StaffMember.objects.filter(consortium_id=run.consortium_id).filter(
        clinical_supervisor__in=supervisors
    ) | StaffMember.objects.filter(consortium_id=run.consortium_id, user__in=practitioners)
    owed = [o for o in selectors.supervision_owed(staff, run.as_of, run.consortium_id) if o.missed]
    people = StaffMember.objects.in_bulk([o.staff_id for o in owed])
    for o in owed:
        s = people[o.staff_id]
        kinds = ", ".join(KIND_LABELS[k] for k in o.missed)
        about = f"{o.last_month:%Y-%m}"
        key = object_key(s)
        if s.clinical_supervisor_id:
            yield (
                s.clinical_supervisor_id,
                Item(
                    key,
                    about,
                    f"{s.name}: {kinds} missed in {o.last_month:%B %Y}",
                    s.get_absolute_url(),
                    LATE,
                    stage="missed",
                ),
            )
        if s.user_id:
            yield (
                s.user_id,
                Item(
                    key,
                    about,
                    f"Your {kinds} supervision was missed in {o.last_month:%B %Y}",
                    s.get_absolute_url(),
                    LATE,
                    stage="missed",
                ),
            )


@reminder_kind(
    "workforce.actions_due",
    "Actions agreed in supervision falling due",
    check=takes_part_in_supervision,
)
def actions_due(run):
    actions = list(
        SessionAction.objects.filter(
            session__consortium_id=run.consortium_id,
            done_on__isnull=True,
            due__lte=run.as_of + timedelta(days=ACTIONS_DUE_DAYS),
        ).values_list("pk", "session_id", "session__supervisor_id", "description", "due")
    )
    attendees = {}
    for session_id, user_id in SupervisionSession.attendees.through.objects.filter(
        supervisionsession_id__in=[a[1] for a in actions], staffmember__user__isnull=False
    ).values_list("supervisionsession_id", "staffmember__user_id"):
        attendees.setdefault(session_id, set()).add(user_id)
    for pk, session_id, supervisor_id, description, due in actions:
        late = due < run.as_of
        item = Item(
            object_key=f"supervision.sessionaction:{pk}",
            stage="overdue" if late else "due",
            about=due.isoformat(),
            text=f"{description}: {'was due' if late else 'due'} {due:%-d %b %Y}",
            url=reverse("supervision:session_detail", args=[session_id]),
            urgency=LATE if late else DUE,
        )
        for user_id in {supervisor_id} | attendees.get(session_id, set()):
            yield user_id, item
