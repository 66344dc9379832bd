"""Writes for the programme: consents."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import log_access
from werkplaats.partnership.models import User
from werkplaats.programme.models import Consent, Study


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
