"""Demo returns: a starter indicator library for liaison and diversion, two years of monthly
returns for each CVO subcontract (bulk-created), targets, and the NHS and probation
commissioners' report templates. Idempotent: skipped once the library exists."""

import random
from decimal import Decimal

from django.utils import timezone

from consortium import dates
from contracts.models import (
    CommissionerTemplate,
    Indicator,
    PerformanceReturn,
    ReportingPeriod,
    ReturnValue,
    Subcontract,
    Target,
    TemplateField,
)

C, P, DAYS = "count", "percentage", "days"
# code, name, unit, aggregation, logic stage, pathway stage, required, ≤, breakdown of, group,
# definition
LIBRARY = [
    (
        "REF_TOTAL",
        "Referrals received",
        C,
        "sum",
        "output",
        "identified",
        True,
        None,
        None,
        "",
        "People referred to the service in the period, counted once per referral episode. Excludes re-referrals within 7 days of a previous referral.",
    ),
    (
        "REF_CUSTODY",
        "Referrals from police custody",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "setting",
        "Referrals made while the person was detained in a police custody suite.",
    ),
    (
        "REF_MAGS",
        "Referrals from magistrates' courts",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "setting",
        "Referrals from magistrates' court cells, dock or probation court teams.",
    ),
    (
        "REF_CROWN",
        "Referrals from crown courts",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "setting",
        "Referrals from crown court staff, judges or defence.",
    ),
    (
        "REF_PROBATION",
        "Referrals from probation",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "setting",
        "Referrals from probation offices, excluding court teams.",
    ),
    (
        "REF_COMMUNITY",
        "Referrals from the community",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "setting",
        "Self-referrals and referrals from community services.",
    ),
    (
        "SCREENED",
        "Screened",
        C,
        "sum",
        "activity",
        "screened",
        True,
        "REF_TOTAL",
        None,
        "",
        "Referred people given a mental health and vulnerability screen. Does not include people who declined.",
    ),
    (
        "ASSESSED",
        "Assessed",
        C,
        "sum",
        "activity",
        "assessed",
        True,
        "SCREENED",
        None,
        "",
        "Screened people given a full assessment by a qualified practitioner.",
    ),
    (
        "REPORTS_WRITTEN",
        "Court reports provided (written)",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        None,
        "",
        "Written reports to the court on mental health or vulnerability.",
    ),
    (
        "REPORTS_ORAL",
        "Court reports provided (oral)",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        None,
        "",
        "Oral reports given to the bench.",
    ),
    (
        "ONWARD_TOTAL",
        "Onward referrals",
        C,
        "sum",
        "output",
        "referred_on",
        False,
        "ASSESSED",
        None,
        "",
        "Assessed people referred on to another service; one per person, whatever the number of services.",
    ),
    (
        "ONWARD_MH",
        "Onward referrals: mental health",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "ONWARD_TOTAL",
        "",
        "Referrals to community or secondary mental health services.",
    ),
    (
        "ONWARD_SUBSTANCE",
        "Onward referrals: substance misuse",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "ONWARD_TOTAL",
        "",
        "Referrals to drug and alcohol services.",
    ),
    (
        "ONWARD_HOUSING",
        "Onward referrals: housing",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "ONWARD_TOTAL",
        "",
        "Referrals to housing options or supported accommodation.",
    ),
    (
        "ONWARD_DEBT",
        "Onward referrals: benefits and debt",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "ONWARD_TOTAL",
        "",
        "Referrals to welfare rights and debt advice.",
    ),
    (
        "ONWARD_LD",
        "Onward referrals: learning disability",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "ONWARD_TOTAL",
        "",
        "Referrals to learning disability services.",
    ),
    (
        "DIVERTED",
        "Diverted",
        C,
        "sum",
        "outcome",
        "diverted",
        False,
        "ASSESSED",
        None,
        "",
        "Assessed people diverted from prosecution or custody to treatment or support.",
    ),
    (
        "ENGAGED",
        "Engaged at first appointment",
        C,
        "sum",
        "outcome",
        "engaged",
        False,
        "ONWARD_TOTAL",
        None,
        "",
        "People referred on who attended their first appointment with the onward service.",
    ),
    (
        "WAIT_DAYS",
        "Waiting days from referral to assessment",
        DAYS,
        "mean",
        "activity",
        "",
        False,
        None,
        None,
        "",
        "Mean calendar days from referral to full assessment, for people assessed in the period.",
    ),
    (
        "WOMEN",
        "Referrals: women",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "",
        "Referred people who identify as women.",
    ),
    (
        "YOUNG_ADULTS",
        "Referrals: young adults (18–25)",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "",
        "Referred people aged 18 to 25 on the day of referral.",
    ),
    (
        "LD_REFERRALS",
        "Referrals: learning disability",
        C,
        "sum",
        "output",
        "",
        False,
        None,
        "REF_TOTAL",
        "",
        "Referred people with a known or suspected learning disability.",
    ),
]

SCALE = {"women": 30, "recovery": 45, "housing": 20, "advocacy": 12}


def seed_library(consortium):
    made = {}
    for pos, row in enumerate(LIBRARY):
        code, name, unit, agg, logic, pathway, required, nmt, bd, group, definition = row
        ind, _ = Indicator.objects.get_or_create(
            consortium=consortium,
            code=code,
            defaults=dict(
                name=name,
                definition=definition,
                unit=unit,
                aggregation=agg,
                direction="lower" if unit == DAYS else "higher",
                logic_stage=logic,
                pathway_stage=pathway,
                required=required,
                not_more_than=made.get(nmt),
                breakdown_of=made.get(bd),
                breakdown_group=group,
                position=pos,
            ),
        )
        made[code] = ind
    return made


def figures(rng, base):
    ref = max(1, int(rng.gauss(base, base * 0.15)))
    split = [rng.random() for _ in range(5)]
    s = sum(split)
    parts = [int(ref * x / s) for x in split]
    scr = int(ref * rng.uniform(0.85, 0.98))
    ass = int(scr * rng.uniform(0.6, 0.85))
    onward = int(ass * rng.uniform(0.5, 0.8))
    by = [int(onward * f) for f in (0.4, 0.25, 0.15, 0.1, 0.05)]
    return {
        "REF_TOTAL": ref,
        "REF_CUSTODY": parts[0],
        "REF_MAGS": parts[1],
        "REF_CROWN": parts[2],
        "REF_PROBATION": parts[3],
        "REF_COMMUNITY": parts[4],
        "SCREENED": scr,
        "ASSESSED": ass,
        "REPORTS_WRITTEN": int(ass * 0.2),
        "REPORTS_ORAL": int(ass * 0.3),
        "ONWARD_TOTAL": onward,
        "ONWARD_MH": by[0],
        "ONWARD_SUBSTANCE": by[1],
        "ONWARD_HOUSING": by[2],
        "ONWARD_DEBT": by[3],
        "ONWARD_LD": by[4],
        "DIVERTED": int(ass * rng.uniform(0.2, 0.4)),
        "ENGAGED": int(onward * rng.uniform(0.5, 0.8)),
        "WAIT_DAYS": Decimal(str(round(rng.uniform(1, 9), 1))),
        "WOMEN": int(ref * 0.2),
        "YOUNG_ADULTS": int(ref * 0.25),
        "LD_REFERRALS": int(ref * 0.07),
    }


def seed(ctx):
    consortium = ctx.consortium
    if Indicator.objects.filter(consortium=consortium).exists():
        return
    library = seed_library(consortium)
    rng = random.Random(20260401)
    today = timezone.localdate()
    last_month = dates.add_months(today, -1)
    first_month = dates.add_months(last_month, -23)
    lead_user = ctx.users["lead"]
    now = timezone.now()
    periods, returns, values, targets = [], [], [], []
    subs = list(Subcontract.objects.filter(consortium=consortium).select_related("cvo"))
    key_of = {org.pk: key for key, org in ctx.orgs.items()}
    for sub in subs:
        base = SCALE.get(key_of.get(sub.cvo_id), 20)
        for start, end in dates.month_periods(first_month, last_month):
            periods.append(
                ReportingPeriod(
                    consortium=consortium,
                    subcontract=sub,
                    start=start,
                    end=end,
                    due_working_days=10,
                    due_date=dates.due_date(end, 10),
                )
            )
    ReportingPeriod.objects.bulk_create(periods)
    periods = list(
        ReportingPeriod.objects.filter(consortium=consortium).select_related("subcontract")
    )
    by_sub = {}
    for p in periods:
        by_sub.setdefault(p.subcontract_id, []).append(p)
    for sub in subs:
        ps = sorted(by_sub.get(sub.pk, []), key=lambda p: p.start)
        user = ctx.users.get("cvo1") if key_of.get(sub.cvo_id) == "women" else None
        for i, p in enumerate(ps):
            newest = i == len(ps) - 1
            if newest and key_of.get(sub.cvo_id) == "advocacy":
                continue  # missing: shows as late
            status = (
                "approved"
                if not newest
                else ("submitted" if key_of.get(sub.cvo_id) != "women" else "draft")
            )
            returns.append(
                PerformanceReturn(
                    consortium=consortium,
                    subcontract=sub,
                    period=p,
                    status=status,
                    narrative="Steady month; figures from the case management system.",
                    submitted_by=user if status != "draft" else None,
                    submitted_at=now if status != "draft" else None,
                    approved_by=lead_user if status == "approved" else None,
                    approved_at=now if status == "approved" else None,
                )
            )
    PerformanceReturn.objects.bulk_create(returns)
    for ret in PerformanceReturn.objects.filter(consortium=consortium).select_related(
        "subcontract"
    ):
        base = SCALE.get(key_of.get(ret.subcontract.cvo_id), 20)
        for code, v in figures(rng, base).items():
            values.append(
                ReturnValue(
                    consortium=consortium, ret=ret, indicator=library[code], value=Decimal(v)
                )
            )
    ReturnValue.objects.bulk_create(values, batch_size=2000)
    for p in periods:
        base = SCALE.get(key_of.get(p.subcontract.cvo_id), 20)
        for code, share in (("REF_TOTAL", 1), ("DIVERTED", Decimal("0.2"))):
            targets.append(
                Target(
                    consortium=consortium,
                    period=p,
                    indicator=library[code],
                    value=Decimal(base) * share,
                )
            )
    Target.objects.bulk_create(targets)
    for org_key, name, layout in (
        (
            "nhs",
            "NHS health and justice monthly dataset",
            [
                ("Activity", "Total referrals into L&D", "REF_TOTAL"),
                ("Activity", "Individuals screened", "SCREENED"),
                ("Activity", "Individuals assessed", "ASSESSED"),
                ("Outcomes", "Onward referrals made", "ONWARD_TOTAL"),
                ("Outcomes", "Engaged with onward service", "ENGAGED"),
                ("Timeliness", "Mean days referral to assessment", "WAIT_DAYS"),
                ("Equalities", "Female service users", "WOMEN"),
            ],
        ),
        (
            "probation",
            "Probation quarterly mental health return",
            [
                ("Court work", "Reports to court (written)", "REPORTS_WRITTEN"),
                ("Court work", "Reports to court (oral)", "REPORTS_ORAL"),
                ("Diversion", "Diversions from custody", "DIVERTED"),
                ("Referrals", "Referrals from probation", "REF_PROBATION"),
            ],
        ),
    ):
        template, _ = CommissionerTemplate.objects.get_or_create(
            consortium=consortium, commissioner=ctx.orgs[org_key], defaults={"name": name}
        )
        for pos, (group, label, code) in enumerate(layout):
            TemplateField.objects.get_or_create(
                consortium=consortium,
                template=template,
                label=label,
                defaults={"group": group, "indicator": library[code], "position": pos},
            )
    ctx.extra["indicators"] = library
