"""The main navigation: (label, url name, a url name that also marks it current, roles that
see it). Apps add their entries here."""

from django.urls import reverse

from consortium.models import Role

ALL = tuple(Role.values)

NAV = [
    ("Dashboard", "dashboard", "dashboard", ALL),
    ("Organisations", "consortium:organisation_list", "organisation_list", ALL),
    ("Sites", "consortium:site_list", "site_list", ALL),
    ("People and roles", "consortium:people", "people", ALL),
    ("Funding", "funding:stream_list", "stream_list", (Role.ADMIN, Role.LEAD, Role.COMMISSIONER)),
    ("Runway", "funding:runway", "runway", (Role.ADMIN, Role.LEAD, Role.COMMISSIONER)),
    ("Allocations", "funding:allocation_list", "allocation_list", (Role.ADMIN, Role.LEAD)),
    ("Allocation statement", "funding:statement", "statement", (Role.CVO_MANAGER,)),
    ("Payments", "funding:payment_list", "payment_list", (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER)),
    (
        "Contracts",
        "contracts:contract_list",
        "contract_list",
        (Role.ADMIN, Role.LEAD, Role.COMMISSIONER),
    ),
    (
        "Subcontracts",
        "contracts:subcontract_list",
        "subcontract_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER),
    ),
    (
        "Returns",
        "returns:return_list",
        "return_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER),
    ),
    (
        "Performance",
        "returns:performance",
        "performance",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER),
    ),
    ("Indicators", "returns:indicator_list", "indicator_list", ALL),
    (
        "Commissioner reports",
        "returns:template_list",
        "template_list",
        (Role.ADMIN, Role.LEAD, Role.COMMISSIONER),
    ),
    (
        "Posts",
        "supervision:post_list",
        "post_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER),
    ),
    (
        "Staff",
        "supervision:staff_list",
        "staff_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.SUPERVISOR),
    ),
    (
        "Supervision",
        "supervision:session_list",
        "session_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.SUPERVISOR),
    ),
    ("Compliance", "supervision:compliance", "compliance", ALL),
    ("Settings", "consortium:settings", "settings", (Role.ADMIN, Role.LEAD)),
]


def nav_items(actor, request):
    """(label, url, current) for the entries this person's roles see. An entry is current on
    its own page and on every page below its URL (a list's detail and edit pages)."""
    match = request.resolver_match
    url_name = match.url_name if match else None
    items = []
    for label, name, key, roles in NAV:
        if not actor.has(*roles):
            continue
        url = reverse(name)
        current = key == url_name or (url != "/" and request.path.startswith(url))
        items.append((label, url, current))
    return items
