import django_tables2 as tables
from django.utils.html import format_html

from consortium.columns import ConcordTable
from consortium.exports import Export
from risks.models import Risk, RiskRegister, SwotAnalysis


class RiskTable(ConcordTable):
    reference = tables.Column(linkify=True)
    title = tables.Column(linkify=lambda record: record.get_absolute_url())
    register = tables.Column(
        accessor="register__organisation__name", verbose_name="Register", default="Consortium"
    )
    category = tables.Column(accessor="category__name", verbose_name="Category")
    owner = tables.Column(
        accessor="owner__last_name", verbose_name="Owner", order_by=("owner__last_name",)
    )
    residual_score = tables.Column(verbose_name="Residual score")
    band = tables.Column(
        verbose_name="Band", accessor="residual_band", order_by=("residual_score",)
    )
    next_review = tables.Column(verbose_name="Next review")
    flags = tables.Column(verbose_name="Flags", empty_values=(), orderable=False)

    export = {
        "owner": Export("owner__first_name", "owner__last_name", "owner__username", stub=True),
        "band": Export(record=True),
        "flags": Export(
            "status",
            "next_review",
            "residual_score",
            "category__appetite",
            "escalated_to_id",
            stub=True,
        ),
    }

    class Meta(ConcordTable.Meta):
        model = Risk
        fields = [
            "reference",
            "title",
            "register",
            "category",
            "owner",
            "residual_score",
            "band",
            "next_review",
            "status",
            "flags",
        ]
        order_by = ("-residual_score",)

    def render_owner(self, record):
        return record.owner.get_full_name() or record.owner.username

    def value_owner(self, record):
        return self.render_owner(record)

    def render_band(self, record):
        band = record.residual()
        return format_html(
            '<strong class="govuk-tag govuk-tag--{}">{}</strong>', band.colour, band.label
        )

    def value_band(self, record):
        return record.residual().label

    def value_flags(self, record):
        flags = []
        if record.review_overdue(self.today):
            flags.append("Review overdue")
        if record.above_appetite():
            flags.append("Above appetite")
        if record.escalated_to_id:
            flags.append("Escalated")
        return ", ".join(flags)

    def render_flags(self, record):
        text = self.value_flags(record)
        return text or "—"


class RegisterTable(ConcordTable):
    register = tables.Column(
        accessor="organisation__name",
        verbose_name="Register",
        linkify=lambda record: record.get_absolute_url(),
        order_by=("organisation__name",),
        empty_values=(),
    )
    owner = tables.Column(accessor="owner__last_name", verbose_name="Owner")
    open_count = tables.Column(
        verbose_name="Open risks", attrs={"td": {"class": "govuk-table__cell--numeric"}}
    )
    overdue_count = tables.Column(
        verbose_name="Reviews overdue", attrs={"td": {"class": "govuk-table__cell--numeric"}}
    )

    export = {
        "register": Export("organisation_id", "organisation__name", stub=True),
        "owner": Export("owner__first_name", "owner__last_name", "owner__username", stub=True),
        "open_count": Export(record=True),
        "overdue_count": Export(record=True),
    }

    class Meta(ConcordTable.Meta):
        model = RiskRegister
        fields = ["register", "owner", "open_count", "overdue_count"]

    def render_register(self, record):
        return str(record)

    def render_owner(self, record):
        return record.owner.get_full_name() or record.owner.username

    def value_open_count(self, record):
        return record.open_count

    def value_overdue_count(self, record):
        return record.overdue_count

    def render_overdue_count(self, value):
        if value:
            return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', value)
        return "0"


class SwotTable(ConcordTable):
    title = tables.Column(linkify=lambda record: record.get_absolute_url())
    whose = tables.Column(accessor="organisation__name", verbose_name="Whose", empty_values=())
    period = tables.Column(
        accessor="period_start", verbose_name="Period", order_by=("period_start",)
    )
    status = tables.Column()

    export = {
        "whose": Export("organisation_id", "organisation__name", stub=True),
        "period": Export("period_start", "period_end", stub=True),
    }

    class Meta(ConcordTable.Meta):
        model = SwotAnalysis
        fields = ["title", "whose", "period", "status"]

    def render_whose(self, record):
        return record.organisation.name if record.organisation_id else "The consortium"

    def render_period(self, record):
        return f"{record.period_start:%b %Y} to {record.period_end:%b %Y}"
