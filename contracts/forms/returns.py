from django import forms

from consortium.forms import ConcordForm, ConcordModelForm, VersionedForm
from consortium.numbers import NumberField
from contracts.models import Indicator, TemplateField
from contracts.xlsx.returns import NARRATIVE_MAX, NOTE_MAX


class ReturnForm(ConcordForm):
    """A figure and a note per indicator, the narrative, and the version the user started
    from."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    narrative = forms.CharField(
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened this period: context a commissioner needs to read the figures.",
    )
    confirm_warnings = forms.BooleanField(
        required=False, label="I have checked the figures flagged as unusual and they are right"
    )

    def __init__(self, *args, indicators, values, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.rows = []
        for ind in indicators:
            rv = values.get(ind.pk)
            v = NumberField(
                label=ind.name,
                required=False,
                max_digits=14,
                decimal_places=2,
                help_text=f"{ind.get_unit_display()}. {ind.definition}",
                initial=rv.value if rv else None,
            )
            n = forms.CharField(
                label=f"Note on {ind.name}",
                required=False,
                max_length=NOTE_MAX,
                initial=rv.note if rv else "",
            )
            self.fields[f"v_{ind.code}"] = v
            self.fields[f"n_{ind.code}"] = n
            self.rows.append((ind, f"v_{ind.code}", f"n_{ind.code}"))
        # Re-apply GOV.UK classes to the fields added after the mixin ran.
        for name, field in self.fields.items():
            if name.startswith("v_"):
                field.widget.attrs["class"] = "govuk-input govuk-input--width-5"
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"
            elif name.startswith("n_"):
                field.widget.attrs["class"] = "govuk-input"
        # The bound fields the template walks, in order.
        # The figures first: an error about the whole form links to the first figure.
        self.order_fields(["expected_version", *[n for r in self.rows for n in r[1:]], "narrative"])

    def field_for_indicator(self, error):
        """The bound figure field an error from the rules is about, or None."""
        name = f"v_{getattr(error, 'indicator', '')}"
        return self[name] if name in self.fields else None

    @property
    def bound_rows(self):
        return [(ind, self[v], self[n]) for ind, v, n in self.rows]

    def readable_figures(self):
        """code → figure for the figures that could be read (the rest are left out)."""
        d = getattr(self, "cleaned_data", {})
        return {ind.code: d.get(v) for ind, v, _ in self.rows if v in d}

    def add_submission_errors(self, messages):
        """The submission rules' errors, on the figures that have none of their own yet."""
        for m in messages:
            name = f"v_{m.code}"
            if name in self.fields and name not in self.errors:
                self.add_error(name, m.text)

    def figures(self):
        d = self.cleaned_data
        return (
            {ind.code: d.get(v) for ind, v, _ in self.rows},
            {ind.code: d.get(n) or "" for ind, _, n in self.rows},
        )


class UploadForm(ConcordForm):
    file = forms.FileField(
        label="Filled-in template (.xlsx)",
        help_text="The spreadsheet you downloaded from this page, up to 2 MB.",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommentsForm(ConcordForm):
    comments = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What needs to change. The subcontractor sees this.",
    )


class IndicatorForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = Indicator
        fields = [
            "code",
            "name",
            "definition",
            "unit",
            "aggregation",
            "direction",
            "logic_stage",
            "pathway_stage",
            "required",
            "not_more_than",
            "breakdown_of",
            "breakdown_group",
            "position",
            "active",
        ]

    def clean_code(self):
        code = self.cleaned_data["code"].upper()
        taken = (
            Indicator._base_manager.filter(consortium_id=self.instance.consortium_id, code=code)
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if taken:
            raise forms.ValidationError(f"An indicator with the code {code} already exists.")
        return code


class TemplateFieldForm(ConcordModelForm):
    class Meta(ConcordModelForm.Meta):
        model = TemplateField
        fields = ["group", "label", "indicator", "position"]


class PeriodRangeForm(ConcordForm):
    first = forms.DateField(label="From (period starting)", required=False)
    last = forms.DateField(label="To (period starting)", required=False)


class PeriodsForm(ConcordForm):
    frequency = forms.ChoiceField(choices=[("monthly", "Monthly"), ("quarterly", "Quarterly")])
    first = forms.DateField(label="From", help_text="Periods start at the month or quarter.")
    last = forms.DateField(label="To")
    working_days = forms.IntegerField(
        min_value=0,
        max_value=60,
        initial=10,
        label="Due after (working days)",
        help_text="Working days after each period ends, skipping weekends and bank holidays.",
    )

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            raise forms.ValidationError("The end must be on or after the start.")
        return data


class TargetForm(ConcordForm):
    period = forms.ModelChoiceField(queryset=None)
    indicator = forms.ModelChoiceField(queryset=None)
    value = NumberField(min_value=0, max_digits=14, decimal_places=2, label="Target")

    def __init__(self, *args, periods, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods
        self.fields["indicator"].queryset = indicators
