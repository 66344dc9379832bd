"""The study report: analyses run on the pseudonymised data set, rendered as HTML and PDF.

:func:`build_report` reads and analyses; :func:`write_report` writes the report folder
(report.html, report.pdf, the exports, the codebook and the specification) into a
temporary folder beside the target and renames it into place only when everything is
written, so a failed report leaves no half-written files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.core.tabular import safe_frame
from werkplaats.insight import svg
from werkplaats.insight.analysis import Results, model_frame, run_analyses, significant
from werkplaats.insight.dataset import (
    Variable,
    definitions,
    gas_last_per_trajectory,
    item_answers,
    study_data,
)
from werkplaats.insight.exports import FORMATS, write_export
from werkplaats.insight.models import AnalysisPlan, ReportRun
from werkplaats.insight.plan import OutcomeInfo, Plan
from werkplaats.insight.selectors import CmoRow, caseload_frame, cmo_rows, current_plan
from werkplaats.programme.models import Study


class ReportError(RuntimeError):
    """The report could not be produced; nothing was written."""


def term_label(term: str, words: dict[str, str] | None = None) -> str:
    """Plain words for a model term (``words``: column -> description)."""
    words = {
        "(Intercept)": _("level at the start (reference client)"),
        "time": _("growth per year"),
        **(words or {}),
    }
    parts = term.split(":")
    named = [words.get(p, p) for p in parts if p != "time"]
    if "time" in parts:
        if not named:
            return words["time"]
        return _("growth per year × %(what)s") % {"what": " × ".join(named)}
    return " × ".join(named) if named else words.get(term, term)


def column_words(plan: Plan, results: Results, variables: dict[str, Variable]) -> dict[str, str]:
    """Each model column (centred or not) -> the description of its catalogue variable."""
    out = {}
    for c in results.centres:
        v = variables.get(c.variable)
        out[c.column] = v.description if v else c.variable
    return out


@dataclass
class Report:
    study: Study
    frame: pd.DataFrame
    results: Results
    cmos: list[CmoRow]
    figures: dict[str, str]
    summary: list[str]
    warnings: list[str]
    methods: list[str]
    specification: dict[str, Any]
    versions: dict[str, str]
    created: dt.datetime
    plan_row: AnalysisPlan
    info: OutcomeInfo
    words: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    items: pd.DataFrame | None = None
    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[int | float, str]] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        r = self.results
        return {
            "report": self,
            "study": self.study,
            "results": r,
            "growth_rows": _growth_rows(r, self.words),
            "plan_row": self.plan_row,
            "plan_yaml": self.plan_row.plan.to_yaml(),
            "info": self.info,
            "icc_rows": (r.growth.result.icc.to_dict("records") if r.growth.ok else []),
            "voices_rows": (r.voices.result.to_dict("records") if r.voices.ok else []),
            "by_group": (r.agreement.result.by_group.to_dict("records") if r.agreement.ok else []),
            "spec_json": json.dumps(self.specification, indent=2, ensure_ascii=False),
            "versions": self.versions,
        }


LEVEL_NAMES = {"client_level": "client", "with_whom": "process", "context": "context"}


def _growth_rows(r: Results, words: dict[str, str] | None = None) -> list[dict[str, Any]]:
    if not r.growth.ok:
        return []
    return [
        {
            **row,
            "level": LEVEL_NAMES.get(row["level"], row["level"]),
            "label": term_label(row["term"], words),
            "significant": significant(row),
        }
        for row in r.growth.result.terms.to_dict("records")
    ]


def estimates_frame(r: Results) -> pd.DataFrame:
    """One row per fixed effect of every fitted model (``estimates.csv``)."""
    cols = ["model", "term", "estimate", "std_error", "df", "ci_low", "ci_high", "level"]
    cols += ["clusters", "grouping"]
    if not r.growth.ok:
        return pd.DataFrame(columns=cols)
    t = r.growth.result.terms
    return pd.DataFrame(
        {
            "model": "growth",
            "term": t["term"],
            "estimate": t["estimate"],
            "std_error": t["se"],
            "df": t["df"],
            "ci_low": t["low"],
            "ci_high": t["high"],
            "level": [LEVEL_NAMES.get(x, x) for x in t["level"]],
            "clusters": t["clusters"],
            "grouping": t["grouping"],
        }
    )[cols]


def software_versions() -> dict[str, str]:
    names = [
        "werkplaats",
        "Django",
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "pyreadstat",
        "weasyprint",
    ]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _figures(
    frame: pd.DataFrame, r: Results, info: OutcomeInfo, words: dict[str, str]
) -> dict[str, str]:
    figs: dict[str, str] = {}
    client = frame[frame["informant"] == r.plan.outcome.informant]
    if len(client):
        c = client.assign(band=(client["time"].astype(float) * 4).round() / 4)
        series: dict[str, list[tuple[float, float]]] = {}
        for group, sub in c.groupby("target_group"):
            means = sub.groupby("band")["score"].agg(["mean", "size"])
            pts = [(float(b), float(m)) for b, (m, n) in means.iterrows() if n >= 10 and b <= 2]
            if len(pts) >= 2:
                series[str(group)] = pts
        figs["course"] = svg.lines(
            series,
            _("Mean score by time in trajectory: %(scale)s") % {"scale": info.label},
            _("years since the start"),
            scale_axis(info),
        )
    rows = [row for row in _growth_rows(r, words) if row["term"] != "(Intercept)"]
    if rows:
        figs["forest"] = svg.forest(
            [
                (row["label"], row["estimate"], row["low"], row["high"], row["significant"])
                for row in rows
            ],
            _("Estimates with intervals of 95 per cent"),
        )
    if r.agreement.ok:
        a = r.agreement.result
        pairs = a.pairs.sample(min(len(a.pairs), 1500), random_state=1)
        pts = [
            (float((x + y) / 2), float(x - y))
            for x, y in zip(pairs["client"], pairs["professional"], strict=True)
        ]
        ba = a.bland_altman
        figs["bland_altman"] = svg.scatter_limits(
            pts, ba.bias, ba.lower, ba.upper, _("Client minus professional, by their mean")
        )
    if r.voices.ok:
        v = r.voices.result
        tg = v[v["dimension"] == "target_group"]
        figs["voices"] = svg.bars(
            [
                (str(g), float(a), float(b), bool(w))
                for g, a, b, w in zip(
                    tg["group"],
                    tg["caseload_share"],
                    tg["respondent_share"],
                    tg["under_respondents"],
                    strict=True,
                )
            ],
            _("Share of the caseload and of the respondents"),
            _("caseload"),
            _("respondents"),
        )
    return figs


def scale_axis(info: OutcomeInfo) -> str:
    if info.low is not None and info.high is not None:
        return f"{info.label} ({info.low:g}-{info.high:g})"
    return info.label


def _summary(r: Results, info: OutcomeInfo, words: dict[str, str]) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    warnings: list[str] = []
    lines.append(
        _("%(clients)s clients who gave consent took part, with %(n)s measurements.")
        % {"clients": r.n_clients, "n": r.n_measurements}
    )
    if r.change.ok:
        ch = r.change.result
        lines.append(
            _("On average their score on %(scale)s went from %(before).1f to %(after).1f.")
            % {"scale": scale_axis(info), "before": ch.mean_before, "after": ch.mean_after}
        )
        if ch.norms:
            lines.append(
                _(
                    "Reliable change (higher is %(direction)s on this scale): %(improved)s of "
                    "%(n)s clearly improved and %(worse)s clearly got worse."
                )
                % {
                    "direction": _("better") if info.higher_is == "better" else _("worse"),
                    "improved": ch.improved,
                    "n": ch.n,
                    "worse": ch.deteriorated,
                }
            )
        else:
            warnings.append(
                _(
                    "The instrument gives no norms (SD and reliability) for this scale, so "
                    "reliable change cannot be judged."
                )
            )
    else:
        warnings.append(r.change.message)
    if r.growth.ok:
        rows = [row for row in _growth_rows(r, words) if row["term"] not in ("(Intercept)", "time")]
        found = [row for row in rows if row["significant"]]
        for row in found:
            better = (row["estimate"] > 0) == (info.higher_is == "better")
            lines.append(
                (
                    _("Clearly linked with a better outcome: %(what)s.")
                    if better
                    else _("Clearly linked with a worse outcome: %(what)s.")
                )
                % {"what": row["label"]}
            )
        if not found:
            lines.append(_("None of the characteristics studied made a clear difference."))
    else:
        warnings.append(r.growth.message)
    for sec in r.mediation:
        if sec.ok:
            m = sec.result
            if m.boot_low > 0 or m.boot_high < 0:
                lines.append(
                    _("Part of the link between %(x)s and the change runs through %(m)s.")
                    % {"x": m.exposure, "m": m.mediator}
                )
    if r.voices.ok:
        v = r.voices.result
        under = v[v["under_respondents"]]
        for row in under.itertuples():
            warnings.append(
                _(
                    "Under-represented among respondents: %(group)s (%(dim)s) — %(share).0f%% of "
                    "the caseload, %(resp).0f%% of the respondents. Results may not speak for "
                    "this group."
                )
                % {
                    "group": row.group,
                    "dim": row.dimension,
                    "share": 100 * row.caseload_share,
                    "resp": 100 * row.respondent_share,
                }
            )
    return lines, warnings


def _centring_text(r: Results) -> str:
    parts = []
    for c in r.centres:
        if c.method == "grand_mean" and c.value is not None:
            parts.append(
                _("%(var)s at its mean %(value).4g") % {"var": c.variable, "value": c.value}
            )
        elif c.method == "group_mean":
            parts.append(
                _("%(var)s at the mean of its %(group)s (%(n)s groups)")
                % {"var": c.variable, "group": c.group, "n": c.groups}
            )
    if not parts:
        return _("No moderator is centred (indicators keep 0 and 1; the plan may say none).")
    return _("Centred on the analysed data: %(list)s; indicators keep 0 and 1.") % {
        "list": "; ".join(parts)
    }


def _methods(
    r: Results, info: OutcomeInfo, plan_row: AnalysisPlan, locked_before: bool
) -> list[str]:
    norms = info.norms or {}
    out = [
        _(
            "Analysis plan: version %(v)s (content hash %(hash)s)%(locked)s. Outcome: %(scale)s, "
            "answered by %(informant)s; higher is %(direction)s."
        )
        % {
            "v": plan_row.version,
            "hash": plan_row.content_hash[:12],
            "locked": (
                _(", pre-registered on %(at)s, before these data were read")
                % {"at": f"{plan_row.locked_at:%Y-%m-%d %H:%M} UTC"}
                if locked_before and plan_row.locked_at
                else _(", not pre-registered")
            ),
            "scale": scale_axis(info),
            "informant": r.plan.outcome.informant,
            "direction": _("better") if info.higher_is == "better" else _("worse"),
        },
        _(
            "Data: every completed measurement of the plan's outcome of clients whose consent "
            "for this study stood when the report was made; clients are known by a keyed hash "
            "that differs per study."
        ),
        _(
            "Change per trajectory: first against last score; standardised mean change d_z "
            "with a noncentral-t 95%% interval; reliable change index (Jacobson & Truax) with "
            "SD %(sd)s and reliability %(rel)s from the instrument's norms."
        )
        % {"sd": norms.get("sd") or "—", "rel": norms.get("reliability") or "—"},
        _(
            "Growth model (linear mixed model, REML, Werkplaats' multilevel engine that "
            "agrees with lme4): %(formula)s. Time is years since the trajectory started. "
            "95%% t intervals and p-values with Satterthwaite degrees of freedom (as lmerTest)."
        )
        % {"formula": r.spec.formula()},
        _centring_text(r),
    ]
    if r.plan.mediators:
        out.append(
            _(
                "Working factors as mediators: indirect effect a·b by two least-squares "
                "regressions, adjusted for the first score, with a percentile bootstrap that "
                "resamples whole professionals. With observational data this shows an "
                "association that runs through the mediator, not a proven mechanism: it "
                "assumes no unmeasured confounding of exposure, mediator and outcome."
            )
        )
    out += [
        _(
            "Agreement between informants: ICC (Shrout & Fleiss), Bland–Altman limits of "
            "agreement, and the mean difference per target group."
        ),
        _(
            "Representation: respondents (clients with consent and at least one answered "
            "questionnaire) and storytellers against the caseload of the participating "
            "organisations; a group is flagged when its share among respondents is below 80%% "
            "of its share of the caseload."
        ),
    ]
    out.append(_("Steps that ran: %(steps)s.") % {"steps": "; ".join(s.text(_) for s in r.steps)})
    return out


def localise(r: Results) -> None:
    """Put every section's message into the reader's language (the pipeline keeps
    English msgids with their values, being plain Python)."""
    for sec in [
        r.change,
        r.gas,
        r.growth,
        *r.mediation,
        r.agreement,
        r.voices,
        *r.growth_notes,
    ]:
        if sec.message:
            sec.message = sec.text(_)
            sec.params = {}


def study_plan(study: Study) -> AnalysisPlan:
    """The study's current plan; ReportError (in the reader's language) when it has none."""
    row = current_plan(study)
    if row is None:
        raise ReportError(
            _(
                "The study %(title)s has no analysis plan yet. Write one on the plan page or "
                "with: werkplaats plan set %(id)s FILE"
            )
            % {"title": study.title, "id": study.pk}
        )
    return row


def model_export(
    study: Study,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[int | float, str]]]:
    """The model's data of the study's plan (exactly its columns) with their labels."""
    row = study_plan(study)
    plan = row.plan
    variables = {v.name: v for v in definitions()}
    kinds = {n: v.kind for n, v in variables.items()}
    data = study_data(study, plan)
    model_data, _spec, centres = model_frame(data.rows, plan, kinds)
    return model_data, _labels(plan, centres, variables, data.info), _value_labels(centres, kinds)


def _labels(
    plan: Plan, centres: list[Any], variables: dict[str, Variable], info: OutcomeInfo
) -> dict[str, str]:
    labels = {
        "score": _("Score: %(scale)s") % {"scale": scale_axis(info)},
        "time": _("Years since the trajectory started"),
        "client": _("Client, keyed hash per study"),
        "professional": _("Lead professional, keyed hash per study"),
        "team": _("Team"),
        "organisation": _("Practice organisation"),
        "municipality": _("Municipality of the client's neighbourhood"),
    }
    for c in centres:
        v = variables.get(c.variable)
        text = v.description if v else c.variable
        if c.method == "grand_mean":
            text += " " + _("(centred at %(value).4g)") % {"value": c.value}
        elif c.method == "group_mean":
            text += " " + _("(centred at the mean of its %(group)s)") % {"group": c.group}
        labels[c.column] = text
    return labels


def _value_labels(centres: list[Any], kinds: dict[str, str]) -> dict[str, dict[int | float, str]]:
    return {
        c.column: {0: _("no"), 1: _("yes")} for c in centres if kinds.get(c.variable) == "indicator"
    }


def build_report(study: Study, *, n_boot: int = 500) -> Report:
    """Read, analyse and shape the report as the study's plan says (nothing is written)."""
    began = time.perf_counter()
    plan_row = study_plan(study)
    plan = plan_row.plan
    read_at = timezone.now()
    locked_before = plan_row.locked_at is not None and plan_row.locked_at <= read_at
    variables = {v.name: v for v in definitions()}
    kinds = {n: v.kind for n, v in variables.items()}
    data = study_data(study, plan)
    frame, info = data.rows, data.info
    results = run_analyses(
        frame,
        plan,
        kinds=kinds,
        info=info,
        gas_last=gas_last_per_trajectory(study),
        caseload=caseload_frame(study),
        n_boot=n_boot,
    )
    localise(results)
    words = column_words(plan, results, variables)
    summary, warnings = _summary(results, info, words)
    spec = {
        "study": study.pk,
        "plan": {
            "version": plan_row.version,
            "content_hash": plan_row.content_hash,
            "locked_at": plan_row.locked_at.isoformat() if plan_row.locked_at else None,
            "locked_before_data_were_read": locked_before,
            "content": plan.as_dict(),
        },
        "outcome": {
            **(
                {"instrument": plan.outcome.instrument, "scale": plan.outcome.scale}
                if not plan.outcome.is_gas
                else {"instrument": "gas_t"}
            ),
            "informant": plan.outcome.informant,
            "higher_is": info.higher_is,
            "range": [info.low, info.high],
            "versions": info.versions,
        },
        "formula": results.spec.formula(),
        "centring": plan.centring,
        "centres": [c.as_dict() for c in results.centres],
        "growth": results.spec.as_dict(),
        "mediation": {
            "pairs": [list(p) for p in plan.mediators],
            "outcome": "change",
            "covariates": ["before"],
            "n_boot": n_boot,
            "seed": 1,
            "cluster": "professional",
        },
        "norms": info.norms,
        "rows": len(results.model_data),
        "measurements": len(frame),
        "clients": results.n_clients,
        "data_read_at": read_at.isoformat(),
    }
    report = Report(
        study,
        frame,
        results,
        cmo_rows(study, results.evidence),
        _figures(frame, results, info, words),
        summary,
        warnings,
        _methods(results, info, plan_row, locked_before),
        spec,
        software_versions(),
        dt.datetime.now(dt.UTC),
        plan_row,
        info,
        words,
    )
    report.items = item_answers(study, plan)
    report.labels = _labels(plan, results.centres, variables, info)
    report.value_labels = _value_labels(results.centres, kinds)
    report.seconds = time.perf_counter() - began
    return report


def render_html(report: Report) -> str:
    return render_to_string("insight/report.html", report.context())


def render_pdf(html: str) -> bytes:
    """PDF by WeasyPrint; raises ReportError with a plain message where Pango is missing."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise ReportError(
            f"PDF needs WeasyPrint and the system Pango library ({exc}). The HTML report "
            "is complete without it."
        ) from exc
    return cast("bytes", HTML(string=html).write_pdf())


def render_body(report: Report) -> str:
    return render_to_string("insight/_report_body.html", report.context())


def write_report(
    study: Study, out_dir: Path, *, pdf: bool = True, user: Any = None, n_boot: int = 500
) -> Path:
    """Write the report folder ``out_dir/study-<id>-<timestamp>``; all or nothing.

    The folder holds report.html (and report.pdf), estimates.csv, specification.json and
    export/: the model's data (analysis.csv and the same in Parquet, SPSS and Stata, with
    a codebook) and the outcome's item-level answers (items.csv). The run is stored
    (ReportRun, with the rendered body for the report page).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(study, n_boot=n_boot)
    stamp = report.created.strftime("%Y%m%dT%H%M%S%f")
    final = out_dir / f"study-{study.pk}-{stamp}"
    work = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".study-{study.pk}-"))
    labels = report.labels
    try:
        exports = work / "export"
        exports.mkdir()
        model_data = report.results.model_data
        for fmt, (name, _mime) in FORMATS.items():
            write_export(model_data, fmt, exports / name, labels=labels, values=report.value_labels)
        items = report.items if report.items is not None else pd.DataFrame()
        safe_frame(items).to_csv(exports / "items.csv", index=False)
        digest = hashlib.sha256((exports / "analysis.csv").read_bytes()).hexdigest()
        report.specification["data_sha256"] = digest
        estimates_frame(report.results).to_csv(work / "estimates.csv", index=False)
        (work / "specification.json").write_text(
            json.dumps(
                {**report.specification, "software": report.versions},
                indent=2,
                ensure_ascii=False,
                default=_plain,
            ),
            encoding="utf-8",
        )
        report.files = {name: f"export/{name}" for name, _m in FORMATS.values()}
        report.files["items.csv"] = "export/items.csv"
        report.files["estimates.csv"] = "estimates.csv"
        html = render_html(report)
        (work / "report.html").write_text(html, encoding="utf-8")
        if pdf:
            (work / "report.pdf").write_bytes(render_pdf(html))
        if final.exists():
            raise ReportError(f"{final} exists already.")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    store_run(report, user=user, path=str(final), digest=digest)
    return final


def store_run(report: Report, *, user: Any = None, path: str = "", digest: str = "") -> ReportRun:
    """Keep the run: who, when, which plan, the data's hash and the rendered body."""
    return ReportRun.objects.create(
        study=report.study,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        clients=report.results.n_clients,
        measurements=report.results.n_measurements,
        data_sha256=digest,
        seconds=report.seconds,
        path=path,
        plan=report.plan_row,
        plan_locked=bool(report.specification["plan"]["locked_before_data_were_read"]),
        data_date=dt.datetime.fromisoformat(report.specification["data_read_at"]),
        html=render_body(report),
        evidence=_json_safe(report.results.evidence),
    )


def _json_safe(value: Any) -> Any:
    """Plain JSON for a JSONField: numpy numbers to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
