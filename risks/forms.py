from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model

from consortium.forms import ConcordForm, ConcordModelForm, VersionedForm
from consortium.models import RoleAssignment
from risks import scoring
from risks.access import RISK_READERS
from risks.models import Control, Risk, RiskLink, SwotAnalysis, SwotItem
from risks.scoring import BAND_KEYS
from risks.services import SETTINGS_FIELDS

LEVEL_HELP = "1 is the lowest, 5 the highest."


def level_choices(labels):
    return [("", "Choose")] + [(i, f"{i} – {label}") for i, label in enumerate(labels, start=1)]


def people_for(user, organisation=None):
    """People the user may name as an owner: those in organisations they can see who can
    open a risk register (never a practitioner or a supervisor, who cannot open one; a
    member's register: that member's people)."""

    roles = RoleAssignment.objects.visible_to(user).filter(role__in=RISK_READERS)
    if organisation is not None:
        roles = roles.filter(organisation=organisation)
    ids = roles.values("user")
    return (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .order_by("last_name", "first_name")
    )


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


def concerns_choices(user, limit=200):
    """What a risk may concern, among the things the user can see (no import of the apps
    that own them: the models are looked up by label)."""
    choices = [("", "Nothing in particular")]
    for label in RiskLink.ALLOWED:
        model = apps.get_model(label)
        rows = model.objects.visible_to(user).order_by("pk")[:limit]
        group = [(f"{label}:{obj.pk}", str(obj)) for obj in rows]
        if group:
            choices.append((str(model._meta.verbose_name).capitalize(), group))
    return choices


class RiskForm(VersionedForm):
    concerns = forms.ChoiceField(
        required=False, help_text="A contract, subcontract, funding stream, post or member."
    )

    class Meta(ConcordModelForm.Meta):
        model = Risk
        fields = [
            "title",
            "cause",
            "event",
            "consequence",
            "category",
            "owner",
            "treatment",
            "inherent_likelihood",
            "inherent_consequence",
            "residual_likelihood",
            "residual_consequence",
            "target_likelihood",
            "target_consequence",
            "target_reason",
        ]
        widgets = {
            "cause": forms.Textarea(attrs={"rows": 2}),
            "event": forms.Textarea(attrs={"rows": 2}),
            "consequence": forms.Textarea(attrs={"rows": 2}),
            "target_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, register, **kwargs):
        super().__init__(*args, **kwargs)
        matrix = register.matrix
        self.fields["owner"] = OwnerChoiceField(
            queryset=people_for(self.user, register.organisation), label="Owner"
        )
        if self.instance.pk:
            self.fields["owner"].initial = self.instance.owner_id
        for kind in ("inherent", "residual", "target"):
            self.fields[f"{kind}_likelihood"] = forms.TypedChoiceField(
                label=f"{kind.capitalize()} likelihood",
                choices=level_choices(matrix.likelihood_labels),
                coerce=int,
            )
            self.fields[f"{kind}_consequence"] = forms.TypedChoiceField(
                label=f"{kind.capitalize()} consequence",
                choices=level_choices(matrix.consequence_labels),
                coerce=int,
            )
        self.fields["inherent_likelihood"].help_text = "Before any controls."
        self.fields["residual_likelihood"].help_text = "Now, with the controls in place."
        self.fields["target_likelihood"].help_text = "Where the actions should bring it."
        if self.instance.pk:
            self.fields.pop("concerns")
        else:
            self.fields["concerns"].choices = concerns_choices(self.user)
        # Re-apply the design-system classes to the fields replaced above.
        for name in ("owner",) + tuple(f for f in self.fields if f.endswith(("hood", "quence"))):
            field = self.fields[name]
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "govuk-select"
                if field.help_text:
                    field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def concerned(self):
        value = self.cleaned_data.get("concerns")
        if not value:
            return []
        label, _, pk = value.rpartition(":")
        if label not in RiskLink.ALLOWED:
            return []
        target = apps.get_model(label).objects.visible_to(self.user).filter(pk=pk).first()
        return [target] if target else []


class ReviewForm(ConcordForm):
    reviewed_on = forms.DateField(label="Date of the review")
    residual_likelihood = forms.TypedChoiceField(coerce=int, label="Residual likelihood now")
    residual_consequence = forms.TypedChoiceField(coerce=int, label="Residual consequence now")
    what_changed = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What changed since the last review."
    )
    next_review = forms.DateField(
        required=False,
        label="Next review",
        help_text="Leave blank to set it by the residual band.",
    )

    def __init__(self, *args, risk, **kwargs):
        super().__init__(*args, **kwargs)
        matrix = risk.register.matrix
        self.fields["residual_likelihood"].choices = level_choices(matrix.likelihood_labels)
        self.fields["residual_consequence"].choices = level_choices(matrix.consequence_labels)
        self.fields["residual_likelihood"].widget.attrs["class"] = "govuk-select"
        self.fields["residual_consequence"].widget.attrs["class"] = "govuk-select"


class ControlForm(ConcordModelForm):
    class Meta(ConcordModelForm.Meta):
        model = Control
        fields = ["description", "kind", "owner", "effectiveness"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, register, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = OwnerChoiceField(
            queryset=people_for(self.user, register.organisation)
        )
        self.fields["owner"].widget.attrs["class"] = "govuk-select"


class ActionForm(ConcordForm):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    owner = OwnerChoiceField(queryset=get_user_model().objects.none(), required=False)
    due = forms.DateField(label="Due date", required=False)

    def __init__(self, *args, user, register, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people_for(user, register.organisation)
        self.fields["owner"].required = False  # the service says what to do when it is missing
        self.fields["owner"].widget.attrs["class"] = "govuk-select"


class NoteForm(ConcordForm):
    note = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="History keeps this.",
    )


class AcceptanceForm(ConcordForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why it is tolerated."
    )
    expires = forms.DateField(
        required=False, label="Accepted until", help_text="The acceptance lapses after this date."
    )


class DecisionForm(ConcordForm):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept onto the consortium register"), ("decline", "Decline")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The member sees this."
    )


class SwotForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = SwotAnalysis
        fields = ["title", "period_start", "period_end", "interviews", "documents", "workshops"]
        widgets = {
            "period_start": forms.DateInput,
            "period_end": forms.DateInput,
        }


class SwotItemForm(ConcordModelForm):
    class Meta(ConcordModelForm.Meta):
        model = SwotItem
        fields = ["quadrant", "statement", "theme", "support"]


class OverrideForm(ConcordForm):
    consensus = forms.ChoiceField(
        choices=[("", "Computed from the sources")] + list(SwotItem.Consensus.choices),
        required=False,
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NewRoundForm(ConcordForm):
    title = forms.CharField(max_length=200)
    period_start = forms.DateField()
    period_end = forms.DateField()


class DismissForm(ConcordForm):
    key = forms.CharField(widget=forms.HiddenInput)
    organisation = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why this is not a risk to record."
    )


class RiskSettingsForm(ConcordForm):
    """The consortium's risk settings in one form: the matrix (descriptors, band thresholds,
    labels and colours), review intervals, thresholds and category appetites."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, settings_row, categories, **kwargs):

        super().__init__(*args, **kwargs)
        matrix = settings_row.matrix
        self.categories = list(categories)
        fields = {}
        for i in range(5):
            fields[f"likelihood_{i + 1}"] = forms.CharField(
                label=f"Likelihood {i + 1}", initial=matrix.likelihood_labels[i], max_length=40
            )
        for i in range(5):
            fields[f"consequence_{i + 1}"] = forms.CharField(
                label=f"Consequence {i + 1}", initial=matrix.consequence_labels[i], max_length=40
            )
        colours = [(c, c.capitalize()) for c in scoring.COLOURS]
        for band in matrix.bands:
            key = band["key"]
            fields[f"band_{key}_label"] = forms.CharField(
                label=f"{key.capitalize()} band: label", initial=band["label"], max_length=30
            )
            fields[f"band_{key}_from"] = forms.IntegerField(
                label=f"{key.capitalize()} band: starts at score",
                initial=band["from"],
                min_value=1,
                max_value=25,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
            fields[f"band_{key}_colour"] = forms.ChoiceField(
                label=f"{key.capitalize()} band: colour", choices=colours, initial=band["colour"]
            )
        for name in SETTINGS_FIELDS:
            model_field = type(settings_row)._meta.get_field(name)
            fields[name] = forms.IntegerField(
                label=str(model_field.verbose_name).capitalize(),
                initial=getattr(settings_row, name),
                min_value=0,
                help_text=model_field.help_text,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
        for category in self.categories:
            fields[f"appetite_{category.pk}"] = forms.IntegerField(
                label=f"Appetite: {category.name}",
                initial=category.appetite,
                min_value=1,
                max_value=25,
                help_text="The highest residual score tolerated.",
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
        fields["new_category"] = forms.CharField(
            label="Add a category", required=False, max_length=100
        )
        fields["new_category_appetite"] = forms.IntegerField(
            label="Its appetite",
            required=False,
            min_value=1,
            max_value=25,
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        )
        fields["reason"] = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 2}), help_text="Say why; history keeps this."
        )
        self.fields.update(fields)
        self.initial.setdefault("expected_version", settings_row.version)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "govuk-select"
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["class"] = "govuk-textarea"
            elif not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs["class"] = "govuk-input govuk-input--width-20"
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def service_arguments(self):

        data = self.cleaned_data
        return {
            "values": {name: data[name] for name in SETTINGS_FIELDS},
            "matrix": {
                "likelihood_labels": [data[f"likelihood_{i}"] for i in range(1, 6)],
                "consequence_labels": [data[f"consequence_{i}"] for i in range(1, 6)],
                "bands": [
                    {
                        "key": key,
                        "label": data[f"band_{key}_label"],
                        "from": data[f"band_{key}_from"],
                        "colour": data[f"band_{key}_colour"],
                    }
                    for key in BAND_KEYS
                ],
            },
            "appetites": {c.pk: data[f"appetite_{c.pk}"] for c in self.categories},
            "new_category": (data["new_category"], data["new_category_appetite"] or 12)
            if data.get("new_category")
            else None,
            "reason": data["reason"],
            "expected_version": data.get("expected_version"),
        }
