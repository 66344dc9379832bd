"""Dilemmas beyond their team: anonymising one (by its lead professional or the team's
manager), proposing it for a dialogue session, and the session researcher's decision."""

from __future__ import annotations

from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.access import CARE, identity_for
from werkplaats.casework.models import Dilemma
from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership.models import User
from werkplaats.stories.anonymise import apply_masks, propose_masks
from werkplaats.stories.models import DialogueSession, SessionDilemma, SharedDilemma

TEXTS = ("values_at_stake", "options_weighed", "choice", "reasons")
MAX_TEXT = 4000


class SharedTexts(TypedDict):
    values_at_stake: str
    options_weighed: str
    choice: str
    reasons: str
    teaching: bool


def known_names(user: User, dilemma: Dilemma) -> tuple[list[str], list[str]]:
    """Names and places around the dilemma's client that casework knows, to propose masks:
    the client's name (read as a care read, logged), the network's labels, the lead
    professional's and recorder's names, the neighbourhood and municipality."""
    trajectory = dilemma.trajectory
    client = trajectory.client
    names: list[str] = []
    identity = identity_for(user, client, CARE)
    if identity is not None:
        names.append(identity.name)
    for snapshot in trajectory.network_snapshots.prefetch_related("members"):
        names += [m.label for m in snapshot.members.all()]
    for person in (trajectory.lead_professional, dilemma.recorded_by):
        names += [n for n in (person.first_name, person.last_name) if n]
    places: list[str] = []
    if client.neighbourhood is not None:
        places += [client.neighbourhood.name, client.neighbourhood.municipality.name]
    return names, places


def proposed_texts(user: User, dilemma: Dilemma) -> dict[str, str]:
    """The weighing with masks proposed over names, places, dates and contact details;
    a person reads it through and corrects it before it is saved."""
    names, places = known_names(user, dilemma)
    out = {}
    for name in TEXTS:
        text = getattr(dilemma, name)
        out[name] = apply_masks(text, propose_masks(text, known_names=names, known_places=places))
    return out


@transaction.atomic
def shared_dilemma_save(
    *, dilemma: Dilemma, user: User, expected_version: int | None, **texts: Unpack[SharedTexts]
) -> SharedDilemma:
    """Save the anonymised copy the user reviewed (new, or a correction naming the version
    it read); the caller checked that the user may read the dilemma."""
    for name in TEXTS:
        value = texts[name].strip()  # type: ignore[literal-required]
        if not value:
            raise ValidationError({name: _("Fill this in, or write 'not recorded'.")})
        if len(value) > MAX_TEXT:
            raise ValidationError({name: _("Keep it to %(n)d characters.") % {"n": MAX_TEXT}})
    fields = {name: texts[name].strip() for name in TEXTS}  # type: ignore[literal-required]
    shared = SharedDilemma.objects.filter(dilemma=dilemma).first()
    teaching = bool(texts["teaching"])
    if not teaching:
        marked_by: User | None = None
    elif shared is not None and shared.teaching:
        marked_by = shared.teaching_by  # it stays marked by whoever marked it
    else:
        marked_by = user
    common = {
        **fields,
        "teaching": teaching,
        "teaching_by": marked_by,
        "tension": dilemma.tension,
        "month": dilemma.date.strftime("%Y-%m"),
        "deliberated": dilemma.moral_case_deliberation,
        "reviewed_by": user,
        "reviewed_at": timezone.now(),
    }
    if shared is None:
        if expected_version is not None:
            raise ValidationError(_("This anonymised version was removed; reload the page."))
        shared = SharedDilemma.objects.create(dilemma=dilemma, **common)
        log_access(user, "create", dilemma, "anonymised copy to share")
        return shared
    if expected_version is None:
        expected_version = -1  # someone else made one after this page was opened
    for name, value in common.items():
        setattr(shared, name, value)
    save_versioned(shared, expected_version, list(common))
    log_access(user, "change", dilemma, "anonymised copy to share")
    return shared


@transaction.atomic
def dilemma_propose(
    *, shared: SharedDilemma, session: DialogueSession, user: User
) -> SessionDilemma:
    """Propose the anonymised dilemma for a session; the caller checked that the session is
    one the user may propose for (stories.access.sessions_to_propose)."""
    if SessionDilemma.objects.filter(session=session, shared=shared).exists():
        raise ValidationError(_("This dilemma was already proposed for that session."))
    link = SessionDilemma.objects.create(session=session, shared=shared, proposed_by=user)
    log_access(user, "change", shared.dilemma, "proposed for a dialogue session")
    return link


@transaction.atomic
def dilemma_teaching_set(*, link: SessionDilemma, user: User, teaching: bool) -> SharedDilemma:
    """A researcher of the session marks the anonymised dilemma on its table as teaching
    material, or takes it off; the caller checked that (access_linked_dilemma_for_teaching).

    The dilemma carries the professional's anonymised weighing, not the client's words,
    so, as when its maker marks it, no consent of the client is asked. The version goes
    up, so a maker's correction opened before this is refused (409) rather than
    silently undoing the mark.
    """
    shared = link.shared
    SharedDilemma.objects.filter(pk=shared.pk).update(
        teaching=teaching, teaching_by=user if teaching else None, version=F("version") + 1
    )
    shared.refresh_from_db()
    log_access(
        user,
        "change",
        shared.dilemma,
        "marked as teaching material" if teaching else "taken off the teaching material",
    )
    return shared


@transaction.atomic
def dilemma_decide(*, link: SessionDilemma, user: User, accept: bool) -> SessionDilemma:
    """The session's researcher links a proposed dilemma to the session, or declines it.
    A decision can be changed: a linked dilemma can still be taken off the table."""
    link.status = SessionDilemma.Status.LINKED if accept else SessionDilemma.Status.DECLINED
    link.decided_by = user
    link.decided_at = timezone.now()
    link.full_clean()
    link.save(update_fields=["status", "decided_by", "decided_at"])
    log_access(user, "change", link.session, f"dilemma {link.status}")
    return link
