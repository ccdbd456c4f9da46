from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self):
        # Posts at risk appear on the funding runway; funding does not depend on supervision.
        from funding.runway import RUNWAY_SECTIONS
        from supervision.runway import posts_at_risk_section

        RUNWAY_SECTIONS.append(posts_at_risk_section)
