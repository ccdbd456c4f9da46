"""Payment by results on the dashboards, the funding runway and the allocation statement
(registered into funding's registries, which cannot import contracts), and the support that
approved claims give to results payments."""

from django.urls import reverse
from django.utils import timezone

from consortium import access, dates
from consortium.access import is_commissioner, is_cvo_manager, is_lead
from consortium.counting import first_and_total
from consortium.dashboard import Consequence, panel
from consortium.models import Role
from consortium.templatetags.concord import money as money_text
from contracts.access.outcomes import can_see_claims
from contracts.models import PbRClaim
from contracts.selectors import outcomes as sel
from contracts.services.outcomes import supported_by_claims
from funding import results
from funding.runway import runway_section

results.support(supported_by_claims)

S = PbRClaim.Status


NOT_SHOWN = "Not shown"


def _percent(value):
    return "—" if value is None else f"{value}%"


def exposure_rows(whole, members, *, with_consortium=True):
    rows = []
    for r in ([whole] if with_consortium else []) + members:
        rows.append(
            [
                (r.name, None),
                (NOT_SHOWN if r.block is None else money_text(r.block), None),
                (money_text(r.pbr_max), None),
                (_percent(r.share_percent), None),
                (money_text(r.earned), None),
                (_percent(r.earned_percent), None),
            ]
        )
    return rows


EXPOSURE_HEADERS = [
    "Who",
    "Block income",
    "Most outcomes can earn (under the caps)",
    "Share of income at risk",
    "Earned so far",
    "Earned of the most",
]


# The members the runway names: those with the largest share of their income at risk.
RUNWAY_MEMBERS = 10


def exposure_section(user, title, most=None, first=None, last=None, every=None):
    """Exposure for the financial year (or from `first` to `last`): the consortium, then every
    member, or with `most` only that many, those with the largest share at risk, and a link
    to where every member is listed: `every` (the page's name, its URL), the allocation
    statement unless said. The one table of exposure beside other figures: the runway, the
    allocation statement and the PbR statement all show it."""
    if every is None:
        every = ("the allocation statement", reverse("funding:statement"))
    if first is None or last is None:
        first, last = dates.financial_year(timezone.localdate())
    figures = sel.exposure(user, first, last)
    members = figures.members
    intro = list(figures.notes)
    if most is not None and len(members) > most:
        intro.append(
            f"The {most} members of {len(members)} with the largest share of their income at "
            f"risk. {every[0][:1].upper()}{every[0][1:]} lists every member."
        )
        members = sorted(members, key=lambda r: (-(r.share_percent or 0), r.name))[:most]
    rows = exposure_rows(
        figures.whole, members, with_consortium=access.actor(user).oversees_consortium
    )
    section = {
        "title": f"{title}, {sel.period_label(first, last)}",
        "headers": EXPOSURE_HEADERS,
        "rows": rows,
        "empty": "No payment-by-results measure applies in this period.",
    }
    if intro:
        section["intro"] = " ".join(intro)
    if most is not None and len(figures.members) > most:
        section["link"] = (f"Every member, in {every[0]}", every[1])
    return section


@runway_section
def income_at_risk(request, member):
    """The runway's own band for income that depends on outcomes."""
    if not can_see_claims(request.user):
        return None
    return exposure_section(request.user, "Income at risk: payment by results", most=RUNWAY_MEMBERS)


@results.exposure
def statement_exposure(user, organisation):
    if not can_see_claims(user):
        return None
    return exposure_section(user, "Income that depends on outcomes")


def _claims_panel(request, qs, title, empty, link_query, tone="warning"):
    claims, count = first_and_total(
        qs.select_related("measure", "claimant").order_by("period_start", "id"), 10
    )
    return {
        "title": title,
        "items": [(str(c), c.get_absolute_url()) for c in claims],
        "count": count,
        "tone": tone if claims else None,
        "empty": empty,
        "link": (reverse("outcomes:claim_list") + link_query, "All claims"),
    }


@panel(check=is_lead, order=22, consequence=Consequence.WAITING)
def claims_to_verify(request):
    qs = PbRClaim.objects.visible_to(request.user).filter(status=S.SUBMITTED)
    return _claims_panel(
        request,
        qs,
        "PbR claims to verify",
        "No claims are waiting for verification.",
        "?status=submitted",
    )


@panel(check=is_commissioner, order=13, consequence=Consequence.WAITING)
def claims_to_approve(request):
    qs = PbRClaim.objects.visible_to(request.user).filter(status=S.VERIFIED)
    return _claims_panel(
        request,
        qs,
        "PbR claims to approve",
        "No verified claims are waiting for you.",
        "?status=verified",
    )


@panel(check=is_cvo_manager, order=13, consequence=Consequence.WAITING)
def my_open_claims(request):
    qs = PbRClaim.objects.visible_to(request.user).filter(status__in=[S.DRAFT, S.SUBMITTED])
    return _claims_panel(
        request, qs, "Your PbR claims in progress", "No claims in progress.", "", tone=None
    )


@panel(check=can_see_claims, order=24)
def pbr_exposure(request):
    first, last = dates.financial_year(timezone.localdate())
    figures = sel.exposure(request.user, first, last)
    a = request.actor
    shown = (
        [figures.whole] if a.oversees_consortium or a.has(Role.COMMISSIONER) else figures.members
    )
    items = []
    for r in shown:
        if not r.pbr_max and not r.uncapped:
            continue
        share = (
            f"{_percent(r.share_percent)} of income depends on outcomes"
            if r.share_percent is not None
            else "share of income not worked out"
        )
        items.append(
            (
                f"{r.name}: {share} (at most {money_text(r.pbr_max)}); earned "
                f"{money_text(r.earned)} ({_percent(r.earned_percent)} of the most)",
                None,
            )
        )
    if items:
        items += [(note, None) for note in figures.notes]
    return {
        "title": "Payment by results exposure",
        "items": items,
        "empty": "No payment-by-results measure applies this financial year.",
        "link": (reverse("outcomes:exposure"), "Exposure by member"),
    }
