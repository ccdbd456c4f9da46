"""The workforce's section of the assurance pack: the posts the contract's funding pays for,
vacancies and gap days, registrations and DBS checks lapsed or expiring, and supervision
compliance over 3 and 12 months — figures only, never a name."""

import datetime
from collections import defaultdict

from consortium.assurance import pack_section, table
from supervision import selectors
from supervision.models import Post, StaffMember


def _as_at(ctx):
    # Rates and checks as they stood when the period closed (or today, if it has not).
    return min(ctx.today, ctx.end + datetime.timedelta(days=1))


def _pct(rate):
    return "—" if rate is None else f"{rate}%"


@pack_section("workforce", "Workforce and supervision", order=40)
def workforce(ctx):
    as_at = _as_at(ctx)
    posts = (
        Post.objects.visible_to(ctx.user)
        .filter(funded_by__contracts__in=ctx.contract_ids)
        .distinct()
        .select_related("organisation")
    )
    posts = list(posts)
    if not posts:
        return {"empty": "No post is paid for by the funding behind this contract."}
    staff = StaffMember.objects.visible_to(ctx.user).filter(post__in=[p.pk for p in posts])
    by_org = defaultdict(
        lambda: {"posts": 0, "fte": 0, "vacant": 0, "gap": 0, "lapsed": 0, "expiring": 0}
    )
    names = {}
    for p in posts:
        m = by_org[p.organisation_id]
        names[p.organisation_id] = p.organisation.name
        m["posts"] += 1
        m["fte"] += p.fte
        if p.status == Post.Status.VACANT:
            m["vacant"] += 1
            m["gap"] += p.gap_days(as_at) or 0
    alerts, lapsed = selectors.expiring_checks(staff, as_at)
    for s, _reasons in lapsed:
        by_org[s.organisation_id]["lapsed"] += 1
        names[s.organisation_id] = s.organisation.name
    for s in {s.pk: s for s, _a in alerts}.values():
        by_org[s.organisation_id]["expiring"] += 1
        names[s.organisation_id] = s.organisation.name
    summary = selectors.compliance_summary(staff, ctx.consortium_id, as_at)
    rates = summary.rates
    rows = []
    for org in sorted(by_org, key=lambda k: names[k]):
        m = by_org[org]
        t = rates.by_organisation.get(org)
        rows.append(
            [
                names[org],
                m["posts"],
                m["fte"],
                m["vacant"],
                m["gap"],
                m["lapsed"],
                m["expiring"],
                _pct(t[3].rate if t else None),
                _pct(t[12].rate if t else None),
            ]
        )
    overall = rates.overall
    vacant = sum(m["vacant"] for m in by_org.values())
    # Red while anyone's registration, DBS or vetting has lapsed (not safe to deploy), amber
    # with a vacancy or a check expiring within the horizon.
    if lapsed:
        rating = "red"
    elif vacant or alerts:
        rating = "amber"
    else:
        rating = "green"
    return {
        "rag": rating,
        "summary": [
            f"{len(posts)} posts, {vacant} vacant, "
            f"{sum(m['gap'] for m in by_org.values())} gap days in all (as at {as_at:%-d %b %Y}).",
            f"Supervision met: {_pct(overall[3].rate)} over 3 months, "
            f"{_pct(overall[12].rate)} over 12 months ({len(summary.current_ids)} practitioners).",
        ],
        "tables": [
            table(
                [
                    "Employer",
                    "Posts",
                    "FTE",
                    "Vacant",
                    "Gap days",
                    "Registration or DBS lapsed",
                    "Expiring within 90 days",
                    "Supervision, 3 months",
                    "Supervision, 12 months",
                ],
                rows,
                member_column=0,
            )
        ],
    }
