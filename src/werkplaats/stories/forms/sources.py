"""Forms for sources: a new source (typed or uploaded), anonymisation, the anonymised text."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import Trajectory
from werkplaats.core.forms import model_choice
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study
from werkplaats.stories.extract import MAX_UPLOAD_BYTES
from werkplaats.stories.models import (
    Source,
)


class UploadField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value is not None and value.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB."), params={"mb": MAX_UPLOAD_BYTES // 2**20}
            )
        return value


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of source"), choices=Source.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text (paste it here)"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )
    upload = UploadField(label=_("…or import a file (.txt, .docx, .pdf with text)"), required=False)
    teller_name = forms.CharField(label=_("Who told it"), max_length=200, required=False)
    teller_role = forms.ChoiceField(
        label=_("Role of the teller"), choices=Source.TellerRole.choices
    )
    language = forms.CharField(label=_("Language"), max_length=30, initial="nl")
    told_on = forms.DateField(
        label=_("Date told"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    study = forms.ModelChoiceField(label=_("Study"), queryset=Study.objects.none(), required=False)
    trajectory = forms.ModelChoiceField(
        label=_("Trajectory"), queryset=Trajectory.objects.none(), required=False
    )
    msc_domain = forms.CharField(
        label=_("Domain of change (Most Significant Change)"), max_length=120, required=False
    )
    msc_reason = forms.CharField(
        label=_("Why this story was selected"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    research_consent = forms.BooleanField(
        label=_("The teller gave consent for research use (recorded)"), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "study").queryset = Study.objects.filter(researchers=user)
        trajectories = Trajectory.objects.filter(lead_professional=user).select_related("client")
        model_choice(self, "trajectory").queryset = trajectories

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("text", "").strip() and not data.get("upload"):
            raise forms.ValidationError(_("Paste the text or choose a file."))
        if data.get("kind") == Source.Kind.MSC and not (
            data.get("msc_domain") and data.get("msc_reason")
        ):
            raise forms.ValidationError(
                _(
                    "A Most Significant Change story needs its domain of change and the reason it was selected."
                )
            )
        return data


class AnonymiseForm(forms.Form):
    """The reviewer's choice among the proposals. Each proposal's checkbox is named by its
    stable key (``Mask.key``, its place in the original), so adding terms or previewing
    again never moves a tick to another word. ``shown`` carries the keys the reviewer
    saw: a proposal they saw keeps their choice; a new one (found by an added term) starts
    ticked, as every proposal does."""

    title = forms.CharField(label=_("Neutral title for the shared version"), max_length=120)
    extra_terms = forms.CharField(
        label=_("Also mask these words (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *args: Any, proposals: list[Any], **kwargs: Any) -> None:
        keys = " ".join(m.key for m in proposals)
        if data is not None:
            seen = set(str(data.get("shown", "")).split())
            data = data.copy()
            for mask in proposals:
                if mask.key not in seen:
                    data[f"mask_{mask.key}"] = "on"
            data["shown"] = keys  # what this page shows, for the next post
        super().__init__(data, *args, **kwargs)
        self.initial.setdefault("shown", keys)
        self.proposals = proposals
        for mask in proposals:
            self.fields[f"mask_{mask.key}"] = forms.BooleanField(
                label=mask.text, required=False, initial=True
            )

    def field_for(self, mask: Any) -> forms.BoundField:
        return self[f"mask_{mask.key}"]

    def extra(self) -> list[str]:
        return [
            t.strip() for t in self.cleaned_data.get("extra_terms", "").splitlines() if t.strip()
        ]

    def chosen(self) -> list[Any]:
        if not self.is_bound:
            return list(self.proposals)
        return [m for m in self.proposals if self.cleaned_data.get(f"mask_{m.key}")]


class DocumentForm(forms.Form):
    text = forms.CharField(label=_("Anonymised text"), widget=forms.Textarea(attrs={"rows": 16}))
    version = forms.IntegerField(widget=forms.HiddenInput)
