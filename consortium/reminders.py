"""Reminders: what became due, late or expiring for each person, sent as one digest email a
day and shown on their dashboard (the email is a pointer, never the only copy).

Each app registers its kinds of reminder in its own `reminders.py` with `@reminder_kind`
(discovered once at start-up by ConsortiumConfig.ready). A kind is a function of a `Run` — one
consortium on one day — that yields `(user id, Item)` pairs for everybody at once, in a fixed
number of queries whatever the number of people. The mechanism keeps only people who are
still active and still hold one of the kind's roles, honours each person's preferences (an
essential kind is always sent), and claims each reminder's key in `ReminderSent` (unique per
person, kind, object and the date or horizon it is about) before sending, so that no reminder
is ever sent twice: not by a second run, a rerun after a crash, or two runs at once. A key
includes the item's stage (due, overdue, expiring, lapsed…), so that one object reminds again
when it moves on: a review reminded as due the day before reminds as overdue the day after.
"""

import dataclasses
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scope

from consortium.access import ACTOR_ATTR, Actor
from consortium.consequence import Consequence
from consortium.counting import first_and_total
from consortium.models import (
    Consortium,
    ReminderDigest,
    ReminderPreference,
    ReminderSent,
    RoleAssignment,
)

log = logging.getLogger("concord.reminders")

# Most urgent first: late or overdue, then due soon, then expiring.
LATE, DUE, EXPIRING = 0, 1, 2
URGENCY = {LATE: "Late or overdue", DUE: "Due soon", EXPIRING: "Expiring"}


@dataclass(frozen=True)
class Item:
    """One thing to remind somebody of. `object_key` names the object ("contracts.
    performancereturn:42"); `about` the date or horizon the reminder is about ("2026-05-14",
    "30 days"), so that the same object reminds again when it reaches its next horizon; `stage`
    (every kind says it) where the object stands ("due", "overdue", "expiring", "lapsed"…), so
    that it reminds again when it moves from one stage to the next about the same date."""

    object_key: str
    about: str
    text: str
    url: str
    urgency: int = DUE
    kind: str = ""
    stands_for: int = 1  # an "and N more" line stands for N reminders
    stage: str = dataclasses.field(kw_only=True)
    consequence: Consequence = dataclasses.field(default=Consequence.WAITING, kw_only=True)

    @property
    def key(self):
        return (self.kind, self.object_key, self.stage, self.about)

    @property
    def urgency_label(self):
        return URGENCY[self.urgency]


def object_key(obj):
    return f"{obj._meta.label_lower}:{obj.pk}"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    essential: bool
    check: object
    fn: object
    more_url: str = ""  # the list that holds them all, for the "and N more" line
    consequence: Consequence = Consequence.WAITING


KINDS = {}


def reminder_kind(
    key, label, *, check, essential=False, more_url="", consequence=Consequence.WAITING
):
    """Register a kind of reminder: fn(run) -> iterable of (user id, Item). `check`: who it
    may be sent to, an access check from the owning app's access.py, as its panels and pages
    use (a person whose roles it no longer allows gets nothing). An `essential`
    kind cannot be turned off. `more_url` (a URL name, with a query string if wanted) is the
    list where somebody with more than PER_KIND of them finds the rest. `consequence`: what
    is at stake, which orders the email and the dashboard as it orders the panels."""

    def register(fn):
        kind = Kind(
            key=key,
            label=label,
            essential=essential,
            check=check,
            fn=fn,
            more_url=more_url,
            consequence=Consequence(consequence),
        )
        if key in KINDS and KINDS[key].fn is not fn:
            raise ImproperlyConfigured(f"Two reminder kinds named {key}")
        KINDS[key] = kind
        return fn

    return register


def kinds_for(user):
    """The kinds that may reach `user`, in registration order."""
    return [k for k in KINDS.values() if k.check(user)]


class _Holder:
    """A person as a run knows them, by their roles in its consortium: what the kinds'
    access checks read (consortium.access.actor), with no query of its own."""

    is_authenticated = True
    is_active = True

    def __init__(self, pk, consortium_id, roles):
        self.pk = pk
        setattr(
            self,
            ACTOR_ATTR,
            Actor(
                user=self, consortium_id=consortium_id, roles=roles, consortium_ids=(consortium_id,)
            ),
        )


class Run:
    """One consortium on one day, for the kinds to read: who holds which role where. With
    `only` (a user), the people are that person alone, so kinds that narrow their queries by
    `holders()` read only what concerns them (the dashboard)."""

    def __init__(self, consortium_id, as_of, only=None):
        self.consortium_id = consortium_id
        self.as_of = as_of
        self.only = only
        self._roles = None
        self._people = None
        self.totals = {}  # kind -> rows in all, where rows() read only the first of them
        self._counts = {}  # kind -> (rows in all so far, whether rows() had to count them)
        self.kind = None  # the kind being collected

    def rows(self, qs):
        """The rows a kind makes its items from, most urgent first in the queryset's order.
        For one person (the dashboard) only the first PER_KIND are read, and how many there
        are in all (in the same query), so the dashboard's cost does not grow with the backlog; for
        the daily run, every row. Only for a queryset already narrowed to the person."""
        if self.only is None:
            return qs
        rows, in_all = first_and_total(qs, PER_KIND)
        over = in_all > PER_KIND
        # A kind may read from more than one queryset (late returns and periods never
        # started): what it has in all adds up over them.
        total, counted = self._counts.get(self.kind, (0, False))
        total += in_all
        self._counts[self.kind] = (total, counted or over)
        if counted or over:
            self.totals[self.kind] = total
        return rows

    def _load(self):
        if self._roles is None:
            qs = RoleAssignment._base_manager.filter(
                consortium_id=self.consortium_id, user__is_active=True
            )
            if self.only is not None:
                qs = qs.filter(user=self.only)
            roles = defaultdict(lambda: defaultdict(set))
            for user_id, org_id, role in qs.values_list("user_id", "organisation_id", "role"):
                roles[role][org_id].add(user_id)
            self._roles = roles
        return self._roles

    def holders(self, *roles):
        """{organisation id: {user ids}} of active people holding any of `roles`."""
        out = defaultdict(set)
        for role in roles:
            for org_id, users in self._load().get(role, {}).items():
                out[org_id] |= users
        return out

    def users(self, *roles):
        """Ids of active people holding any of `roles` (anywhere in the consortium)."""
        return set().union(*self.holders(*roles).values())

    def allowed(self, check):
        """Ids of the active people `check` allows, by the roles they hold here."""
        if self._people is None:
            held = defaultdict(dict)
            for role, orgs in self._load().items():
                for org_id, users in orgs.items():
                    for user_id in users:
                        held[user_id].setdefault(role, set()).add(org_id)
            self._people = [
                _Holder(uid, self.consortium_id, {r: frozenset(o) for r, o in roles.items()})
                for uid, roles in held.items()
            ]
        return {p.pk for p in self._people if check(p)}


def collect(run, kinds=None, honour_preferences=True):
    """{user id: [Item]} for the run, most urgent first, each reminder once per person."""
    kinds = list(KINDS.values()) if kinds is None else kinds
    off = {}
    if honour_preferences:
        prefs = ReminderPreference._base_manager.filter(consortium_id=run.consortium_id)
        if run.only is not None:
            prefs = prefs.filter(user=run.only)
        off = {user_id: set(keys) for user_id, keys in prefs.values_list("user_id", "off")}
    found = defaultdict(dict)
    for kind in kinds:
        allowed = run.allowed(kind.check)
        if not allowed:
            continue
        run.kind = kind.key
        mine = defaultdict(dict)
        for user_id, item in kind.fn(run):
            if user_id not in allowed:
                continue  # left, inactive, or no longer in a role this kind is for
            if not kind.essential and kind.key in off.get(user_id, ()):
                continue
            item = dataclasses.replace(item, kind=kind.key, consequence=kind.consequence)
            mine[user_id].setdefault(item.key, item)
        for user_id, items in mine.items():
            found[user_id].update(_at_most(kind, run, list(items.values())))
    return {user_id: sorted(items.values(), key=_order) for user_id, items in found.items()}


# The most of one kind a person is reminded of by name, on the dashboard and in a day's email;
# the rest are one line, "and N more", pointing to the list that holds them all.
PER_KIND = 10


def _order(item):
    return (item.consequence, item.urgency, item.about, item.text)


def _at_most(kind, run, items):
    """{key: Item}: a person's items of one kind, the PER_KIND most urgent by name."""
    items.sort(key=_order)
    shown = items[:PER_KIND]
    more = max(run.totals.get(kind.key, 0), len(items)) - len(shown)
    out = {i.key: i for i in shown}
    if more > 0:
        name, _, query = kind.more_url.partition("?")
        url = reverse(name) + (f"?{query}" if query else "") if name else ""
        rest = items[PER_KIND:]
        item = Item(
            object_key=f"{kind.key}:more",
            about=run.as_of.isoformat(),
            text=f"And {more:,} more: {kind.label[:1].lower()}{kind.label[1:]}",
            url=url,
            urgency=min((i.urgency for i in rest), default=shown[-1].urgency),
            kind=kind.key,
            stands_for=more,
            stage="more",
            consequence=kind.consequence,
        )
        out[item.key] = item
    return out


def items_for(user, consortium_id, as_of):
    """Today's reminders for one person, as the dashboard shows them (all kinds, whatever
    their email preferences)."""

    run = Run(consortium_id, as_of, only=user)
    return collect(run, kinds_for(user), honour_preferences=False).get(user.pk, [])


# --- sending --------------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: int = 0  # digests
    reminders: int = 0
    failed: int = 0
    queued: int = 0  # digests left to the task workers (in_background)
    planned: list = dataclasses.field(default_factory=list)  # dry run: (consortium, user, [Item])


def send_reminders(*, as_of, dry_run=False, in_background=False):
    """Send each person their digest of reminders not sent before, for every consortium.
    A failure to send one person's digest is logged, their claims rolled back (so the next
    run tries again) and the others carry on. `in_background` queues one task a person
    instead (consortium.tasks.send_digest, tried again on failure)."""
    outcome = Outcome()
    token = uuid.uuid4().hex
    for consortium in Consortium._base_manager.order_by("pk"):
        with scope(consortium=consortium.pk):
            found = collect(Run(consortium.pk, as_of))
            people = get_user_model()._default_manager.in_bulk(list(found))
            if dry_run:
                sent = set(
                    ReminderSent.objects.filter(user__in=list(found)).values_list(
                        "user_id", "kind", "object_key", "stage", "about"
                    )
                )
            for user_id in sorted(found):
                user, items = people[user_id], found[user_id]
                if dry_run:
                    new = [i for i in items if (user_id, *i.key) not in sent]
                    if new:
                        outcome.planned.append((consortium, user, new))
                    continue
                if in_background:
                    from consortium.tasks import send_digest

                    send_digest.enqueue(consortium.pk, user_id, as_of.isoformat())
                    outcome.queued += 1
                    continue
                try:
                    n = _send_digest(consortium, user, items, as_of, token)
                except Exception:
                    log.exception(
                        "Reminders to user %s could not be sent; next run retries.", user_id
                    )
                    outcome.failed += 1
                    continue
                if n:
                    outcome.sent += 1
                    outcome.reminders += n
    return outcome


def send_digest_to(*, consortium_id, user_id, as_of):
    """One person's digest of one consortium's reminders for one day (a task's work): what
    was not sent before, claimed and emailed as send_reminders does. Returns how many
    reminders it named; raises if the email cannot be sent (the claims roll back)."""
    consortium = Consortium._base_manager.get(pk=consortium_id)
    with scope(consortium=consortium_id):
        user = get_user_model()._default_manager.get(pk=user_id)
        items = collect(Run(consortium_id, as_of, only=user)).get(user_id, [])
        if not items:
            return 0
        return _send_digest(consortium, user, items, as_of, uuid.uuid4().hex)


def _send_digest(consortium, user, items, as_of, token):
    if not user.email:
        log.warning("User %s has no email address: reminders shown on the dashboard only.", user.pk)
        return 0
    with transaction.atomic():
        # One digest per person per day: whoever inserts today's row first sends it.
        ReminderDigest.objects.bulk_create(
            [
                ReminderDigest(
                    consortium=consortium, user=user, sent_on=as_of, items=len(items), run=token
                )
            ],
            ignore_conflicts=True,
        )
        if not ReminderDigest.objects.filter(user=user, sent_on=as_of, run=token).exists():
            return 0
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(
                    consortium=consortium,
                    user=user,
                    kind=i.kind,
                    object_key=i.object_key,
                    stage=i.stage,
                    about=i.about,
                    sent_on=as_of,
                    run=token,
                )
                for i in items
            ],
            ignore_conflicts=True,
        )
        claimed = set(
            ReminderSent.objects.filter(user=user, run=token).values_list(
                "kind", "object_key", "stage", "about"
            )
        )
        fresh = [i for i in items if i.key in claimed]
        if not fresh:
            # Nothing new: no email, and no digest row to stand in the way of a later one.
            transaction.set_rollback(True)
            return 0
        _email(consortium, user, fresh, as_of).send(fail_silently=False)
    return len(fresh)


def _email(consortium, user, items, as_of):
    # What is at stake orders the groups, as it orders the dashboard; within each, the most
    # urgent first (the items arrive in that order).
    groups = defaultdict(list)
    for item in items:
        groups[item.consequence].append(item)
    context = {
        "user": user,
        "consortium": consortium,
        "as_of": as_of,
        "groups": [(c.label, groups[c]) for c in sorted(groups)],
        "site_url": getattr(settings, "CONCORD_SITE_URL", ""),
        "count": len(items),
    }
    message = EmailMultiAlternatives(
        subject=f"Concord: {len(items)} reminder{'s' if len(items) != 1 else ''} for "
        f"{as_of:%-d %B %Y}",
        body=render_to_string("email/reminders.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("email/reminders.html", context), "text/html")
    return message
