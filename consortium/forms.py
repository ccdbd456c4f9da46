from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.forms.utils import pretty_name
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from consortium import constraints, security
from consortium.dates_input import GovukDateField, GovukDateInput
from consortium.models import ApiToken, Consortium, Membership, Organisation, Role, Site
from consortium.numbers import NumberField

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


def required_message(field, name):
    """GOV.UK's message for an empty required field: say what to do."""
    label = str(field.label or pretty_name(name)).strip().rstrip(":")
    what = label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        return f"Tick the box: {label}"
    if isinstance(widget, forms.FileInput):
        return "Select a file"
    if isinstance(widget, (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return f"Select the {what}"
    return f"Enter the {what}"


def govuk_date_field(field, name):
    """The same date field, asked for as GOV.UK's three boxes."""
    return GovukDateField(
        required=field.required,
        label=field.label or pretty_name(name),
        initial=field.initial,
        help_text=field.help_text or "For example, 27 3 2026",
        validators=field.validators,
        disabled=field.disabled,
        error_messages=field.error_messages,
    )


class ConcordFormMixin:
    """GOV.UK classes on every widget, error classes on invalid ones, and a hidden version
    for optimistic locking where the form edits an existing record."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._styled = set()
        self.style_fields()

    def style_fields(self):
        """Give each field not yet seen its GOV.UK shape: dates as three boxes, a required
        message that says what to do, and the design system's classes (a class a form set
        itself is kept). Runs again before the form is read or shown, so fields a subclass
        adds after __init__ are covered too."""
        for name, field in list(self.fields.items()):
            if name in self._styled:
                continue
            self._styled.add(name)
            if isinstance(field, forms.DateField) and isinstance(field.widget, forms.DateInput):
                # Wherever a person types a date: GOV.UK's day, month and year boxes.
                field = self.fields[name] = govuk_date_field(field, name)
            if (
                field.error_messages.get("required")
                == forms.Field.default_error_messages["required"]
            ):
                field.error_messages["required"] = required_message(field, name)
            hint = f"id_{self.add_prefix(name)}-hint"
            if isinstance(field.widget, GovukDateInput):
                if field.help_text:
                    field.widget.attrs["aria-describedby"] = hint
                continue
            max_length = getattr(field, "max_length", None)
            if max_length:
                # The limit is checked by the server and said in words (and counted down on
                # a text area), never enforced by the browser cutting what was pasted.
                field.widget.attrs.pop("maxlength", None)
                label = str(field.label or pretty_name(name))
                field.error_messages["max_length"] = (
                    f"{label} must be {max_length:,} characters or fewer"
                )
                for v in field.validators:
                    if isinstance(v, MaxLengthValidator):
                        v.message = field.error_messages["max_length"]
                if isinstance(field.widget, forms.Textarea):
                    described = field.widget.attrs.get("aria-describedby", "")
                    field.widget.attrs["aria-describedby"] = (
                        f"{described} id_{self.add_prefix(name)}-info".strip()
                    )
                    field.widget.attrs.setdefault(
                        "class", "govuk-textarea govuk-js-character-count"
                    )
            kind = type(field.widget).__name__.lower().replace("input", "").replace("widget", "")
            css = WIDGET_CLASSES.get(kind, "govuk-input")
            if isinstance(field, NumberField):
                css = "govuk-input govuk-input--width-10"
            field.widget.attrs.setdefault("class", css)
            if field.help_text:
                field.widget.attrs.setdefault("aria-describedby", hint)

    def __getitem__(self, name):
        self.style_fields()
        return super().__getitem__(name)

    def full_clean(self):
        self.style_fields()
        super().full_clean()
        model = getattr(getattr(self, "_meta", None), "model", None)
        for name, errors in list((self._errors or {}).items()):
            explained = [constraints.explain_form_error(model, e) for e in errors]
            if explained != list(errors):
                self._errors[name] = self.error_class(explained)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if isinstance(widget, GovukDateInput):
                    widget.has_error = True
                    continue
                css = widget.attrs.get("class", "")
                if "govuk-input" in css or "govuk-select" in css or "govuk-textarea" in css:
                    base = css.split()[0]
                    widget.attrs["class"] = f"{css} {base}--error"
                hint = f"id_{self.add_prefix(name)}-hint " if self.fields[name].help_text else ""
                widget.attrs["aria-describedby"] = f"{hint}id_{self.add_prefix(name)}-error"

    def cleaned_or_refuse(self, message):
        """For a small form on a record's page (a count, a comment, a reason): the cleaned
        data, or a refusal saying `message` (which the page shows as any other refusal)."""
        if not self.is_valid():
            raise ValidationError(message)
        return self.cleaned_data


class ConcordForm(ConcordFormMixin, forms.Form):
    pass


def scoped_formfield(db_field, **kwargs):
    """Form fields for relations to consortium-owned models start empty (building them must
    not query outside a scope); ConcordModelForm fills them from the access policy."""
    if isinstance(db_field, models.DecimalField):
        kwargs.setdefault("form_class", NumberField)
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

    def __init__(self, *args, help_text=None, required=True, **kwargs):
        super().__init__(*args, **kwargs)
        if help_text:
            self.fields["reason"].help_text = help_text
        self.fields["reason"].required = required


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
        if not security.password_reset_allowed(email, security.current_request()):
            # The page says the same as when an email is sent: it tells nobody which
            # addresses have accounts, or that a limit was reached.
            security.log(
                security.Kind.PASSWORD_RESET_REQUESTED, detail=f"{email} ({security.NOT_SENT})"
            )
            return None
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
    """Changing how someone signs in asks for their password again, unless they gave it just
    now (`ask_password=False`); the view checks it (consortium.account)."""

    password = forms.CharField(
        label="Your password",
        help_text="Changing how you sign in needs your password again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, ask_password=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_password:
            del self.fields["password"]


class PasskeyForm(PasswordAgainForm):
    name = forms.CharField(
        label="A name for this passkey",
        max_length=64,
        initial="Passkey",
        help_text="For example, the laptop, phone or security key it is on.",
    )
    field_order = ["name", "password"]


class AuthenticatorForm(PasswordAgainForm):
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
    field_order = ["name", "code", "password"]


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


class StartConsortiumForm(ConcordForm):
    """The operator's "Start a consortium" (consortium.onboarding.consortium_start)."""

    name = forms.CharField(label="Consortium name", max_length=200)
    lead_name = forms.CharField(label="Lead organisation", max_length=200)
    first_name = forms.CharField(label="Administrator's first name", max_length=150)
    last_name = forms.CharField(label="Administrator's last name", max_length=150)
    email = forms.EmailField(
        label="Administrator's email address",
        help_text="We email a link to set a password here. It works once and expires in three "
        "days.",
    )
    username = forms.CharField(
        label="Administrator's username",
        max_length=150,
        required=False,
        help_text="Leave empty to use the email address.",
    )


class ImportForm(ConcordForm):
    """A filled-in set-up template (consortium.importing) and why it is imported."""

    file = forms.FileField(
        label="Filled-in template (.xlsx)",
        help_text="The template downloaded from this page, with your rows in it, up to 2 MB.",
    )
    reason = forms.CharField(
        max_length=500,
        help_text="Kept in the history of every record the file adds or changes, for example "
        "'Moving our records into Concord'.",
    )


class ApiKeyForm(ConcordForm):
    """Make an API key (consortium.tokens.token_create checks the rules)."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the key is for, in your words. For example, “Our case management system”.",
        error_messages={"required": "Enter a name for the key"},
    )
    scopes = forms.MultipleChoiceField(
        label="What the key may do",
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="It can only ever do what your roles let you do. Select all that apply.",
        error_messages={"required": "Select what the key may do"},
    )
    expires_on = forms.DateField(
        label="Expiry date",
        help_text="At most a year from today. For example, 31 3 2027",
        error_messages={"required": "Enter the expiry date"},
    )
