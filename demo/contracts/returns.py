"""Demo returns: a starter indicator library for liaison and diversion, two years of monthly
returns for each CVO subcontract, targets, and the NHS and probation commissioners' report
templates. Idempotent: skipped once the library exists.

Every return is filled in and submitted by its CVO's manager and approved by the lead through
the returns services, on the days they would have done it: most a few days before the due
date, about one in ten (LATE_SHARE) a few days after it, each approved two to six days after
submission, so history, events and the "Late" flag tell the story of two ordinary years."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from consortium import dates
from contracts.models import Indicator, Subcontract
from contracts.services import returns as return_services
from sample.consortium import on
from sample.contracts import (
    CommissionerTemplateFactory,
    TemplateFieldFactory,
    make_indicators,
    return_through_workflow,
)

C, P, DAYS = "count", "percentage", "days"
# Rows of LIBRARY_FIELDS (below).
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
# Who fills in each CVO's returns (see demo.consortium).
PREPARERS = {"women": "cvo1", "recovery": "cvo2", "housing": "hmoss", "advocacy": "jokafor"}
LATE_SHARE = 0.1  # about one return in ten arrives after its due date
NARRATIVE = "Steady month; figures from the case management system."


# The fields of each LIBRARY row, in order.
LIBRARY_FIELDS = (
    "code",
    "name",
    "unit",
    "aggregation",
    "logic_stage",
    "pathway_stage",
    "required",
    "not_more_than",
    "breakdown_of",
    "breakdown_group",
    "definition",
)


def seed_library(consortium):
    return make_indicators(consortium, LIBRARY, LIBRARY_FIELDS)


def _weekday_on_or_before(day):
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def submission_day(rng, period, today):
    """When a CVO sent this return in: usually in the working days before its due date, a
    minority (LATE_SHARE) two to nine days after it; never before the month ended nor after
    today."""
    if rng.random() < LATE_SHARE:
        day = period.due_date + datetime.timedelta(days=rng.randint(2, 9))
    else:
        day = _weekday_on_or_before(period.due_date - datetime.timedelta(days=rng.randint(0, 7)))
    return min(max(day, period.end + datetime.timedelta(days=1)), today)


def approval_moment(rng, submitted, today):
    """The lead's review, two to six days after submission (the next working day if that
    falls at a weekend), in the afternoon; never after today."""
    day = submitted + datetime.timedelta(days=rng.randint(2, 6))
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(min(day, today), datetime.time(15, 0))


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
    lead = ctx.users["lead"]
    key_of = {org.pk: key for key, org in ctx.orgs.items()}
    subs = Subcontract.objects.filter(consortium=consortium).select_related("cvo")
    for sub in subs.order_by("reference"):
        key = key_of.get(sub.cvo_id)
        base = SCALE.get(key, 20)
        preparer = ctx.users[PREPARERS[key]]
        with on(dates.add_months(first_month, -1)):  # set up the month before the first
            periods = return_services.periods_create(
                subcontract=sub, by=lead, first=first_month, last=last_month
            )
            for p in periods:
                for code, share in (("REF_TOTAL", 1), ("DIVERTED", Decimal("0.2"))):
                    return_services.target_set(
                        period=p, indicator=library[code], value=Decimal(base) * share, by=lead
                    )
        for i, p in enumerate(periods):
            newest = i == len(periods) - 1
            if newest and key == "advocacy":
                continue  # missing: shows as late
            status = "approved"
            if newest:
                status = "draft" if key == "women" else "submitted"
            submitted = submission_day(rng, p, today)
            return_through_workflow(
                p,
                figures(rng, base),
                by=preparer,
                approver=lead,
                status=status,
                narrative=NARRATIVE,
                submitted_on=submitted,
                approved_on=approval_moment(rng, submitted, today),
            )
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
        template = CommissionerTemplateFactory(
            consortium=consortium, commissioner=ctx.orgs[org_key], name=name
        )
        for pos, (group, label, code) in enumerate(layout):
            TemplateFieldFactory(
                template=template, group=group, label=label, indicator=library[code], position=pos
            )
    ctx.extra["indicators"] = library
