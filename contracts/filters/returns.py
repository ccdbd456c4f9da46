import django_filters

from consortium.lists import ConcordFilterSet
from contracts.models import PerformanceReturn


class ReturnFilter(ConcordFilterSet):
    status = django_filters.ChoiceFilter(choices=PerformanceReturn.Status.choices)
    # A text search, not a dropdown: a lead of a large consortium has thousands.
    subcontract = django_filters.CharFilter(
        field_name="subcontract__reference", lookup_expr="icontains", label="Subcontract reference"
    )

    class Meta:
        model = PerformanceReturn
        fields = ["status", "subcontract"]
