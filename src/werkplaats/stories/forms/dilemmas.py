"""Forms for sharing a dilemma beyond its team."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from werkplaats.core.forms import LabelledChoiceField, model_choice
from werkplaats.stories.models import DialogueSession


def _text(label: Any) -> forms.CharField:
    """A text of the weighing (``label`` is a lazily translated string)."""
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class SharedDilemmaForm(forms.Form):
    """The anonymised weighing, as the person sharing it reviewed it."""

    values_at_stake = _text(_("values at stake"))
    options_weighed = _text(_("options weighed"))
    choice = _text(_("choice made"))
    reasons = _text(_("reasons"))
    teaching = forms.BooleanField(
        label=_("Teaching material: educators may use this anonymised dilemma in their teaching"),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ProposeDilemmaForm(forms.Form):
    session = LabelledChoiceField(
        label=_("Propose for the dialogue session"),
        queryset=DialogueSession.objects.none(),
        label_of=lambda s: f"{s.held_on:%Y-%m-%d} {s.title} ({s.study.title})",
    )

    def __init__(self, *args: Any, sessions: QuerySet[DialogueSession], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "session").queryset = sessions
