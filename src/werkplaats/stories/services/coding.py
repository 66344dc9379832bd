"""Writes for coding: codebooks and codes, rounds, segments, memos, a coder's 'done'."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.core.audit import log_access
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study
from werkplaats.stories.access import CODER_ROLES, display_name, possible_coders
from werkplaats.stories.models import (
    CoCodingAgreement,
    Code,
    Codebook,
    CoderAssignment,
    CodingRound,
    Memo,
    Segment,
    SharedVersion,
)
from werkplaats.stories.refi_qda.offsets import utf16_to_codepoint
from werkplaats.stories.unitising import split_units


@transaction.atomic
def codebook_create(
    *, user: User, title: str, description: str = "", studies: Iterable[Study] = ()
) -> Codebook:
    codebook = Codebook(title=title, description=description, owner=user)
    codebook.full_clean()
    codebook.save()
    codebook.studies.set(list(studies))
    log_access(user, "create", codebook)
    return codebook


@transaction.atomic
def code_create(
    *,
    codebook: Codebook,
    user: User,
    name: str,
    description: str = "",
    colour: str = "#1f5fa8",
    is_group: bool = False,
    parent: Code | None = None,
    guid: Any = None,
) -> Code:
    code = Code(
        codebook=codebook,
        name=name,
        description=description,
        colour=colour,
        is_group=is_group,
        parent=parent,
        position=codebook.codes.count(),
    )
    if guid is not None:
        code.guid = guid
    code.full_clean()
    code.save()
    log_access(user, "create", code)
    return code


@transaction.atomic
def round_create(
    *,
    user: User,
    study: Study,
    codebook: Codebook,
    title: str,
    documents: Iterable[SharedVersion],
    coders: Iterable[User],
    blind: bool = True,
    unitising: str = CodingRound.Unitising.SENTENCE,
) -> CodingRound:
    documents = list(documents)
    coders = list(coders)
    if not documents:
        raise ValidationError(_("Choose at least one source to code."))
    if not coders:
        raise ValidationError(_("Choose at least one coder."))
    for document in documents:
        if document.source.study_id != study.pk or not document.source.has_research_consent:
            raise ValidationError(
                _("Only anonymised sources of this study, with consent, can be coded.")
            )
    allowed = set(possible_coders(study).values_list("pk", flat=True))
    for coder in coders:
        if coder.has_role(*CODER_ROLES) and coder.pk not in allowed:
            raise ValidationError(
                _("%(name)s has not agreed to co-code, so cannot be asked to.")
                % {"name": display_name(coder)}
            )
        if not coder.has_role(*CODER_ROLES):
            raise ValidationError(
                _(
                    "%(name)s cannot code: coders are researchers, experience experts, clients or students."
                )
                % {"name": coder.get_username()}
            )
    coding_round = CodingRound(
        study=study,
        codebook=codebook,
        title=title,
        blind=blind,
        unitising=unitising,
        created_by=user,
    )
    coding_round.full_clean()
    coding_round.save()
    coding_round.documents.set(documents)
    CoderAssignment.objects.bulk_create(
        [CoderAssignment(round=coding_round, coder=c) for c in coders]
    )
    codebook.studies.add(study)
    log_access(user, "create", coding_round)
    return coding_round


@transaction.atomic
def segment_add(
    *,
    assignment: CoderAssignment,
    document: SharedVersion,
    code: Code,
    start: int,
    end: int,
    memo: str = "",
    utf16: bool = False,
    external_coder: str = "",
) -> Segment:
    """Code a stretch of text. Offsets outside the text are refused.

    ``external_coder`` names a coder from another tool (REFI-QDA import) whose coding is
    held under this assignment.

    With ``utf16`` the offsets count UTF-16 code units (as a browser does) and are
    converted to code points first.
    """
    if assignment.done_at is not None:
        raise ValidationError(_("You marked your coding as done; it can no longer change."))
    if code.codebook_id != assignment.round.codebook_id:
        raise ValidationError(_("This code is not in the codebook of this round."))
    if code.is_group:
        raise ValidationError(
            _("“%(code)s” is only for grouping; choose a code under it.") % {"code": code.name}
        )
    text = document.text
    if utf16:
        try:
            start, end = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
        except ValueError:
            start, end = -1, -1
    if start > end:
        start, end = end, start
    if not (0 <= start < end <= len(text)):
        raise ValidationError(
            _(
                "The selection (%(start)d–%(end)d) falls outside the text, which has %(length)d characters."
            )
            % {"start": start, "end": end, "length": len(text)}
        )
    segment, _created = Segment.objects.get_or_create(
        round=assignment.round,
        document=document,
        coder=assignment.coder,
        external_coder=external_coder[:150],
        code=code,
        start=start,
        end=end,
        defaults={"snippet": text[start:end], "memo": memo},
    )
    log_access(assignment.coder, "create", segment)
    return segment


@transaction.atomic
def segments_code(
    *,
    assignment: CoderAssignment,
    document: SharedVersion,
    code: Code,
    units: Sequence[int] = (),
    start: int | None = None,
    end: int | None = None,
    utf16: bool = False,
    memo: str = "",
) -> list[Segment]:
    """The coding screen's "code" action: each ticked sentence (by its number in
    ``split_units(text, "sentence")``) and the selected stretch (``start``–``end``, UTF-16
    offsets with ``utf16``) become a segment with ``code``; all or none are saved."""
    sentences = split_units(document.text, "sentence")
    if any(not 0 <= i < len(sentences) for i in units):
        raise ValidationError(_("Choose sentences of this text."))
    spans = [(sentences[i].start, sentences[i].end, False) for i in units]
    if start is not None and end is not None:
        spans.append((start, end, utf16))
    return [
        segment_add(
            assignment=assignment,
            document=document,
            code=code,
            start=span_start,
            end=span_end,
            memo=memo,
            utf16=span_utf16,
        )
        for span_start, span_end, span_utf16 in spans
    ]


@transaction.atomic
def segment_delete(*, assignment: CoderAssignment, segment_id: int) -> None:
    if assignment.done_at is not None:
        raise ValidationError(_("You marked your coding as done; it can no longer change."))
    deleted, _rows = Segment.objects.filter(
        pk=segment_id, round=assignment.round, coder=assignment.coder
    ).delete()
    if not deleted:
        raise ValidationError(_("That coding was not found."))


@transaction.atomic
def assignment_finish(*, assignment: CoderAssignment) -> CoderAssignment:
    locked = CoderAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.done_at is None:
        locked.done_at = timezone.now()
        locked.save(update_fields=["done_at"])
        log_access(locked.coder, "change", locked.round, "coder done")
    return locked


@transaction.atomic
def memo_add(*, user: User, text: str, **target: Any) -> Memo:
    memo = Memo(author=user, text=text, **target)
    memo.full_clean()
    memo.save()
    log_access(user, "create", memo)
    return memo


def co_coding_agreed(user: User) -> bool:
    return CoCodingAgreement.objects.filter(user=user).exists()


@transaction.atomic
def co_coding_set(*, user: User, agree: bool) -> None:
    """Say yes (or no longer) to co-coding; rounds already under way keep their coders."""
    if agree:
        CoCodingAgreement.objects.get_or_create(user=user)
    else:
        CoCodingAgreement.objects.filter(user=user).delete()
    log_access(user, "change", user, "co-coding agreement")
