from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from werkplaats.insight.models import CmoConfiguration
from werkplaats.programme.models import Study
from werkplaats.stories.models import Code

if TYPE_CHECKING:  # Django's ModelForm takes its model as a type argument only in the stubs
    CmoModelForm = forms.ModelForm[CmoConfiguration]
else:
    CmoModelForm = forms.ModelForm


class CmoForm(CmoModelForm):
    class Meta:
        model = CmoConfiguration
        fields = [
            "context",
            "mechanism",
            "outcome",
            "term",
            "supporting_code",
            "contradicting_code",
            "status",
        ]
        widgets = {
            f: forms.Textarea(attrs={"rows": 2}) for f in ("context", "mechanism", "outcome")
        }

    def __init__(self, *args: Any, study: Study, terms: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = Code.objects.filter(codebook__studies=study).order_by("name")
        self.fields["supporting_code"].queryset = codes  # type: ignore[attr-defined]
        self.fields["contradicting_code"].queryset = codes  # type: ignore[attr-defined]
        self.fields["term"].widget = forms.Select(choices=[("", "—")] + [(t, t) for t in terms])
