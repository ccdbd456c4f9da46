from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ConsortiumConfig(AppConfig):
    name = "consortium"
    verbose_name = "Consortium"

    def ready(self):
        # Imported here, not at the top: an app's models (and what reads them) load only once
        # the app registry is ready. The security log listens for sign-ins, failures and
        # lockouts once its module is imported.
        from consortium import access, base, events, security  # noqa: F401

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
