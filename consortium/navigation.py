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
    ("Settings", "consortium:settings", "settings", (Role.ADMIN, Role.LEAD)),
]


def nav_items(actor):
    return [(label, reverse(name), key) for label, name, key, roles in NAV if actor.has(*roles)]
