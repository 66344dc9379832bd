"""The researcher's study form. It only gathers the entry; the rules are the setup file's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from werkplaats.partnership.models import Organisation, Role, User
from werkplaats.programme.models import ConsentText, Focus, Study, SubTheme
from werkplaats.programme.services import current_consent_text

# The setup file's key (see setup.schema.json) that each form field fills.
FIELD_OF_KEY = {
    "slug": "slug",
    "title": "title_nl",
    "question": "question",
    "design": "design",
    "participation": "participation",
    "phase": "phase",
    "start": "start",
    "end": "end",
    "researchers": "researchers",
    "organisations": "organisations",
    "sub_themes": "sub_themes",
    "foci": "foci",
    "consent_text": "consent_nl",
}


def _researcher_choices() -> list[tuple[str, str]]:
    researchers = (
        User.objects.filter(memberships__role=Role.RESEARCHER, is_active=True)
        .distinct()
        .order_by("username")
    )
    return [
        (u.username, f"{u.get_full_name()} ({u.username})" if u.get_full_name() else u.username)
        for u in researchers
    ]


def _organisation_choices() -> list[tuple[str, str]]:
    return [(o.name, o.name) for o in Organisation.objects.order_by("name")]


def _sub_theme_choices() -> list[tuple[str, str]]:
    return [(s.code, f"{s.code} {s.name}") for s in SubTheme.objects.order_by("code")]


def _focus_choices() -> list[tuple[str, str]]:
    return [(f.code, f"{f.code} {f.name}") for f in Focus.objects.order_by("position")]


class _Choices(forms.MultipleChoiceField):
    """Offers the choices, but leaves deciding what is acceptable to the shared checks."""

    def valid_value(self, value: str) -> bool:
        return True


class StudyForm(forms.Form):
    """Every field is optional here: what is required, and in what form, is checked by the
    setup file's schema and reference checks (``programme.services.study_save``), so the
    browser and ``werkplaats setup`` refuse the same things with the same words."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title_nl = forms.CharField(label=_("Title (Dutch)"), required=False, max_length=400)
    title_en = forms.CharField(label=_("Title (English)"), required=False, max_length=400)
    client_title_nl = forms.CharField(
        label=_("Title for clients (Dutch)"),
        required=False,
        max_length=400,
        help_text=_(
            "What clients read when they are asked to take part, in plain words, e.g. "
            "“Onderzoek naar wat helpt”. Left empty, clients read the title above."
        ),
    )
    client_title_en = forms.CharField(
        label=_("Title for clients (English)"), required=False, max_length=400
    )
    slug = forms.CharField(
        label=_("Short name in links"),
        required=False,
        max_length=160,
        help_text=_(
            "Lower-case letters and digits joined by hyphens, e.g. wat-werkt. Commands "
            "accept it instead of the study's number."
        ),
    )
    question = forms.CharField(label=_("Research question"), required=False, widget=forms.Textarea)
    design = forms.ChoiceField(
        label=_("Design"), required=False, choices=[("", "—"), *Study.Design.choices]
    )
    participation = forms.ChoiceField(
        label=_("Participatory level"), required=False, choices=Study.Participation.choices
    )
    phase = forms.ChoiceField(label=_("Phase"), required=False, choices=Study.Phase.choices)
    start = forms.CharField(
        label=_("Start"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A date as YYYY-MM-DD."),
    )
    end = forms.CharField(
        label=_("End"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty while the end is not known."),
    )
    researchers = _Choices(
        choices=_researcher_choices,
        label=_("Researchers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organisations = _Choices(
        choices=_organisation_choices,
        label=_("Organisations taking part"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sub_themes = _Choices(
        choices=_sub_theme_choices,
        label=_("Sub-themes addressed"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    foci = _Choices(
        choices=_focus_choices,
        label=_("Foci"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_nl = forms.CharField(
        label=_("Consent text (Dutch)"),
        required=False,
        widget=forms.Textarea,
        help_text=_(
            "What a client is shown before agreeing. A changed text becomes a new version; "
            "consents already given keep the version the client saw."
        ),
    )
    consent_en = forms.CharField(
        label=_("Consent text (English)"), required=False, widget=forms.Textarea
    )

    def entry(self, study: Study | None) -> dict[str, Any]:
        """The study as a ``studies:`` item of a setup file."""
        data = self.cleaned_data
        entry: dict[str, Any] = {"slug": data["slug"].strip()}
        title: dict[str, str] = {"nl": data["title_nl"].strip()}
        if data["title_en"].strip():
            title["en"] = data["title_en"].strip()
        entry["title"] = title
        if data["client_title_nl"].strip():
            client_title: dict[str, str] = {"nl": data["client_title_nl"].strip()}
            if data["client_title_en"].strip():
                client_title["en"] = data["client_title_en"].strip()
            entry["client_title"] = client_title
        entry["question"] = data["question"].strip()
        for key in ("design", "participation", "phase", "start", "end"):
            if data[key]:
                entry[key] = data[key].strip()
        entry["researchers"] = list(data["researchers"])
        contributions = (
            {p.organisation.name: p.contribution for p in study.participations.all()}
            if study is not None
            else {}
        )
        entry["organisations"] = [
            {"name": name, "contribution": contributions[name]} if contributions.get(name) else name
            for name in data["organisations"]
        ]
        entry["sub_themes"] = list(data["sub_themes"])
        entry["foci"] = list(data["foci"])
        if data["consent_nl"].strip() or data["consent_en"].strip():
            entry["consent_text"] = {"nl": data["consent_nl"].strip()}
            if data["consent_en"].strip():
                entry["consent_text"]["en"] = data["consent_en"].strip()
        return entry


def study_initial(study: Study) -> dict[str, Any]:
    text: ConsentText | None = current_consent_text(study=study)
    return {
        "version": study.version,
        "title_nl": study.title,
        "title_en": study.title_en,
        "client_title_nl": study.client_title,
        "client_title_en": study.client_title_en,
        "slug": study.slug,
        "question": study.question,
        "design": study.design,
        "participation": study.participation,
        "phase": study.phase,
        "start": study.start.isoformat() if study.start else "",
        "end": study.end.isoformat() if study.end else "",
        "researchers": [u.username for u in study.researchers.all()],
        "organisations": [p.organisation.name for p in study.participations.all()],
        "sub_themes": [s.code for s in study.subthemes.all()],
        "foci": [f.code for f in study.foci.all()],
        "consent_nl": text.text_nl if text else "",
        "consent_en": text.text_en if text else "",
    }
