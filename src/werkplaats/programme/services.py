"""Writes for the programme: consents."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import log_access
from werkplaats.partnership.models import Organisation, User
from werkplaats.programme.models import Consent, ConsentText, Study


@transaction.atomic
def consent_give(*, client: Client, user: User, study: Study | None = None) -> Consent:
    purpose = Consent.Purpose.STUDY if study else Consent.Purpose.CARE
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


@transaction.atomic
def consent_text_set(
    *,
    text_nl: str,
    text_en: str = "",
    study: Study | None = None,
    organisation: Organisation | None = None,
) -> ConsentText:
    """The current consent text; a changed wording becomes a new version (old ones stay,
    because consents point at the version the client was shown)."""
    purpose = "study" if study is not None else "care"
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
    *, study: Study | None = None, organisation: Organisation | None = None
) -> ConsentText | None:
    return (
        ConsentText.objects.filter(study=study, organisation=organisation)
        .order_by("-version")
        .first()
    )
