"""Who may see which stories. Every lookup of a source or its coding goes through here.

- a researcher: the sources of the studies they are on, while research consent stands
  (and the sources they entered themselves, until consent is recorded); codebooks they own
  or that serve their studies; rounds, displays, findings and dialogues of their studies;
- a professional: the sources linked to trajectories they lead (original access rules);
- a client who told a story: that story (to read and to withdraw), and member checks
  addressed to them;
- a coder (researcher, experience expert, client, educator or student): only the
  anonymised versions in the rounds they are assigned to, while consent stands;
- an experience expert or educator invited to a dialogue session: that session, the
  findings on its table (with their anonymised quotes), the dilemmas linked to it
  (anonymised), and adding an interpretation;
- a dilemma's lead professional and its team's manager: anonymising it, proposing it for
  a dialogue session of a study their organisation takes part in, marking it as teaching
  material; the session's researchers link or decline it, and mark a linked one as
  teaching material;
- a researcher on a study: offering an anonymised version of one of its stories as
  teaching material, when the teller is a client whose teaching consent stands;
- educators: the teaching material (dilemmas, and stories while the teller's teaching
  consent stands);
- every other role: nothing here (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from werkplaats.casework.models import Dilemma, Trajectory
from werkplaats.core.audit import log_access, log_list_access
from werkplaats.core.pseudonyms import study_case_key
from werkplaats.partnership.access import require_role
from werkplaats.partnership.models import Role, User
from werkplaats.programme.access import consenting_clients
from werkplaats.programme.models import Consent, Study
from werkplaats.stories.models import (
    Codebook,
    CoderAssignment,
    CodingRound,
    DialogueSession,
    Finding,
    MemberCheck,
    Memo,
    SessionDilemma,
    SharedDilemma,
    SharedVersion,
    Source,
)

SOURCE_READERS = (Role.RESEARCHER, Role.PROFESSIONAL, Role.CLIENT)
SOURCE_WRITERS = (Role.RESEARCHER, Role.PROFESSIONAL)
CODER_ROLES = (Role.RESEARCHER, Role.EXPERIENCE_EXPERT, Role.CLIENT, Role.EDUCATOR)
STORY_ROLES = (*SOURCE_READERS, Role.EXPERIENCE_EXPERT, Role.EDUCATOR)
DIALOGUE_GUESTS = (Role.EXPERIENCE_EXPERT, Role.EDUCATOR)


def require_story_role(user: User) -> None:
    require_role(user, *STORY_ROLES)


def _research_usable() -> Q:
    return Q(pk__in=Source.objects.research_usable().values("pk"))


def visible_sources(user: User) -> QuerySet[Source]:
    require_role(user, *SOURCE_READERS)
    condition = Q(pk__in=[])
    if user.has_role(Role.RESEARCHER):
        condition |= Q(study__researchers=user) & (
            _research_usable()
            | Q(created_by=user, research_consent_at__isnull=True, withdrawn_at__isnull=True)
        )
    if user.has_role(Role.PROFESSIONAL):
        condition |= Q(trajectory__lead_professional=user)
    if user.has_role(Role.CLIENT):
        condition |= Q(teller_client__user=user)
    return Source.objects.filter(condition).distinct()


def access_source_by_id(user: User, source_id: int, *, write: bool = False) -> Source:
    """A source's original text, for those the original access rules allow; the read is logged."""
    require_role(user, *(SOURCE_WRITERS if write else SOURCE_READERS))
    queryset = visible_sources(user)
    if write:
        queryset = queryset.filter(
            Q(study__researchers=user) | Q(trajectory__lead_professional=user)
        )
    source = get_object_or_404(
        queryset.select_related("study", "trajectory", "teller_client"), pk=source_id
    )
    log_access(user, "change" if write else "view", source)
    return source


def source_memo_context(user: User, source: Source) -> str:
    """The route a user reads a source by, for its memos: the lead professional of its
    trajectory and the teller read it under the care rules, everyone else (a researcher on
    its study) for research. Call after access_source_by_id."""
    return source_capabilities(user, source).memo_context


@dataclass(frozen=True)
class SourceCapabilities:
    """A source as one user reads it, with what that user may do with it."""

    source: Source
    is_study_researcher: bool
    is_lead: bool
    is_teller: bool

    @property
    def memo_context(self) -> str:
        """Care memos for the lead professional and the teller, research memos otherwise."""
        return Memo.Context.CARE if self.is_lead or self.is_teller else Memo.Context.RESEARCH

    @property
    def can_see_shared_versions(self) -> bool:
        return self.is_study_researcher

    @property
    def can_share(self) -> bool:
        """Make an anonymised shared version: a researcher on the study, consent standing."""
        return self.is_study_researcher and self.source.has_research_consent

    @property
    def can_record_consent(self) -> bool:
        source = self.source
        return (
            (self.is_study_researcher or self.is_lead)
            and source.research_consent_at is None
            and source.withdrawn_at is None
            and source.study_id is not None
        )


def source_capabilities(user: User, source: Source | int) -> SourceCapabilities:
    """The source (fetched and logged through access_source_by_id when given by id) with
    what the user may do with it, decided once here rather than in each page."""
    if not isinstance(source, Source):
        source = access_source_by_id(user, source)
    study = source.study
    return SourceCapabilities(
        source=source,
        is_study_researcher=study is not None and study.researchers.filter(pk=user.pk).exists(),
        is_lead=source.trajectory is not None and source.trajectory.lead_professional_id == user.pk,
        is_teller=source.teller_client is not None and source.teller_client.user_id == user.pk,
    )


def access_source_for_research(user: User, source_id: int) -> Source:
    """Anonymising and sharing: researchers on the source's study, consent standing."""
    require_role(user, Role.RESEARCHER)
    source = get_object_or_404(
        Source.objects.research_usable().filter(study__researchers=user).distinct(), pk=source_id
    )
    log_access(user, "view", source, "for anonymisation")
    return source


def access_document_for_research(
    user: User, document_id: int, purpose: str = "to correct"
) -> SharedVersion:
    """An anonymised version, to correct or to offer as teaching material: researchers on
    its source's study, consent standing."""
    require_role(user, Role.RESEARCHER)
    document = get_object_or_404(
        SharedVersion.objects.filter(
            source__study__researchers=user,
            source__in=Source.objects.research_usable(),
        ).distinct(),
        pk=document_id,
    )
    log_access(user, "view", document, purpose)
    return document


def access_own_story_by_id(user: User, source_id: int) -> Source:
    require_role(user, Role.CLIENT)
    source = get_object_or_404(Source, pk=source_id, teller_client__user=user)
    log_access(user, "view", source, "own story")
    return source


def possible_coders(study: Study) -> QuerySet[User]:
    """Who may be asked to code in a round of this study: its own researchers, and people
    with a coder role who agreed to co-code (``CoCodingAgreement``)."""
    return (
        User.objects.filter(is_active=True, memberships__role__in=CODER_ROLES)
        .filter(Q(co_coding__isnull=False) | Q(studies=study))
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def display_name(user: User) -> str:
    """The name a person goes by (never the username, which may identify a client)."""
    return user.get_full_name() or user.first_name or _("(no name given)")


def researcher_study(user: User, study_id: int) -> Study:
    """A study the user researches (for its rounds, displays, findings, dialogues)."""
    require_role(user, Role.RESEARCHER)
    return get_object_or_404(Study, pk=study_id, researchers=user)


def visible_codebooks(user: User) -> QuerySet[Codebook]:
    require_role(user, Role.RESEARCHER)
    return Codebook.objects.filter(Q(owner=user) | Q(studies__researchers=user)).distinct()


def access_codebook_by_id(user: User, codebook_id: int) -> Codebook:
    return get_object_or_404(visible_codebooks(user), pk=codebook_id)


def access_round_by_id(user: User, round_id: int) -> CodingRound:
    """A round: for the researchers of its study and for its coders."""
    require_role(user, *CODER_ROLES)
    condition = Q(assignments__coder=user)
    if user.has_role(Role.RESEARCHER):
        condition |= Q(study__researchers=user)
    return get_object_or_404(
        CodingRound.objects.filter(condition).distinct().select_related("study", "codebook"),
        pk=round_id,
    )


def access_round_for_research(user: User, round_id: int) -> CodingRound:
    """Exports and joint displays of a round: the study's researchers only."""
    require_role(user, Role.RESEARCHER)
    return get_object_or_404(
        CodingRound.objects.select_related("study", "codebook"),
        pk=round_id,
        study__researchers=user,
    )


def is_round_researcher(user: User, coding_round: CodingRound) -> bool:
    return (
        user.has_role(Role.RESEARCHER)
        and coding_round.study.researchers.filter(pk=user.pk).exists()
    )


def access_assignment(
    user: User, round_id: int, document_id: int
) -> tuple[CoderAssignment, SharedVersion]:
    """The coding screen: the user's own assignment and one anonymised source in it."""
    require_role(user, *CODER_ROLES)
    try:
        assignment = CoderAssignment.objects.select_related("round__codebook", "round__study").get(
            round_id=round_id, coder=user
        )
        document = (
            assignment.round.documents.filter(source__in=Source.objects.research_usable())
            .select_related("source")
            .get(pk=document_id)
        )
    except (CoderAssignment.DoesNotExist, SharedVersion.DoesNotExist):
        raise Http404 from None
    log_access(user, "view", document, "coding")
    return assignment, document


def access_trajectory_case(user: User, study_id: int, case_key: str) -> tuple[Study, Trajectory]:
    """Stories next to a trajectory, within one study: its lead professional, or a
    researcher on the study; either way only while the client's consent for that study
    stands (the page shows the client's place in the study).

    The trajectory is named by its study-scoped key (``study_case_key``), never by its
    id, so the same trajectory has unrelated addresses in two studies."""
    require_role(user, Role.RESEARCHER, Role.PROFESSIONAL)
    condition = Q(pk__in=[])
    if user.has_role(Role.PROFESSIONAL):
        condition |= Q(lead_professional=user)
    if (
        user.has_role(Role.RESEARCHER)
        and Study.objects.filter(pk=study_id, researchers=user).exists()
    ):
        condition |= Q(pk__isnull=False)
    study = get_object_or_404(Study, pk=study_id)
    candidates = Trajectory.objects.filter(
        condition, client__in=consenting_clients(study)
    ).values_list("pk", flat=True)
    trajectory_id = next(
        (pk for pk in candidates.iterator() if study_case_key(study.pk, pk) == case_key), None
    )
    if trajectory_id is None:
        raise Http404
    trajectory = Trajectory.objects.select_related("client").get(pk=trajectory_id)
    log_access(user, "view", trajectory, "stories next to the trajectory")
    return study, trajectory


def access_finding_by_id(user: User, finding_id: int) -> Finding:
    require_role(user, Role.RESEARCHER)
    return get_object_or_404(
        Finding.objects.select_related("study"), pk=finding_id, study__researchers=user
    )


def access_dialogue_by_id(user: User, session_id: int) -> DialogueSession:
    """A dialogue session with its findings: the study's researchers, and the experience
    experts and educators invited to it; the read is logged."""
    require_role(user, Role.RESEARCHER, *DIALOGUE_GUESTS)
    condition = Q(pk__in=[])
    if user.has_role(Role.RESEARCHER):
        condition |= Q(study__researchers=user)
    if user.has_role(*DIALOGUE_GUESTS):
        condition |= Q(invitations__user=user)
    session = get_object_or_404(
        DialogueSession.objects.filter(condition).distinct().select_related("study"),
        pk=session_id,
    )
    log_access(user, "view", session, "dialogue session")
    return session


def is_dialogue_researcher(user: User, session: DialogueSession) -> bool:
    """May invite people to the session: a researcher on its study."""
    return user.has_role(Role.RESEARCHER) and session.study.researchers.filter(pk=user.pk).exists()


def invited_dialogues(user: User) -> QuerySet[DialogueSession]:
    """The sessions an experience expert or educator was invited to (their home page)."""
    if not user.has_role(*DIALOGUE_GUESTS):
        return DialogueSession.objects.none()
    return DialogueSession.objects.filter(invitations__user=user).distinct()


def coded_rounds(user: User) -> QuerySet[CodingRound]:
    """The coding rounds the user is a coder in (their home page)."""
    if not user.has_role(*CODER_ROLES):
        return CodingRound.objects.none()
    return CodingRound.objects.filter(assignments__coder=user).distinct()


def access_own_member_check(user: User, check_id: int) -> MemberCheck:
    require_role(user, Role.CLIENT)
    return get_object_or_404(
        MemberCheck.objects.select_related("finding"), pk=check_id, client__user=user
    )


def require_authenticated(user: User) -> None:
    if not user.is_authenticated:
        raise PermissionDenied


# Dilemmas beyond their team (stories.models.dilemmas): the lead professional and the
# team's manager, who may read the original, anonymise it and propose it; the session's
# researchers link it; whoever sees the session sees what was linked; educators read
# what was marked as teaching material.
SHARE_DILEMMA = "to anonymise and share"


def access_dilemma_to_share(user: User, dilemma_id: int) -> Dilemma:
    """A dilemma the user may read (their own trajectory's, or their team's as manager),
    to anonymise it and propose it; the read is logged."""
    from werkplaats.casework.access import visible_trajectories

    require_role(user, Role.PROFESSIONAL, Role.TEAM_MANAGER)
    dilemma = get_object_or_404(
        Dilemma.objects.filter(trajectory__in=visible_trajectories(user)).select_related(
            "trajectory__client__neighbourhood__municipality",
            "trajectory__lead_professional",
            "recorded_by",
        ),
        pk=dilemma_id,
    )
    log_access(user, "view", dilemma, SHARE_DILEMMA)
    return dilemma


def sessions_to_propose(user: User) -> QuerySet[DialogueSession]:
    """Dialogue sessions a dilemma can be proposed for: those of studies the user's own
    organisation takes part in (a practice organisation proposes to its own studies)."""
    organisations = user.memberships.values("organisation_id")
    return (
        DialogueSession.objects.filter(study__participations__organisation__in=organisations)
        .select_related("study")
        .distinct()
        .order_by("-held_on", "-pk")
    )


def access_session_dilemma(user: User, session: DialogueSession, link_id: int) -> SessionDilemma:
    """A dilemma proposed for ``session``, for a researcher on its study to decide on."""
    if not is_dialogue_researcher(user, session):
        raise PermissionDenied
    return get_object_or_404(SessionDilemma, pk=link_id, session=session)


def access_linked_dilemma_for_teaching(
    user: User, session: DialogueSession, link_id: int
) -> SessionDilemma:
    """A dilemma on ``session``'s table (linked), for a researcher on its study to mark
    as teaching material or take off it."""
    link = access_session_dilemma(user, session, link_id)
    if link.status != SessionDilemma.Status.LINKED:
        raise Http404
    return link


def offered_stories() -> QuerySet[SharedVersion]:
    """Anonymised stories offered as teaching material that educators may read now: the
    story is not withdrawn and its teller, a client, has a teaching consent that stands.
    Checked at every read, so a withdrawn consent takes the story off at once."""
    return SharedVersion.objects.filter(
        teaching_at__isnull=False,
        source__withdrawn_at__isnull=True,
        source__teller_client__in=Consent.objects.teaching_standing().values("client_id"),
    )


@dataclass(frozen=True)
class TeachingMaterial:
    dilemmas: list[SharedDilemma]
    stories: list[SharedVersion]


def teaching_material(user: User) -> TeachingMaterial:
    """For educators: anonymised dilemmas marked as teaching material (by their makers or
    a session's researcher) and anonymised stories offered while the teller's teaching
    consent stands. The read is logged with the clients behind them, though the texts
    are anonymised."""
    require_role(user, Role.EDUCATOR)
    dilemmas = list(
        SharedDilemma.objects.filter(teaching=True).select_related("dilemma__trajectory")
    )
    stories = list(offered_stories().select_related("source").order_by("-teaching_at", "-pk"))
    clients = {d.dilemma.trajectory.client_id for d in dilemmas}
    clients |= {s.source.teller_client_id for s in stories if s.source.teller_client_id}
    log_list_access(user, SharedDilemma, "teaching material", clients=sorted(clients))
    return TeachingMaterial(dilemmas, stories)
