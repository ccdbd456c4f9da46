from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        # Imported here: the store reads the models, which load once the app registry is ready.
        from supervision import compliance_store

        compliance_store.connect()
