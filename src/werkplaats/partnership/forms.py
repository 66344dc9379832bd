"""Forms for an organisation's admin: people, roles, teams."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from werkplaats.core.forms import model_choice
from werkplaats.partnership.models import STAFF_ROLES, Neighbourhood, Organisation, Role, Team, User


def _role_choices() -> list[tuple[str, Any]]:
    return [(value, label) for value, label in Role.choices if value in STAFF_ROLES]


class _TeamChoice(forms.ModelChoiceField[Team]):
    def label_from_instance(self, obj: Team) -> str:
        return str(obj.name)


class InviteForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]{1,150}$",
        max_length=150,
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only, no spaces.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_(
            "The invitation is mailed here when mail is set up; otherwise you get the link to pass on."
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=_role_choices)
    team = _TeamChoice(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "team").queryset = organisation.teams.all()


class MemberForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    role = forms.ChoiceField(label=_("Role"), choices=_role_choices)
    team = _TeamChoice(label=_("Team"), queryset=Team.objects.none(), required=False)
    active = forms.BooleanField(
        label=_("Account active"),
        required=False,
        help_text=_("A deactivated person can no longer log in; what they did stays on record."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "team").queryset = organisation.teams.all()


class _HoodChoice(forms.ModelMultipleChoiceField[Neighbourhood]):
    def label_from_instance(self, obj: Neighbourhood) -> str:
        return f"{obj.name} ({obj.municipality.name})"


class TeamForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    name = forms.CharField(label=_("Name"), max_length=120)
    neighbourhoods = _HoodChoice(
        label=_("Neighbourhoods"),
        queryset=Neighbourhood.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The neighbourhoods this team works in."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hoods = Neighbourhood.objects.select_related("municipality")
        if organisation.municipality_id:
            hoods = hoods.filter(municipality_id=organisation.municipality_id)
        model_choice(self, "neighbourhoods").queryset = hoods


if TYPE_CHECKING:
    _SetPasswordForm = SetPasswordForm[User]
else:  # SetPasswordForm takes no type argument at run time
    _SetPasswordForm = SetPasswordForm


class ChoosePasswordForm(_SetPasswordForm):
    """Django's set-password form: two entries, checked by the password validators."""
