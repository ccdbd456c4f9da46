import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html

from consortium.columns import ConcordTable
from consortium.exports import Export
from contracts.models import PerformanceReturn


class ReturnTable(ConcordTable):
    subcontract = tables.Column(linkify=lambda record: record.get_absolute_url())
    organisation = tables.Column(accessor="subcontract__cvo__name", verbose_name="Subcontractor")
    period = tables.Column(order_by=("period__start",))
    due = tables.Column(accessor="period__due_date", verbose_name="Due")
    status = tables.Column()
    late = tables.Column(empty_values=(), orderable=False, verbose_name="Late")

    export = {
        "subcontract": Export("subcontract__reference", "subcontract__title", stub=True),
        "period": Export("period__frequency", "period__start", "period__end", stub=True),
        "late": Export("submitted_at", "period__due_date", stub=True),
    }

    class Meta(ConcordTable.Meta):
        model = PerformanceReturn
        fields = ["subcontract", "organisation", "period", "due", "status", "late"]

    def render_late(self, record):
        text = self.value_late(record)
        if text:
            return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', text)
        return "—"

    def value_late(self, record):
        """How late, in days: sent late (by how much), or still not sent."""
        if not record.is_late():
            return ""
        due = record.period.due_date
        sent = timezone.localdate(record.submitted_at) if record.submitted_at else None
        days = ((sent or timezone.localdate()) - due).days
        return (
            f"Sent {days} day{'s' if days != 1 else ''} late"
            if sent
            else (f"{days} day{'s' if days != 1 else ''} late")
        )
