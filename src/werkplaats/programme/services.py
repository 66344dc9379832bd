"""Writes for the programme: consents (one by one, and in bulk for imports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import log_access
from werkplaats.core.bulk import insert_rows
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
