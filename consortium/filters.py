import django_filters

from consortium.lists import ConcordFilterSet, scoped
from consortium.models import Organisation, RoleAssignment, Site


class OrganisationFilter(ConcordFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")

    class Meta:
        model = Organisation
        fields = ["name", "kind"]


class SiteFilter(ConcordFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")
    operated_by = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))

    class Meta:
        model = Site
        fields = ["name", "kind", "borough", "operated_by"]


class PeopleFilter(ConcordFilterSet):
    name = django_filters.CharFilter(method="filter_name", label="Name contains")
    organisation = django_filters.ModelChoiceFilter(queryset=scoped(Organisation))

    class Meta:
        model = RoleAssignment
        fields = ["name", "organisation", "role"]

    def filter_name(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(
            Q(user__first_name__icontains=value) | Q(user__last_name__icontains=value)
        )
