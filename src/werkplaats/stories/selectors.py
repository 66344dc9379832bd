"""Reads for stories pages, shaped for the templates. Access is checked before these run."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import mean

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from werkplaats.casework import selectors as case_selectors
from werkplaats.casework.models import Trajectory
from werkplaats.measurements import selectors as measurement_selectors
from werkplaats.measurements.gas import GasSummary
from werkplaats.partnership.models import User
from werkplaats.programme.access import consenting_clients
from werkplaats.programme.models import Study
from werkplaats.stories import comparison
from werkplaats.stories.models import (
    Code,
    CoderAssignment,
    CodingRound,
    DialogueParticipant,
    JointDisplayCell,
    Memo,
    Segment,
    SharedVersion,
    Source,
)
from werkplaats.stories.services import ROLE_KIND

NO_GROUP = ""


def round_documents(coding_round: CodingRound) -> QuerySet[SharedVersion]:
    return coding_round.documents.filter(
        source__in=Source.objects.research_usable()
    ).select_related("source")


def code_tree(codes: Iterable[Code]) -> list[tuple[Code, int]]:
    """Codes in tree order (each parent before its children), with their depth."""
    children: dict[int | None, list[Code]] = defaultdict(list)
    for code in codes:
        children[code.parent_id].append(code)
    result: list[tuple[Code, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for code in children.get(parent, []):
            result.append((code, depth))
            walk(code.pk, depth + 1)

    walk(None, 0)
    return result


def coding_tree(coding_round: CodingRound) -> list[tuple[Code, int]]:
    """The round's codebook in tree order, with depths, for the coding screen."""
    return code_tree(coding_round.codebook.codes.all())


def blind_in_progress(coding_round: CodingRound) -> bool:
    """The blind-coding rule: in a blind round each coder sees only their own coding (and
    memos) until every coder has marked their coding done."""
    return coding_round.blind and not all_done(coding_round)


def visible_segments(
    coding_round: CodingRound, document: SharedVersion, user: User
) -> QuerySet[Segment]:
    """In blind mode a coder sees only their own coding until everyone is done."""
    segments = coding_round.segments.filter(document=document).select_related("code", "coder")
    if blind_in_progress(coding_round):
        segments = segments.filter(coder=user)
    return segments


def visible_document_memos(
    coding_round: CodingRound, document: SharedVersion, user: User
) -> QuerySet[Memo]:
    """Memos on a document in a round, under the same blind rule as the segments."""
    memos = Memo.objects.filter(document=document)
    if blind_in_progress(coding_round):
        memos = memos.filter(author=user)
    return memos


def own_segment(assignment: CoderAssignment, document: SharedVersion, segment_id: int) -> Segment:
    """One of the coder's own segments on this document in this round (404 otherwise)."""
    return get_object_or_404(
        assignment.round.segments, pk=segment_id, coder=assignment.coder, document=document
    )


def all_done(coding_round: CodingRound) -> bool:
    return not coding_round.assignments.filter(done_at__isnull=True).exists()


def round_comparison(coding_round: CodingRound) -> comparison.Comparison:
    assignments = list(coding_round.assignments.order_by("pk"))
    documents = [comparison.Document(d.pk, d.title, d.text) for d in round_documents(coding_round)]
    codings = [
        comparison.Coding(s.coder_id, s.document_id, s.code_id, s.start, s.end)
        for s in coding_round.segments.all()
    ]
    codes = list(coding_round.codebook.codes.filter(is_group=False).values_list("pk", flat=True))
    return comparison.compare(
        documents,
        codings,
        coders=[a.coder_id for a in assignments],
        finished={a.coder_id for a in assignments if a.done_at is not None},
        codes=codes,
        unitising=coding_round.unitising,
    )


def _source_group(source: Source) -> list[str]:
    trajectory = source.trajectory
    if trajectory is None and source.teller_client is not None:
        trajectory = source.teller_client.trajectories.order_by("-start").first()
    if trajectory is None:
        return [NO_GROUP]
    groups = [g.code for g in trajectory.target_groups.all()]
    return groups or [NO_GROUP]


@dataclass
class JointCell:
    theme: Code
    group: str
    frequency: int = 0
    n_sources: int = 0
    quotes: list[Segment] = field(default_factory=list)
    figure: dict[str, float | int | None] = field(default_factory=dict)
    judgement: JointDisplayCell | None = None


def gas_change_by_group(study: Study) -> dict[str, dict[str, float | int | None]]:
    """Mean change in GAS T-score (latest minus baseline) per target group, consenting clients.

    Stands in for the empowerment growth per group until the analysis pipeline lands.
    """
    changes: dict[str, list[float]] = defaultdict(list)
    today = timezone.localdate()
    trajectories = Trajectory.objects.filter(client__in=consenting_clients(study)).prefetch_related(
        "target_groups"
    )
    for trajectory in trajectories:
        summary = measurement_selectors.gas_summary(trajectory, today)
        if summary.baseline is None or summary.latest is None:
            continue
        change = summary.latest - summary.baseline
        groups = [g.code for g in trajectory.target_groups.all()] or [NO_GROUP]
        for group in groups:
            changes[group].append(change)
    return {group: {"mean": mean(values), "n": len(values)} for group, values in changes.items()}


def joint_display(coding_round: CodingRound) -> tuple[list[str], list[JointCell]]:
    """Per theme (top-level code) and group: code frequency, example quotes, the figure and
    the researchers' judgement of the relation."""
    themes = list(coding_round.codebook.codes.filter(parent__isnull=True))
    documents = list(
        round_documents(coding_round).select_related("source__trajectory", "source__teller_client")
    )
    groups_of = {d.pk: _source_group(d.source) for d in documents}
    segments = coding_round.segments.filter(document__in=documents).select_related(
        "code__parent__parent"
    )
    figures = gas_change_by_group(coding_round.study)
    judgements = {(c.theme_id, c.group): c for c in coding_round.joint_cells.all()}
    groups = sorted({g for gs in groups_of.values() for g in gs})
    cells: dict[tuple[int, str], JointCell] = {}
    sources_seen: dict[tuple[int, str], set[int]] = defaultdict(set)
    for theme in themes:
        for group in groups:
            cells[(theme.pk, group)] = JointCell(
                theme,
                group,
                figure=figures.get(group, {}),
                judgement=judgements.get((theme.pk, group)),
            )
    for segment in segments:
        theme = segment.code.theme()
        for group in groups_of.get(segment.document_id, [NO_GROUP]):
            cell = cells.get((theme.pk, group))
            if cell is None:
                continue
            cell.frequency += 1
            sources_seen[(theme.pk, group)].add(segment.document_id)
            if len(cell.quotes) < 3 and not segment.is_stale:
                cell.quotes.append(segment)
    for key, seen in sources_seen.items():
        cells[key].n_sources = len(seen)
    return groups, list(cells.values())


@dataclass
class CaseView:
    trajectory: Trajectory
    fragments: list[Segment]
    goals: list[case_selectors.GoalRow]
    gas: GasSummary
    waves: list[case_selectors.NetworkWave]


def case_view(study: Study, trajectory: Trajectory) -> CaseView:
    """A client's story fragments (anonymised, coded) next to goals, scores and network."""
    fragments = list(
        Segment.objects.filter(
            round__study=study,
            document__source__in=Source.objects.research_usable(),
        )
        .filter(
            Q(document__source__trajectory=trajectory)
            | Q(document__source__teller_client=trajectory.client_id)
        )
        .select_related("code", "document")
        .order_by("document_id", "start")
    )
    goals = case_selectors.goal_rows(trajectory)
    return CaseView(
        trajectory=trajectory,
        fragments=fragments,
        goals=goals,
        gas=measurement_selectors.gas_summary(trajectory, timezone.localdate()),
        waves=case_selectors.network_waves(trajectory),
    )


@dataclass
class ResearchGoal:
    """A goal as researchers see it: a numbered level series, without the goal's own words."""

    number: int
    baseline: int
    scores: list[tuple[int, dt.date]]  # (level, first day of the month scored)


@dataclass
class ResearchCase:
    """The case page for a researcher: no names, no free text, dates by month."""

    goals: list[ResearchGoal]
    waves: list[tuple[dt.date, int]]  # (month of the snapshot, network size)


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def research_case(view: CaseView) -> ResearchCase:
    return ResearchCase(
        goals=[
            ResearchGoal(
                number=i + 1,
                baseline=row.goal.baseline,
                scores=[(score.level, _month(score.date)) for score in row.scores],
            )
            for i, row in enumerate(view.goals)
        ],
        waves=[(_month(w.snapshot.date), w.size) for w in view.waves],
    )


def study_phase_kinds(study_ids: list[int] | None = None) -> dict[int, dict[str, set[str]]]:
    """Which stakeholder kinds took part in each phase of each study, from the stories
    domain: dialogue sessions (at the phase they were held in) and coding rounds (analysis)."""
    result: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    participants = DialogueParticipant.objects.select_related("session")
    if study_ids is not None:
        participants = participants.filter(session__study_id__in=study_ids)
    for participant in participants:
        result[participant.session.study_id][participant.session.phase].add(participant.kind)
    rounds = CodingRound.objects.prefetch_related("assignments__coder__memberships")
    if study_ids is not None:
        rounds = rounds.filter(study_id__in=study_ids)
    for coding_round in rounds:
        for assignment in coding_round.assignments.all():
            for membership in assignment.coder.memberships.all():
                kind = ROLE_KIND.get(membership.role)
                if kind:
                    result[coding_round.study_id][Study.Phase.ANALYSIS].add(kind)
    return result
