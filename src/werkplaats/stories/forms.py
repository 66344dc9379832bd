"""Forms for stories pages: parsing only; rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import Client, Trajectory
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.partnership.models import Role, User
from werkplaats.programme.access import consenting_clients
from werkplaats.programme.models import Study
from werkplaats.stories.extract import MAX_UPLOAD_BYTES
from werkplaats.stories.models import (
    Code,
    Codebook,
    CodingRound,
    Finding,
    JointDisplayCell,
    MemberCheckResponse,
    Segment,
    SharedVersion,
    Source,
)
from werkplaats.stories.services import CODER_ROLES, ROLE_KIND


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
        self.fields["study"].queryset = Study.objects.filter(researchers=user)  # type: ignore[attr-defined]
        trajectories = Trajectory.objects.filter(lead_professional=user).select_related("client")
        self.fields["trajectory"].queryset = trajectories  # type: ignore[attr-defined]

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


class MemoForm(forms.Form):
    memo = forms.CharField(
        label=_("Memo"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class AnonymiseForm(forms.Form):
    title = forms.CharField(label=_("Neutral title for the shared version"), max_length=120)
    extra_terms = forms.CharField(
        label=_("Also mask these words (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, proposals: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposals = proposals
        for i, mask in enumerate(proposals):
            self.fields[f"mask_{i}"] = forms.BooleanField(
                label=mask.text, required=False, initial=True
            )

    def extra(self) -> list[str]:
        return [
            t.strip() for t in self.cleaned_data.get("extra_terms", "").splitlines() if t.strip()
        ]

    def chosen(self) -> list[Any]:
        if not self.is_bound:
            return list(self.proposals)
        return [m for i, m in enumerate(self.proposals) if self.cleaned_data.get(f"mask_{i}")]


class DocumentForm(forms.Form):
    text = forms.CharField(label=_("Anonymised text"), widget=forms.Textarea(attrs={"rows": 16}))
    version = forms.IntegerField(widget=forms.HiddenInput)


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
        self.fields["studies"].queryset = Study.objects.filter(researchers=user)  # type: ignore[attr-defined]


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
        self.fields["parent"].queryset = codebook.codes.all()  # type: ignore[attr-defined]


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    codebook = forms.ModelChoiceField(label=_("Codebook"), queryset=Codebook.objects.none())
    documents = forms.ModelMultipleChoiceField(
        label=_("Anonymised sources to code"),
        queryset=SharedVersion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    coders = forms.ModelMultipleChoiceField(
        label=_("Coders"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
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
        self.fields["codebook"].queryset = codebooks  # type: ignore[attr-defined]
        self.fields["documents"].queryset = SharedVersion.objects.filter(  # type: ignore[attr-defined]
            source__study=study, source__in=Source.objects.research_usable()
        )
        self.fields["coders"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(memberships__role__in=CODER_ROLES).distinct().order_by("username")
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
        self.fields["code"].queryset = coding_round.codebook.codes.filter(is_group=False)  # type: ignore[attr-defined]
        self.fields["units"].choices = [(i, str(i)) for i in range(n_units)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_span = data.get("start") is not None and data.get("end") is not None
        if not has_span and not data.get("units"):
            raise forms.ValidationError(_("Select some text, or tick one or more sentences."))
        return data


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
        self.fields["joint_cell"].queryset = cells  # type: ignore[attr-defined]
        self.fields["quotes"].queryset = Segment.objects.filter(  # type: ignore[attr-defined]
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
        self.fields["findings"].queryset = Finding.objects.filter(study=study)  # type: ignore[attr-defined]
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


class StudyClientField(forms.ModelChoiceField):
    """A client chosen by their pseudonym in one study: no global pseudonym, no raw id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.study_id = 0
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
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
        for client in self.queryset:  # type: ignore[union-attr]
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
