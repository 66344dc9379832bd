"""Forms for plans and for starting an assessment; answers are posted one at a time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.forms import DateInput, VersionField
from werkplaats.core.forms import choice, model_choice
from werkplaats.instruments.models import Instrument
from werkplaats.measurements.models import Informant, MeasurementPlan, MethodSchedule
from werkplaats.partnership.models import Organisation


class KeepWhenLeftOut:
    """Fields a form may leave out: an empty value keeps the stored (or default) one."""

    keep_fields: tuple[str, ...] = ()
    fields: dict[str, forms.Field]
    instance: Any
    cleaned_data: dict[str, Any]

    def _relax(self) -> None:
        for name in self.keep_fields:
            self.fields[name].required = False

    def _keep(self) -> None:
        for name in self.keep_fields:
            if self.cleaned_data.get(name) in (None, ""):
                self.cleaned_data[name] = getattr(self.instance, name)


class PlanForm(KeepWhenLeftOut, forms.ModelForm[MeasurementPlan]):
    keep_fields = ("message_language",)

    version = VersionField()
    planned = forms.MultipleChoiceField(
        label=_("What is measured, and by whom"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    network_member_email = forms.EmailField(
        label=_("E-mail address of the network member who answers (for invitations)"),
        required=False,
    )

    class Meta:
        model = MeasurementPlan
        fields = [
            "intake",
            "interval_months",
            "closure",
            "follow_up_months",
            "grace_days",
            "network_member_email",
            "message_language",
        ]

    def __init__(self, *args: Any, instruments: list[Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._relax()
        self.instruments = {i.slug: i for i in instruments}
        choice(self, "planned").choices = [
            (f"{i.slug}|{value}", f"{i} — {label}")
            for i in instruments
            for value, label in Informant.choices
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        self._keep()
        return self.cleaned_data

    def planned_pairs(self) -> list[tuple[Instrument, str]]:
        pairs = []
        for entry in self.cleaned_data.get("planned", []):
            slug, _sep, informant = entry.partition("|")
            pairs.append((self.instruments[slug], informant))
        return pairs


class StartForm(forms.Form):
    instrument = forms.SlugField()
    informant = forms.ChoiceField(choices=Informant.choices)
    wave = forms.RegexField(regex=r"^[a-z0-9_-]{1,20}$")
    wave_date = forms.DateField(widget=DateInput())


class MethodScheduleForm(KeepWhenLeftOut, forms.ModelForm[MethodSchedule]):
    keep_fields = ("reminder_after_days", "reminder_max", "quiet_from", "quiet_until")

    planned = forms.MultipleChoiceField(
        label=_("What is measured, and by whom"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        # Also edits an OrganisationSchedule (the same fields): the page sets an
        # organisation's own plan for a method.
        model = MethodSchedule
        fields = [
            "intake",
            "interval_months",
            "closure",
            "follow_up_months",
            "grace_days",
            "invitations",
            "reminder_after_days",
            "reminder_max",
            "quiet_from",
            "quiet_until",
        ]

    def __init__(self, *args: Any, instruments: list[Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._relax()
        choice(self, "planned").choices = [
            (f"{i.slug}|{value}", f"{i} — {label}")
            for i in instruments
            for value, label in Informant.choices
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        self._keep()
        return self.cleaned_data

    def instrument_entries(self) -> list[dict[str, Any]]:
        by_slug: dict[str, list[str]] = {}
        for entry in self.cleaned_data.get("planned", []):
            slug, _sep, informant = entry.partition("|")
            by_slug.setdefault(slug, []).append(informant)
        return [{"instrument": s, "informants": i} for s, i in by_slug.items()]


class AnswersImportForm(forms.Form):
    """Answers from REDCap (dictionary + records [+ events]) or FHIR (responses)."""

    source = forms.ChoiceField(
        label=_("From"),
        choices=[("redcap", "REDCap"), ("fhir", "FHIR QuestionnaireResponse")],
    )
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    dictionary = forms.FileField(label=_("REDCap data dictionary (CSV)"), required=False)
    records = forms.FileField(label=_("REDCap records, raw (CSV)"), required=False)
    events = forms.FileField(label=_("REDCap events (CSV, optional)"), required=False)
    responses = forms.FileField(label=_("FHIR file (a response or a Bundle)"), required=False)
    dry_run = forms.BooleanField(label=_("Check only, store nothing"), required=False)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "organisation").queryset = organisations

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == "redcap":
            for name in ("dictionary", "records"):
                if not data.get(name):
                    self.add_error(name, _("REDCap needs the data dictionary and the records."))
        elif data.get("source") == "fhir" and not data.get("responses"):
            self.add_error("responses", _("Choose the FHIR file."))
        return data
