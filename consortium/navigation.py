"""The main navigation: (label, url name, the url namespace or name that marks it current,
roles that see it). Later apps add their entries here."""

from django.urls import reverse

from consortium.models import Role

ALL = tuple(Role.values)

NAV = [
    ("Dashboard", "dashboard", "dashboard", ALL),
    ("Organisations", "consortium:organisation_list", "organisation_list", ALL),
    ("Sites", "consortium:site_list", "site_list", ALL),
    ("People and roles", "consortium:people", "people", ALL),
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


def nav_items(actor):
    return [(label, reverse(name), key) for label, name, key, roles in NAV if actor.has(*roles)]
