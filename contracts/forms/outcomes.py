from django import forms

from consortium.forms import ConcordForm, VersionedForm
from consortium.numbers import MoneyField, NumberField
from contracts.models import ClaimLine, OutcomeMeasure


class MeasureForm(VersionedForm):
    """A draft measure, and which members may claim it (with their shares, where the measure
    splits outcomes by stated shares)."""

    class Meta(VersionedForm.Meta):
        model = OutcomeMeasure
        fields = [
            "contract",
            "code",
            "name",
            "definition",
            "evidence_required",
            "validation_method",
            "rule",
            "tariff",
            "cap_per_participant",
            "baseline_percent",
            "hurdle_percent",
            "window_days",
            "period_cap",
            "contract_cap",
            "claim_frequency",
            "valid_from",
            "valid_to",
            "attribution",
            "reason",
        ]
        field_classes = {"tariff": MoneyField, "period_cap": MoneyField, "contract_cap": MoneyField}

    def __init__(self, *args, members, claimants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        claimants = claimants or {}
        for org in self.members:
            self.fields[f"claim_{org.pk}"] = forms.BooleanField(
                label=f"{org.name} may claim it", required=False, initial=org.pk in claimants
            )
            self.fields[f"share_{org.pk}"] = NumberField(
                label=f"{org.name}: stated share %",
                required=False,
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=100,
                initial=claimants.get(org.pk),
                help_text="Only with stated shares; the shares add up to 100%.",
            )
            self.fields[f"share_{org.pk}"].widget.attrs["class"] = (
                "govuk-input govuk-input--width-5"
            )
            self.fields[f"claim_{org.pk}"].widget.attrs["class"] = "govuk-checkboxes__input"

    def claimants(self):
        d = self.cleaned_data
        return [(org, d.get(f"share_{org.pk}")) for org in self.members if d.get(f"claim_{org.pk}")]


class StartClaimForm(ConcordForm):
    claimant = forms.ModelChoiceField(queryset=None, label="Claiming member")
    period_start = forms.TypedChoiceField(label="Claim period", coerce=str)

    def __init__(self, *args, claimants, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claimant"].queryset = claimants
        self.fields["period_start"].choices = [
            (s.isoformat(), f"{s:%-d %b %Y} to {e:%-d %b %Y}") for s, e in periods
        ]
        for name in ("claimant", "period_start"):
            self.fields[name].widget.attrs["class"] = "govuk-select"


class LineForm(ConcordForm):
    reference = forms.CharField(
        label="Case reference",
        max_length=64,
        help_text="Concord does not keep it: it keeps a keyed code made from it.",
    )
    engagement_date = forms.DateField(label="Engagement date", help_text="For example, 10 4 2026")
    outcome_date = forms.DateField(label="Outcome date", help_text="For example, 28 4 2026")
    events = forms.IntegerField(min_value=1, initial=1, label="Events")
    evidence_ref = forms.CharField(label="Evidence reference", max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].widget = forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-3", "inputmode": "numeric"}
        )


class CountsForm(ConcordForm):
    """The claim's participant counts, and the claim's version the person started from: of
    two people saving counts, the second is refused rather than overwriting the first."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    eligible = forms.IntegerField(
        min_value=0, required=False, label="Participants eligible in the period"
    )
    engaged = forms.IntegerField(
        min_value=0,
        required=False,
        label="Participants engaged in the period",
        help_text="For a cohort measure, this is the cohort.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("eligible", "engaged"):
            self.fields[name].widget = forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-5", "inputmode": "numeric"}
            )


class SampleForm(ConcordForm):
    size = forms.IntegerField(min_value=1, label="Sample size (lines)")
    seed = forms.IntegerField(
        min_value=0,
        required=False,
        label="Seed",
        help_text="Leave blank for a new random seed. The same seed draws the same sample.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("size", "seed"):
            self.fields[name].widget = forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "numeric"}
            )


class DecideForm(ConcordForm):
    decision = forms.ChoiceField(
        choices=[
            (ClaimLine.Status.VERIFIED, "Verified"),
            (ClaimLine.Status.QUERIED, "Query (back to the member)"),
            (ClaimLine.Status.REFUSED, "Refuse"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(required=False, max_length=2000, label="Why (needed to query or refuse)")


class CommentsForm(ConcordForm):
    comments = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comments")


class PayForm(ConcordForm):
    # Its own prefix: the claim page also holds the search by case reference.
    prefix = "pay"

    paid_on = forms.DateField(label="Date paid", help_text="For example, 14 8 2026")
    reference = forms.CharField(max_length=100, label="Remittance reference")


class FindLineForm(ConcordForm):
    reference = forms.CharField(
        label="Find a line by its case reference",
        max_length=64,
        help_text="The reference is turned into its keyed code to look the line up; it is not kept.",
    )


class UploadForm(ConcordForm):
    """The evidence file and, once the upload has said which lines it would remove, the
    person's confirmation of that number of lines (asked again if the number changes)."""

    file = forms.FileField(label="Evidence spreadsheet (.xlsx)")
    removing = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    confirm_removal = forms.BooleanField(required=False)

    def __init__(self, *args, removing=None, **kwargs):
        super().__init__(*args, **kwargs)
        if removing is None and self.is_bound:
            try:
                removing = int(self.data.get("removing") or 0) or None
            except ValueError:
                removing = None
        if removing is None:
            del self.fields["confirm_removal"]
            return
        self.initial["removing"] = removing
        lines = "line" if removing == 1 else "lines"
        self.fields[
            "confirm_removal"
        ].label = f"Remove the {removing} {lines} on the claim that are not in my spreadsheet"

    def lines_to_remove(self):
        """The number of lines the person agreed to remove, or None."""
        if self.cleaned_data.get("confirm_removal"):
            return self.cleaned_data.get("removing")
        return None
