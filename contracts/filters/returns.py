import django_filters

from consortium.lists import ConcordFilterSet
from contracts.models import CommissionerTemplate, Indicator, PerformanceReturn


class ReturnFilter(ConcordFilterSet):
    status = django_filters.ChoiceFilter(choices=PerformanceReturn.Status.choices)
    # A text search, not a dropdown: a lead of a large consortium has thousands.
    subcontract = django_filters.CharFilter(
        field_name="subcontract__reference", lookup_expr="icontains", label="Subcontract reference"
    )

    class Meta:
        model = PerformanceReturn
        fields = ["status", "subcontract"]


class IndicatorFilter(ConcordFilterSet):
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name contains"
    )
    unit = django_filters.ChoiceFilter(choices=Indicator.Unit.choices)
    logic_stage = django_filters.ChoiceFilter(
        choices=Indicator.LogicStage.choices, label="Logic-model stage"
    )
    required = django_filters.BooleanFilter(label="Required in every return")

    class Meta:
        model = Indicator
        fields = ["search", "unit", "logic_stage", "required"]


class TemplateFilter(ConcordFilterSet):
    commissioner = django_filters.CharFilter(
        field_name="commissioner__name", lookup_expr="icontains", label="Commissioner"
    )

    class Meta:
        model = CommissionerTemplate
        fields = ["commissioner"]
