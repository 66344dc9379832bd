"""The context scan as a form (one row of radio buttons per statement) and the
municipality's characteristics for a year."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from werkplaats.context.models import MunicipalityYear
from werkplaats.core.i18n import current_language
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.stats.definition import pick_text


class ScanForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, instrument: InstrumentVersion, informant: str, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        d = instrument.parsed
        language = current_language()
        self.item_ids = []
        for item in d.items:
            self.fields[f"item_{item.id}"] = forms.TypedChoiceField(
                label=d.item_text(item.id, informant, language),
                choices=[(str(o.value), pick_text(o.label, language)) for o in item.options],
                coerce=int,
                widget=forms.RadioSelect,
                required=item.required,
                error_messages={"required": _("Choose an answer to this statement.")},
            )
            self.item_ids.append(item.id)

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise forms.ValidationError(_("Answer about this year or an earlier one."))
        return year

    def answers(self) -> dict[str, Any]:
        return {
            i: self.cleaned_data[f"item_{i}"]
            for i in self.item_ids
            if self.cleaned_data.get(f"item_{i}") not in (None, "")
        }


class MunicipalityYearForm(forms.ModelForm[MunicipalityYear]):
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    class Meta:
        model = MunicipalityYear
        fields = ["strengths_based_policy", "budget_per_inhabitant", "population", "share_over_75"]
