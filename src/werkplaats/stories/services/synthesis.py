"""Writes for synthesis: joint-display judgements, findings, dialogue sessions, member checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import log_access
from werkplaats.core.one_time import NotAToken, expiry, hash_token, make_token
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership.models import Role, StakeholderKind, User
from werkplaats.programme.models import Consent, Study
from werkplaats.stories.models import (
    Code,
    CodingRound,
    DialogueParticipant,
    DialogueSession,
    Finding,
    JointDisplayCell,
    MemberCheck,
    MemberCheckResponse,
    Segment,
    Source,
)

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
        and not Consent.objects.standing(finding.study).filter(client=client).exists()
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
        and not Consent.objects.standing(locked.finding.study).filter(client=locked.client).exists()
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
        title=_("My answer to: “%(finding)s”") % {"finding": locked.finding.statement[:80]},
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
