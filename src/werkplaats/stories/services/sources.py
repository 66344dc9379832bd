"""Writes for sources: new sources, research consent, withdrawal, anonymised versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client, Trajectory
from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study
from werkplaats.stories.anonymise import Mask, apply_masks
from werkplaats.stories.models import (
    Segment,
    SharedVersion,
    Source,
)


def _check_link(user: User, study: Study | None, trajectory: Trajectory | None) -> None:
    if study is None and trajectory is None:
        raise ValidationError(_("Link the source to a study or to a trajectory."))
    if study is not None and not study.researchers.filter(pk=user.pk).exists():
        raise ValidationError(_("You can only add sources to studies you work on."))
    if trajectory is not None and trajectory.lead_professional_id != user.pk:
        raise ValidationError(_("You can only link sources to trajectories you lead."))


@transaction.atomic
def source_create(
    *,
    user: User,
    kind: str,
    title: str,
    text: str,
    teller_role: str,
    teller_name: str = "",
    teller_client: Client | None = None,
    language: str = "nl",
    told_on: dt.date | None = None,
    study: Study | None = None,
    trajectory: Trajectory | None = None,
    msc_domain: str = "",
    msc_reason: str = "",
    imported_from: str = "",
    research_consent: bool = False,
) -> Source:
    _check_link(user, study, trajectory)
    if teller_client is None and trajectory is not None and teller_role == Source.TellerRole.CLIENT:
        teller_client = trajectory.client
    source = Source(
        kind=kind,
        title=title,
        text=text,
        teller_role=teller_role,
        teller_name=teller_name,
        teller_client=teller_client,
        language=language,
        told_on=told_on,
        study=study,
        trajectory=trajectory,
        msc_domain=msc_domain,
        msc_reason=msc_reason,
        imported_from=imported_from[:200],
        created_by=user,
    )
    if research_consent:
        if study is None:
            raise ValidationError(_("Research consent needs a study."))
        source.research_consent_at = timezone.now()
        source.consent_recorded_by = user
    source.full_clean()
    source.save()
    log_access(user, "create", source)
    return source


@transaction.atomic
def source_record_consent(*, source: Source, user: User) -> Source:
    locked = Source.objects.select_for_update().get(pk=source.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("This story was withdrawn; consent cannot be recorded again."))
    if locked.research_consent_at is not None:
        raise ValidationError(_("Research consent was already recorded."))
    if locked.study_id is None:
        raise ValidationError(_("Research consent needs a study; link the source to one first."))
    locked.research_consent_at = timezone.now()
    locked.consent_recorded_by = user
    locked.save(update_fields=["research_consent_at", "consent_recorded_by"])
    log_access(user, "change", locked, "research consent recorded")
    return locked


@transaction.atomic
def story_withdraw(*, source: Source, user: User) -> Source:
    """The teller withdraws: research use stops, anonymised versions and their coding go.

    The original stays under the original access rules (the professional's record).
    """
    locked = Source.objects.select_for_update().get(pk=source.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("This story was already withdrawn."))
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = user
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    for document in locked.shared_versions.all():
        Segment.objects.filter(document=document).delete()
        document.delete()
    log_access(user, "change", locked, "story withdrawn from research")
    return locked


@transaction.atomic
def shared_version_create(
    *,
    source: Source,
    user: User,
    masks: Sequence[Mask],
    title: str,
    expected_text: str | None = None,
) -> SharedVersion:
    """Store the reviewed, anonymised text apart from the original; with
    ``expected_text`` (the preview the reviewer approved) only if it is exactly that."""
    if not source.has_research_consent:
        raise ValidationError(_("Only sources with research consent can be shared."))
    text = apply_masks(source.text, masks)
    if expected_text is not None and text != expected_text:
        raise ValidationError(
            _("The text to share is not the one previewed; show the preview again and check it.")
        )
    document = SharedVersion(
        source=source,
        title=title,
        text=text,
        masks=[{"start": m.start, "end": m.end, "kind": m.kind} for m in masks],
        reviewed_by=user,
        reviewed_at=timezone.now(),
    )
    document.full_clean()
    document.save()
    log_access(user, "create", document, f"{len(masks)} masks")
    return document


@transaction.atomic
def shared_version_correct(
    *, document: SharedVersion, user: User, text: str, expected_version: int
) -> SharedVersion:
    """Correct an anonymised text; coded segments whose snippet no longer matches show as changed."""
    document.text = text
    document.full_clean()
    save_versioned(document, expected_version, ["text"])
    log_access(user, "change", document, "text corrected")
    return document


@transaction.atomic
def story_teaching_set(*, document: SharedVersion, user: User, teaching: bool) -> SharedVersion:
    """Offer an anonymised story as teaching material, or take it off; the caller checked
    that the user is a researcher on its study (stories.access.access_document_for_research).

    Only a story told by a client whose teaching consent stands can be offered. Educators
    see it only while that consent stands (``access.offered_stories`` checks at each read),
    so a consent withdrawn later takes it off at once without a write here.
    """
    locked = SharedVersion.objects.select_for_update().select_related("source").get(pk=document.pk)
    source = locked.source
    if teaching:
        if source.teller_client_id is None:
            raise ValidationError(
                _(
                    "Only a story told by a client can be teaching material: a client "
                    "gives consent for teaching, and this story's teller is not one."
                )
            )
        if not source.teaching_consent_stands():
            raise ValidationError(
                _(
                    "The teller has not given consent for teaching, or withdrew it: this "
                    "story cannot be teaching material. Their professional can ask them."
                )
            )
        locked.teaching_by, locked.teaching_at = user, timezone.now()
    else:
        locked.teaching_by, locked.teaching_at = None, None
    locked.save(update_fields=["teaching_by", "teaching_at"])
    log_access(
        user,
        "change",
        source,
        "offered as teaching material" if teaching else "taken off the teaching material",
    )
    return locked
