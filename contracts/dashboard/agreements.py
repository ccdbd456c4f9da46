from django.urls import reverse

from consortium.access import is_commissioner, is_cvo_manager
from consortium.dashboard import panel
from consortium.templatetags.concord import money
from contracts.models import Contract, Subcontract


@panel(check=is_cvo_manager, order=10)
def my_subcontracts(request):
    subs = list(
        Subcontract.objects.visible_to(request.user)
        .prefetch_related("variations")
        .order_by("end")[:10]
    )
    return {
        "title": "Your subcontract",
        "items": [
            (f"{s}: {money(s.current_value)}, ends {s.current_end:%d %b %Y}", s.get_absolute_url())
            for s in subs
        ],
        "empty": "No subcontract recorded for your organisation yet.",
        "link": (reverse("contracts:subcontract_list"), "All your subcontracts"),
    }


@panel(check=is_commissioner, order=10)
def contracts_commissioned(request):
    contracts = list(
        Contract.objects.visible_to(request.user)
        .prefetch_related("variations", "funding_streams")
        .order_by("end")[:10]
    )
    items = []
    for c in contracts:
        streams = ", ".join(s.name for s in c.funding_streams.all()) or "no streams recorded"
        items.append(
            (
                f"{c}: {money(c.current_value)}, ends {c.current_end:%d %b %Y}; funded by {streams}",
                c.get_absolute_url(),
            )
        )
    return {
        "title": "Contracts you commission",
        "items": items,
        "empty": "No contracts you commission are recorded.",
        "link": (reverse("contracts:contract_list"), "All your contracts"),
    }
