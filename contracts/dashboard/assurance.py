"""Dashboard panels for assurance packs: the commissioner's latest pack per contract (open
in one click, download in the next), and the lead's drafts and queries to answer."""

from django.urls import reverse

from consortium.access import is_commissioner, is_lead
from consortium.dashboard import Consequence, panel
from consortium.models import Role
from consortium.numbers import plural
from contracts.models import AssurancePack
from contracts.selectors import assurance as sel

SHOWN = 8


@panel(check=is_commissioner, order=5, consequence=Consequence.WAITING)
def latest_packs(request):
    # Whatever waits for their acknowledgement first, then the latest pack of each contract.
    mine = request.actor.orgs(Role.COMMISSIONER)
    found = list(sel.latest_packs(request.user, with_waiting=True)[: SHOWN * 2])
    found.sort(
        key=lambda p: (
            not (p.state == AssurancePack.State.SIGNED_OFF and p.contract.commissioner_id in mine)
        )
    )
    packs = found[:SHOWN]
    rows = [
        {
            "text": f"{p.contract.reference} {p.contract.title}: {p.period_label}, "
            f"version {p.revision}",
            "url": p.get_absolute_url(),
            "download": reverse("assurance:pack_pdf", args=[p.pk]),
            "download_label": f"Download the PDF of {p.contract.reference} {p.period_label}",
            "tag": "Waiting for your acknowledgement"
            if p.state == AssurancePack.State.SIGNED_OFF and p.contract.commissioner_id in mine
            else p.get_state_display(),
            "waiting": p.state == AssurancePack.State.SIGNED_OFF,
        }
        for p in packs
    ]
    waiting = sum(1 for r in rows if r["waiting"])
    # The commissioner opens their latest pack in one click from the dashboard's top.
    first = rows[0] if rows else None
    return {
        "title": "Assurance packs",
        "needs_you": bool(rows),
        "label": None if waiting else "To read",
        "headline": (
            f"{plural(waiting, 'assurance pack')} waiting for your acknowledgement: "
            if waiting
            else "Latest assurance pack: "
        )
        + first["text"]
        if first
        else None,
        "url": first["url"] if first else None,
        "template": "contracts/partials/_packs_panel.html",
        "packs": rows,
        "items": [],
        "count": waiting or None,
        "tone": "warning" if waiting else None,
        "empty": "No assurance pack has been signed off for your contracts yet.",
        "link": (reverse("assurance:pack_list"), "All assurance packs"),
    }


@panel(check=is_lead, order=6, consequence=Consequence.WAITING)
def packs_in_hand(request):
    drafts = list(sel.drafts(request.user)[:SHOWN])
    queries = list(sel.queries_to_answer(request.user)[:SHOWN])
    items = [
        (f"Being signed off: {p}", reverse("assurance:pack_signing", args=[p.pk]))
        if p.is_signing
        else (f"Draft: {p}", p.get_absolute_url())
        for p in drafts
    ]
    items += [(f"Query to answer on {q.pack}", q.get_absolute_url()) for q in queries]
    return {
        "title": "Assurance packs in hand",
        "items": items,
        "count": len(items) or None,
        "empty": "No drafts and no queries waiting for an answer.",
        "link": (reverse("assurance:pack_list"), "All assurance packs"),
    }
