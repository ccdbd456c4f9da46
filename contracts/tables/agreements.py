import django_tables2 as tables

from consortium.columns import ConcordTable
from contracts.models import Contract, Subcontract
from funding.tables import MoneyColumn


class ContractTable(ConcordTable):
    reference = tables.Column(linkify=True)
    commissioner = tables.Column(accessor="commissioner__name", verbose_name="Commissioner")
    value = MoneyColumn(verbose_name="Original value")

    class Meta(ConcordTable.Meta):
        model = Contract
        fields = ["reference", "title", "commissioner", "value", "start", "end", "status"]


class SubcontractTable(ConcordTable):
    reference = tables.Column(linkify=True)
    cvo = tables.Column(accessor="cvo__name", verbose_name="Subcontractor")
    value = MoneyColumn(verbose_name="Original value")

    class Meta(ConcordTable.Meta):
        model = Subcontract
        fields = ["reference", "title", "cvo", "value", "start", "end", "status"]
