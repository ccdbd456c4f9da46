"""Risk panels on the dashboard: for the lead, the consortium register; for a CVO manager,
their own register; for a commissioner, the consortium's top risks. Counted in SQL against
today's date."""

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from consortium.access import is_commissioner
from consortium.counting import first_and_total
from consortium.dashboard import Consequence, panel
from consortium.models import Role
from consortium.numbers import plural
from risks import selectors
from risks.access import can_see_suggestions, keeps_registers
from risks.models import Acceptance, Escalation, Risk, RiskAction

REVIEW_SOON_DAYS = 14


def _kept(request):
    """Risks of the registers this person keeps."""
    a = request.actor
    condition = Q(pk__in=[])
    if a.oversees_consortium:
        condition |= Q(register__organisation__isnull=True)
    if a.has(Role.CVO_MANAGER):
        condition |= Q(register__organisation__in=a.orgs(Role.CVO_MANAGER))
    return Risk.objects.visible_to(request.user).filter(condition)


@panel(check=keeps_registers, order=40, consequence=Consequence.HOUSEKEEPING)
def risks_needing_attention(request):
    today = timezone.localdate()
    risks = _kept(request).open()
    accepted = Acceptance.objects.filter(
        risk=OuterRef("pk"), expires__gte=today, score__gte=OuterRef("residual_score")
    )
    counts = risks.aggregate(
        overdue=Count("pk", filter=Q(next_review__lt=today)),
        soon=Count(
            "pk",
            filter=Q(
                next_review__gte=today,
                next_review__lte=today + timedelta(days=REVIEW_SOON_DAYS),
            ),
        ),
        above=Count(
            "pk",
            filter=Q(residual_score__gt=F("category__appetite")) & ~Q(Exists(accepted)),
        ),
    )
    actions = (
        RiskAction.objects.visible_to(request.user)
        .overdue(today)
        .filter(risk__in=risks.values("pk"))
    )
    base = reverse("risks:risk_list")
    items = [
        (f"Reviews overdue: {counts['overdue']}", f"{base}?overdue=true&status=open"),
        (f"Reviews due within {REVIEW_SOON_DAYS} days: {counts['soon']}", None),
        (f"Actions overdue: {actions.count()}", None),
        (
            f"Above appetite without a current acceptance: {counts['above']}",
            f"{base}?above_appetite=true",
        ),
    ]
    waiting = Escalation.objects.visible_to(request.user).filter(status="requested")
    to_decide, shown = 0, []
    if request.actor.oversees_consortium:
        shown, to_decide = first_and_total(
            waiting.select_related("member_risk__register__organisation"), 5
        )
        for e in shown:
            items.append(
                (
                    f"Escalation waiting: {e.member_risk} ({e.member_risk.register.organisation.name})",
                    reverse("risks:escalation_decide", args=[e.pk]),
                )
            )
    else:
        n = waiting.count()
        if n:
            items.append((f"Your escalation requests waiting for the lead: {n}", None))
    return {
        "title": "Risks needing attention",
        # Reviews and actions are housekeeping; a member's escalation waits for the lead.
        "consequence": Consequence.WAITING if to_decide else Consequence.HOUSEKEEPING,
        "needs_you": bool(to_decide),
        "headline": f"{plural(to_decide, 'escalated risk')} waiting for your decision"
        if to_decide
        else None,
        # One waiting: its decision page; more: the registers, where each waits.
        "url": reverse("risks:escalation_decide", args=[shown[0].pk]) if to_decide == 1 else None,
        "items": items,
        "link": (reverse("risks:register_list"), "Risk registers"),
        "empty": "",
    }


@panel(check=can_see_suggestions, order=41, consequence=Consequence.HOUSEKEEPING)
def suggested_risks(request):
    organisation = None
    if not request.actor.oversees_consortium:
        organisation = selectors.own_organisation(request.user)
    groups = selectors.suggestion_groups(request.user, organisation=organisation)
    new = [g for g in groups if not g.is_covered]
    covered = len(groups) - len(new)
    items = [(g.title, reverse("risks:suggestions")) for g in new[:5]]
    if covered:
        items.append((f"{plural(covered, 'kind')} already covered by an open risk", None))
    return {
        "title": "Risks Concord can see coming",
        "count": len(new),
        "items": items,
        "empty": "Nothing to suggest today.",
        "link": (reverse("risks:suggestions"), "All suggested risks"),
    }


@panel(check=is_commissioner, order=40)
def top_risks(request):
    risks = (
        Risk.objects.visible_to(request.user)
        .open()
        .filter(register__organisation__isnull=True)
        .select_related("register__matrix")
        .order_by("-residual_score", "reference")[:5]
    )
    return {
        "title": "The consortium's top risks",
        "items": [
            (
                f"{r.reference} {r.title}: {r.residual().label.lower()} ({r.residual_score})",
                r.get_absolute_url(),
            )
            for r in risks
        ],
        "empty": "The consortium register has no open risks.",
        "link": (reverse("risks:heatmap"), "Heat map"),
    }
