import django_filters

from consortium.lists import ConcordFilterSet
from contracts.models import OutcomeMeasure, PbRClaim


class ClaimFilter(ConcordFilterSet):
    status = django_filters.ChoiceFilter(choices=PbRClaim.Status.choices)
    measure = django_filters.CharFilter(
        field_name="measure__code", lookup_expr="iexact", label="Measure code"
    )
    claimant = django_filters.CharFilter(
        field_name="claimant__name", lookup_expr="icontains", label="Member"
    )

    class Meta:
        model = PbRClaim
        fields = ["status", "measure", "claimant"]


class MeasureFilter(ConcordFilterSet):
    status = django_filters.ChoiceFilter(choices=OutcomeMeasure.Status.choices)

    class Meta:
        model = OutcomeMeasure
        fields = ["status"]
