"""Writes for the programme: consents (one by one, and in bulk for imports), studies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import log_access
from werkplaats.core.bulk import insert_rows
from werkplaats.core.versioning import ConcurrentEditError
from werkplaats.partnership.models import Organisation, User
from werkplaats.programme.models import Consent, ConsentText, Study
from werkplaats.programme.setup_file.schema import study_schema_problems
from werkplaats.programme.setup_file.studies import apply_study, check_study


@transaction.atomic
def consent_give(
    *, client: Client, user: User, study: Study | None = None, teaching: bool = False
) -> Consent:
    """A consent given again (the client on their own page) or recorded without a text."""
    if teaching and study is not None:
        raise ValueError("a teaching consent names no study")
    purpose = (
        Consent.Purpose.TEACHING
        if teaching
        else (Consent.Purpose.STUDY if study else Consent.Purpose.CARE)
    )
    if Consent.objects.filter(
        client=client, study=study, purpose=purpose, withdrawn_at__isnull=True
    ).exists():
        raise ValidationError(_("This consent has already been given."), code="duplicate")
    consent = Consent.objects.create(
        client=client, purpose=purpose, study=study, given_at=timezone.now(), recorded_by=user
    )
    log_access(user, "create", consent)
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, user: User) -> Consent:
    """Withdraw a consent; from now on the client is left out of that purpose."""
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."), code="withdrawn")
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = user
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    log_access(user, "change", locked, "consent withdrawn")
    return locked


def _text_purpose(study: Study | None, teaching: bool) -> str:
    if teaching:
        if study is not None:
            raise ValueError("a teaching consent text belongs to an organisation")
        return "teaching"
    return "study" if study is not None else "care"


@transaction.atomic
def consent_text_set(
    *,
    text_nl: str,
    text_en: str = "",
    study: Study | None = None,
    organisation: Organisation | None = None,
    teaching: bool = False,
) -> ConsentText:
    """The current consent text; a changed wording becomes a new version (old ones stay,
    because consents point at the version the client was shown). An organisation's text
    is for care, or with ``teaching`` for teaching."""
    purpose = _text_purpose(study, teaching)
    latest = (
        ConsentText.objects.select_for_update()
        .filter(purpose=purpose, study=study, organisation=organisation)
        .order_by("-version")
        .first()
    )
    if latest is not None and (latest.text_nl, latest.text_en) == (text_nl, text_en):
        return latest
    text = ConsentText(
        purpose=purpose,
        study=study,
        organisation=organisation,
        version=(latest.version + 1) if latest else 1,
        text_nl=text_nl,
        text_en=text_en,
    )
    text.full_clean()
    text.save()
    return text


def current_consent_text(
    *, study: Study | None = None, organisation: Organisation | None = None, teaching: bool = False
) -> ConsentText | None:
    return (
        ConsentText.objects.filter(
            purpose=_text_purpose(study, teaching), study=study, organisation=organisation
        )
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True, slots=True)
class ConsentValues:
    """One consent as an import brings it: care (``study_id`` None) or one study."""

    client_id: int
    study_id: int | None
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None
    recorded_by_id: int


def consents_write_bulk(consents: Sequence[ConsentValues]) -> tuple[int, int]:
    """Write consents in bulk (imports); return (created, updated).

    A consent for a client and purpose that exists already (the same study, or care) is
    updated: its dates become the given ones. Call inside ``transaction.atomic``.
    """
    for n, c in enumerate(consents):
        if c.withdrawn_at is not None and c.withdrawn_at < c.given_at:
            raise ValidationError(f"consents[{n}]: withdrawn before given")
    clients = sorted({c.client_id for c in consents})
    existing: dict[tuple[int, int | None], int] = {}
    for k in range(0, len(clients), 500):
        for pk, client_id, study_id in (
            Consent.objects.filter(client_id__in=clients[k : k + 500])
            .order_by("-given_at", "-pk")
            .values_list("pk", "client_id", "study_id")
        ):
            existing[(client_id, study_id)] = pk  # the earliest one is kept last
    updates = [
        (existing[(c.client_id, c.study_id)], c)
        for c in consents
        if (c.client_id, c.study_id) in existing
    ]
    table = connection.ops.quote_name(Consent._meta.db_table)
    given, withdrawn = Consent._meta.get_field("given_at"), Consent._meta.get_field("withdrawn_at")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET given_at = %s, withdrawn_at = %s, withdrawn_by_id = %s "
            "WHERE id = %s",
            [
                (
                    given.get_db_prep_save(c.given_at, connection),
                    withdrawn.get_db_prep_save(c.withdrawn_at, connection),
                    c.recorded_by_id if c.withdrawn_at is not None else None,
                    pk,
                )
                for pk, c in updates
            ],
        )
    fresh = [c for c in consents if (c.client_id, c.study_id) not in existing]
    insert_rows(
        Consent,
        ["client", "purpose", "study", "given_at", "withdrawn_at", "withdrawn_by", "recorded_by"],
        (
            (
                c.client_id,
                Consent.Purpose.STUDY if c.study_id is not None else Consent.Purpose.CARE,
                c.study_id,
                c.given_at,
                c.withdrawn_at,
                c.recorded_by_id if c.withdrawn_at is not None else None,
                c.recorded_by_id,
            )
            for c in fresh
        ),
    )
    return len(fresh), len(updates)


def _in_both_languages(text: Callable[[], str]) -> tuple[str, str]:
    """``text()`` in Dutch and in English."""
    texts = []
    for language in ("nl", "en"):
        with translation.override(language):
            texts.append(text())
    return texts[0], texts[1]


def _default_care_text(organisation: Organisation) -> tuple[str, str]:
    """The built-in care consent text, in both languages, naming the organisation."""
    return _in_both_languages(
        lambda: (
            _(
                "I agree that %(organisation)s records my details and what we do together, "
                "to give me the help and support I asked for. My name and contact details "
                "are stored encrypted and seen only by the professionals who support me "
                "and their team manager. I can see my own data and withdraw this consent "
                "at any time."
            )
            % {"organisation": organisation.name}
        )
    )


def care_consent_text(organisation: Organisation) -> ConsentText:
    """The organisation's current care consent text (the built-in one when it set none)."""
    current = current_consent_text(organisation=organisation)
    if current is not None:
        return current
    text_nl, text_en = _default_care_text(organisation)
    return consent_text_set(organisation=organisation, text_nl=text_nl, text_en=text_en)


def _default_teaching_text(organisation: Organisation) -> tuple[str, str]:
    """The built-in teaching consent text (plain words, B1), in both languages."""
    return _in_both_languages(
        lambda: (
            _(
                "Students learn to become social workers. They learn from real stories. "
                "I agree that %(organisation)s may use my stories in their lessons.\n\n"
                "Before a story is used, a researcher takes out my name, the names of "
                "the people around me, places and dates. Students never see who I am.\n\n"
                "Saying no changes nothing about my help and support. I can stop at any "
                "time on my own page. Then my stories are taken out of the lessons at once."
            )
            % {"organisation": organisation.name}
        )
    )


def teaching_consent_text(organisation: Organisation) -> ConsentText:
    """The organisation's current teaching consent text (the built-in one when it set none)."""
    current = current_consent_text(organisation=organisation, teaching=True)
    if current is not None:
        return current
    text_nl, text_en = _default_teaching_text(organisation)
    return consent_text_set(
        organisation=organisation, text_nl=text_nl, text_en=text_en, teaching=True
    )


def _check_shown(shown: ConsentText, current: ConsentText | None) -> None:
    if current is None or shown.pk != current.pk:
        raise ValidationError(
            _(
                "The consent text was changed while this page was open. Nothing was saved: "
                "show the client the new text (reload the page) and ask again."
            ),
            code="text_changed",
        )


@transaction.atomic
def care_consent_record(
    *, client: Client, user: User, shown: ConsentText, language: str
) -> Consent:
    """The client's consent for care, with the version and language of the text shown."""
    organisation = shown.organisation
    if organisation is None:
        raise ValidationError(_("This is not a care consent text."))
    _check_shown(shown, current_consent_text(organisation=organisation))
    consent = Consent(
        client=client,
        purpose=Consent.Purpose.CARE,
        given_at=timezone.now(),
        recorded_by=user,
        text=shown,
        language=language,
    )
    consent.full_clean()
    consent.save()
    log_access(user, "create", consent, f"care consent, text version {shown.version}")
    return consent


@transaction.atomic
def study_consent_record(
    *, client: Client, user: User, study: Study, shown: ConsentText, language: str
) -> Consent:
    """The client's consent for a study, as agreed in front of the professional.

    The text's version and language are stored with it, and a PDF of exactly what was
    agreed (the text, the study, who recorded it and when) is kept with the consent.
    """
    if shown.study_id != study.pk:
        raise ValidationError(_("This text belongs to another study."))
    _check_shown(shown, current_consent_text(study=study))
    if Consent.objects.filter(client=client, study=study, withdrawn_at__isnull=True).exists():
        raise ValidationError(_("This consent has already been given."), code="duplicate")
    consent = Consent(
        client=client,
        purpose=Consent.Purpose.STUDY,
        study=study,
        given_at=timezone.now(),
        recorded_by=user,
        text=shown,
        language=language,
    )
    return _store_agreed(consent, user, shown)


@transaction.atomic
def teaching_consent_record(
    *, client: Client, user: User, shown: ConsentText, language: str
) -> Consent:
    """The client's consent that their anonymised stories may be used in teaching, as
    agreed in front of the professional: with the text's version and language, and a PDF
    of what was agreed, like a study consent."""
    organisation = shown.organisation
    if shown.purpose != "teaching" or organisation is None:
        raise ValidationError(_("This is not a teaching consent text."))
    _check_shown(shown, current_consent_text(organisation=organisation, teaching=True))
    if Consent.objects.teaching_standing().filter(client=client).exists():
        raise ValidationError(_("This consent has already been given."), code="duplicate")
    consent = Consent(
        client=client,
        purpose=Consent.Purpose.TEACHING,
        given_at=timezone.now(),
        recorded_by=user,
        text=shown,
        language=language,
    )
    return _store_agreed(consent, user, shown)


def _store_agreed(consent: Consent, user: User, shown: ConsentText) -> Consent:
    """Store a consent agreed in front of the professional, with a PDF of exactly what was
    agreed, and log it with the text's version."""
    consent.full_clean()
    consent.save()
    consent.document = consent_pdf(consent)
    consent.save(update_fields=["document"])
    log_access(user, "create", consent, f"{consent.purpose} consent, text version {shown.version}")
    return consent


def consent_pdf(consent: Consent) -> bytes:
    """A PDF of what was agreed, in the language the client was shown."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    assert consent.text is not None
    with translation.override(consent.language or "nl"):
        html = render_to_string(
            "programme/consent_pdf.html",
            {
                "consent": consent,
                "text": consent.text.text_in(consent.language),
                "study_title": consent.study.client_display_title if consent.study else "",
                "recorded_by": consent.recorded_by.get_full_name() or consent.recorded_by.username,
            },
        )
    return bytes(HTML(string=html).write_pdf())


# --- studies, created and edited by their researchers in the browser -------------------


def study_problems(
    entry: dict[str, Any], *, study: Study | None, labels: dict[str, str]
) -> dict[str, list[str]]:
    """The setup file's rules for a ``studies:`` item (its schema, then what it refers to),
    plus the one the browser adds: the slug is not another study's. Problems by key."""
    problems: dict[str, list[str]] = {}

    def report(path: tuple[Any, ...], message: str) -> None:
        problems.setdefault(str(path[0]) if path else "", []).append(message)

    for path, message in study_schema_problems(entry, labels):
        report(path, message)
    if problems:
        return problems
    organisations = set(Organisation.objects.values_list("name", flat=True))
    check_study(entry, report, organisations=organisations)
    taken = Study.objects.filter(slug=entry["slug"])
    if study is not None:
        taken = taken.exclude(pk=study.pk)
    if taken.exists():
        report(
            ("slug",),
            _("Another study already has the short name %(slug)s: choose another.")
            % {"slug": entry["slug"]},
        )
    return problems


@transaction.atomic
def study_save(
    *,
    by: User,
    entry: dict[str, Any],
    study: Study | None = None,
    expected_version: int | None = None,
    labels: dict[str, str] | None = None,
) -> tuple[Study, list[str]]:
    """Create (``study`` None) or change a study from its entry; the changes, as a list.

    The same checks and the same writes as ``werkplaats setup``; a researcher who creates
    a study stays on it. A change names the version it read: when someone saved the study
    in between, nothing is written (``ConcurrentEditError``).
    """
    if study is None and by.username not in entry.get("researchers", []):
        entry = {**entry, "researchers": [*entry.get("researchers", []), by.username]}
    problems = study_problems(entry, study=study, labels=labels or {})
    if problems:
        raise ValidationError(problems)
    if study is not None:
        locked = Study.objects.select_for_update().get(pk=study.pk)
        if locked.version != expected_version:
            raise ConcurrentEditError(
                _(
                    "Someone else saved this %(thing)s while you were editing it. "
                    "Your changes were not saved: reload the page to see the latest "
                    "version, then make your changes again."
                )
                % {"thing": Study._meta.verbose_name},
                code="concurrent_edit",
            )
        study = locked
    changes: list[str] = []
    saved = apply_study(entry, changes, study=study)
    if study is not None and changes:
        Study.objects.filter(pk=saved.pk).update(version=F("version") + 1)
        saved.refresh_from_db(fields=["version"])
    log_access(
        by,
        "create" if study is None else "change",
        saved,
        "; ".join(changes)[:200],
    )
    return saved, changes
