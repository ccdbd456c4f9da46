"""Demo risks: the consortium SWOT from the partnership study (its strengths, weaknesses,
opportunities and threats, with the consensus the study's colours showed), a consortium
register of fifteen risks with controls, actions and a year of reviews, and each member's own
register with a few risks — one escalated to the consortium, one waiting for the lead.
Idempotent: skipped once the consortium register exists.

Every act goes through the risks services on the day it would have happened."""

import datetime
import random

from django.utils import timezone

from consortium import dates
from risks import services
from risks.models import Risk, RiskCategory, RiskRegister, SwotAnalysis, SwotItem
from sample.consortium import on

# Sources: 3 narrative and 12 semi-structured interviews, 80 documents, a workshop of 10.
SOURCES = (15, 80, 10)
HIGH, REASONABLE, SINGLE = 75, 35, 1
S, W, OP, T = (SwotItem.Quadrant.STRENGTH, SwotItem.Quadrant.WEAKNESS,
               SwotItem.Quadrant.OPPORTUNITY, SwotItem.Quadrant.THREAT)  # fmt: skip

SWOT_ITEMS = [
    (
        S,
        "Motivated, skilled, highly qualified practitioners who engage service users",
        HIGH,
        "Staffing",
    ),
    (S, "Clinical supervision within a robust clinical governance framework", HIGH, "Staffing"),
    (S, "Strong, consistent and stable leadership", HIGH, "Governance"),
    (S, "Expertise in forensic services and mental health", REASONABLE, "Model"),
    (
        S,
        "Strong links with local agencies for signposting, referral and brokerage",
        REASONABLE,
        "Partnership",
    ),
    (
        S,
        "Model of delivery: co-located, integrated and visible in local offices",
        REASONABLE,
        "Model",
    ),
    (S, "Practitioners are a single point of contact", REASONABLE, "Model"),
    (S, "Diversified funding and resource capacity", SINGLE, "Funding"),
    (S, "Equal partnership between probation and the lead charity", SINGLE, "Partnership"),
    (S, "Expertise in women's issues", SINGLE, "Model"),
    (W, "Funding fragility and short-term funding", REASONABLE, "Funding"),
    (W, "Gap in provision when staff change over", REASONABLE, "Staffing"),
    (
        W,
        "Challenge of a poorly performing practitioner in a singleton role",
        REASONABLE,
        "Staffing",
    ),
    (W, "Lone working and the single practitioner model", SINGLE, "Staffing"),
    (W, "Loss of funding for the peripatetic cover role", SINGLE, "Funding"),
    (W, "High demand slows the time from referral to appointment", SINGLE, "Model"),
    (W, "Attributing outcomes to the service's work", SINGLE, "Outcomes"),
    (
        W,
        "Low awareness of the service among probation staff in some boroughs",
        SINGLE,
        "Partnership",
    ),
    (OP, "Liaison and diversion trials extended and integrated", REASONABLE, "Policy"),
    (OP, "Longer-term funding from new probation providers", REASONABLE, "Funding"),
    (OP, "Service innovation from the probation reforms", SINGLE, "Policy"),
    (OP, "Training for magistrates and for women's mental health needs", SINGLE, "Model"),
    (OP, "Better recording of outcomes for short interventions", SINGLE, "Outcomes"),
    (OP, "Two practitioners per borough so the service never stops", SINGLE, "Staffing"),
    (T, "Uncertainty of resourcing and reduced diversity of funding", REASONABLE, "Funding"),
    (T, "Commissioners reorganise, with differing agendas", REASONABLE, "Partnership"),
    (T, "Payment by results moves financial risk onto providers", REASONABLE, "Funding"),
    (T, "Different commissioners require different outcome information", SINGLE, "Outcomes"),
    (T, "Patchy links with NHS trusts across London", SINGLE, "Partnership"),
    (T, "Long waiting lists for community provision", SINGLE, "Model"),
    (T, "Ensuring suitable supervision for staff", SINGLE, "Staffing"),
]

# title, category, (inherent), (residual), (target), cause, event, effect, controls, actions,
# SWOT statement it came from, what it concerns (ctx.extra stream key or org key)
CONSORTIUM_RISKS = [
    (
        "Funding fragility: streams of twelve months or less",
        "Financial",
        (5, 4),
        (4, 4),
        (3, 3),
        "Most streams run twelve months or less",
        "a major stream ends without renewal",
        "practitioner posts are lost and boroughs go uncovered",
        ["Funding runway reviewed monthly by the board"],
        ["Bid for a three-year prime contract"],
        "Funding fragility and short-term funding",
        "stream:nhs",
    ),
    (
        "A practitioner leaves a single-handed borough",
        "Workforce",
        (4, 4),
        (3, 4),
        (2, 3),
        "Each borough is covered by one practitioner",
        "a practitioner leaves or is off sick",
        "the court and custody suite lose the service until a replacement starts",
        ["Cover rota across neighbouring boroughs"],
        ["Fund a peripatetic cover post"],
        "Gap in provision when staff change over",
        None,
    ),
    (
        "Payment by results attribution disputed",
        "Financial",
        (4, 3),
        (3, 3),
        (2, 3),
        "Outcome payments depend on attributing change to the service",
        "the commissioner rejects claims",
        "income at risk is lost",
        ["Pseudonymous cohort evidence kept for every claim"],
        ["Agree attribution rules in writing"],
        "Payment by results moves financial risk onto providers",
        None,
    ),
    (
        "The prime commissioner reorganises",
        "Partnership",
        (4, 4),
        (3, 4),
        (2, 4),
        "Health and justice commissioning is being restructured",
        "the contract is re-procured early",
        "the consortium must rebid at short notice",
        ["Quarterly assurance meetings with the commissioner"],
        ["Map the new commissioning structure"],
        "Commissioners reorganise, with differing agendas",
        "org:nhs",
    ),
    (
        "Personal data shared with courts without a lawful basis",
        "Information governance",
        (3, 4),
        (2, 4),
        (1, 4),
        "Practitioners share information with courts and probation daily",
        "data is shared beyond what the agreement allows",
        "a reportable breach and loss of trust",
        ["Information sharing agreement with each partner"],
        ["Annual data protection training"],
        None,
        None,
    ),
    (
        "Lone working in custody suites and community settings",
        "Clinical and safeguarding",
        (3, 5),
        (2, 4),
        (1, 4),
        "Practitioners work alone with people in crisis",
        "a practitioner is harmed",
        "serious harm to staff and service suspension",
        ["Lone working policy with check-in calls"],
        ["Issue personal alarms to all practitioners"],
        "Lone working and the single practitioner model",
        None,
    ),
    (
        "Clinical supervision lapses",
        "Clinical and safeguarding",
        (3, 4),
        (2, 3),
        (1, 3),
        "Supervisors are external and sessions are easily cancelled",
        "practitioners go months without supervision",
        "unsafe practice goes unnoticed",
        ["Monthly compliance report"],
        ["Book a year of group sessions in advance"],
        "Ensuring suitable supervision for staff",
        None,
    ),
    (
        "Payments to members are late",
        "Partnership",
        (3, 3),
        (2, 3),
        (1, 3),
        "The lead pays members only once the commissioner pays it",
        "a member's payment is late",
        "a small charity runs short of cash and loses trust in the lead",
        ["Payment schedule agreed with each member"],
        ["Build a cash reserve of two months"],
        None,
        None,
    ),
    (
        "Outcome reporting differs between commissioners",
        "Operational and delivery",
        (4, 2),
        (3, 2),
        (2, 2),
        "Each commissioner asks for different outcome information",
        "staff spend hours re-keying figures",
        "less time with service users",
        ["One indicator library mapped to each commissioner's template"],
        [],
        "Different commissioners require different outcome information",
        None,
    ),
    (
        "Referrals fall where probation staff do not know the service",
        "Operational and delivery",
        (3, 3),
        (3, 2),
        (2, 2),
        "Awareness of the service varies between boroughs",
        "referrals drop below target",
        "targets missed and funding questioned",
        ["Briefings at team meetings"],
        ["Refresh the referral guide"],
        "Low awareness of the service among probation staff in some boroughs",
        None,
    ),
    (
        "Registration or DBS checks lapse unnoticed",
        "Clinical and safeguarding",
        (3, 4),
        (1, 4),
        (1, 4),
        "Registrations and checks expire on different dates",
        "a practitioner works with a lapsed check",
        "a safeguarding failure and a breach of contract",
        ["Expiry alerts at 90 and 30 days"],
        [],
        None,
        None,
    ),
    (
        "Reputational damage after a serious incident",
        "Reputational",
        (2, 5),
        (2, 4),
        (1, 4),
        "The service works with people at high risk",
        "a serious incident is reported in the press",
        "commissioners lose confidence",
        ["Serious incident procedure"],
        ["Media protocol with partners"],
        None,
        None,
    ),
    (
        "Subcontract terms do not protect the lead",
        "Legal and contractual",
        (3, 3),
        (2, 3),
        (1, 3),
        "Subcontracts were agreed quickly",
        "a member fails to deliver and the lead cannot recover costs",
        "the lead carries the loss",
        ["Standard subcontract with performance clauses"],
        [],
        None,
        None,
    ),
    (
        "Waiting lists for community mental health services",
        "Strategic",
        (4, 3),
        (4, 3),
        (3, 3),
        "Community provision is scarce",
        "people diverted wait months for treatment",
        "outcomes worsen and reoffending rises",
        ["Escalation route to the mental health trust"],
        ["Joint protocol with the mental health trust"],
        "Long waiting lists for community provision",
        None,
    ),
    (
        "Office space and IT access in partner buildings",
        "Operational and delivery",
        (3, 2),
        (2, 2),
        (1, 2),
        "Practitioners rely on partners for desks and systems",
        "access is withdrawn",
        "practitioners cannot record or share information",
        ["Agreements with host offices"],
        [],
        None,
        None,
    ),
]

MEMBER_RISKS = {
    # org key: [(title, category, residual, escalate?)]
    "women": [
        ("Women's centre grant ends in March", "Financial", (4, 4), "accepted"),
        ("Key worker on long-term sick leave", "Workforce", (3, 3), None),
        ("Safeguarding referrals not followed up", "Clinical and safeguarding", (2, 4), None),
    ],
    "recovery": [
        (
            "Substance-misuse prescribing gap at custody suites",
            "Clinical and safeguarding",
            (4, 4),
            "requested",
        ),
        ("Case management system end of support", "Information governance", (3, 3), None),
    ],
    "housing": [("Supported housing beds cut by the council", "Partnership", (4, 3), None)],
    "advocacy": [("Peer volunteers leave after training", "Workforce", (3, 2), None)],
}
MANAGERS = {"women": "cvo1", "recovery": "cvo2", "housing": "hmoss", "advocacy": "jokafor"}


# The register's risks that cover a kind of suggested risk whole: single-handed boroughs are the
# service's model, and this one risk carries them all.
COVERS_SUGGESTIONS = {"A practitioner leaves a single-handed borough": "supervision.single_post"}


def _risk(register, by, title, category, inherent, residual, target, **fields):
    risk = Risk(
        register=register,
        title=title,
        category=RiskCategory.objects.get(consortium=register.consortium, name=category),
        owner=fields.pop("owner", by),
        inherent_likelihood=inherent[0],
        inherent_consequence=inherent[1],
        residual_likelihood=residual[0],
        residual_consequence=residual[1],
        target_likelihood=target[0],
        target_consequence=target[1],
        cause=fields.pop("cause", "See the description"),
        event=fields.pop("event", title.lower()),
        consequence=fields.pop("consequence", "the service is disrupted"),
        **fields,
    )
    return services.risk_save(by=by, risk=risk)


def _swot(ctx, lead, today):
    start = dates.add_months(today, -14)
    with on(start):
        swot = services.swot_save(
            by=lead,
            analysis=SwotAnalysis(
                title="Partnership SWOT: interviews, documents and workshop",
                period_start=start,
                period_end=dates.add_months(start, 3),
                interviews=SOURCES[0],
                documents=SOURCES[1],
                workshops=SOURCES[2],
            ),
        )
        for quadrant, statement, support, theme in SWOT_ITEMS:
            services.swot_item_save(
                by=lead,
                item=SwotItem(
                    analysis=swot,
                    quadrant=quadrant,
                    statement=statement,
                    support=support,
                    theme=theme,
                ),
            )
        outcomes = swot.items.get(statement="Attributing outcomes to the service's work")
        services.swot_item_override(
            by=lead,
            item=outcomes,
            consensus=SwotItem.Consensus.REASONABLE,
            reason="Not raised in interviews but agreed by the whole workshop.",
        )
    with on(dates.add_months(start, 3)):
        services.swot_agree(by=lead, analysis=swot)
    with on(dates.add_months(today, -1)):
        refresh = services.swot_new_round(
            by=lead,
            analysis=swot,
            title="Partnership SWOT: this year's refresh",
            period_start=dates.add_months(today, -2),
            period_end=today,
        )
        doubling = refresh.items.get(statement__startswith="Two practitioners per borough")
        doubling.support = REASONABLE
        services.swot_item_save(by=lead, item=doubling)
        services.swot_item_save(
            by=lead,
            item=SwotItem(
                analysis=refresh,
                quadrant=T,
                statement="Members have less than a year's funding secured",
                support=REASONABLE,
                theme="Funding",
            ),
        )
    return swot


def seed(ctx):
    if RiskRegister.objects.filter(consortium=ctx.consortium, organisation__isnull=True).exists():
        return
    rng = random.Random(9)
    today = timezone.localdate()
    lead = ctx.users["lead"]
    year_ago = today - datetime.timedelta(days=365)
    swot = _swot(ctx, lead, today)
    statements = {i.statement: i for i in swot.items.all()}
    with on(year_ago):
        register = services.register_open(by=lead)
    streams = ctx.extra.get("streams", {})
    for n, row in enumerate(CONSORTIUM_RISKS):
        (title, category, inherent, residual, target, cause, event, effect, controls, actions,
         statement, concerns) = row  # fmt: skip
        opened = year_ago + datetime.timedelta(days=n * 3)
        with on(opened):
            start_residual = (min(5, residual[0] + 1), residual[1])
            risk = _risk(
                register, lead, title, category, inherent, start_residual, target,
                cause=cause, event=event, consequence=effect,
                swot_item=statements.get(statement),
                suggestion_key=COVERS_SUGGESTIONS.get(title, ""),
            )  # fmt: skip
            for text in controls:
                services.control_add(
                    by=lead, risk=risk, description=text, kind="preventive", owner=lead,
                    effectiveness="partial",
                )  # fmt: skip
            for text in actions:
                services.action_add(
                    by=lead, risk=risk, description=text, owner=lead,
                    due=opened + datetime.timedelta(days=rng.choice([60, 120, 300, 400])),
                )  # fmt: skip
            if concerns:
                kind, _, key = concerns.partition(":")
                target_obj = streams.get(key) if kind == "stream" else ctx.orgs.get(key)
                if target_obj is not None:
                    services.link_add(by=lead, risk=risk, target=target_obj)
        # A year of reviews, at the interval its band sets; two risks are left overdue.
        when = risk.next_review
        step = 0
        scores = [start_residual, residual]
        # Two risks are left unreviewed since three months ago: their reviews are overdue.
        while when <= today - datetime.timedelta(days=(90 if n in (1, 4) else 0)):
            with on(when):
                now = scores[min(step, 1)]
                risk = services.risk_review(
                    by=lead,
                    risk=risk,
                    reviewed_on=when,
                    residual_likelihood=now[0],
                    residual_consequence=now[1],
                    what_changed="Controls strengthened" if step == 1 else "No material change",
                ).risk
            step += 1
            when = risk.next_review
    # An action done, another overdue.
    first = Risk.objects.get(register=register, reference="C-001").actions.first()
    with on(today - datetime.timedelta(days=20)):
        services.action_complete(by=lead, action=first, note="Bid submitted to the commissioner.")
    # Waiting lists sit above appetite and are tolerated for now.
    waiting = Risk.objects.get(register=register, title__startswith="Waiting lists")
    with on(today - datetime.timedelta(days=40)):
        services.risk_accept(
            by=lead, risk=waiting, reason="Outside the consortium's control; escalated to the ICB.",
            expires=today + datetime.timedelta(days=140),
        )  # fmt: skip
    _members(ctx, today, rng)


def _members(ctx, today, rng):
    lead = ctx.users["lead"]
    for org_key, rows in MEMBER_RISKS.items():
        manager = ctx.users[MANAGERS[org_key]]
        with on(today - datetime.timedelta(days=200)):
            register = services.register_open(by=manager, organisation=ctx.orgs[org_key])
        for title, category, residual, escalate in rows:
            with on(today - datetime.timedelta(days=rng.randint(60, 180))):
                risk = _risk(
                    register, manager, title, category,
                    (min(5, residual[0] + 1), residual[1]), residual, (1, residual[1]),
                )  # fmt: skip
            if escalate:
                with on(today - datetime.timedelta(days=30 if escalate == "accepted" else 3)):
                    request = services.escalation_request(
                        by=manager, risk=risk,
                        reason="It affects the consortium's delivery across boroughs.",
                    )  # fmt: skip
                if escalate == "accepted":
                    with on(today - datetime.timedelta(days=28)):
                        services.escalation_decide(
                            by=lead, escalation=request, accept=True,
                            reason="Agreed at the partnership board: the consortium carries it.",
                        )  # fmt: skip
