import django_filters
from django.db.models import Q

from consortium.lists import ConcordFilterSet, scoped
from consortium.models import Organisation
from supervision.models import Post, StaffMember, SupervisionSession


class PostFilter(ConcordFilterSet):
    title = django_filters.CharFilter(lookup_expr="icontains", label="Title contains")
    organisation = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))

    class Meta:
        model = Post
        fields = ["title", "organisation", "status"]


class PostAtRiskFilter(ConcordFilterSet):
    title = django_filters.CharFilter(lookup_expr="icontains", label="Title contains")
    organisation = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))
    ends_from = django_filters.DateFilter(
        field_name="funding_end", lookup_expr="gte", label="Funding ends on or after"
    )
    ends_to = django_filters.DateFilter(
        field_name="funding_end", lookup_expr="lte", label="Funding ends on or before"
    )

    class Meta:
        model = Post
        fields = ["title", "organisation", "status", "ends_from", "ends_to"]


class StaffFilter(ConcordFilterSet):
    name = django_filters.CharFilter(method="filter_name", label="Name contains")
    organisation = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))

    class Meta:
        model = StaffMember
        fields = ["name", "organisation", "profession", "registration_body"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(first_name__icontains=value) | Q(last_name__icontains=value))


class SessionFilter(ConcordFilterSet):
    """Sessions filter on type, status, dates and (non-confidential) themes. There is no
    filter on notes: searching them would tell a reader what they say."""

    themes = django_filters.CharFilter(lookup_expr="icontains", label="Theme contains")
    after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after")
    before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before")

    class Meta:
        model = SupervisionSession
        fields = ["kind", "status", "themes", "after", "before"]
