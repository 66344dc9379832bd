"""The data of a study's analysis, built from the database under the study's plan.

Only clients whose consent for the study stands *now* are in it; every key that points
to a person is a keyed hash per study (clients through
:func:`werkplaats.core.pseudonyms.study_pseudonym`, professionals likewise), so the same
client has unrelated keys in two studies. No names, no dates of birth, no calendar dates:
time is counted in years since the trajectory started.

* :func:`catalogue` lists the variables a plan can use (name, level, type, description,
  how it is computed, how many clients have it); :func:`catalogue_frame` computes them,
  one row per trajectory.
* :func:`outcome_options` lists what a study's data hold as outcomes (instrument, scale,
  informant) with the number of clients.
* :func:`measurements` gives the outcome's scores, one row per completed measurement by
  any informant (the agreement analysis needs them all), or the GAS T-score at every date
  a goal was scored.
* :func:`study_data` joins them into the rows the plan's analyses run on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import models
from django.db.models import Count
from django.db.models.functions import Cast
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from werkplaats.casework.models import (
    ActorKind,
    Contact,
    GoalScore,
    NetworkMember,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.context import selectors as context_selectors
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.insight.plan import CatalogueEntry, Outcome, OutcomeInfo, OutcomeOption, Plan
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.partnership.models import Municipality, Organisation, Team
from werkplaats.programme.models import Consent, Study
from werkplaats.stats.definition import Scale
from werkplaats.stats.gas import gas_t_score
from werkplaats.stats.scoring import score

AGE_BANDS = [
    (0, 27, "18-26"),
    (27, 45, "27-44"),
    (45, 65, "45-64"),
    (65, 75, "65-74"),
    (75, 200, "75+"),
]
DUTCH = {"nederlands", "nl", "dutch"}

# The columns every analysis row carries besides the plan's variables.
KEYS = ["client", "trajectory", "professional", "team", "organisation", "municipality"]


def _key(study: Study, kind: str, pk: int) -> str:
    digest = salted_hmac(
        "werkplaats.study-key", f"{study.pk}:{kind}:{pk}", algorithm="sha256"
    ).hexdigest()
    return f"{kind[0].upper()}{study.pk}-{digest[:8].upper()}"


def consenting_trajectories(study: Study) -> Any:
    """Trajectories of clients whose consent for ``study`` stands now.

    A plain (uncorrelated) subquery: SQLite evaluates it once, where a correlated EXISTS
    was evaluated per row and made the data set quadratic in size.
    """
    active = Consent.objects.filter(study=study, withdrawn_at__isnull=True).values("client_id")
    return Trajectory.objects.filter(client_id__in=active)


def _age_band(birth_year: float | None, start_year: int) -> str:
    if birth_year is None or pd.isna(birth_year):
        return "?"
    age = start_year - int(birth_year)
    for lo, hi, label in AGE_BANDS:
        if lo <= age < hi:
            return label
    return "?"


def code_name(code: str) -> str:
    """A catalogue name part from a code: ``frail-elderly`` -> ``frail_elderly``."""
    return code.replace("-", "_").replace(" ", "_").lower()


@dataclass
class Variable:
    """One variable of the catalogue."""

    name: str
    level: str  # client, process, context
    kind: str  # number or indicator
    description: str
    computed: str
    clients: int = 0

    def entry(self) -> CatalogueEntry:
        return CatalogueEntry(self.name, self.level, self.kind, self.clients)


def _characteristics() -> list[tuple[type[models.Model], str, str, str]]:
    """Every numeric or yes/no characteristic recorded of organisations, teams and
    municipalities: (model, prefix, field, verbose name)."""
    out: list[tuple[type[models.Model], str, str, str]] = []
    kinds = (
        models.IntegerField,
        models.FloatField,
        models.DecimalField,
        models.BooleanField,
    )
    for model, prefix in (
        (Organisation, "organisation"),
        (Team, "team"),
        (Municipality, "municipality"),
    ):
        for f in model._meta.get_fields():
            if isinstance(f, kinds) and not f.primary_key and not f.is_relation:
                out.append((model, prefix, f.name, str(f.verbose_name)))
    return out


def definitions() -> list[Variable]:
    """The catalogue's variables (without counts): fixed ones and one per code."""
    v = [
        Variable(
            "age_at_start",
            "client",
            "number",
            _("Age at the start of the trajectory"),
            _("year the trajectory started minus the year of birth"),
        ),
        Variable(
            "language_other",
            "client",
            "indicator",
            _("Speaks another language than Dutch at home"),
            _("1 when the language at home is recorded and is not Dutch"),
        ),
        Variable(
            "network_size_start",
            "client",
            "number",
            _("Network size at the start"),
            _("members of the trajectory's first network snapshot"),
        ),
        Variable(
            "informal_size_start",
            "client",
            "number",
            _("Informal network at the start"),
            _("informal (unpaid) members of the trajectory's first network snapshot"),
        ),
        Variable(
            "informal_share_start",
            "client",
            "number",
            _("Informal share of the network at the start"),
            _("informal members / all members of the first network snapshot"),
        ),
    ]
    for tg in TargetGroup.objects.order_by("code"):
        v.append(
            Variable(
                f"is_{code_name(tg.code)}",
                "client",
                "indicator",
                _("Target group: %(name)s") % {"name": tg},
                _("1 when the trajectory has the target group %(code)s") % {"code": tg.code},
            )
        )
    v += [
        Variable(
            "has_method",
            "process",
            "indicator",
            _("Follows a method"),
            _("1 when the trajectory records a method"),
        ),
        Variable(
            "alliance_mean",
            "process",
            "number",
            _("Mean alliance check (1-5)"),
            _("mean of the four alliance questions over the trajectory's contacts"),
        ),
        Variable(
            "contacts_per_month",
            "process",
            "number",
            _("Contacts per month"),
            _("contacts of the trajectory / months from its start to its last contact"),
        ),
        Variable(
            "video_share",
            "process",
            "number",
            _("Video rather than phone"),
            _("share of the trajectory's remote contacts held by video"),
        ),
        Variable(
            "informal_present_share",
            "process",
            "number",
            _("Informal network present"),
            _("share of the trajectory's contacts with the informal network present"),
        ),
    ]
    for p in WorkingPrinciple.objects.order_by("position", "code"):
        v.append(
            Variable(
                f"share_{code_name(p.code)}",
                "process",
                "number",
                _("Working principle in the trajectory: %(name)s") % {"name": p},
                _("share of the trajectory's contacts with the principle %(code)s")
                % {"code": p.code},
            )
        )
        v.append(
            Variable(
                f"professional_share_{code_name(p.code)}",
                "process",
                "number",
                _("Working principle of the professional: %(name)s") % {"name": p},
                _(
                    "share of the lead professional's contacts (with all their clients in "
                    "the study) with the principle %(code)s"
                )
                % {"code": p.code},
            )
        )
    for _model, prefix, name, label in _characteristics():
        v.append(
            Variable(
                f"{prefix}_{name}",
                "context",
                "number",
                f"{prefix}: {label}",
                _("recorded for the %(what)s of the trajectory's team") % {"what": prefix}
                if prefix != "team"
                else _("recorded for the trajectory's team"),
            )
        )
    # context measured over time (werkplaats.context): team and organisation scans, the
    # municipality's characteristics per year, at the value that held during the trajectory
    taken = {x.name for x in v}
    for name, label, computed in context_selectors.catalogue_variables():
        if name not in taken:
            v.append(Variable(name, "context", "number", label, computed))
    return v


def trajectory_frame(study: Study) -> pd.DataFrame:
    """One row per trajectory of a consenting client: keys, where, for whom."""
    rows = list(
        consenting_trajectories(study).values_list(
            "pk",
            "client_id",
            "client__birth_year",
            "client__language",
            "client__neighbourhood__name",
            "client__neighbourhood__municipality__name",
            "client__neighbourhood__municipality_id",
            "lead_professional_id",
            "team_id",
            "team__name",
            "team__organisation_id",
            "team__organisation__name",
            "method_id",
            "start",
        )
    )
    cols = [
        "trajectory_id",
        "client_id",
        "birth_year",
        "language",
        "neighbourhood",
        "municipality",
        "municipality_id",
        "professional_id",
        "team_id",
        "team",
        "organisation_id",
        "organisation",
        "method_id",
        "start",
    ]
    t = pd.DataFrame(rows, columns=cols)
    if t.empty:
        return t
    groups: dict[int, list[str]] = defaultdict(list)
    for tid, code in (
        Trajectory.target_groups.through.objects.filter(
            trajectory_id__in=consenting_trajectories(study).values("pk")
        )
        .values_list("trajectory_id", "targetgroup__code")
        .order_by("trajectory_id", "targetgroup__code")
    ):
        groups[tid].append(code)
    t["codes"] = t["trajectory_id"].map(lambda x: groups.get(x, []))
    main = ("frail-elderly", "young-adults", "multi-problem-household")
    t["target_group"] = t["codes"].map(
        lambda g: next((m for m in main if m in g), g[0] if g else "?")
    )
    t["age_band"] = [_age_band(b, s.year) for b, s in zip(t["birth_year"], t["start"], strict=True)]
    t["client"] = [study_pseudonym(study.pk, c) for c in t["client_id"]]
    order = t.groupby("client_id")["start"].rank(method="first").astype(int)
    t["trajectory"] = t["client"] + "/" + order.astype(str)
    keys = {p: _key(study, "professional", p) for p in t["professional_id"].unique()}
    t["professional"] = t["professional_id"].map(keys)
    return t


def _networks(study: Study) -> pd.DataFrame:
    """The first network snapshot of each trajectory: size and informal members."""
    rows = list(
        NetworkMember.objects.filter(
            snapshot__trajectory__in=consenting_trajectories(study)
        ).values_list("snapshot_id", "snapshot__trajectory_id", "snapshot__date", "formal")
    )
    m = pd.DataFrame(rows, columns=["snapshot_id", "trajectory_id", "date", "formal"])
    if m.empty:
        return pd.DataFrame(columns=["network_size_start", "informal_size_start"])
    g = (
        m.groupby(["snapshot_id", "trajectory_id", "date"])
        .agg(size=("formal", "size"), formal_n=("formal", "sum"))
        .reset_index()
        .sort_values(["date", "snapshot_id"])
        .groupby("trajectory_id")
        .first()
    )
    return pd.DataFrame(
        {
            "network_size_start": g["size"].astype(float),
            "informal_size_start": (g["size"] - g["formal_n"]).astype(float),
        }
    )


def _contacts(study: Study, t: pd.DataFrame) -> pd.DataFrame:
    """Per trajectory: alliance, contacts per month, video share, informal presence and
    the share of contacts with each working principle (own, and the professional's)."""
    qs = Contact.objects.filter(trajectory__in=consenting_trajectories(study))
    c = pd.DataFrame(
        list(
            qs.values_list(
                "pk",
                "trajectory_id",
                "date",
                "mode",
                "alliance_heard",
                "alliance_my_goals",
                "alliance_trust",
                "alliance_next",
            )
        ),
        columns=["contact_id", "trajectory_id", "date", "mode", "a1", "a2", "a3", "a4"],
    )
    if c.empty:
        return pd.DataFrame()
    c["alliance"] = c[["a1", "a2", "a3", "a4"]].astype(float).mean(axis=1)
    pr = pd.DataFrame(
        list(
            Contact.principles.through.objects.filter(contact__in=qs).values_list(
                "contact_id", "workingprinciple__code"
            )
        ),
        columns=["contact_id", "code"],
    )
    informal = list(ActorKind.objects.filter(code="informal-network").values_list("pk", flat=True))
    present = set(
        Contact.actors.through.objects.filter(
            contact__in=qs, actorkind_id__in=informal
        ).values_list("contact_id", flat=True)
    )
    c["informal_present"] = c["contact_id"].isin(present).astype(float)
    g = c.groupby("trajectory_id")
    out = pd.DataFrame(
        {
            "alliance_mean": g["alliance"].mean(),
            "informal_present_share": g["informal_present"].mean(),
        }
    )
    start = t.set_index("trajectory_id")["start"]
    last = g["date"].max()
    months = (pd.to_datetime(last) - pd.to_datetime(start.reindex(last.index))).dt.days / 30.44
    out["contacts_per_month"] = g.size() / months.clip(lower=1)
    remote = c[c["mode"].isin(["video", "phone"])]
    out["video_share"] = (remote["mode"] == "video").groupby(remote["trajectory_id"]).mean()
    prof_of = t.set_index("trajectory_id")["professional_id"]
    c["professional_id"] = c["trajectory_id"].map(prof_of)
    n_traj = g.size()
    n_prof = c.groupby("professional_id").size()
    for code in WorkingPrinciple.objects.values_list("code", flat=True):
        with_p = set(pr.loc[pr["code"] == code, "contact_id"])
        has = c["contact_id"].isin(with_p)
        own = has.groupby(c["trajectory_id"]).sum() / n_traj
        out[f"share_{code_name(code)}"] = own
        by_prof = has.groupby(c["professional_id"]).sum() / n_prof
        out[f"professional_share_{code_name(code)}"] = prof_of.reindex(out.index).map(by_prof)
    return out


def catalogue_frame(study: Study, names: list[str] | None = None) -> pd.DataFrame:
    """The catalogue's variables, one row per trajectory of a consenting client, with the
    trajectory's keys (``names``: only these variables, besides the keys)."""
    t = trajectory_frame(study)
    variables = definitions()
    wanted = {v.name for v in variables} if names is None else set(names)
    if t.empty:
        return pd.DataFrame(columns=["trajectory_id", *KEYS, *sorted(wanted)])
    f = t.set_index("trajectory_id", drop=False)
    out = f[
        [
            "trajectory_id",
            "client_id",
            *KEYS,
            "target_group",
            "age_band",
            "language",
            "neighbourhood",
            "start",
        ]
    ].copy()
    out["age_at_start"] = [
        (s.year - int(b)) if b is not None and not pd.isna(b) else np.nan
        for b, s in zip(f["birth_year"], f["start"], strict=True)
    ]
    lang = f["language"].fillna("").str.strip()
    out["language_other"] = np.where(
        lang == "", np.nan, (~lang.str.lower().isin(DUTCH)).astype(float)
    )
    for tg in TargetGroup.objects.values_list("code", flat=True):
        out[f"is_{code_name(tg)}"] = f["codes"].map(lambda g, c=tg: float(c in g))
    out["has_method"] = f["method_id"].notna().astype(float)
    if wanted & {"network_size_start", "informal_size_start", "informal_share_start"}:
        net = _networks(study)
        out = out.join(net, how="left")
        for col in ("network_size_start", "informal_size_start"):
            if col not in out:
                out[col] = np.nan
        out["informal_share_start"] = out["informal_size_start"] / out[
            "network_size_start"
        ].replace(0, np.nan)
    process = {v.name for v in variables if v.level == "process"} - {"has_method"}
    if wanted & process:
        contacts = _contacts(study, t)
        out = out.join(contacts, how="left")
    for model, prefix, name, _label in _characteristics():
        column = f"{prefix}_{name}"
        if column not in wanted:
            continue
        fk = {
            "organisation": "organisation_id",
            "team": "team_id",
            "municipality": "municipality_id",
        }[prefix]
        values = dict(model.objects.values_list("pk", name))  # type: ignore[attr-defined]
        out[column] = f[fk].map(values).astype(float)
    measured = {name for name, _l, _c in context_selectors.catalogue_variables()} & wanted
    if measured:
        ends = dict(Trajectory.objects.filter(pk__in=list(f.index)).values_list("pk", "end"))
        units = {"team": "team_id", "organisation": "organisation_id"}
        for column in sorted(measured - set(out.columns)):
            fk = units.get(column.partition("_")[0], "municipality_id")
            rows = [
                (None if pd.isna(u) else int(u), s, ends.get(t))
                for u, s, t in zip(f[fk], f["start"], f.index, strict=True)
            ]
            out[column] = context_selectors.values_during(column, rows)
    for v in variables:
        if v.name not in out:
            out[v.name] = np.nan
    keep = [
        "trajectory_id",
        "client_id",
        *KEYS,
        "target_group",
        "age_band",
        "language",
        "neighbourhood",
        "start",
    ]
    return out[keep + [v.name for v in variables if v.name in wanted]].reset_index(drop=True)


def catalogue(study: Study) -> list[Variable]:
    """The variables a plan of ``study`` can use, with the number of clients having each."""
    variables = definitions()
    frame = catalogue_frame(study)
    for v in variables:
        if v.name in frame and len(frame):
            v.clients = int(frame.loc[frame[v.name].notna(), "client_id"].nunique())
    return variables


def outcome_options(study: Study) -> list[OutcomeOption]:
    """Instrument × scale × informant that the study's consenting clients answered."""
    counts = (
        Assessment.objects.filter(
            trajectory__in=consenting_trajectories(study), status=Assessment.Status.COMPLETE
        )
        .values_list("instrument__slug", "informant", "version_id")
        .annotate(n=Count("trajectory__client_id", distinct=True))
        .order_by()
    )
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    versions: dict[int, Any] = {}
    rows = list(counts)
    for v in InstrumentVersion.objects.filter(pk__in={r[2] for r in rows}):
        versions[v.pk] = v.parsed
    for slug, informant, vid, n in rows:
        for s in versions[vid].scales:
            if s.method != "gas":
                key = (slug, s.id, informant)
                seen[key] = max(seen[key], n)
    return [OutcomeOption(i, s, inf, n) for (i, s, inf), n in sorted(seen.items())]


def gas_clients(study: Study) -> int:
    return (
        GoalScore.objects.filter(goal__trajectory__in=consenting_trajectories(study))
        .values("goal__trajectory__client_id")
        .distinct()
        .count()
    )


def scores_for(trajectories: Any, instrument: str, scale: str) -> pd.DataFrame:
    """Completed assessments of ``trajectories`` with their scale score, one row each.

    Each version's definition is parsed once (a dict of versions, not one object per
    row), and each distinct answer pattern is scored once.
    """
    rows = list(
        Assessment.objects.filter(
            trajectory__in=trajectories,
            instrument__slug=instrument,
            status=Assessment.Status.COMPLETE,
        ).values_list("pk", "trajectory_id", "wave", "wave_date", "informant", "version_id")
    )
    a = pd.DataFrame(
        rows,
        columns=["assessment_id", "trajectory_id", "wave", "wave_date", "informant", "version_id"],
    )
    if a.empty:
        return a.assign(score=pd.Series(dtype=float), version="", instrument=instrument)
    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    # The stored JSON text of each answer, decoded once per distinct text (answers repeat
    # a handful of option codes) instead of once per row by the JSONField converter.
    decoded: dict[str, Any] = {}
    for aid, item, text in (
        Answer.objects.filter(
            assessment__trajectory__in=trajectories,
            assessment__instrument__slug=instrument,
            assessment__status=Assessment.Status.COMPLETE,
        )
        .annotate(text=Cast("value", models.TextField()))
        .values_list("assessment_id", "item_id", "text")
        .iterator(chunk_size=20000)
    ):
        if text not in decoded:
            decoded[text] = json.loads(text)
        answers[aid][item] = decoded[text]
    versions = {v.pk: v for v in InstrumentVersion.objects.filter(pk__in=set(a["version_id"]))}
    labels = {pk: f"{v.label} ({v.short_hash})" for pk, v in versions.items()}
    definitions = {pk: v.parsed for pk, v in versions.items()}
    cache: dict[tuple[int, str], float | None] = {}
    values = []
    for aid, vid in zip(a["assessment_id"], a["version_id"], strict=True):
        given = answers.get(aid, {})
        # answers are JSON (a list for a checkbox item): the pattern's key is its JSON text
        key = (vid, json.dumps(given, sort_keys=True, default=str))
        if key not in cache:
            scored = score(definitions[vid], given)
            cache[key] = scored[scale].value if scale in scored else None
        values.append(cache[key])
    a["score"] = values
    a["version"] = a["version_id"].map(labels)
    a["instrument"] = instrument
    return a


def outcome_info(study: Study, outcome: Outcome, version_ids: list[int]) -> OutcomeInfo:
    """Label, range, direction and norms of the outcome scale (of its most used version)."""
    if outcome.is_gas:
        return OutcomeInfo(
            _("goal attainment (GAS T-score)"), 20.0, 80.0, "better", None, ["professional"]
        )
    ids = pd.Series(version_ids).value_counts().index.tolist() if version_ids else []
    version = InstrumentVersion.objects.filter(pk__in=ids[:1]).first() or (
        InstrumentVersion.objects.filter(instrument__slug=outcome.instrument)
        .order_by("-pk")
        .first()
    )
    if version is None:
        return OutcomeInfo(outcome.scale)
    d = version.parsed
    try:
        s: Scale = d.scale(outcome.scale)
    except KeyError:
        return OutcomeInfo(outcome.scale)
    from werkplaats.core.i18n import current_language
    from werkplaats.stats.definition import pick_text

    low, high = d.scale_range(s)
    norms = None
    if s.norms is not None:
        norms = {"sd": s.norms.sd, "reliability": s.norms.reliability, "mean": s.norms.mean}
    label = pick_text(s.label, current_language()) or s.id
    title = str(version.instrument)
    return OutcomeInfo(
        f"{title}: {label}" if label.lower() not in title.lower() else title,
        low,
        high,
        s.higher_is,
        norms,
        list(d.informants),
        sorted({f"{version.label} ({version.short_hash})"}),
    )


def _gas_rows(study: Study) -> pd.DataFrame:
    """The GAS T-score of every trajectory at every date a goal was scored: each goal's
    latest level on or before that date."""
    rows = list(
        GoalScore.objects.filter(goal__trajectory__in=consenting_trajectories(study))
        .values_list("goal__trajectory_id", "goal_id", "goal__weight", "date", "level")
        .order_by("goal__trajectory_id", "date", "goal_id")
    )
    out = []
    by_traj: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for tid, gid, weight, day, level in rows:
        by_traj[tid].append((day, gid, weight, level))
    for tid, scores in by_traj.items():
        latest: dict[int, tuple[int, int]] = {}
        for i, (day, gid, weight, level) in enumerate(scores):
            latest[gid] = (level, weight)
            if i + 1 < len(scores) and scores[i + 1][0] == day:
                continue
            levels = [lv for lv, _w in latest.values()]
            weights = [w for _lv, w in latest.values()]
            out.append((tid, day.isoformat(), day, "professional", gas_t_score(levels, weights)))
    return pd.DataFrame(out, columns=["trajectory_id", "wave", "wave_date", "informant", "score"])


def measurements(study: Study, outcome: Outcome) -> pd.DataFrame:
    """The outcome's scores of consenting clients, every informant, one row each."""
    if outcome.is_gas:
        m = _gas_rows(study)
        m["version_id"] = np.nan
        m["version"] = ""
        return m
    m = scores_for(consenting_trajectories(study), outcome.instrument, outcome.scale)
    return m[["trajectory_id", "wave", "wave_date", "informant", "score", "version_id", "version"]]


@dataclass
class StudyData:
    """What a plan's analyses read: every outcome row with the trajectory's variables."""

    rows: pd.DataFrame  # one row per measurement: keys, wave, time, informant, score, variables
    info: OutcomeInfo


def study_data(study: Study, plan: Plan) -> StudyData:
    """The outcome rows joined with the catalogue variables the plan uses."""
    names = plan.variables()
    t = catalogue_frame(study, names)
    m = measurements(study, plan.outcome)
    info = outcome_info(
        study, plan.outcome, [int(v) for v in m["version_id"].dropna()] if len(m) else []
    )
    base = ["client", "trajectory", "professional", "team", "organisation", "municipality"]
    cols = [
        *base,
        "target_group",
        "age_band",
        "language",
        "neighbourhood",
        "wave",
        "time",
        "informant",
        "score",
        *names,
    ]
    if t.empty or m.empty:
        return StudyData(pd.DataFrame(columns=cols), info)
    f = m.merge(t, on="trajectory_id", how="inner")
    f["time"] = (pd.to_datetime(f["wave_date"]) - pd.to_datetime(f["start"])).dt.days / 365.25
    f["score"] = f["score"].astype(float)
    f = f.sort_values(["trajectory", "wave_date", "informant"]).reset_index(drop=True)
    return StudyData(f[cols], info)


def item_answers(study: Study, plan: Plan) -> pd.DataFrame:
    """Item-level answers of the plan's instrument, for re-analysis (keys, no dates)."""
    cols = ["client", "trajectory", "wave", "time", "informant", "version", "item", "value"]
    if plan.outcome.is_gas:
        return pd.DataFrame(columns=cols)
    traj = trajectory_frame(study)
    if traj.empty:
        return pd.DataFrame(columns=cols)
    rows = list(
        Answer.objects.filter(
            assessment__trajectory__in=consenting_trajectories(study),
            assessment__instrument__slug=plan.outcome.instrument,
            assessment__status=Assessment.Status.COMPLETE,
        )
        .values_list(
            "assessment__trajectory_id",
            "assessment__wave",
            "assessment__wave_date",
            "assessment__informant",
            "assessment__version__label",
            "item_id",
            "value",
        )
        .order_by("assessment__trajectory_id", "assessment__wave_date", "assessment_id", "item_id")
    )
    a = pd.DataFrame(
        rows,
        columns=["trajectory_id", "wave", "wave_date", "informant", "version", "item", "value"],
    )
    if a.empty:
        return pd.DataFrame(columns=cols)
    a = a.merge(traj[["trajectory_id", "client", "trajectory", "start"]], on="trajectory_id")
    a["time"] = (pd.to_datetime(a["wave_date"]) - pd.to_datetime(a["start"])).dt.days / 365.25
    return a[cols]


def gas_last_per_trajectory(study: Study) -> pd.Series:
    """The GAS T-score at each trajectory's last scoring date, for the GAS summary."""
    g = _gas_rows(study)
    if g.empty:
        return pd.Series(dtype=float)
    return g.sort_values(["trajectory_id", "wave_date"]).groupby("trajectory_id")["score"].last()
