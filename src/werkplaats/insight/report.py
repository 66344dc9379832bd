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
from werkplaats.insight.analysis import Results, model_frame, run_analyses
from werkplaats.insight.dataset import (
    definitions,
    gas_last_per_trajectory,
    item_answers,
    study_data,
    trajectory_frame,
)
from werkplaats.insight.exports import FORMATS, write_export
from werkplaats.insight.joint import model_summary
from werkplaats.insight.linkage import AGE_STEP, COUNT_BANDS, OTHER_STEP, SHARE_STEP
from werkplaats.insight.models import AnalysisPlan, ModelCase, ReportRun
from werkplaats.insight.plan import OutcomeInfo
from werkplaats.insight.report_figures import report_figures
from werkplaats.insight.report_text import (
    column_labels,
    column_words,
    estimates_frame,
    growth_rows,
    localise,
    methods_lines,
    summary_lines,
    value_labels,
)
from werkplaats.insight.selectors import CmoRow, caseload_frame, cmo_rows, current_plan
from werkplaats.programme.models import Study

__all__ = ["Report", "ReportError", "build_report", "localise", "model_export", "write_report"]


class ReportError(RuntimeError):
    """The report could not be produced; nothing was written."""


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
    model_groups: dict[str, Any] = field(default_factory=dict)
    model_lines: pd.DataFrame | None = None

    def context(self) -> dict[str, Any]:
        r = self.results
        return {
            "report": self,
            "study": self.study,
            "results": r,
            "growth_rows": growth_rows(r, self.words),
            "plan_row": self.plan_row,
            "plan_yaml": self.plan_row.plan.to_yaml(),
            "info": self.info,
            "icc_rows": (r.growth.result.icc.to_dict("records") if r.growth.ok else []),
            "voices_rows": (r.voices.result.to_dict("records") if r.voices.ok else []),
            "by_group": (r.agreement.result.by_group.to_dict("records") if r.agreement.ok else []),
            "spec_json": json.dumps(self.specification, indent=2, ensure_ascii=False),
            "versions": self.versions,
        }


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
    return (
        model_data,
        column_labels(plan, centres, variables, data.info),
        value_labels(centres, kinds),
    )


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
    summary, warnings = summary_lines(results, info, words)
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
        "linkage": {  # insight.linkage: what keeps this study's data from another's
            # coarsened only when another study with a plan shares clients with this one
            "coarsened": data.coarsened,
            "time": (
                "years since the trajectory started, in whole months"
                if data.coarsened
                else "years since the trajectory started, exact (days / 365.25)"
            ),
            "rounded": (
                {"share": SHARE_STEP, "age_at_start": AGE_STEP, "other": OTHER_STEP}
                if data.coarsened
                else {}
            ),
            "count_bands": (
                [{"from": low, "value": value} for low, value in COUNT_BANDS]
                if data.coarsened
                else []
            ),
            "withheld_clients": data.withheld_clients,
            "withheld_for": list(data.withheld_for),
            "exact": list(data.linkable_on),  # kept exact: the export is linkable on them
        },
    }
    if data.withheld_clients:
        warnings.append(
            _(
                "%(n)d clients are left out: their scores on this measure are in the data of "
                "%(studies)s, which started earlier. A client's scores on one measure go to "
                "one study only, so that two studies' data cannot be joined."
            )
            % {"n": data.withheld_clients, "studies": ", ".join(data.withheld_for)}
        )
    if data.linkable_on:
        warnings.append(
            _(
                "This study's data are linkable on %(names)s: another study with an "
                "analysis plan shares clients with it, and the plan keeps these values "
                "exact. The data steward must know before the data or an export leave the "
                "workplace."
            )
            % {"names": ", ".join(data.linkable_on)}
        )
    report = Report(
        study,
        frame,
        results,
        cmo_rows(study, results.evidence),
        report_figures(frame, results, info, words),
        summary,
        warnings,
        methods_lines(results, info, plan_row, locked_before),
        spec,
        software_versions(),
        dt.datetime.now(dt.UTC),
        plan_row,
        info,
        words,
    )
    report.items = item_answers(study, plan)
    report.labels = column_labels(plan, results.centres, variables, info)
    report.value_labels = value_labels(results.centres, kinds)
    report.model_groups, report.model_lines = model_summary(results, _client_codes(study))
    report.seconds = time.perf_counter() - began
    return report


def _client_codes(study: Study) -> dict[str, set[str]]:
    """The target group codes of each consenting client's trajectories (study key)."""
    t = trajectory_frame(study)
    codes: dict[str, set[str]] = {}
    if len(t):
        for client, groups in zip(t["client"], t["codes"], strict=True):
            codes.setdefault(str(client), set()).update(groups)
    return codes


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
    run = ReportRun.objects.create(
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
        model_groups=_json_safe(report.model_groups),
    )
    # the pages show the latest run's fitted lines only: earlier runs' are not kept
    ModelCase.objects.filter(run__study=report.study).exclude(run=run).delete()
    lines = report.model_lines
    if lines is not None and len(lines):
        ModelCase.objects.bulk_create(
            [
                ModelCase(
                    run=run,
                    client=str(client),
                    intercept=float(a),
                    slope=float(b),
                    measurements=int(n),
                )
                for client, a, b, n in zip(
                    lines.index, lines["intercept"], lines["slope"], lines["n"], strict=True
                )
            ],
            batch_size=5000,
        )
    return run


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
