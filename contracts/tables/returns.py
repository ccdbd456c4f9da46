import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from consortium.columns import ConcordTable
from consortium.exports import Export
from contracts.models import CommissionerTemplate, Indicator, PerformanceReturn


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


class IndicatorTable(ConcordTable):
    code = tables.Column(linkify=lambda record: record.get_absolute_url())
    name = tables.Column()
    unit = tables.Column(verbose_name="Unit")
    logic_stage = tables.Column(verbose_name="Stage")
    rule = tables.Column(
        accessor="not_more_than__code", verbose_name="Rule", empty_values=(), orderable=False
    )

    export = {
        "name": Export("name", "required", stub=True),
        "unit": Export("unit", "aggregation", stub=True),
        "logic_stage": Export("logic_stage", "pathway_stage", stub=True),
        "rule": Export("not_more_than__code", "breakdown_of__code", stub=True),
    }

    class Meta(ConcordTable.Meta):
        model = Indicator
        fields = ["code", "name", "unit", "logic_stage", "rule"]

    def render_name(self, record):
        return f"{record.name} (required)" if record.required else record.name

    def render_unit(self, record):
        return f"{record.get_unit_display()}, {record.get_aggregation_display().lower()}"

    def render_logic_stage(self, record):
        stage = record.get_logic_stage_display()
        if record.pathway_stage:
            return f"{stage}; pathway: {record.get_pathway_stage_display().lower()}"
        return stage

    def render_rule(self, record):
        """What the figure is checked against: the pathway stage it cannot exceed, or the
        total it is part of."""
        parts = []
        if record.not_more_than is not None:
            parts.append(f"≤ {record.not_more_than.code}")
        if record.breakdown_of is not None:
            parts.append(f"part of {record.breakdown_of.code}")
        return "; ".join(parts) or "—"


class TemplateTable(ConcordTable):
    name = tables.Column(linkify=lambda record: record.get_absolute_url())
    commissioner = tables.Column(accessor="commissioner__name", verbose_name="Commissioner")
    report = tables.Column(
        accessor="pk", verbose_name="Report", orderable=False, exclude_from_export=True
    )

    class Meta(ConcordTable.Meta):
        model = CommissionerTemplate
        fields = ["name", "commissioner", "report"]

    def render_report(self, record):
        url = reverse("returns:template_report", args=[record.pk])
        return format_html('<a class="govuk-link" href="{}">Report</a>', url)
