import django_filters

from consortium.lists import ConcordFilterSet, scoped
from consortium.models import Membership, Organisation
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


def members_paid(request):
    """Who payments go to: the consortium's delivery members, not its funders."""
    if request is None:
        return Organisation.objects.none()
    return (
        Organisation.objects.visible_to(request.user)
        .filter(memberships__role__in=[Membership.Role.LEAD, Membership.Role.SUBCONTRACTOR])
        .distinct()
        .order_by("name")
    )


class PaymentFilter(ConcordFilterSet):
    recipient = django_filters.ModelChoiceFilter(queryset=members_paid, label="To")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due on or before"
    )

    class Meta:
        model = Payment
        fields = ["recipient", "status", "overdue", "is_adjustment", "due_before"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
