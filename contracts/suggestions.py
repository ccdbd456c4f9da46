"""Risks delivery shows coming: subcontracts whose returns were late two periods running,
and indicators red against target in the latest approved returns (below 80% of a
higher-is-better target)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from consortium.dates import day_text
from consortium.numbers import count
from consortium.suggestions import Suggestion, suggestion_kind, suggestion_source
from contracts.models import Indicator, PerformanceReturn, ReportingPeriod, ReturnValue, Target

suggestion_kind(
    "contracts.late_returns", many="{n} subcontracts' returns are late period after period"
)
suggestion_kind("contracts.indicator_red", many="{n} indicators are red against target")

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _and(words):
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@suggestion_source
def returns_late_twice(*, user, organisation, today, limits):
    periods = ReportingPeriod.objects.visible_to(user).filter(due_date__lt=today)
    if organisation is not None:
        periods = periods.filter(subcontract__cvo=organisation)
    recent = list(
        periods.order_by("subcontract_id", "-due_date").values_list(
            "pk",
            "subcontract_id",
            "due_date",
            "subcontract__reference",
            "subcontract__cvo",
            "subcontract__cvo__name",
        )[:5000]
    )
    running = max(limits.late_returns_running, 1)
    last_two = defaultdict(list)
    for row in recent:
        if len(last_two[row[1]]) < running:
            last_two[row[1]].append(row)
    period_ids = [r[0] for rows in last_two.values() for r in rows]
    submitted = dict(
        PerformanceReturn.objects.filter(period_id__in=period_ids).values_list(
            "period_id", "submitted_at"
        )
    )
    found = []
    for sub_id, rows in last_two.items():
        if len(rows) < running:
            continue

        def late(row):
            at = submitted.get(row[0])
            return at is None or timezone.localdate(at) > row[2]

        if all(late(r) for r in rows):
            _pk, _sub, due, ref, cvo, cvo_name = rows[0]
            found.append(
                Suggestion(
                    key=f"contracts.late_returns:{sub_id}",
                    title=f"{cvo_name}: returns for {ref} late "
                    f"{NUMBER_WORDS.get(running, running)} periods running",
                    evidence=f"The returns due on {_and([day_text(r[2]) for r in reversed(rows)])} "
                    "were late or are still missing.",
                    category="Legal and contractual",
                    likelihood=3,
                    consequence=3,
                    link=reverse("contracts:subcontract_detail", args=[sub_id]),
                    organisation_id=cvo,
                    concerns=(("contracts.Subcontract", sub_id),),
                )
            )
    return sorted(found, key=lambda s: s.title)


@suggestion_source
def indicators_red(*, user, organisation, today, limits):
    # Each subcontract's latest approved return, as the return services keep it (LatestReturn).
    returns = PerformanceReturn.objects.visible_to(user).filter(latest_of__isnull=False)
    if organisation is not None:
        returns = returns.filter(subcontract__cvo=organisation)
    latest = list(returns.order_by().values_list("pk", "period_id"))
    if not latest:
        return []
    ret_ids = [r for r, _p in latest]
    period_ids = [p for _r, p in latest]
    targets = {
        (p, ind): value
        for p, ind, value in Target.objects.filter(period_id__in=period_ids).values_list(
            "period_id", "indicator_id", "value"
        )
    }
    if not targets:
        return []  # nothing is red against a target nobody set
    red_share = Decimal(limits.red_percent) / 100
    found = []
    has_target = Target.objects.filter(
        period_id=OuterRef("ret__period_id"), indicator_id=OuterRef("indicator_id")
    )
    rows = ReturnValue.objects.filter(
        Exists(has_target), ret_id__in=ret_ids, indicator__direction=Indicator.Direction.HIGHER
    ).values_list(
        "ret__period_id",
        "indicator_id",
        "indicator__name",
        "value",
        "ret__subcontract_id",
        "ret__subcontract__reference",
        "ret__subcontract__cvo",
        "ret__subcontract__cvo__name",
        "ret__period__start",
    )
    for period_id, ind, name, value, sub_id, ref, cvo, cvo_name, start in rows:
        target = targets.get((period_id, ind))
        if not target or value is None or value >= target * red_share:
            continue
        share = round(value * 100 / target)
        found.append(
            Suggestion(
                key=f"contracts.indicator_red:{sub_id}:{ind}",
                title=f"{cvo_name}: {name} red against target ({ref})",
                evidence=f"{count(value)} against a target of {count(target)} ({share}% of "
                f"it) in the period from {day_text(start)}, below the {limits.red_percent}% "
                "that counts as red.",
                category="Operational and delivery",
                likelihood=3,
                consequence=3,
                link=reverse("returns:subcontract_performance", args=[sub_id]),
                organisation_id=cvo,
                concerns=(("contracts.Subcontract", sub_id),),
            )
        )
    return sorted(found, key=lambda s: s.title)
