from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        from supervision import compliance_store

        compliance_store.connect()
