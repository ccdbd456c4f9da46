import django_filters

from consortium.lists import ConcordFilterSet
from contracts.models import AssurancePack


class PackFilter(ConcordFilterSet):
    state = django_filters.ChoiceFilter(choices=AssurancePack.State.choices)
    contract = django_filters.CharFilter(
        field_name="contract__reference", lookup_expr="icontains", label="Contract reference"
    )
    period_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label="Period ends on or after"
    )

    class Meta:
        model = AssurancePack
        fields = ["state", "contract", "period_from"]
