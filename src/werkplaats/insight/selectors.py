"""Reads for the insight pages: caseloads, feedback per stakeholder, CMO evidence."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Count, Q

from werkplaats.casework.models import Contact, Trajectory, WorkingPrinciple
from werkplaats.insight.dataset import _age_band
from werkplaats.insight.models import CmoConfiguration
from werkplaats.measurements.models import Assessment
from werkplaats.programme.models import Consent, Study
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
    t["age_band"] = [_age_band(b, s.year) for b, s in zip(t["birth_year"], t["start"], strict=True)]
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
    distinct clients contribute to it."""
    names = {p.code: str(p) for p in WorkingPrinciple.objects.all()}
    n = trajectories.count()
    clients = trajectories.values("client_id").distinct().count()
    contacts = Contact.objects.filter(trajectory__in=trajectories)
    n_contacts = contacts.count()
    contact_clients = contacts.values("trajectory__client_id").distinct().count()
    principles: dict[str, int] = defaultdict(int)
    for code in Contact.principles.through.objects.filter(contact__in=contacts).values_list(
        "workingprinciple__code", flat=True
    ):
        principles[code] += 1
    complete = Assessment.objects.filter(
        trajectory__in=trajectories, informant="client", status="complete"
    )
    n_measured = complete.values("trajectory_id").distinct().count()
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


def unit_feedback(trajectories: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the unit's figures, the whole workplace's), side by side."""
    return _aggregate(trajectories), _aggregate(Trajectory.objects.all())


def mastery_change(trajectories: Any) -> dict[str, Any]:
    """Mean change in the client's own mastery score from first to last measurement."""
    from werkplaats.stats.scoring import score

    by_client: dict[int, list[tuple[dt.date, float]]] = defaultdict(list)
    for a in (
        Assessment.objects.filter(
            trajectory__in=trajectories,
            informant="client",
            status="complete",
            instrument__slug="pearlin-mastery",
        )
        .select_related("version", "trajectory")
        .prefetch_related("answers")
    ):
        value = score(a.version.parsed, a.answer_map())["mastery"].value
        if value is not None:
            by_client[a.trajectory.client_id].append((a.wave_date, value))
    # One change per client (first to last own measurement); the mean only from 10 or more.
    changes = [sorted(v)[-1][1] - sorted(v)[0][1] for v in by_client.values() if len(v) >= 2]
    mean = sum(changes) / len(changes) if changes else None
    return {"n": disclose_count(len(changes)), "mean": disclose(mean, len(changes))}


def trajectory_filter_for_municipality(municipality_id: int) -> Q:
    return Q(client__neighbourhood__municipality_id=municipality_id)
