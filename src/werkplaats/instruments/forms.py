from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from werkplaats.instruments import formats
from werkplaats.partnership.models import Organisation

FORMAT_CHOICES = [("", _("recognise from the file"))] + [(f, f) for f in formats.FORMATS]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Definition file"))
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    language = forms.RegexField(
        label=_("Language of the texts when the file does not say (REDCap, FHIR)"),
        regex=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        initial="nl",
        max_length=20,
        help_text=_("A language code: nl, en, fr, sw, pt-BR, ..."),
    )
    for_organisation = forms.BooleanField(
        label=_("Under my organisation's own licence (visible to my organisation only)"),
        required=False,
    )

    def __init__(
        self, *args: Any, organisations: QuerySet[Organisation] | None = None, **kwargs: Any
    ) -> None:
        """``organisations``: those the user administers; with more than one, the user
        chooses which licence it is (only among them)."""
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        if organisations is not None and organisations.count() > 1:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Organisation whose licence this is"),
                queryset=organisations,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("for_organisation")
            and "organisation" in self.fields
            and not data.get("organisation")
            and "organisation" not in self.errors
        ):
            self.add_error("organisation", _("Choose the organisation whose licence this is."))
        return data

    def licence_organisation(self) -> Organisation | None:
        """The organisation to import under (after is_valid), or None for a public import."""
        if not self.cleaned_data.get("for_organisation") or self.organisations is None:
            return None
        chosen = self.cleaned_data.get("organisation")
        return chosen if chosen is not None else self.organisations.first()
