import django_filters

from consortium.lists import ConcordFilterSet, scoped
from consortium.models import Organisation
from funding.models import Allocation, FundingStream, Payment


class StreamFilter(ConcordFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")
    funder = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))
    ends_before = django_filters.DateFilter(
        field_name="end", lookup_expr="lte", label="Ends on or before"
    )

    class Meta:
        model = FundingStream
        fields = ["name", "funder", "kind", "status", "ends_before"]


class AllocationFilter(ConcordFilterSet):
    # A name search rather than a list of every stream: consortia can have thousands.
    stream = django_filters.CharFilter(
        field_name="stream__name", lookup_expr="icontains", label="Stream name contains"
    )

    class Meta:
        model = Allocation
        fields = ["stream", "status", "formula"]


class PaymentFilter(ConcordFilterSet):
    recipient = django_filters.ModelChoiceFilter(queryset=scoped(Organisation), label="To")
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due on or before"
    )

    class Meta:
        model = Payment
        fields = ["recipient", "status", "is_adjustment", "due_before"]
