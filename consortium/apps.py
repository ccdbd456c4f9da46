from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class ConsortiumConfig(AppConfig):
    name = "consortium"
    verbose_name = "Consortium"

    def ready(self):
        # Imported here, not at the top: an app's models (and what reads them) load only once
        # the app registry is ready. The security log listens for sign-ins, failures and
        # lockouts once its module is imported; prepared downloads register their dashboard
        # panel ("Your file is ready").
        from consortium import access, base, downloads, events, security  # noqa: F401

        base.connect(visible=access.visible, record_event=events.record)
        # Each app registers its access rules, dashboard panels (and runway sections) and
        # navigation entries, reminder kinds and assurance pack sections when its module is
        # imported: import them all once, at start-up, as the admin does with admin.py. An access
        # rule must be registered before the first query, or the generic rule would answer for
        # that model.
        autodiscover_modules(
            "access",
            "dashboard",
            "navigation",
            "suggestions",
            "reminders",
            "assurance",
            "getting_started",
            "imports",
        )
        post_migrate.connect(create_cache_table, sender=self)


def create_cache_table(**kwargs):
    """Where the shared cache is a database table (CONCORD_CACHE_URL=db://…), `migrate` makes
    it: one step fewer to forget when deploying."""
    from django.core.management import call_command

    call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)
