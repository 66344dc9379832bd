"""Forms for coding: memos, codebooks and codes, rounds, project import, the coding screen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.core.forms import choice, model_choice
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study
from werkplaats.stories.access import display_name, possible_coders
from werkplaats.stories.forms.sources import UploadField
from werkplaats.stories.models import (
    Code,
    Codebook,
    CodingRound,
    SharedVersion,
    Source,
)


class MemoForm(forms.Form):
    memo = forms.CharField(
        label=_("Memo"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class CodebookForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    studies = forms.ModelMultipleChoiceField(
        label=_("Studies that use it"),
        queryset=Study.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "studies").queryset = Study.objects.filter(researchers=user)


class CodebookImportForm(CodebookForm):
    upload = UploadField(label=_("REFI-QDA codebook (.qdc)"))


class CodeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    colour = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#1f5fa8",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    is_group = forms.BooleanField(
        label=_("Only for grouping (not applied to text)"), required=False
    )
    parent = forms.ModelChoiceField(
        label=_("Part of"), queryset=Code.objects.none(), required=False
    )

    def __init__(self, *args: Any, codebook: Codebook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "parent").queryset = codebook.codes.all()


class CoderChoiceField(forms.ModelMultipleChoiceField[User]):
    """Coders by the name they go by, never by username (a client's username is theirs)."""

    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    codebook = forms.ModelChoiceField(label=_("Codebook"), queryset=Codebook.objects.none())
    documents = forms.ModelMultipleChoiceField(
        label=_("Anonymised sources to code"),
        queryset=SharedVersion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    coders = CoderChoiceField(
        label=_("Coders"),
        help_text=_(
            "The study's researchers and the people who agreed to co-code (on their "
            "“Co-coding” page)."
        ),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    blind = forms.BooleanField(
        label=_("Blind: coders see each other's coding only when all are done"),
        required=False,
        initial=True,
    )
    unitising = forms.ChoiceField(
        label=_("Units for agreement"), choices=CodingRound.Unitising.choices
    )

    def __init__(self, *args: Any, user: User, study: Study, codebooks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "codebook").queryset = codebooks
        documents = SharedVersion.objects.filter(
            source__study=study, source__in=Source.objects.research_usable()
        )
        model_choice(self, "documents").queryset = documents
        model_choice(self, "coders").queryset = possible_coders(study)
        # A new workplace has neither yet: say what comes first instead of an empty list.
        if not codebooks.exists():
            self.fields["codebook"].help_text = _(
                "There is no codebook yet: make one or import one under Stories, Codebooks."
            )
        if not documents.exists():
            self.fields["documents"].help_text = _(
                "This study has no source to code yet: a source of the study, anonymised, "
                "whose teller gave consent for research."
            )


class ProjectImportForm(forms.Form):
    upload = UploadField(label=_("REFI-QDA project (.qdpx)"))
    kind = forms.ChoiceField(
        label=_("Kind of the sources in it"), choices=Source.Kind.choices, initial="interview"
    )
    offsets = forms.ChoiceField(
        label=_("Offsets in the file"),
        choices=[
            ("auto", _("detect (NVivo counts UTF-16 units)")),
            ("codepoints", _("characters")),
            ("utf16", _("UTF-16 units")),
        ],
    )
    consent = forms.BooleanField(label=_("Research consent for these sources is recorded"))
    anonymised = forms.BooleanField(label=_("These sources are already anonymised"))


class SegmentForm(forms.Form):
    code = forms.ModelChoiceField(
        label=_("Code"), queryset=Code.objects.none(), widget=forms.RadioSelect
    )
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    utf16 = forms.BooleanField(required=False, widget=forms.HiddenInput)
    units = forms.TypedMultipleChoiceField(
        label=_("Sentences"), coerce=int, required=False, choices=[]
    )
    memo = forms.CharField(
        label=_("Memo (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, coding_round: CodingRound, n_units: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "code").queryset = coding_round.codebook.codes.filter(is_group=False)
        choice(self, "units").choices = [(i, str(i)) for i in range(n_units)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_span = data.get("start") is not None and data.get("end") is not None
        if not has_span and not data.get("units"):
            raise forms.ValidationError(_("Select some text, or tick one or more sentences."))
        return data
