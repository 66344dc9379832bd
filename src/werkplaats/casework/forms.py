"""Forms for case content: short, with sensible defaults, usable from the keyboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
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
    Method,
    NetworkMember,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.core.forms import choice, model_choice
from werkplaats.partnership.models import Neighbourhood, Team, User

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


class ContactForm(forms.ModelForm[Contact]):
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
        choice(self, "mode").choices = Contact.Mode.choices  # no empty choice: a default is set
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


class TrajectoryForm(forms.ModelForm[Trajectory]):
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


class GoalForm(forms.ModelForm[Goal]):
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


class GoalScoreForm(forms.ModelForm[GoalScore]):
    class Meta:
        model = GoalScore
        fields = ["date", "level"]
        widgets = {"date": DateInput(), "level": forms.RadioSelect}

    def clean_date(self) -> dt.date:
        return _not_in_future(self.cleaned_data["date"])


class DilemmaForm(forms.ModelForm[Dilemma]):
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


class NetworkMemberForm(forms.ModelForm[NetworkMember]):
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


class _Named(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        if hasattr(obj, "get_full_name"):
            return str(obj.get_full_name() or obj.username)
        return str(getattr(obj, "name", obj))


class ClientRegistrationForm(forms.Form):
    """A new client and their first trajectory; the care consent is asked at the end."""

    name = forms.CharField(label=_("Name"), max_length=200)
    contact = forms.CharField(
        label=_("Contact details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Address, phone, e-mail: stored encrypted."),
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False)
    language = forms.CharField(
        label=_("Language at home"), max_length=30, required=False, initial="Nederlands"
    )
    team = _Named(label=_("Team"), queryset=Team.objects.none())
    lead = _Named(label=_("Lead professional"), queryset=User.objects.none())
    neighbourhood = _Named(
        label=_("Neighbourhood"), queryset=Neighbourhood.objects.none(), required=False
    )
    request_for_help = forms.CharField(
        label=_("Request for help, in the client's own words"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    target_groups = forms.ModelMultipleChoiceField(
        label=_("Target groups"),
        queryset=TargetGroup.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ModelChoiceField(
        label=_("Method"), queryset=Method.objects.all(), required=False
    )
    start = forms.DateField(label=_("Start"), widget=DateInput())
    care_consent = forms.BooleanField(
        label=_("The client has read (or heard) the consent text above and agrees."),
        error_messages={
            "required": _(
                "Without the client's consent for care nothing can be registered: "
                "read the text with the client and tick the box when they agree."
            )
        },
    )

    def __init__(self, *args: Any, teams: Any, leads: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "team").queryset = teams
        model_choice(self, "lead").queryset = leads
        municipalities = teams.values_list("organisation__municipality", flat=True)
        hoods = Neighbourhood.objects.filter(
            Q(teams__in=teams) | Q(municipality__in=municipalities)
        ).distinct()
        if not hoods.exists():  # teams without neighbourhoods yet: offer them all
            hoods = Neighbourhood.objects.all()
        model_choice(self, "neighbourhood").queryset = hoods.select_related("municipality")
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()
        if leads.count() == 1:
            self.fields["lead"].initial = leads.first()
        self.fields["start"].initial = timezone.localdate()

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data.get("birth_year")
        this_year = timezone.localdate().year
        if year is not None and not 1900 <= year <= this_year:
            raise forms.ValidationError(
                _("Enter a year between 1900 and %(year)d, or leave it empty.")
                % {"year": this_year}
            )
        return year

    def clean_start(self) -> dt.date:
        return _not_in_future(self.cleaned_data["start"])


class TransitionForm(forms.Form):
    version = VersionField()
    action = forms.ChoiceField(
        choices=[("close", _("close")), ("pause", _("pause")), ("reopen", _("reopen"))]
    )
    end = forms.DateField(label=_("End"), required=False, widget=DateInput())

    def clean_end(self) -> dt.date | None:
        end = self.cleaned_data.get("end")
        return _not_in_future(end) if end else end


class HandOverForm(forms.Form):
    version = VersionField()
    to = _Named(label=_("Colleague"), queryset=User.objects.none())

    def __init__(self, *args: Any, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "to").queryset = colleagues


class ClientInviteForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]{1,150}$",
        max_length=150,
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only, no spaces.")},
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_(
            "The invitation is mailed here when mail is set up; otherwise you get the link to pass on."
        ),
    )
