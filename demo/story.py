"""The demo consortium, a module per app in the apps' dependency order: each `seed(ctx)`
builds that app's part of the story, then each `seed_last(ctx)` what reads every app's (the
assurance packs). `manage.py seed_demo` runs them."""

from demo import consortium, contracts, funding, risks, supervision

APPS = (consortium, funding, contracts, supervision, risks)


def seed_all(ctx):
    for app in APPS:
        app.seed(ctx)
    for app in APPS:
        if hasattr(app, "seed_last"):
            app.seed_last(ctx)
