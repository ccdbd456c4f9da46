from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.db import models
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from consortium import security
from consortium.models import Consortium, Membership, Organisation, Role, Site

WIDGET_CLASSES = {
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "textarea": "govuk-textarea",
    "checkbox": "govuk-checkboxes__input",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
    "radioselect": "govuk-radios__input",
    "checkboxselectmultiple": "govuk-checkboxes__input",
}


class ConcordFormMixin:
    """GOV.UK classes on every widget, error classes on invalid ones, and a hidden version
    for optimistic locking where the form edits an existing record."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            kind = type(field.widget).__name__.lower().replace("input", "").replace("widget", "")
            css = WIDGET_CLASSES.get(kind, "govuk-input")
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
                # A date input only shows a value written as YYYY-MM-DD.
                field.widget.format = "%Y-%m-%d"
                css = "govuk-input govuk-input--width-10"
            field.widget.attrs["class"] = css
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{self.add_prefix(name)}-hint"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "govuk-input" in css or "govuk-select" in css or "govuk-textarea" in css:
                    base = css.split()[0]
                    widget.attrs["class"] = f"{css} {base}--error"
                hint = f"id_{self.add_prefix(name)}-hint " if self.fields[name].help_text else ""
                widget.attrs["aria-describedby"] = f"{hint}id_{self.add_prefix(name)}-error"


class ConcordForm(ConcordFormMixin, forms.Form):
    pass


def scoped_formfield(db_field, **kwargs):
    """Form fields for relations to consortium-owned models start empty (building them must
    not query outside a scope); ConcordModelForm fills them from the access policy."""
    related = getattr(db_field, "related_model", None)
    if related is not None and hasattr(related, "Access"):
        if isinstance(db_field, models.ManyToManyField):
            kwargs.setdefault("form_class", SafeModelMultipleChoiceField)
        elif isinstance(db_field, models.ForeignKey):
            kwargs.setdefault("form_class", SafeModelChoiceField)
    return db_field.formfield(**kwargs)


class ConcordModelForm(ConcordFormMixin, forms.ModelForm):
    """A ModelForm whose relation choices are what `user` may see. Subclasses declare
    `class Meta(ConcordModelForm.Meta)` so the scoped field factory is inherited."""

    class Meta:
        formfield_callback = staticmethod(scoped_formfield)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            qs = getattr(field, "queryset", None)
            if qs is not None and hasattr(qs.model, "Access"):
                field.queryset = (
                    qs.model.objects.visible_to(user)
                    if user is not None
                    else qs.model.objects.none()
                )


class VersionedForm(ConcordModelForm):
    """Carries the version the user started from, so a stale save is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["expected_version"] = self.instance.version


class OrganisationForm(VersionedForm):
    role = forms.ChoiceField(label="Role in the consortium", choices=Membership.Role.choices)

    class Meta(ConcordModelForm.Meta):
        model = Organisation
        fields = ["name", "kind", "registered_number", "email", "address", "notes"]


class SiteForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = Site
        fields = ["name", "kind", "borough", "address", "operated_by"]


class PersonForm(ConcordForm):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="They set their own password through a link sent here.")
    username = forms.SlugField(
        max_length=150, help_text="Letters, numbers, hyphens and underscores."
    )


class RoleAssignmentForm(ConcordForm):
    organisation = SafeModelChoiceField(queryset=Organisation.objects.none())
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user)


class ReasonForm(ConcordForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="History keeps this."
    )

    def __init__(self, *args, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        if help_text:
            self.fields["reason"].help_text = help_text


class ConsortiumSettingsForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Say why; history keeps this."
    )

    class Meta(ConcordModelForm.Meta):
        model = Consortium
        fields = [
            "name",
            "description",
            "open_book_allocations",
            "lead_work_approved_by",
            "two_factor_for_everyone",
        ]


class LoginForm(ConcordFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is not active. Ask your administrator.",
    }


class ConcordPasswordChangeForm(ConcordFormMixin, PasswordChangeForm):
    def save(self, commit=True):
        user = super().save(commit=commit)
        security.log(security.Kind.PASSWORD_CHANGED, user=user)
        return user


class ConcordPasswordResetForm(ConcordFormMixin, PasswordResetForm):
    def save(self, *args, **kwargs):
        email = self.cleaned_data["email"]
        users = list(self.get_users(email))
        for user in users:
            security.log(security.Kind.PASSWORD_RESET_REQUESTED, user=user, detail=email)
        if not users:
            security.log(
                security.Kind.PASSWORD_RESET_REQUESTED, detail=f"{email} (no such account)"
            )
        return super().save(*args, **kwargs)


class ConcordSetPasswordForm(ConcordFormMixin, SetPasswordForm):
    def save(self, commit=True):
        user = super().save(commit=commit)
        security.log(security.Kind.PASSWORD_RESET, user=user)
        return user


class CodeForm(ConcordForm):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class PasswordAgainForm(ConcordForm):
    password = forms.CharField(
        label="Your password",
        help_text="Changing how you sign in needs your password again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AuthenticatorForm(ConcordForm):
    name = forms.CharField(
        label="A name for this authenticator",
        max_length=64,
        initial="Authenticator app",
        help_text="For example, the phone it is on.",
    )
    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        help_text="The 6 digits the app shows for Concord.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label="Your password",
        required=False,
        help_text="Changing how you sign in needs your password again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, ask_password=True, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_password:
            self.fields["password"].required = True
        else:
            del self.fields["password"]


class ReminderPreferenceForm(forms.Form):
    send = forms.MultipleChoiceField(
        label="Email me about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Untick a kind to stop its emails. It still shows on your dashboard.",
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["send"].choices = [(k.key, k.label) for k in kinds]
