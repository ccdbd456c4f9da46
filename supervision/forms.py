from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django_scopes.forms import SafeModelMultipleChoiceField

from consortium import access
from consortium.forms import ConcordForm, ConcordModelForm, VersionedForm
from consortium.models import Organisation, Role, RoleAssignment
from supervision.access import can_see_post_funding
from supervision.models import (
    Post,
    SessionKind,
    StaffMember,
    SupervisionRequirement,
    SupervisionSession,
)

ACTION_ROWS = 3


def managed_organisations(user):
    """Organisations whose posts and staff `user` may add."""
    orgs = Organisation.objects.visible_to(user)
    a = access.actor(user)
    if a.oversees_consortium:
        return orgs
    return orgs.filter(pk__in=a.orgs(Role.CVO_MANAGER))


def supervisors_for(user):
    """People holding the supervisor role that `user` can see."""
    assignments = RoleAssignment.objects.visible_to(user).filter(role=Role.SUPERVISOR)
    return (
        get_user_model()
        .objects.filter(pk__in=assignments.values("user"))
        .order_by("last_name", "first_name")
    )


class SupervisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class PostForm(VersionedForm):
    class Meta(ConcordModelForm.Meta):
        model = Post
        fields = [
            "organisation",
            "title",
            "reference",
            "sites",
            "fte",
            "funded_by",
            "status",
            "vacancy_start",
            "cover_arrangements",
        ]
        widgets = {"vacancy_start": forms.DateInput, "sites": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["organisation"].queryset = managed_organisations(user)
        if not can_see_post_funding(user):
            del self.fields["funded_by"]


class StaffForm(VersionedForm):
    clinical_supervisor = SupervisorChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        help_text="Their accredited clinical supervisor (1:1s, and group and peer sessions).",
    )
    group_supervisor = SupervisorChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        help_text="Who leads their group supervision, if someone else.",
    )

    class Meta(ConcordModelForm.Meta):
        model = StaffMember
        fields = [
            "first_name",
            "last_name",
            "email",
            "organisation",
            "post",
            "start",
            "end",
            "profession",
            "qualification",
            "years_experience",
            "registration_body",
            "registration_number",
            "registration_expiry",
            "dbs_date",
            "dbs_update_service",
            "needs_police_vetting",
            "police_vetting_expiry",
            "clinical_supervisor",
            "group_supervisor",
            "supervisor_qualification",
            "supervisor_accreditation_expiry",
        ]
        widgets = {
            name: forms.DateInput
            for name in (
                "start",
                "end",
                "registration_expiry",
                "dbs_date",
                "police_vetting_expiry",
                "supervisor_accreditation_expiry",
            )
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["organisation"].queryset = managed_organisations(user)
        self.fields["clinical_supervisor"].queryset = supervisors_for(user)
        self.fields["group_supervisor"].queryset = supervisors_for(user)


class LeaveForm(ConcordForm):
    start = forms.DateField(widget=forms.DateInput)
    end = forms.DateField(widget=forms.DateInput)
    reason = forms.CharField(max_length=200, help_text="For example: parental leave.")


class RequirementForm(ConcordModelForm):
    class Meta(ConcordModelForm.Meta):
        model = SupervisionRequirement
        fields = ["kind", "interval_months", "led_by"]


class AttendeeField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj):
        label = f"{obj.name}, {obj.organisation}"
        if not obj.deployable:
            label += " (not deployable)"
        return label


class SessionForm(ConcordForm):
    kind = forms.ChoiceField(label="Type", choices=SessionKind.choices)
    date = forms.DateField(widget=forms.DateInput)
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=1, initial=60)
    format = forms.ChoiceField(choices=SupervisionSession.Format.choices)
    attendees = AttendeeField(
        queryset=StaffMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One person for a 1:1; everyone present for a group session.",
        error_messages={
            "invalid_choice": "Choose only people on your list of supervisees.",
            "required": "Choose who attended.",
        },
    )
    themes = forms.CharField(
        required=False, max_length=300, help_text="Tags, comma separated. Not confidential."
    )
    notes = forms.CharField(
        label="Confidential notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Only you and the people who attended can read these.",
    )
    status = forms.ChoiceField(choices=SupervisionSession.Status.choices)
    status_reason = forms.CharField(
        label="Reason cancelled or rescheduled",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    rescheduled_to = forms.DateField(required=False, widget=forms.DateInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = (
            StaffMember.objects.visible_to(user)
            .filter(Q(clinical_supervisor=user) | Q(group_supervisor=user))
            .select_related("organisation")
        )
        for i in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{i}"] = forms.CharField(
                label=f"Agreed action {i}", required=False, max_length=300
            )
            self.fields[f"action_{i}_due"] = forms.DateField(
                label=f"Action {i} due", required=False, widget=forms.DateInput
            )

    def clean(self):
        data = super().clean()
        actions = []
        for i in range(1, ACTION_ROWS + 1):
            text, due = data.get(f"action_{i}"), data.get(f"action_{i}_due")
            if text and not due:
                self.add_error(f"action_{i}_due", "Give the action a due date.")
            elif due and not text:
                self.add_error(f"action_{i}", "Say what the action is.")
            elif text:
                actions.append((text, due))
        data["actions"] = actions
        return data
