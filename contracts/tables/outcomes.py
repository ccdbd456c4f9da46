import django_tables2 as tables

from consortium.columns import ConcordTable
from consortium.exports import Export
from consortium.templatetags.concord import money
from contracts.models import OutcomeMeasure, PbRClaim


class ClaimTable(ConcordTable):
    measure = tables.Column(accessor="measure__code", verbose_name="Measure")
    claimant = tables.Column(accessor="claimant__name", verbose_name="Member")
    period_start = tables.Column(
        verbose_name="Period", linkify=lambda record: record.get_absolute_url()
    )
    status = tables.Column()
    payable_amount = tables.Column(verbose_name="Payable", empty_values=())

    export = {
        "period_start": Export("period_start", stub=True),
        "payable_amount": Export("payable_amount", by_value=True),
    }

    class Meta(ConcordTable.Meta):
        model = PbRClaim
        fields = ["measure", "claimant", "period_start", "status", "payable_amount"]

    def render_period_start(self, record):
        return record.period_label

    def value_period_start(self, record):
        return record.period_start

    def render_payable_amount(self, value):
        return "—" if value is None else money(value)

    def value_payable_amount(self, value):
        """In a download the amount is a number a spreadsheet can add up (blank until
        approved)."""
        return value


class MeasureTable(ConcordTable):
    code = tables.Column(linkify=lambda record: record.get_absolute_url())
    name = tables.Column()
    contract = tables.Column(accessor="contract__reference", verbose_name="Contract")
    rule = tables.Column(verbose_name="Payment rule")
    tariff = tables.Column(verbose_name="Tariff (£)")
    revision = tables.Column(verbose_name="Version")
    status = tables.Column()

    class Meta(ConcordTable.Meta):
        model = OutcomeMeasure
        fields = ["code", "name", "contract", "rule", "tariff", "revision", "status"]
