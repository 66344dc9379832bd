"""Reads for the insight pages: caseloads, feedback per stakeholder, CMO evidence."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Count, Q

from werkplaats.casework.models import Contact, Trajectory, WorkingPrinciple
from werkplaats.insight.dataset import catalogue
from werkplaats.insight.models import AnalysisPlan, CmoConfiguration, OutcomeMeasure, ReportRun
from werkplaats.insight.outcomes import consenting_trajectories, gas_clients, outcome_options
from werkplaats.insight.plan import CatalogueEntry, InstrumentScales, OutcomeOption
from werkplaats.insight.variables import age_band
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Assessment, Informant
from werkplaats.programme.models import Consent, Study
from werkplaats.stats.definition import parse_definition
from werkplaats.stats.sdc import disclose, disclose_count
from werkplaats.stories.models import Segment, Source


def study_trajectories(study: Study) -> Any:
    """The caseload a study draws on: the trajectories in its participating organisations,
    or, when no practice organisation takes part, those of clients ever asked to consent."""
    orgs = list(study.participations.values_list("organisation_id", flat=True))
    qs = Trajectory.objects.filter(team__organisation_id__in=orgs)
    if not qs.exists():
        asked = Consent.objects.filter(study=study).values("client_id")
        qs = Trajectory.objects.filter(client_id__in=asked)
    return qs


def caseload_frame(study: Study, today: dt.date | None = None) -> pd.DataFrame:
    """One row per client of the caseload, for the silenced-voices monitor (counts only)."""
    today = today or dt.date.today()
    trajectories = study_trajectories(study)
    rows = list(
        trajectories.values_list(
            "pk",
            "client_id",
            "client__birth_year",
            "client__language",
            "client__neighbourhood__name",
            "start",
            "end",
        )
    )
    if not rows:
        return pd.DataFrame(
            columns=[
                "target_group",
                "age_band",
                "neighbourhood",
                "language",
                "respondent",
                "story",
                "due",
                "done",
            ]
        )
    t = pd.DataFrame(
        rows, columns=["pk", "client_id", "birth_year", "language", "neighbourhood", "start", "end"]
    )
    groups: dict[int, str] = {}
    for tid, code in (
        Trajectory.target_groups.through.objects.filter(trajectory__in=trajectories)
        .values_list("trajectory_id", "targetgroup__code")
        .order_by("-targetgroup__code")
    ):
        if code != "debt" or tid not in groups:
            groups[tid] = code
    t["target_group"] = t["pk"].map(lambda x: groups.get(x, "?"))
    t["age_band"] = [age_band(b, s.year) for b, s in zip(t["birth_year"], t["start"], strict=True)]
    consenting = set(Consent.objects.standing(study).values_list("client_id", flat=True))
    done = dict(
        Assessment.objects.filter(
            trajectory__in=trajectories, informant="client", status="complete"
        )
        .values_list("trajectory_id")
        .annotate(n=Count("pk"))
        .values_list("trajectory_id", "n")
    )
    storytellers = set(
        Source.objects.filter(study=study, teller_client__isnull=False).values_list(
            "teller_client_id", flat=True
        )
    )
    t["done"] = t["pk"].map(done).fillna(0).astype(int)
    ends = [(e or today) for e in t["end"]]
    t["due"] = [
        max(1, min(9, (e - s).days // 91 + 1)) for s, e in zip(t["start"], ends, strict=True)
    ]
    t["respondent"] = t["client_id"].isin(consenting) & (t["done"] > 0)
    t["story"] = t["client_id"].isin(storytellers)
    t["done"] = t[["done", "due"]].min(axis=1)
    return t[
        [
            "target_group",
            "age_band",
            "neighbourhood",
            "language",
            "respondent",
            "story",
            "due",
            "done",
        ]
    ]


@dataclass
class CmoRow:
    cmo: CmoConfiguration
    evidence: dict[str, Any] | None
    supporting: int
    contradicting: int


def cmo_rows(study: Study, evidence: dict[str, dict[str, Any]]) -> list[CmoRow]:
    """Each configuration with its estimate and its counts of coded story fragments."""
    cmos = list(CmoConfiguration.objects.filter(study=study))
    codes = {c.supporting_code_id for c in cmos} | {c.contradicting_code_id for c in cmos}
    wanted = [code for code in codes if code is not None]
    counts: dict[int | None, int] = dict(
        Segment.objects.filter(round__study=study, code_id__in=wanted)
        .values_list("code_id")
        .annotate(n=Count("pk"))
        .values_list("code_id", "n")
    )
    return [
        CmoRow(
            c,
            evidence.get(c.term),
            counts.get(c.supporting_code_id, 0),
            counts.get(c.contradicting_code_id, 0),
        )
        for c in cmos
    ]


@dataclass
class TeamFigures:
    """Aggregates for one team (or organisation) beside the whole workplace."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def _aggregate(trajectories: Any) -> dict[str, Any]:
    """A unit's figures under the disclosure rules (stats.sdc): a count of distinct
    clients hidden under 10 and rounded to 5; a mean or share only when 10 or more
    distinct clients contribute to it. Each is one SQL aggregate (COUNT ... GROUP BY),
    never a loop over rows in Python."""
    names = {p.code: str(p) for p in WorkingPrinciple.objects.all()}
    n = trajectories.count()
    clients = trajectories.values("client_id").distinct().count()
    contacts = Contact.objects.filter(trajectory__in=trajectories)
    n_contacts = contacts.count()
    contact_clients = contacts.values("trajectory__client_id").distinct().count()
    principles: dict[str, int] = {
        row["workingprinciple__code"]: row["n"]
        for row in Contact.principles.through.objects.filter(contact__in=contacts)
        .values("workingprinciple__code")
        .annotate(n=Count("pk"))
        .order_by()
    }
    n_measured = (
        Assessment.objects.filter(
            trajectory__in=trajectories, informant="client", status="complete"
        )
        .values("trajectory_id")
        .distinct()
        .count()
    )
    open_clients = trajectories.filter(status="open").values("client_id").distinct().count()
    return {
        "trajectories": disclose_count(clients),
        "open": disclose_count(open_clients),
        "contacts_per_trajectory": disclose(n_contacts / n if n else None, clients),
        "principles": {names.get(k, k): v / n_contacts for k, v in principles.items()}
        if n_contacts and disclose(1.0, contact_clients) is not None
        else {},
        "measured_share": disclose(n_measured / n if n else None, clients),
        "alliance_answered": disclose(
            contacts.filter(alliance_heard__isnull=False).count() / n_contacts
            if n_contacts
            else None,
            contact_clients,
        ),
    }


WORKPLACE_SECONDS = 300


def unit_feedback(trajectories: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the unit's figures, the whole workplace's), side by side. The whole workplace's
    figures are the same on every team's and organisation's page: they are kept for
    ``WORKPLACE_SECONDS`` (per language: they hold the principles' names) instead of
    being counted again on every request."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    whole = cache.get_or_set(
        f"insight:workplace-figures:{get_language()}",
        lambda: _aggregate(Trajectory.objects.all()),
        WORKPLACE_SECONDS,
    )
    return _aggregate(trajectories), whole or _aggregate(Trajectory.objects.all())


def trajectory_filter_for_municipality(municipality_id: int) -> Q:
    return Q(client__neighbourhood__municipality_id=municipality_id)


@dataclass
class PlanContext:
    """What a plan of a study can name: the catalogue, the library's instruments, and
    what the study's data hold."""

    variables: list[Any]
    entries: dict[str, CatalogueEntry]
    instruments: dict[str, InstrumentScales]
    outcomes: list[OutcomeOption]
    gas_clients: int
    group_levels: dict[str, int] = field(default_factory=dict)

    def kinds(self) -> dict[str, str]:
        return {name: e.kind for name, e in self.entries.items()}


def instrument_scales() -> dict[str, InstrumentScales]:
    """Every instrument's scales and informants over all its versions (incl. an
    organisation's own, bring-your-own-licence ones)."""
    scales: dict[str, set[str]] = defaultdict(set)
    informants: dict[str, set[str]] = defaultdict(set)
    for slug, definition in InstrumentVersion.objects.values_list("instrument__slug", "definition"):
        parsed = parse_definition(definition)
        scales[slug] |= {s.id for s in parsed.scales if s.method != "gas"}
        informants[slug] |= set(parsed.informants)
    return {
        slug: InstrumentScales(slug, frozenset(scales[slug]), frozenset(informants[slug]))
        for slug in scales
    }


def group_levels(study: Study) -> dict[str, int]:
    """How many professionals, teams, organisations and municipalities the study's
    consenting clients' trajectories have (a random effect needs five)."""
    qs = consenting_trajectories(study)
    fields = {
        "professional": "lead_professional_id",
        "team": "team_id",
        "organisation": "team__organisation_id",
        "municipality": "client__neighbourhood__municipality_id",
    }
    return {
        name: qs.exclude(**{f"{f}__isnull": True}).values(f).distinct().count()
        for name, f in fields.items()
    }


def plan_context(study: Study) -> PlanContext:
    variables = catalogue(study)
    return PlanContext(
        variables,
        {v.name: v.entry() for v in variables},
        instrument_scales(),
        outcome_options(study),
        gas_clients(study),
        group_levels(study),
    )


def current_plan(study: Study) -> AnalysisPlan | None:
    return AnalysisPlan.objects.filter(study=study).order_by("-version").first()


def latest_run(study: Study) -> ReportRun | None:
    return ReportRun.objects.filter(study=study).exclude(html="").select_related("plan").first()


def plan_context_kinds() -> dict[str, str]:
    """Catalogue name -> number or indicator (no data read)."""
    from werkplaats.insight.variables import definitions

    return {v.name: v.kind for v in definitions()}


@dataclass
class MeasureOption:
    key: str  # instrument|scale|informant
    label: str
    answered: int  # completed assessments in the organisation


def informant_label(code: str) -> str:
    """Who answered, in the page's language ("netwerklid", not ``network_member``)."""
    return str(Informant(code).label) if code in Informant.values else code


def measure_options(organisation: Any) -> list[MeasureOption]:
    """Every scale × informant of the instruments the workplace holds, with how often the
    organisation's clients answered it (answered first)."""
    counts: dict[tuple[str, str], int] = {
        (slug, informant): n
        for slug, informant, n in Assessment.objects.filter(
            trajectory__team__organisation=organisation, status="complete"
        )
        .values_list("instrument__slug", "informant")
        .annotate(n=Count("pk"))
        .order_by()
    }
    options = []
    for slug, known in sorted(instrument_scales().items()):
        for scale in sorted(known.scales):
            for informant in sorted(known.informants):
                n = counts.get((slug, informant), 0)
                options.append(
                    MeasureOption(
                        f"{slug}|{scale}|{informant}",
                        f"{slug} · {scale} · {informant_label(informant)} ({n})",
                        n,
                    )
                )
    options.sort(key=lambda o: (-o.answered, o.key))
    return options


def chosen_measure_keys(organisation: Any) -> list[str]:
    return [
        f"{m.instrument}|{m.scale}|{m.informant}"
        for m in OutcomeMeasure.objects.filter(organisation=organisation)
    ]
