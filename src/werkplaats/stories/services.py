"""Writes for stories: validate, one transaction, log. Views call these, nothing else writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client, Trajectory
from werkplaats.core.audit import log_access
from werkplaats.core.one_time import NotAToken, expiry, hash_token, make_token
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership.models import Role, StakeholderKind, User
from werkplaats.programme.models import Consent, Study
from werkplaats.stories.anonymise import Mask, apply_masks
from werkplaats.stories.models import (
    Code,
    Codebook,
    CoderAssignment,
    CodingRound,
    DialogueParticipant,
    DialogueSession,
    Finding,
    JointDisplayCell,
    MemberCheck,
    MemberCheckResponse,
    Memo,
    Segment,
    SharedVersion,
    Source,
)
from werkplaats.stories.refi_qda.offsets import utf16_to_codepoint

# The stakeholder kind a participant's role stands for on the programme map.
ROLE_KIND = {
    Role.CLIENT: StakeholderKind.CLIENT_ORG,
    Role.EXPERIENCE_EXPERT: StakeholderKind.CLIENT_ORG,
    Role.NETWORK_MEMBER: StakeholderKind.CLIENT_ORG,
    Role.PROFESSIONAL: StakeholderKind.PRACTICE,
    Role.TEAM_MANAGER: StakeholderKind.PRACTICE,
    Role.ORG_ADMIN: StakeholderKind.PRACTICE,
    Role.RESEARCHER: StakeholderKind.KNOWLEDGE,
    Role.POLICY_MAKER: StakeholderKind.MUNICIPALITY,
    Role.EDUCATOR: StakeholderKind.EDUCATION,
    "professional_body": StakeholderKind.PROFESSIONAL_BODY,
}


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
    *, source: Source, user: User, masks: Sequence[Mask], title: str
) -> SharedVersion:
    """Store the reviewed, anonymised text apart from the original."""
    if not source.has_research_consent:
        raise ValidationError(_("Only sources with research consent can be shared."))
    text = apply_masks(source.text, masks)
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


CODER_ROLES = (Role.RESEARCHER, Role.EXPERIENCE_EXPERT, Role.CLIENT, Role.EDUCATOR)


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
    for coder in coders:
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
) -> Segment:
    """Code a stretch of text. Offsets outside the text are refused.

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
        code=code,
        start=start,
        end=end,
        defaults={"snippet": text[start:end], "memo": memo},
    )
    log_access(assignment.coder, "create", segment)
    return segment


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


@transaction.atomic
def joint_cell_save(
    *,
    coding_round: CodingRound,
    theme: Code,
    group: str,
    relation: str,
    meta_inference: str,
    user: User,
    expected_version: int | None,
) -> JointDisplayCell:
    if theme.codebook_id != coding_round.codebook_id or theme.parent_id is not None:
        raise ValidationError(_("Themes are the top-level codes of the round's codebook."))
    cell = _joint_cell(coding_round, theme, group)
    if cell is None:
        cell = JointDisplayCell(
            round=coding_round,
            theme=theme,
            group=group,
            relation=relation,
            meta_inference=meta_inference,
            updated_by=user,
        )
        # The unique constraint is left to the database: two first saves of the same cell
        # can both pass a check here, and the loser must get a conflict, not a crash.
        cell.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                cell.save()
        except IntegrityError:
            cell = _joint_cell(coding_round, theme, group)
            if cell is None:
                raise
            _joint_cell_update(cell, relation, meta_inference, user, expected_version)
    else:
        _joint_cell_update(cell, relation, meta_inference, user, expected_version)
    log_access(user, "change", cell)
    return cell


def _joint_cell(coding_round: CodingRound, theme: Code, group: str) -> JointDisplayCell | None:
    return JointDisplayCell.objects.filter(round=coding_round, theme=theme, group=group).first()


def _joint_cell_update(
    cell: JointDisplayCell,
    relation: str,
    meta_inference: str,
    user: User,
    expected_version: int | None,
) -> None:
    """Change a saved judgement; refused (ConcurrentEditError) if it changed since it was read,
    which includes a judgement someone else saved first while this one was new."""
    cell.relation, cell.meta_inference, cell.updated_by = relation, meta_inference, user
    cell.full_clean()
    save_versioned(cell, expected_version or 0, ["relation", "meta_inference", "updated_by"])


@transaction.atomic
def finding_create(
    *,
    study: Study,
    user: User,
    statement: str,
    joint_cell: JointDisplayCell | None = None,
    quotes: Iterable[Segment] = (),
) -> Finding:
    finding = Finding(study=study, statement=statement, joint_cell=joint_cell, created_by=user)
    finding.full_clean()
    finding.save()
    quotes = list(quotes)
    if any(q.round.study_id != study.pk for q in quotes):
        raise ValidationError(_("Quotes must come from this study."))
    finding.quotes.set(quotes)
    log_access(user, "create", finding)
    return finding


@transaction.atomic
def finding_mark_discussed(*, finding: Finding, user: User) -> Finding:
    if finding.discussed_with_clients_at is None:
        finding.discussed_with_clients_at = timezone.now()
        finding.save(update_fields=["discussed_with_clients_at"])
        log_access(user, "change", finding, "discussed with clients")
    return finding


@transaction.atomic
def dialogue_create(
    *,
    study: Study,
    user: User,
    held_on: dt.date,
    title: str,
    participants: dict[str, int],
    findings: Iterable[Finding] = (),
    interpretations: str = "",
    disagreements: str = "",
    actions: str = "",
) -> DialogueSession:
    if not any(n > 0 for n in participants.values()):
        raise ValidationError(_("Say who took part: at least one participant."))
    session = DialogueSession(
        study=study,
        held_on=held_on,
        title=title,
        phase=study.phase,
        interpretations=interpretations,
        disagreements=disagreements,
        actions=actions,
        created_by=user,
    )
    session.full_clean()
    session.save()
    findings = list(findings)
    if any(f.study_id != study.pk for f in findings):
        raise ValidationError(_("Findings must come from this study."))
    session.findings.set(findings)
    for role, count in participants.items():
        if count > 0:
            if role not in ROLE_KIND:
                raise ValidationError(_("Unknown stakeholder role."))
            DialogueParticipant.objects.create(
                session=session, role=role, kind=ROLE_KIND[role], count=count
            )
    log_access(user, "create", session)
    return session


@transaction.atomic
def member_check_create(
    *,
    finding: Finding,
    user: User,
    synthesis: str,
    client: Client | None = None,
    one_time_link: bool = False,
    valid_days: int = 30,
) -> tuple[MemberCheck, str | None]:
    """Send a synthesis to a client's own page and/or as a one-time link; returns the token once."""
    if client is None and not one_time_link:
        raise ValidationError(_("Choose a client or make a one-time link."))
    if (
        client is not None
        and not client.consents.filter(study=finding.study, withdrawn_at__isnull=True).exists()
    ):
        raise ValidationError(_("This client has no standing consent for the study."))
    token, token_hash = make_token() if one_time_link else (None, None)
    check = MemberCheck(
        finding=finding,
        synthesis=synthesis,
        client=client,
        token_hash=token_hash,
        expires_at=expiry(valid_days) if token else None,
        created_by=user,
    )
    check.full_clean()
    check.save()
    log_access(user, "create", check)
    return check, token


def member_check_by_token(token: str) -> MemberCheck | None:
    """The open member check a one-time link points to, or None (unknown, used or expired)."""
    try:
        token_hash = hash_token(token)
    except NotAToken:
        return None
    check = (
        MemberCheck.objects.select_related("finding__study")
        .filter(token_hash=token_hash, expires_at__gt=timezone.now())
        .first()
    )
    if check is None or check.answered:
        return None
    return check


@transaction.atomic
def member_check_respond(
    *, check: MemberCheck, agreement: str, comment: str, user: User | None = None
) -> MemberCheckResponse:
    """Store the answer as new data: a response linked to the finding and a source to code."""
    locked = (
        MemberCheck.objects.select_for_update().select_related("finding__study").get(pk=check.pk)
    )
    if locked.answered:
        raise ValidationError(_("This question was already answered. Thank you!"))
    if agreement not in MemberCheckResponse.Agreement.values:
        raise ValidationError(_("Choose one of the answers."))
    if (
        locked.client is not None
        and not locked.client.consents.filter(
            study=locked.finding.study,
            purpose=Consent.Purpose.STUDY,
            withdrawn_at__isnull=True,
        ).exists()
    ):
        # The answer would become research data in a study the client no longer takes part in.
        raise ValidationError(
            _(
                "Your consent for this study no longer stands, so your answer cannot be "
                "stored. Thank you all the same."
            ),
            code="no_consent",
        )
    label = MemberCheckResponse.Agreement(agreement).label
    source = Source(
        kind=Source.Kind.MEMBER_CHECK,
        title=_("Member check: %(finding)s") % {"finding": locked.finding.statement[:80]},
        text=f"{label}\n\n{comment}".strip(),
        teller_role=Source.TellerRole.CLIENT if locked.client_id else Source.TellerRole.OTHER,
        teller_client=locked.client,
        study=locked.finding.study,
        research_consent_at=timezone.now(),
        consent_recorded_by=locked.created_by,
        created_by=locked.created_by,
    )
    source.full_clean()
    source.save()
    response = MemberCheckResponse(
        member_check=locked, agreement=agreement, comment=comment, source=source
    )
    response.full_clean()
    response.save()
    if locked.token_hash:
        locked.expires_at = timezone.now()
        locked.save(update_fields=["expires_at"])
    log_access(user, "create", response)
    return response
