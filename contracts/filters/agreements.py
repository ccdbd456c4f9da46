import django_filters

from consortium.lists import ConcordFilterSet, scoped
from consortium.models import Organisation
from contracts.models import Contract, Subcontract


class ContractFilter(ConcordFilterSet):
    title = django_filters.CharFilter(lookup_expr="icontains", label="Title contains")
    commissioner = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))

    class Meta:
        model = Contract
        fields = ["title", "commissioner", "status"]


class SubcontractFilter(ConcordFilterSet):
    title = django_filters.CharFilter(lookup_expr="icontains", label="Title contains")
    cvo = django_filters.ModelChoiceFilter(queryset=scoped(Organisation), label="Subcontractor")

    class Meta:
        model = Subcontract
        fields = ["title", "cvo", "status"]
