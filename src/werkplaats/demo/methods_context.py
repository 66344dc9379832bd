"""The demo's methods library and context: each demo method described (version 1, with
fidelity items), fidelity recorded in the contacts of trajectories that follow a method
per contact, a strengths-based organisation scan per team and year answered by the
team's professionals and managers, municipality characteristics per year, and a few
dilemmas of each kind anonymised by their lead professional and marked as teaching
material (the educator's page).

Deterministic for a seed (its own generator, rows in primary-key order). Descriptive
only: no effect of fidelity or context is planted, so the demo's documented truth
(``demo/truth.py``) is unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import numpy as np

from werkplaats.casework.models import Contact, Dilemma, Method, Trajectory
from werkplaats.context.models import ContextInformant, ContextResponse, MunicipalityYear
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.methods.models import (
    EvidenceStatus,
    FidelityAnswer,
    FidelityItem,
    FidelityMode,
    FidelityRecord,
    MethodOwner,
    MethodVersion,
)
from werkplaats.partnership.models import Membership, Municipality, Role, Team, User
from werkplaats.stories.anonymise import apply_masks, propose_masks
from werkplaats.stories.models import SharedDilemma

BATCH = 2000

# name -> (fidelity items, mode, evidence status)
DESCRIBED: dict[str, tuple[list[str], str, str]] = {
    "Krachtwerk": (
        [
            "Wensen en talenten van de cliënt besproken",
            "Doel in de eigen woorden van de cliënt vastgelegd",
            "Iemand uit het netwerk betrokken of benoemd",
            "Volgende stap samen afgesproken",
        ],
        FidelityMode.CONTACT,
        EvidenceStatus.WELL_FOUNDED,
    ),
    "Oplossingsgericht werken": (
        [
            "Gevraagd wat al goed gaat",
            "Schaalvraag gesteld",
            "Kleine volgende stap gekozen door de cliënt",
        ],
        FidelityMode.CONTACT,
        EvidenceStatus.EFFECTIVE_FIRST,
    ),
    "Netwerkberaad": (
        [
            "Netwerk in kaart gebracht",
            "Beraad met minstens twee mensen uit het netwerk gehouden",
            "Plan van het netwerk vastgelegd",
        ],
        FidelityMode.MONTH,
        EvidenceStatus.WELL_DESCRIBED,
    ),
}


def add_methods_and_context(seed: int) -> None:
    rng = np.random.default_rng(seed + 7919)
    _describe_methods()
    _fidelity(rng)
    _context_scans(rng)
    _municipality_years(rng)
    _teaching_dilemmas()


TEACHING_PER_TENSION = 3


def _teaching_dilemmas() -> None:
    """For each kind, the first dilemmas that tell different cases, anonymised as the share
    page would propose (the demo's texts name no one) and marked as teaching material by
    their lead professional."""
    rows = []
    for tension in Dilemma.Tension.values:
        found = Dilemma.objects.filter(tension=tension).select_related("trajectory")
        chosen: dict[str, Dilemma] = {}
        for d in found.order_by("pk").iterator(chunk_size=200):
            chosen.setdefault(d.description, d)
            if len(chosen) == TEACHING_PER_TENSION:
                break
        for d in chosen.values():
            texts = {
                name: apply_masks(getattr(d, name), propose_masks(getattr(d, name)))
                for name in ("values_at_stake", "options_weighed", "choice", "reasons")
            }
            rows.append(
                SharedDilemma(
                    dilemma=d,
                    tension=d.tension,
                    month=d.date.strftime("%Y-%m"),
                    deliberated=d.moral_case_deliberation,
                    teaching=True,
                    teaching_by_id=d.trajectory.lead_professional_id,
                    reviewed_by_id=d.trajectory.lead_professional_id,
                    reviewed_at=datetime.combine(d.date, time(12), tzinfo=UTC),
                    **texts,
                )
            )
    SharedDilemma.objects.bulk_create(rows)


def _describe_methods() -> None:
    owner = User.objects.filter(username="professional").first()
    for method in Method.objects.order_by("name"):
        items, mode, status = DESCRIBED.get(
            method.name, ([], FidelityMode.CONTACT, EvidenceStatus.IN_DEVELOPMENT)
        )
        version = MethodVersion.objects.create(
            method=method,
            number=method.version,
            description=method.description,
            fidelity_mode=mode,
            evidence_status=status,
        )
        FidelityItem.objects.bulk_create(
            [FidelityItem(version=version, position=i, text=t) for i, t in enumerate(items, 1)]
        )
        if owner is not None and method.name == "Krachtwerk":
            MethodOwner.objects.create(method=method, user=owner)
    Trajectory.objects.filter(method__isnull=False).update(method_version=1)


def _fidelity(rng: np.random.Generator) -> None:
    """Per-contact methods: each contact of a trajectory answers the checklist; how much is
    done varies per trajectory (some professionals keep to the method more than others)."""
    versions = {
        v.method_id: (v, list(v.items.order_by("position")))
        for v in MethodVersion.objects.filter(fidelity_mode=FidelityMode.CONTACT)
        if v.items.exists()
    }
    contacts = list(
        Contact.objects.filter(trajectory__method_id__in=list(versions))
        .order_by("trajectory_id", "date", "pk")
        .values_list("pk", "trajectory_id", "trajectory__method_id", "date", "recorded_by_id")
    )
    keep: dict[int, float] = {}
    records = []
    for pk, tid, mid, day, by in contacts:
        if tid not in keep:
            keep[tid] = float(rng.beta(6, 2))
        records.append(
            FidelityRecord(
                trajectory_id=tid,
                method_version=versions[mid][0],
                contact_id=pk,
                date=day,
                recorded_by_id=by,
            )
        )
    FidelityRecord.objects.bulk_create(records, batch_size=BATCH)
    created = FidelityRecord.objects.filter(contact__isnull=False).order_by(
        "trajectory_id", "date", "contact_id"
    )
    answers = []
    for record in created.values_list("pk", "trajectory_id", "method_version__method_id"):
        pk, tid, mid = record
        for item in versions[mid][1]:
            answers.append(
                FidelityAnswer(record_id=pk, item=item, done=bool(rng.random() < keep[tid]))
            )
    FidelityAnswer.objects.bulk_create(answers, batch_size=BATCH)


def _context_scans(rng: np.random.Generator) -> None:
    """Every team's professionals and managers answer the scan for each year the
    trajectories started in; each team has its own level, each person some noise."""
    version = (
        InstrumentVersion.objects.filter(
            instrument__slug="strengths-organisation-scan", organisation__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    if version is None:
        return
    items = [i.id for i in version.parsed.items]
    years = sorted({d.year for d in Trajectory.objects.values_list("start", flat=True)})
    rows = []
    for team in Team.objects.order_by("organisation__name", "name"):
        level = float(rng.normal(3.4, 0.5))
        people = list(
            Membership.objects.filter(team=team, role__in=[Role.PROFESSIONAL, Role.TEAM_MANAGER])
            .order_by("user__username", "role")
            .values_list("user_id", "role")
        )
        seen: set[tuple[int, int]] = set()
        for year in years:
            level += float(rng.normal(0.1, 0.15))  # teams grow a little more strengths-based
            for user_id, role in people:
                if (user_id, year) in seen:
                    continue
                seen.add((user_id, year))
                person = level + float(rng.normal(0, 0.4))
                answers = {
                    i: int(np.clip(round(person + float(rng.normal(0, 0.6))), 1, 5)) for i in items
                }
                rows.append(
                    ContextResponse(
                        team=team,
                        year=year,
                        instrument_id=version.instrument_id,
                        instrument_version=version,
                        informant=ContextInformant.MANAGER
                        if role == Role.TEAM_MANAGER
                        else ContextInformant.TEAM_MEMBER,
                        respondent_id=user_id,
                        answers=answers,
                    )
                )
    ContextResponse.objects.bulk_create(rows, batch_size=BATCH)


def _municipality_years(rng: np.random.Generator) -> None:
    years = sorted({d.year for d in Trajectory.objects.values_list("start", flat=True)})
    rows = []
    for m in Municipality.objects.order_by("name"):
        policy = int(rng.integers(2, 5))
        budget = float(rng.normal(480, 60))
        population = int(rng.integers(40, 160)) * 1000
        for year in years:
            rows.append(
                MunicipalityYear(
                    municipality=m,
                    year=year,
                    strengths_based_policy=policy,
                    budget_per_inhabitant=Decimal(f"{budget:.2f}"),
                    population=population,
                    share_over_75=Decimal(f"{float(rng.normal(9, 1.5)):.2f}"),
                )
            )
            budget *= 1.03
            population += int(rng.integers(-500, 1500))
    MunicipalityYear.objects.bulk_create(rows)
