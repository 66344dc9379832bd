"""Forms for case content: short, with sensible defaults, usable from the keyboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import (
    ALLIANCE_ITEMS,
    SUPPORT_KINDS,
    ActorKind,
    Contact,
    Dilemma,
    Goal,
    GoalScore,
    NetworkMember,
    Trajectory,
    WorkingPrinciple,
)

ALLIANCE_CHOICES = [("", _("not asked"))] + [(str(i), str(i)) for i in range(1, 6)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _not_in_future(value: dt.date) -> dt.date:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date lies in the future; enter the date it happened."))
    return value


class VersionField(forms.IntegerField):
    """The version the user opened; the save is refused if the record changed since."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, **kwargs)


class ContactForm(forms.ModelForm):
    actors = forms.ModelMultipleChoiceField(
        queryset=ActorKind.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Who was there"),
    )
    principles = forms.ModelMultipleChoiceField(
        queryset=WorkingPrinciple.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Working principles used"),
    )

    class Meta:
        model = Contact
        fields = [
            "date",
            "duration_minutes",
            "mode",
            "actors",
            "principles",
            *[name for name, _label in ALLIANCE_ITEMS],
            "note",
        ]
        widgets = {
            "date": DateInput(attrs={"autofocus": True}),
            "mode": forms.RadioSelect,
            **{name: forms.RadioSelect(choices=ALLIANCE_CHOICES) for name, _l in ALLIANCE_ITEMS},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = Contact.Mode.choices  # type: ignore[attr-defined]  # no empty choice: a default is set
        for name, _label in ALLIANCE_ITEMS:
            field = self.fields[name]
            field.widget = forms.RadioSelect(choices=ALLIANCE_CHOICES)
            field.required = False

    def clean_date(self) -> dt.date:
        return _not_in_future(self.cleaned_data["date"])

    @classmethod
    def initial_for(cls, last: Contact | None) -> dict[str, Any]:
        """Defaults that make most contacts two keystrokes: today, and like the last one."""
        initial: dict[str, Any] = {
            "date": timezone.localdate(),
            "duration_minutes": 45,
            "mode": Contact.Mode.HOME_VISIT,
            "actors": list(ActorKind.objects.filter(code="client")),
        }
        if last is not None:
            initial.update(
                duration_minutes=last.duration_minutes,
                mode=last.mode,
                actors=list(last.actors.all()),
                principles=list(last.principles.all()),
            )
        return initial


class TrajectoryForm(forms.ModelForm):
    version = VersionField()

    class Meta:
        model = Trajectory
        fields = ["status", "method", "target_groups", "start", "end", "request_for_help"]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
            "target_groups": forms.CheckboxSelectMultiple,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, status = data.get("start"), data.get("end"), data.get("status")
        if start and end and end < start:
            self.add_error("end", _("The end date lies before the start date."))
        if status == Trajectory.Status.CLOSED and not end:
            self.add_error("end", _("A closed trajectory needs an end date."))
        return data


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = [
            "text",
            "weight",
            "baseline",
            "level_minus2",
            "level_minus1",
            "level_0",
            "level_plus1",
            "level_plus2",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "autofocus": True})}


class GoalEditForm(GoalForm):
    version = VersionField()


class GoalScoreForm(forms.ModelForm):
    class Meta:
        model = GoalScore
        fields = ["date", "level"]
        widgets = {"date": DateInput(), "level": forms.RadioSelect}

    def clean_date(self) -> dt.date:
        return _not_in_future(self.cleaned_data["date"])


class DilemmaForm(forms.ModelForm):
    class Meta:
        model = Dilemma
        fields = [
            "date",
            "tension",
            "description",
            "values_at_stake",
            "options_weighed",
            "choice",
            "reasons",
            "moral_case_deliberation",
        ]
        widgets = {
            "date": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in [
                    "description",
                    "values_at_stake",
                    "options_weighed",
                    "choice",
                    "reasons",
                ]
            },
        }

    def clean_date(self) -> dt.date:
        return _not_in_future(self.cleaned_data["date"])


class NetworkMemberForm(forms.ModelForm):
    date = forms.DateField(label=_("Network as it stands on"), widget=DateInput())
    support_given = forms.MultipleChoiceField(
        choices=SUPPORT_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Gives the client"),
    )
    support_received = forms.MultipleChoiceField(
        choices=SUPPORT_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Receives from the client"),
    )

    class Meta:
        model = NetworkMember
        fields = ["label", "relation", "formal", "closeness", "support_given", "support_received"]
        widgets = {"closeness": forms.RadioSelect}

    def clean_date(self) -> dt.date:
        return _not_in_future(self.cleaned_data["date"])
