from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.instruments import formats

FORMAT_CHOICES = [("", _("recognise from the file"))] + [(f, f) for f in formats.FORMATS]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Definition file"))
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    language = forms.ChoiceField(
        label=_("Language of the texts (REDCap, FHIR)"),
        choices=[("nl", "Nederlands"), ("en", "English")],
    )
    for_organisation = forms.BooleanField(
        label=_("Under my organisation's own licence (visible to my organisation only)"),
        required=False,
    )
