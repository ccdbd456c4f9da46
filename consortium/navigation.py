"""The navigation machinery. Each app declares its own entries in its `navigation.py` with
`register()` (discovered once at start-up by ConsortiumConfig.ready). An entry's check is the
same function its view uses to let the person in, so the menu never shows a page that answers
404 nor hides one the person may open.

The main navigation lists the sections; a section's own entries show beneath it. The
consortium app's own entries are at the end of this module.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from consortium.access import (
    can_manage_api_keys,
    can_read_security_log,
    reads_consortium,
    signed_in,
)
from consortium.importing import can_import


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    section: str
    check: object  # fn(user) -> bool: the check the entry's view uses
    key: str  # a URL name that also marks the entry current
    order: int  # where its section stands in the main navigation


ENTRIES = []


def register(label, url_name, *, section, check, key=None, order=50):
    """Add an entry to the navigation. Sections stand in the order of `order` (the lowest of
    their entries); entries of a section in the order they are registered."""
    entry = Entry(
        label=label,
        url_name=url_name,
        section=section,
        check=check,
        key=key or url_name.rpartition(":")[2],
        order=order,
    )
    for e in ENTRIES:
        if e.url_name == url_name:
            if e == entry:
                return e
            raise ImproperlyConfigured(f"Two navigation entries for {url_name}")
    ENTRIES.append(entry)
    return entry


def entries():
    """Every registered entry, in navigation order."""
    first = {}
    for e in ENTRIES:
        first[e.section] = min(first.get(e.section, e.order), e.order)
    return sorted(ENTRIES, key=lambda e: first[e.section])


def entries_for(user):
    """The entries `user` may open."""
    return [e for e in entries() if e.check(user)]


def _visible(request):
    cached = getattr(request, "_concord_navigation", None)
    if cached is not None:
        return cached
    match = request.resolver_match
    url_name = match.url_name if match else None
    found = [(entry, reverse(entry.url_name)) for entry in entries_for(request.user)]
    # One entry is current: the page itself, else the entry whose URL is the longest start of
    # this page's path (/risks/list/ is "All risks", not also "Risk registers" at /risks/). A
    # page about an object that lives elsewhere (its history) sets request.nav_path to the
    # object's own page.
    path = getattr(request, "nav_path", None) or request.path
    exact = [e for e, _ in found if e.key == url_name]
    prefixes = [(len(url), e) for e, url in found if url != "/" and path.startswith(url)]
    current = exact[0] if exact else max(prefixes, key=lambda p: p[0])[1] if prefixes else None
    request._concord_navigation = [
        (e.label, url, e is current, e.section, bool(exact)) for e, url in found
    ]
    return request._concord_navigation


def breadcrumbs(request):
    """GOV.UK breadcrumbs for a page below a navigation entry (a record, its history, a form):
    Home, the section (when it has several pages) and the entry. None on the entries' own
    pages and the dashboard."""
    items = _visible(request)
    current = next((i for i in items if i[2]), None)
    if current is None or current[4]:
        return None
    label, url, _, section, _ = current
    crumbs = [("Home", reverse("dashboard"))]
    pages = [i for i in items if i[3] == section]
    if len(pages) > 1:
        crumbs.append((section, pages[0][1]))
    crumbs.append((label, url))
    return crumbs


def navigation(request):
    """The main navigation by section, and the entries of the current section.

    Returns (sections, section_items): sections are (label, url of its first entry, current),
    labelled by its page where it has one page only;
    section_items are (label, url, current) of the current section when it has more than one.
    """
    items = _visible(request)
    sections, members = [], {}
    for label, url, current, section, _exact in items:
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


# --- the consortium app's entries ---------------------------------------------------------

register("Dashboard", "dashboard", section="Dashboard", check=signed_in, order=0)
register(
    "Organisations",
    "consortium:organisation_list",
    section="Consortium",
    check=reads_consortium,
    order=90,
)
register("Sites", "consortium:site_list", section="Consortium", check=reads_consortium, order=90)
register(
    "People and roles", "consortium:people", section="Consortium", check=reads_consortium, order=90
)
register("Settings", "consortium:settings", section="Consortium", check=reads_consortium, order=90)
register(
    "Import from spreadsheets",
    "consortium:import_list",
    section="Consortium",
    check=can_import,
    order=90,
)
register(
    "Security log",
    "consortium:security_log",
    section="Consortium",
    check=can_read_security_log,
    order=90,
)
register(
    "API keys",
    "consortium:api_keys",
    section="Consortium",
    check=can_manage_api_keys,
    order=90,
)


def back_link(request):
    """Where "Back" goes from a page below a navigation entry: the record a page is about
    (a history page sets request.nav_path), else the entry's list. None where there are no
    breadcrumbs."""
    crumbs = breadcrumbs(request)
    if not crumbs:
        return None
    record = getattr(request, "nav_path", None)
    if record and record != request.path:
        return ("Back to the record", record)
    label, url = crumbs[-1]
    return (f"Back to {label}", url)
