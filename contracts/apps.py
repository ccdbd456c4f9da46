from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"

    def ready(self):
        # Returns keep their admin and dashboard panels in their own modules.
        from contracts import returns_admin, returns_dashboard  # noqa: F401
