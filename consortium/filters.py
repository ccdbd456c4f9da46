import django_filters

from consortium.lists import ConcordFilterSet, scoped
from consortium.models import Organisation, RoleAssignment, SecurityEvent, Site


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


class SecurityEventFilter(ConcordFilterSet):
    username = django_filters.CharFilter(lookup_expr="icontains", label="Username contains")
    ip_address = django_filters.CharFilter(lookup_expr="startswith", label="IP address starts")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="On or after")
    until = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label="On or before"
    )

    class Meta:
        model = SecurityEvent
        fields = ["kind", "username", "ip_address", "since", "until"]
