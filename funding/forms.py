from decimal import Decimal

from django import forms
from django.http import QueryDict

from consortium.access import actor
from consortium.choices import ChoiceOrSearchField
from consortium.forms import ConcordForm, ConcordModelForm, VersionedForm
from consortium.models import Membership
from consortium.numbers import MoneyField, NumberField
from funding.models import Allocation, FundingStream, Payment
from funding.money import ZERO


class StreamForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = FundingStream
        fields = [
            "funder",
            "name",
            "kind",
            "amount",
            "start",
            "end",
            "status",
            "restrictions",
            "renewal_decision_date",
            "notice_period_days",
            "services_funded",
        ]
        widgets = {
            "start": forms.DateInput,
            "end": forms.DateInput,
            "renewal_decision_date": forms.DateInput,
            "restrictions": forms.Textarea(attrs={"rows": 3}),
            "services_funded": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"amount": MoneyField}


def prefill_query(formula, figures, source=None):
    """The query that opens a new allocation with its formula and each member's figure
    ({organisation id: figure}) filled in, saying where they came from: the figures of
    another page (approved activity, verified outcomes) travel to the allocation this way,
    where the lead checks them before saving (AllocationForm.prefilled reads it)."""
    query = QueryDict(mutable=True)
    query["formula"] = formula
    for org_id, value in figures.items():
        query[f"figure_{org_id}"] = str(value)
    if source:
        query["source"] = source
    return query.urlencode()


class AllocationForm(VersionedForm):
    """The pot, the formula and each member's figure. A member is included when its figure
    is filled in (for equal shares, any figure such as 1)."""

    class Meta(ConcordModelForm.Meta):
        model = Allocation
        fields = [
            "stream",
            "period_start",
            "period_end",
            "pot",
            "formula",
            "fee_percent",
            "fee_organisation",
            "reason",
        ]
        widgets = {
            "period_start": forms.DateInput,
            "period_end": forms.DateInput,
            "reason": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"pot": MoneyField}
        help_texts = {"fee_organisation": "The lead agency, usually."}

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        inputs = self.instance.inputs or {}
        self.member_fields = []
        for org in self.members:
            current = inputs.get(str(org.pk), {})
            fig = NumberField(
                label=f"{org.name}: figure",
                required=False,
                min_value=ZERO,
                max_digits=14,
                decimal_places=2,
                initial=current.get("figure"),
                help_text="Percentage, FTE, activity, verified outcomes or direct costs (£), "
                "as the formula needs. Leave blank to leave this member out.",
            )
            over = NumberField(
                label=f"{org.name}: overhead %",
                required=False,
                min_value=ZERO,
                max_value=Decimal("100"),
                max_digits=5,
                decimal_places=2,
                initial=current.get("overhead"),
                help_text="Full cost recovery only.",
            )
            self.fields[f"figure_{org.pk}"] = fig
            self.fields[f"overhead_{org.pk}"] = over
            self.member_fields.append((org, f"figure_{org.pk}", f"overhead_{org.pk}"))
        for _org, fig, over in self.member_fields:
            for name in (fig, over):
                self.fields[name].widget.attrs["class"] = "govuk-input govuk-input--width-10"
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-hint"

    @staticmethod
    def prefilled(query):
        """The initial formula and figures a prefill_query carries (only a starting point:
        the form checks them when it is saved)."""
        initial = {}
        if query.get("formula") in dict(Allocation.Formula.choices):
            initial["formula"] = query["formula"]
        for key, value in query.items():
            if key.startswith("figure_") and key[7:].isdigit():
                initial[key] = value
        return initial

    def clean(self):
        data = super().clean()
        inputs = {}
        for org, fig, over in self.member_fields:
            if data.get(fig) is not None:
                inputs[str(org.pk)] = {
                    "figure": str(data[fig]),
                    "overhead": str(data.get(over) or "0"),
                }
        if not inputs:
            raise forms.ValidationError("Fill in a figure for at least one member.")
        self.instance.inputs = inputs
        return data


class PaymentForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = Payment
        fields = [
            "recipient",
            "allocation_line",
            "description",
            "due_date",
            "amount",
            "is_adjustment",
            "adjustment_reason",
        ]
        widgets = {
            "due_date": forms.DateInput,
            "adjustment_reason": forms.Textarea(attrs={"rows": 2}),
        }
        # A select of the members paid, or a name search when there are more than a hundred.
        field_classes = {"amount": MoneyField, "recipient": ChoiceOrSearchField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        recipient = self.fields["recipient"]
        # Payments go to the consortium's delivery members (the lead and subcontractors),
        # never to its funders.
        recipient.queryset = (
            recipient.queryset.filter(
                memberships__consortium=self.actor_consortium(),
                memberships__role__in=[Membership.Role.LEAD, Membership.Role.SUBCONTRACTOR],
            )
            .distinct()
            .order_by("name")
        )
        field = self.fields["allocation_line"]
        field.queryset = field.queryset.filter(allocation__status="approved").select_related(
            "allocation__stream", "organisation"
        )
        field.label_from_instance = lambda line: (
            f"{line.allocation.stream.name} v{line.allocation.revision} "
            f"({line.allocation.period_start:%b %Y}–{line.allocation.period_end:%b %Y}): "
            f"{line.organisation.name}, {line.get_kind_display()} £{line.amount:,.2f}"
        )

    def actor_consortium(self):

        return actor(self.user).consortium_id if self.user is not None else None


class PaidForm(ConcordForm):
    paid_on = forms.DateField(widget=forms.DateInput, label="Date paid")
    reference = forms.CharField(max_length=100, label="Remittance reference")


class GenerateScheduleForm(ConcordForm):
    organisation = forms.ChoiceField(label="Member")
    instalments = forms.IntegerField(min_value=1, max_value=60, initial=12)
    every_months = forms.TypedChoiceField(
        coerce=int, choices=[(1, "Monthly"), (3, "Quarterly")], initial=1, label="How often"
    )
    first_due = forms.DateField(widget=forms.DateInput, label="First payment due")
    share_percent = NumberField(
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        initial=Decimal("100"),
        label="Share paid by instalments (%)",
        help_text="The block share of the payment terms; the rest is paid by results.",
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.fields["organisation"].choices = [(k, o.name) for k, o in self.organisations.items()]

    def clean_organisation(self):
        return self.organisations[self.cleaned_data["organisation"]]
