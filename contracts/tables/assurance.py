import django_tables2 as tables

from consortium.columns import ConcordTable
from consortium.exports import Export
from contracts.models import AssurancePack


class PackTable(ConcordTable):
    contract = tables.Column(accessor="contract__reference", verbose_name="Contract")
    commissioner = tables.Column(
        accessor="contract__commissioner__name", verbose_name="Commissioner"
    )
    period_start = tables.Column(
        verbose_name="Period", linkify=lambda record: record.get_absolute_url()
    )
    revision = tables.Column(verbose_name="Version")
    state = tables.Column()
    signed_off_at = tables.Column(verbose_name="Signed off")
    digest = tables.Column(verbose_name="Digest (first 12)")

    export = {
        "period_start": Export("period_start", stub=True),
        "digest": Export("digest", by_value=True),
    }

    class Meta(ConcordTable.Meta):
        model = AssurancePack
        fields = [
            "contract",
            "commissioner",
            "period_start",
            "revision",
            "state",
            "signed_off_at",
            "digest",
        ]

    def render_period_start(self, record):
        return record.period_label

    def value_period_start(self, record):
        return record.period_start

    def render_digest(self, value):
        return value[:12]

    def value_digest(self, value):
        return value
