import django_filters
from django.db.models import F
from django.utils import timezone

from consortium.lists import ConcordFilterSet, scoped
from risks.models import Risk, RiskCategory, RiskRegister, SwotAnalysis
from risks.scoring import BAND_KEYS

LEVELS = [(i, str(i)) for i in range(1, 6)]
KINDS = [("inherent", "Inherent"), ("residual", "Residual"), ("target", "Target")]


def registers(request):
    """The registers the person may read, named by their organisation (fetched with them)."""
    if request is None:
        return RiskRegister.objects.none()
    return RiskRegister.objects.visible_to(request.user).select_related("organisation")


class RiskFilter(ConcordFilterSet):
    title = django_filters.CharFilter(lookup_expr="icontains", label="Title contains")
    register = django_filters.ModelChoiceFilter(queryset=registers)
    category = django_filters.ModelChoiceFilter(queryset=scoped(RiskCategory))
    band = django_filters.ChoiceFilter(
        field_name="residual_band",
        label="Residual band",
        choices=[(k, k.capitalize()) for k in BAND_KEYS],
    )
    owner = django_filters.CharFilter(
        field_name="owner__last_name", lookup_expr="icontains", label="Owner's surname contains"
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Review overdue")
    above_appetite = django_filters.BooleanFilter(
        method="filter_above_appetite", label="Above appetite"
    )
    # The heat map's drill-through: the risks in one cell of one of the three grids.
    kind = django_filters.ChoiceFilter(choices=KINDS, method="filter_nothing", label="Grid")
    likelihood = django_filters.TypedChoiceFilter(
        choices=LEVELS, coerce=int, method="filter_cell", label="Likelihood"
    )
    consequence = django_filters.TypedChoiceFilter(
        choices=LEVELS, coerce=int, method="filter_cell", label="Consequence"
    )

    class Meta:
        model = Risk
        fields = ["title", "register", "category", "band", "status", "owner"]

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.filter(status="open", next_review__lt=timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_above_appetite(self, queryset, name, value):
        above = queryset.filter(status="open", residual_score__gt=F("category__appetite"))
        return above if value else queryset.exclude(pk__in=above.values("pk"))

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_cell(self, queryset, name, value):
        kind = self.form.cleaned_data.get("kind") or "residual"
        return queryset.filter(**{f"{kind}_{name}": value})


class RegisterFilter(ConcordFilterSet):
    organisation = django_filters.CharFilter(
        field_name="organisation__name", lookup_expr="icontains", label="Member"
    )

    class Meta:
        model = RiskRegister
        fields = ["organisation"]


class SwotFilter(ConcordFilterSet):
    status = django_filters.ChoiceFilter(choices=SwotAnalysis.Status.choices)
    title = django_filters.CharFilter(lookup_expr="icontains", label="Title contains")

    class Meta:
        model = SwotAnalysis
        fields = ["status", "title"]
