"""The navigation: (label, url name, a url name that also marks it current, roles that see it,
section). The main navigation lists the sections; a section's own entries show beneath it.
Apps add their entries here."""

from django.urls import reverse

from consortium.models import Role

ALL = tuple(Role.values)

NAV = [
    ("Dashboard", "dashboard", "dashboard", ALL, "Dashboard"),
    (
        "Funding streams",
        "funding:stream_list",
        "stream_list",
        (Role.ADMIN, Role.LEAD, Role.COMMISSIONER),
        "Money",
    ),
    ("Runway", "funding:runway", "runway", (Role.ADMIN, Role.LEAD, Role.COMMISSIONER), "Money"),
    ("Allocations", "funding:allocation_list", "allocation_list", (Role.ADMIN, Role.LEAD), "Money"),
    ("Allocation statement", "funding:statement", "statement", (Role.CVO_MANAGER,), "Money"),
    (
        "Payments",
        "funding:payment_list",
        "payment_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER),
        "Money",
    ),
    (
        "Contracts",
        "contracts:contract_list",
        "contract_list",
        (Role.ADMIN, Role.LEAD, Role.COMMISSIONER),
        "Contracts",
    ),
    (
        "Subcontracts",
        "contracts:subcontract_list",
        "subcontract_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER),
        "Contracts",
    ),
    (
        "Returns",
        "returns:return_list",
        "return_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER),
        "Performance",
    ),
    (
        "Performance",
        "returns:performance",
        "performance",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER),
        "Performance",
    ),
    ("Indicators", "returns:indicator_list", "indicator_list", ALL, "Performance"),
    (
        "Commissioner reports",
        "returns:template_list",
        "template_list",
        (Role.ADMIN, Role.LEAD, Role.COMMISSIONER),
        "Performance",
    ),
    (
        "Posts",
        "supervision:post_list",
        "post_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.COMMISSIONER),
        "Workforce",
    ),
    (
        "Staff",
        "supervision:staff_list",
        "staff_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.SUPERVISOR),
        "Workforce",
    ),
    (
        "Supervision",
        "supervision:session_list",
        "session_list",
        (Role.ADMIN, Role.LEAD, Role.CVO_MANAGER, Role.SUPERVISOR),
        "Workforce",
    ),
    ("Compliance", "supervision:compliance", "compliance", ALL, "Workforce"),
    ("Organisations", "consortium:organisation_list", "organisation_list", ALL, "Consortium"),
    ("Sites", "consortium:site_list", "site_list", ALL, "Consortium"),
    ("People and roles", "consortium:people", "people", ALL, "Consortium"),
    ("Settings", "consortium:settings", "settings", (Role.ADMIN, Role.LEAD), "Consortium"),
]


def _visible(actor, request):
    match = request.resolver_match
    url_name = match.url_name if match else None
    items = []
    for label, name, key, roles, section in NAV:
        if not actor.has(*roles):
            continue
        url = reverse(name)
        current = key == url_name or (url != "/" and request.path.startswith(url))
        items.append((label, url, current, section))
    return items


def navigation(actor, request):
    """The main navigation by section, and the entries of the current section.

    Returns (sections, section_items): sections are (label, url of its first entry, current),
    labelled by its page where it has one page only;
    section_items are (label, url, current) of the current section when it has more than one.
    """
    items = _visible(actor, request)
    sections, members = [], {}
    for label, url, current, section in items:
        if section not in members:
            members[section] = []
            sections.append(section)
        members[section].append((label, url, current))
    current_section = next((s for s in sections if any(c for _, _, c in members[s])), None)
    # A section with a single page for this person is named after that page.
    main = [
        (s if len(members[s]) > 1 else members[s][0][0], members[s][0][1], s == current_section)
        for s in sections
    ]
    sub = members[current_section] if current_section and len(members[current_section]) > 1 else []
    return main, sub
