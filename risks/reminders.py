"""Risk reminders, to each risk's and each action's owner: reviews due (overdue or within the
dashboard's fortnight) and actions due or overdue."""

from datetime import timedelta

from django.db.models import Q

from consortium.consequence import Consequence
from consortium.reminders import DUE, LATE, Item, object_key, reminder_kind
from risks.access import keeps_registers
from risks.dashboard import REVIEW_SOON_DAYS
from risks.models import Risk, RiskAction


def _owned(run, qs):
    return qs.filter(owner=run.only) if run.only is not None else qs


@reminder_kind(
    "risks.review_due",
    "Reviews of risks you own falling due",
    consequence=Consequence.HOUSEKEEPING,
    check=keeps_registers,
    more_url="risks:risk_list?overdue=true",
)
def reviews_due(run):
    soon = run.as_of + timedelta(days=REVIEW_SOON_DAYS)
    risks = _owned(
        run,
        Risk.objects.filter(register__consortium_id=run.consortium_id)
        .open()
        .filter(next_review__lte=soon)
        .order_by("next_review", "pk"),
    )
    for r in run.rows(risks):
        late = r.next_review < run.as_of
        yield (
            r.owner_id,
            Item(
                object_key=object_key(r),
                stage="overdue" if late else "due",
                about=r.next_review.isoformat(),
                text=f"Risk review {'overdue' if late else 'due'}: {r} ({r.next_review:%-d %b %Y})",
                url=r.get_absolute_url(),
                urgency=LATE if late else DUE,
            ),
        )


@reminder_kind(
    "risks.action_due",
    "Risk actions you own falling due",
    consequence=Consequence.HOUSEKEEPING,
    check=keeps_registers,
    more_url="risks:risk_list",
)
def actions_due(run):
    soon = run.as_of + timedelta(days=REVIEW_SOON_DAYS)
    actions = _owned(
        run,
        RiskAction.objects.filter(
            Q(due__lte=soon),
            risk__register__consortium_id=run.consortium_id,
            status=RiskAction.Status.OPEN,
            risk__status=Risk.Status.OPEN,
        )
        .select_related("risk")
        .order_by("due", "pk"),
    )
    for a in run.rows(actions):
        late = a.due < run.as_of
        yield (
            a.owner_id,
            Item(
                object_key=object_key(a),
                stage="overdue" if late else "due",
                about=a.due.isoformat(),
                text=f"Risk action {'overdue' if late else 'due'} {a.due:%-d %b %Y}: {a}",
                url=a.risk.get_absolute_url(),
                urgency=LATE if late else DUE,
            ),
        )
