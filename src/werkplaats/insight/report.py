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
from django.utils.translation import gettext as _

from werkplaats.insight import svg
from werkplaats.insight.analysis import MEDIATORS, Results, run_analyses, significant
from werkplaats.insight.dataset import INSTRUMENT, SCALE, analysis_frame
from werkplaats.insight.exports import FORMATS, write_export
from werkplaats.insight.models import ReportRun
from werkplaats.insight.selectors import CmoRow, caseload_frame, cmo_rows
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.programme.models import Study


class ReportError(RuntimeError):
    """The report could not be produced; nothing was written."""


def term_label(term: str) -> str:
    """Plain words for a model term."""
    words = {
        "(Intercept)": _("level at the start (reference client)"),
        "time": _("growth per year"),
        "net0_c": _("larger informal network at the start"),
        "frail": _("frail elderly"),
        "video_c": _("video rather than phone contacts"),
        "sb_c": _("strengths-based way of working of the professional"),
        "out_c": _("outreach way of working of the professional"),
        "policy_c": _("organisation's strengths-based policy"),
    }
    parts = term.split(":")
    named = [words.get(p, p) for p in parts if p != "time"]
    if "time" in parts:
        if not named:
            return words["time"]
        return _("growth per year × %(what)s") % {"what": " × ".join(named)}
    return " × ".join(named) if named else words.get(term, term)


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
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def context(self) -> dict[str, Any]:
        r = self.results
        return {
            "report": self,
            "study": self.study,
            "results": r,
            "growth_rows": _growth_rows(r),
            "icc_rows": (r.growth.result.icc.to_dict("records") if r.growth.ok else []),
            "voices_rows": (r.voices.result.to_dict("records") if r.voices.ok else []),
            "by_group": (r.agreement.result.by_group.to_dict("records") if r.agreement.ok else []),
            "spec_json": json.dumps(self.specification, indent=2, ensure_ascii=False),
            "versions": self.versions,
        }


def _growth_rows(r: Results) -> list[dict[str, Any]]:
    if not r.growth.ok:
        return []
    return [
        {**row, "label": term_label(row["term"]), "significant": significant(row)}
        for row in r.growth.result.terms.to_dict("records")
    ]


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


def _norms() -> dict[str, float | None] | None:
    version = (
        InstrumentVersion.objects.filter(instrument__slug=INSTRUMENT, organisation__isnull=True)
        .order_by("-pk")
        .first()
    )
    if version is None:
        return None
    scale = next((s for s in version.parsed.scales if s.id == SCALE), None)
    if scale is None or scale.norms is None:
        return None
    n = scale.norms
    return {"sd": n.sd, "reliability": n.reliability, "mean": n.mean}


def _figures(frame: pd.DataFrame, r: Results) -> dict[str, str]:
    figs: dict[str, str] = {}
    client = frame[frame["informant"] == "client"]
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
            _("Mean mastery score by time in trajectory"),
            _("years since the start"),
            _("mastery (7-28)"),
        )
    rows = [row for row in _growth_rows(r) if row["term"] != "(Intercept)"]
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


def _summary(r: Results) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    warnings: list[str] = []
    lines.append(
        _("%(clients)s clients who gave consent took part, with %(n)s measurements.")
        % {"clients": r.n_clients, "n": r.n_measurements}
    )
    if r.change.ok:
        ch = r.change.result
        lines.append(
            _(
                "On average their sense of control over their own life (mastery, 7-28) went from "
                "%(before).1f to %(after).1f; %(improved)s of %(n)s clearly improved and "
                "%(worse)s clearly got worse."
            )
            % {
                "before": ch.mean_before,
                "after": ch.mean_after,
                "improved": ch.improved,
                "n": ch.n,
                "worse": ch.deteriorated,
            }
        )
    else:
        warnings.append(r.change.message)
    if r.growth.ok:
        rows = [row for row in _growth_rows(r) if row["term"] not in ("(Intercept)", "time")]
        found = [row for row in rows if row["significant"]]
        for row in found:
            direction = _("more") if row["estimate"] > 0 else _("less")
            lines.append(
                _("Clearly linked with %(direction)s mastery: %(what)s.")
                % {"direction": direction, "what": row["label"]}
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


def _methods(r: Results, norms: dict[str, float | None] | None) -> list[str]:
    out = [
        _(
            "Data: every completed Pearlin Mastery measurement of clients whose consent for "
            "this study stood when the report was made; clients are known by a keyed hash "
            "that differs per study."
        ),
        _(
            "Change per trajectory: first against last score of the client; standardised mean "
            "change d_z with a noncentral-t 95%% interval; reliable change index (Jacobson & "
            "Truax) with SD %(sd)s and reliability %(rel)s."
        )
        % {"sd": (norms or {}).get("sd", "—"), "rel": (norms or {}).get("reliability", "—")},
        _(
            "Growth model (linear mixed model, REML, Werkplaats' multilevel engine that "
            "agrees with lme4): %(formula)s. Moderators are centred; the working style of the "
            "professional is their share of strengths-based and outreach contacts over all "
            "their clients. Wald 95%% intervals."
        )
        % {"formula": r.spec.formula()},
        _(
            "Working factors as mediators: indirect effect a·b by two least-squares "
            "regressions, adjusted for the first score, with a percentile bootstrap that "
            "resamples whole professionals. With observational data this shows an "
            "association that runs through the mediator, not a proven mechanism: it assumes "
            "no unmeasured confounding of exposure, mediator and outcome."
        ),
        _(
            "Agreement between client and professional: ICC (Shrout & Fleiss), Bland–Altman "
            "limits of agreement, and the mean difference per target group."
        ),
        _(
            "Representation: respondents (clients with consent and at least one answered "
            "questionnaire) and storytellers against the caseload of the participating "
            "organisations; a group is flagged when its share among respondents is below 80%% "
            "of its share of the caseload."
        ),
    ]
    out.append(_("Steps that ran: %(steps)s.") % {"steps": "; ".join(r.steps)})
    return out


def build_report(study: Study, *, n_boot: int = 500) -> Report:
    """Read, analyse and shape the report (nothing is written)."""
    began = time.perf_counter()
    frame = analysis_frame(study)
    norms = _norms()
    results = run_analyses(frame, norms=norms, caseload=caseload_frame(study), n_boot=n_boot)
    summary, warnings = _summary(results)
    spec = {
        "study": study.pk,
        "instrument": INSTRUMENT,
        "scale": SCALE,
        "growth": results.spec.as_dict(),
        "mediation": {
            "pairs": [list(p) for p in MEDIATORS],
            "outcome": "change",
            "covariates": ["before"],
            "n_boot": n_boot,
            "seed": 1,
            "cluster": "professional",
        },
        "norms": norms,
        "rows": len(frame),
        "clients": results.n_clients,
    }
    report = Report(
        study,
        frame,
        results,
        cmo_rows(study, results.evidence),
        _figures(frame, results),
        summary,
        warnings,
        _methods(results, norms),
        spec,
        software_versions(),
        dt.datetime.now(dt.UTC),
    )
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


def write_report(
    study: Study, out_dir: Path, *, pdf: bool = True, user: Any = None, n_boot: int = 500
) -> Path:
    """Write the report folder ``out_dir/study-<id>-<timestamp>``; all or nothing."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(study, n_boot=n_boot)
    stamp = report.created.strftime("%Y%m%dT%H%M%S")
    final = out_dir / f"study-{study.pk}-{stamp}"
    work = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".study-{study.pk}-"))
    try:
        exports = work / "export"
        exports.mkdir()
        for fmt, (name, _mime) in FORMATS.items():
            write_export(report.frame, fmt, exports / name)
        digest = hashlib.sha256((exports / "analysis.csv").read_bytes()).hexdigest()
        report.specification["data_sha256"] = digest
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
    ReportRun.objects.create(
        study=study,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        clients=report.results.n_clients,
        measurements=report.results.n_measurements,
        data_sha256=digest,
        seconds=report.seconds,
        path=str(final),
    )
    return final


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
