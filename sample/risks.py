"""Risk registers, risks, reviews, escalations and SWOT analyses. Everything with an acting
person goes through risks.services, so references, scores, review dates and events are the
ones the product itself would make."""

import datetime

from consortium.models import Organisation
from risks import services
from risks.models import Risk, RiskCategory, SwotAnalysis, SwotItem

PRIVATE_B = "SENTINEL-B-PRIVATE"


def category(consortium, name="Financial"):
    services.settings_for(consortium.pk)
    return RiskCategory.objects.get(consortium=consortium, name=name)


def make_register(by, organisation: Organisation | None = None):
    return services.register_open(by=by, organisation=organisation)


def make_risk(
    register,
    by,
    title="Funding ends",
    *,
    inherent=(4, 4),
    residual=(3, 4),
    target=(2, 3),
    category_name="Financial",
    owner=None,
    **fields,
):
    risk = Risk(
        register=register,
        title=title,
        cause=fields.pop("cause", "Most streams run twelve months or less"),
        event=fields.pop("event", "a stream ends without renewal"),
        consequence=fields.pop("consequence", "practitioner posts are lost"),
        category=category(register.consortium, category_name),
        owner=owner or by,
        inherent_likelihood=inherent[0],
        inherent_consequence=inherent[1],
        residual_likelihood=residual[0],
        residual_consequence=residual[1],
        target_likelihood=target[0],
        target_consequence=target[1],
        **fields,
    )
    return services.risk_save(by=by, risk=risk)


def review(risk, by, on, residual, what="Reviewed at the risk meeting", next_review=None):
    return services.risk_review(
        by=by,
        risk=risk,
        reviewed_on=on,
        residual_likelihood=residual[0],
        residual_consequence=residual[1],
        what_changed=what,
        next_review=next_review,
    )


def make_swot(by, organisation=None, title="Partnership SWOT", *, items=(), sources=(12, 80, 10)):
    analysis = SwotAnalysis(
        organisation=organisation,
        title=title,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 6, 30),
        interviews=sources[0],
        documents=sources[1],
        workshops=sources[2],
    )
    services.swot_save(by=by, analysis=analysis)
    for quadrant, statement, support, *theme in items:
        services.swot_item_save(
            by=by,
            item=SwotItem(
                analysis=analysis,
                quadrant=quadrant,
                statement=statement,
                support=support,
                theme=theme[0] if theme else "",
            ),
        )
    return analysis


def build_risks(w):
    """Risks for the standard world: the consortium register (one risk escalated from CVO B),
    CVO A's and CVO B's own registers (B's carry PRIVATE_B), an agreed consortium SWOT, a
    draft consortium SWOT, CVO B's own SWOT, and the same again away."""
    u, o = w.users, w.orgs
    r = {}
    r["consortium"] = make_register(u["lead"])
    r["reg_a"] = make_register(u["cvo_a"], o["cvo_a"])
    r["reg_b"] = make_register(u["cvo_b"], o["cvo_b"])
    r["risk_c"] = make_risk(r["consortium"], u["lead"], "Consortium funding fragility")
    r["risk_a"] = make_risk(r["reg_a"], u["cvo_a"], "A's single practitioner leaves")
    r["risk_b"] = make_risk(
        r["reg_b"], u["cvo_b"], f"B's hidden risk {PRIVATE_B}", cause=f"Because {PRIVATE_B}"
    )
    services.action_add(
        by=u["cvo_b"],
        risk=r["risk_b"],
        description=f"B's action {PRIVATE_B}",
        owner=u["cvo_b"],
        due=datetime.date(2026, 1, 1),
    )
    r["risk_b2"] = make_risk(r["reg_b"], u["cvo_b"], f"B's escalated risk {PRIVATE_B}")
    r["escalation"] = services.escalation_request(
        by=u["cvo_b"], risk=r["risk_b2"], reason=f"Too big for us {PRIVATE_B}"
    )
    r["action_b"] = r["risk_b"].actions.get()
    r["swot"] = make_swot(
        u["lead"],
        items=[("threat", "Commissioners reorganise", 30), ("weakness", "Funding fragility", 70)],
    )
    services.swot_agree(by=u["lead"], analysis=r["swot"])
    r["threat"] = r["swot"].items.get(quadrant="threat")
    r["swot_draft"] = make_swot(
        u["lead"], title="Next year's SWOT (draft)", items=[("strength", "Stable leadership", 50)]
    )
    r["swot_b"] = make_swot(
        u["cvo_b"],
        o["cvo_b"],
        f"B's SWOT {PRIVATE_B}",
        items=[("threat", f"B {PRIVATE_B}", 2), ("opportunity", f"B's chance {PRIVATE_B}", 2)],
    )
    r["opportunity_b"] = r["swot_b"].items.get(quadrant="opportunity")
    # Away: the other consortium's register, risk and SWOT.
    away = w.users["outsider"]
    r["away_register"] = make_register(away)
    r["away_risk"] = make_risk(r["away_register"], away, f"Away risk {w.SENTINEL}")
    r["away_swot"] = make_swot(
        away, title=f"Away SWOT {w.SENTINEL}", items=[("threat", f"Away {w.SENTINEL}", 3)]
    )
    r["away_action"] = services.action_add(
        by=away, risk=r["away_risk"], description="x", owner=away, due=datetime.date(2026, 1, 1)
    )
    w.risks = r
    return r
