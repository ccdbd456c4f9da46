from django import forms

from consortium.forms import ConcordModelForm, VersionedForm
from consortium.numbers import MoneyField
from contracts.models import Contract, Subcontract, Variation

TERMS = [
    "reference",
    "title",
    "value",
    "start",
    "end",
    "extension_options",
    "status",
    "service_lines",
    "sites",
    "funding_streams",
    "block_percent",
    "pbr_percent",
    "payment_frequency",
    "payment_days",
]
WIDGETS = {
    "start": forms.DateInput,
    "end": forms.DateInput,
    "extension_options": forms.Textarea(attrs={"rows": 2}),
    "service_lines": forms.Textarea(attrs={"rows": 3}),
}


class ContractForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = Contract
        fields = ["commissioner", "lead", *TERMS]
        widgets = WIDGETS
        field_classes = {"value": MoneyField}


class SubcontractForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = Subcontract
        fields = ["contract", "lead", "cvo", *TERMS, "special_terms"]
        widgets = {**WIDGETS, "special_terms": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"value": MoneyField}


class VariationForm(ConcordModelForm):
    class Meta(ConcordModelForm.Meta):
        model = Variation
        fields = ["effective_date", "reason", "value_change", "new_end"]
        widgets = {
            "effective_date": forms.DateInput,
            "new_end": forms.DateInput,
            "reason": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"value_change": MoneyField}


class AsAtForm(forms.Form):
    as_at = forms.DateField(required=False, label="View as at", widget=forms.DateInput)
