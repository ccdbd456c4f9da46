import datetime

from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django_scopes.forms import SafeModelChoiceField

from consortium import dates
from consortium.forms import ConcordForm, VersionedForm
from contracts.models import AssurancePack, Contract, PackAction


def quarter_choices(today=None):
    """The last eight calendar quarters and the current one, latest complete first."""
    today = today or timezone.localdate()
    quarters = dates.quarter_periods(dates.add_months(today, -24), today)
    quarters.reverse()
    current = [q for q in quarters if q[0] <= today <= q[1]]
    past = [q for q in quarters if q[1] < today][:8]
    return [
        (
            f"{s.isoformat()}:{e.isoformat()}",
            f"{s:%b}–{e:%b %Y}" + (" (not over)" if e >= today else ""),
        )
        for s, e in past + current
    ]


class PrepareForm(ConcordForm):
    contract = SafeModelChoiceField(queryset=Contract.objects.none())
    period = forms.ChoiceField(help_text="A quarter. The latest complete one is first.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["contract"].queryset = Contract.objects.visible_to(user).order_by("reference")
        self.fields["period"].choices = quarter_choices()

    def clean_period(self):
        start, end = self.cleaned_data["period"].split(":")
        return datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)

    def clean(self):
        # The message names the pack that exists, so it links to it (the service refuses a
        # second pack for the period whatever the form says).
        data = super().clean()
        contract, period = data.get("contract"), data.get("period")
        if contract and period:
            found = (
                AssurancePack.objects.visible_to(self.user)
                .filter(contract=contract, period_start=period[0], period_end=period[1])
                .order_by("-revision")
                .first()
            )
            if found:
                self.add_error(
                    "period",
                    format_html(
                        'A pack for this contract and period exists: <a class="govuk-link" '
                        'href="{}">open it</a>, or correct it.',
                        found.get_absolute_url(),
                    ),
                )
        return data


class NarrativeForm(VersionedForm):
    class Meta(VersionedForm.Meta):
        model = AssurancePack
        fields = ["narrative"]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 12})}
        help_texts = {"narrative": "What the figures say, and what the consortium is doing."}


class ActionForm(VersionedForm):
    class Meta(VersionedForm.Meta):
        model = PackAction
        fields = ["text", "owner", "due", "status"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "due": forms.DateInput()}
        labels = {"text": "Action", "owner": "Who (a role or an organisation)"}


class SignOffForm(ConcordForm):
    confirm = forms.BooleanField(
        required=False,
        label="I sign off with what is listed above still missing",
    )


class QueryForm(ConcordForm):
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The lead answers; the question and the answer are both kept.",
    )


class AnswerForm(ConcordForm):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
