"""Forms for synthesis: joint-display cells, findings, dialogue sessions, member checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import Client
from werkplaats.core.forms import LabelledChoiceField, model_choice
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.partnership.models import Role, User
from werkplaats.programme.access import consenting_clients
from werkplaats.programme.models import Study
from werkplaats.stories.models import (
    Finding,
    JointDisplayCell,
    MemberCheckResponse,
    Segment,
    Source,
)
from werkplaats.stories.services.synthesis import ROLE_KIND


class JointCellForm(forms.Form):
    theme = forms.IntegerField(widget=forms.HiddenInput)
    group = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    relation = forms.ChoiceField(
        label=_("Relation"), choices=[("", "—"), *JointDisplayCell.Relation.choices], required=False
    )
    meta_inference = forms.CharField(
        label=_("Meta-inference"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FindingForm(forms.Form):
    statement = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    joint_cell = forms.ModelChoiceField(
        label=_("From the joint display"), queryset=JointDisplayCell.objects.none(), required=False
    )
    quotes = forms.ModelMultipleChoiceField(
        label=_("Quotes"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cells = JointDisplayCell.objects.filter(round__study=study).select_related("theme")
        model_choice(self, "joint_cell").queryset = cells
        model_choice(self, "quotes").queryset = Segment.objects.filter(
            round__study=study, document__source__in=Source.objects.research_usable()
        ).select_related("code")


DIALOGUE_ROLES = [*Role.choices, ("professional_body", _("professional body"))]


class DialogueForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("Title"), max_length=200)
    findings = forms.ModelMultipleChoiceField(
        label=_("Findings on the table"),
        queryset=Finding.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interpretations = forms.CharField(
        label=_("Interpretations voiced"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    disagreements = forms.CharField(
        label=_("Disagreements voiced"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    actions = forms.CharField(
        label=_("Actions agreed"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "findings").queryset = Finding.objects.filter(study=study)
        for role, label in DIALOGUE_ROLES:
            if role in ROLE_KIND:
                self.fields[f"n_{role}"] = forms.IntegerField(
                    label=_("Number of participants: %(role)s") % {"role": label},
                    min_value=0,
                    max_value=500,
                    required=False,
                    initial=0,
                )

    def participants(self) -> dict[str, int]:
        return {
            name[2:]: value or 0
            for name, value in self.cleaned_data.items()
            if name.startswith("n_")
        }


class StudyClientField(forms.ModelChoiceField[Client]):
    """A client chosen by their pseudonym in one study: no global pseudonym, no raw id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.study_id = 0
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Client) -> str:
        return study_pseudonym(self.study_id, obj.pk)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Client):
            return study_pseudonym(self.study_id, value.pk)
        if isinstance(value, int):
            return study_pseudonym(self.study_id, value)
        return value

    def to_python(self, value: Any) -> Client | None:
        if value in self.empty_values:
            return None
        for client in self.queryset or ():
            if study_pseudonym(self.study_id, client.pk) == value:
                return client
        raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class MemberCheckForm(forms.Form):
    synthesis = forms.CharField(
        label=_("Synthesis, in plain language"), widget=forms.Textarea(attrs={"rows": 4})
    )
    client = StudyClientField(
        label=_("Send to a client's own page"), queryset=Client.objects.none(), required=False
    )
    one_time_link = forms.BooleanField(label=_("Make a one-time link"), required=False)

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, StudyClientField)
        field.study_id = study.pk
        field.queryset = consenting_clients(study).filter(user__isnull=False).order_by("pk")


class MemberCheckResponseForm(forms.Form):
    agreement = forms.ChoiceField(
        label=_("Does this fit your experience?"),
        choices=MemberCheckResponse.Agreement.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What would you add or change? (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )


class InviteForm(forms.Form):
    guest = LabelledChoiceField(
        label=_("Invite an experience expert or educator"),
        queryset=User.objects.none(),
        label_of=lambda u: u.get_full_name() or u.username,
    )

    def __init__(self, *args: Any, session: Any, **kwargs: Any) -> None:
        from werkplaats.stories.services.dialogue_guests import invitable_users

        super().__init__(*args, **kwargs)
        model_choice(self, "guest").queryset = invitable_users(session)


class InterpretationForm(forms.Form):
    finding = LabelledChoiceField(
        label=_("About"),
        queryset=Finding.objects.none(),
        required=False,
        empty_label=_("the session as a whole"),
        label_of=lambda f: f.statement[:80],
    )
    text = forms.CharField(
        label=_("Your interpretation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args: Any, session: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "finding").queryset = session.findings.all()
