"""Text summaries laid out like lme4's ``summary(m)`` (as statsmodels' summary2).

:func:`lmm_summary` for linear, :func:`glmm_summary` for generalised mixed
models; both share the random-effects and fixed-effects tables.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.stats

if TYPE_CHECKING:
    from .frame import TermInfo
    from .results import GlmmResult, LmmResult

__all__ = ["lmm_summary", "glmm_summary"]


def _info_block(hdr: list[str], vals: list[str]) -> list[str]:
    w = [max(len(h), len(v)) + 1 for h, v in zip(hdr, vals)]
    return [
        " ".join(h.rjust(x) for h, x in zip(hdr, w)),
        " ".join(v.rjust(x) for v, x in zip(vals, w)),
    ]


def _quantile_lines(title: str, values: np.ndarray) -> list[str]:
    q = np.quantile(values, [0, 0.25, 0.5, 0.75, 1])
    names = ["Min", "1Q", "Median", "3Q", "Max"]
    cells = [f"{v:.4f}" for v in q]
    width = max(len(c) for c in cells + names)
    return [
        title,
        " ".join(n.rjust(width) for n in names),
        " ".join(c.rjust(width) for c in cells),
        "",
    ]


def _fixef_correlation(vcov: pd.DataFrame, index: pd.Index) -> list[str]:
    if len(index) <= 1:
        return []
    V = vcov.to_numpy()
    sd = np.sqrt(np.diag(V))
    corr = V / np.outer(sd, sd)
    short = [_abbreviate(n) for n in index]
    width = max(len(s) for s in short[1:])
    out = ["", "Correlation of Fixed Effects:"]
    out.append(" " * (width + 1) + " ".join(s.rjust(6)[:6] for s in short[:-1]))
    for i in range(1, len(short)):
        cells = [f"{corr[i, j]:.3f}" for j in range(i)]
        out.append(short[i].ljust(width) + " " + " ".join(c.rjust(6) for c in cells))
    return out


def _trailer(r: LmmResult | GlmmResult) -> list[str]:
    lines = []
    if r.dropped_columns:
        lines.append(
            f"fit warnings:\nfixed-effect model matrix is rank deficient so dropping "
            f"{len(r.dropped_columns)} column(s) / coefficient(s): {', '.join(r.dropped_columns)}"
        )
    if r.singular:
        lines.append("boundary (singular) fit: see the 'singular' diagnostics")
    if not r.converged:
        lines.append(f"convergence: {r.convergence}")
    if r.n_dropped:
        lines.append(f"{r.n_dropped} row(s) with missing values were dropped")
    return lines


def lmm_summary(r: LmmResult) -> str:
    """The text of ``LmmResult.summary()``."""
    lines: list[str] = []
    crit = "REML" if r.reml else "maximum likelihood "
    lines.append(f"Linear mixed model fit by {crit} ['lmerMod']")
    lines.append(f"Formula: {r.formula}")
    lines.append(f"   Data: {r._data_name}")
    lines.append("")
    if r.reml:
        lines.append(f"REML criterion at convergence: {r.objective:.1f}")
    else:
        lines.extend(
            _info_block(
                ["AIC", "BIC", "logLik", "deviance", "df.resid"],
                [
                    f"{r.aic:.1f}",
                    f"{r.bic:.1f}",
                    f"{r.loglik:.1f}",
                    f"{-2 * r.loglik:.1f}",
                    f"{r.nobs - r.df:d}",
                ],
            )
        )
    lines.append("")
    lines.extend(_quantile_lines("Scaled residuals: ", r.residuals.to_numpy() / r.sigma))
    lines.append("Random effects:")
    lines.extend(varcorr_lines(r._terms, r.varcorr, r.sigma))
    grp = "; ".join(f"{k}, {v}" for k, v in r.ngroups.items())
    lines.append(f"Number of obs: {r.nobs}, groups:  {grp}")
    lines.append("")
    lines.append("Fixed effects:")
    tab = pd.DataFrame({"Estimate": r.fixef, "Std. Error": r.se, "t value": r.tvalue})
    lines.append(format_table(tab))
    lines.extend(_fixef_correlation(r.vcov, r.fixef.index))
    lines.extend(_trailer(r))
    return "\n".join(lines)


def glmm_summary(r: GlmmResult) -> str:
    """The text of ``GlmmResult.summary()``, as lme4 prints a ``glmer`` fit."""
    lines: list[str] = []
    approx = (
        "Laplace Approximation"
        if r.nagq == 1
        else (
            "nAGQ = 0 (fixed effects in PIRLS)"
            if r.nagq == 0
            else f"Adaptive Gauss-Hermite Quadrature (nAGQ = {r.nagq})"
        )
    )
    lines.append(
        f"Generalized linear mixed model fit by maximum likelihood ({approx}) ['glmerMod']"
    )
    lines.append(f" Family: {r.family} ( {r.link} )")
    lines.append(f"Formula: {r.formula}")
    lines.append(f"   Data: {r._data_name}")
    if r.has_weights:
        lines.append("Weights: prior weights")
    if r.has_offset:
        lines.append(" Offset: given")
    lines.append("")
    lines.extend(
        _info_block(
            ["AIC", "BIC", "logLik", "deviance", "df.resid"],
            [
                f"{r.aic:.1f}",
                f"{r.bic:.1f}",
                f"{r.loglik:.1f}",
                f"{r.objective:.1f}",
                f"{r.nobs - r.df:d}",
            ],
        )
    )
    lines.append("")
    lines.extend(_quantile_lines("Scaled residuals: ", r.pearson_residuals.to_numpy()))
    lines.append("Random effects:")
    lines.extend(varcorr_lines(r._terms, r.varcorr, None))
    grp = "; ".join(f"{k}, {v}" for k, v in r.ngroups.items())
    lines.append(f"Number of obs: {r.nobs}, groups:  {grp}")
    lines.append("")
    lines.append("Fixed effects:")
    p = 2 * scipy.stats.norm.sf(np.abs(r.zvalue.to_numpy()))
    tab = pd.DataFrame(
        {"Estimate": r.fixef, "Std. Error": r.se, "z value": r.zvalue, "Pr(>|z|)": p}
    )
    lines.append(format_table(tab))
    lines.extend(_fixef_correlation(r.vcov, r.fixef.index))
    lines.extend(_trailer(r))
    return "\n".join(lines)


def varcorr_lines(terms: list[TermInfo], varcorr: pd.DataFrame, sigma: float | None) -> list[str]:
    """The "Random effects" table; ``sigma`` None for families without a residual."""
    groups: list[str] = []
    names: list[str] = []
    variances: list[float] = []
    corrs: list[list[float]] = []
    for t in terms:
        vc = varcorr[varcorr["grp"] == t.label]
        var = vc[vc["var2"] == ""]
        cov = vc[vc["var2"] != ""]
        d = len(var)
        corr = np.eye(d)
        for _, row in cov.iterrows():
            i, j = t.names.index(row["var1"]), t.names.index(row["var2"])
            corr[i, j] = corr[j, i] = row["sdcor"]
        for i, (_, row) in enumerate(var.iterrows()):
            groups.append(t.label if i == 0 else "")
            names.append(row["var1"])
            variances.append(float(row["vcov"]))
            corrs.append([float(corr[i, j]) for j in range(i)])
    if sigma is not None:
        groups.append("Residual")
        names.append("")
        variances.append(sigma**2)
        corrs.append([])
    # As R's format(x, digits = 4): one number of decimals per column.
    var_s = format_column(variances, 4)
    sd_s = format_column([math.sqrt(v) for v in variances], 4)
    has_corr = any(corrs)
    gw = max(len("Groups"), *(len(g) for g in groups))
    nw = max(len("Name"), *(len(n) for n in names))
    vw = max(len("Variance"), len(var_s[0]))
    sw = max(len("Std.Dev."), len(sd_s[0]))
    header = (
        f" {'Groups'.ljust(gw)} {'Name'.ljust(nw)} {'Variance'.ljust(vw)} {'Std.Dev.'.ljust(sw)}"
    )
    out = [header + (" Corr" if has_corr else "")]
    for g, n, v, sd, cr in zip(groups, names, var_s, sd_s, corrs):
        line = f" {g.ljust(gw)} {n.ljust(nw)} {v.ljust(vw)} {sd.ljust(sw)}"
        if cr:
            line += " " + " ".join(f"{c:.2f}".rjust(5) for c in cr)
        out.append(line.rstrip())
    return out


def format_column(values: list[float], digits: int) -> list[str]:
    """Format numbers with one shared number of decimals, as R's format(x, digits=)."""
    dec = 0
    for v in values:
        if v != 0 and np.isfinite(v):
            dec = max(dec, digits - 1 - int(math.floor(math.log10(abs(v)))))
    dec = min(dec, 10)
    cells = [f"{v:.{dec}f}" for v in values]
    w = max(len(c) for c in cells)
    return [c.rjust(w) for c in cells]


def _abbreviate(name: str) -> str:
    if name == "(Intercept)":
        return "(Intr)"
    return name[:6]


def _format_p(p: float) -> str:
    if p < 2e-16:
        return "<2e-16"
    return f"{p:.3g}" if p >= 1e-4 else f"{p:.2e}"


def format_table(tab: pd.DataFrame) -> str:
    cols = list(tab.columns)
    body = {}
    for c in cols:
        if c in ("t value", "z value"):
            body[c] = [f"{v:.3f}" for v in tab[c]]
        elif c.startswith("Pr("):
            body[c] = [_format_p(float(v)) for v in tab[c]]
        elif c == "df":
            body[c] = [f"{v:.2f}" for v in tab[c]]
        else:
            body[c] = format_column(list(tab[c]), 4)
    namew = max(len(str(i)) for i in tab.index)
    widths = {c: max(len(c), max(len(s) for s in body[c])) for c in cols}
    out = [" " * namew + " " + " ".join(c.rjust(widths[c]) for c in cols)]
    for k, idx in enumerate(tab.index):
        out.append(
            str(idx).ljust(namew) + " " + " ".join(body[c][k].rjust(widths[c]) for c in cols)
        )
    return "\n".join(out)
