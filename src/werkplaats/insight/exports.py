"""Exports of the analysis data set: CSV, Parquet, SPSS .sav, Stata .dta, and a codebook.

SPSS and Stata files carry variable labels and value labels (pyreadstat). Text columns
stay text; indicators (0/1) get value labels. The labels come from the study's plan and
the catalogue (``report.model_export``): the export holds the model's columns only.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd

from werkplaats.core.tabular import safe_frame

Labels = dict[str, str]
ValueLabels = dict[str, dict[int | float, str]]

FORMATS = {
    "csv": ("analysis.csv", "text/csv"),
    "parquet": ("analysis.parquet", "application/vnd.apache.parquet"),
    "sav": ("analysis.sav", "application/x-spss-sav"),
    "dta": ("analysis.dta", "application/x-stata-dta"),
    "codebook": ("codebook.md", "text/markdown"),
}


def _stata_name(name: str) -> str:
    return name[:32]


def codebook(
    frame: pd.DataFrame, labels: Labels | None = None, values: ValueLabels | None = None
) -> str:
    """A Markdown codebook: name, label, type, missing share, value labels or range."""
    lines = [
        "# Codebook of the analysis data set",
        "",
        f"{len(frame)} rows (one per measurement in the model), {frame.shape[1]} variables.",
        "",
        "| variable | label | type | missing | values |",
        "|---|---|---|---:|---|",
    ]
    for col in frame.columns:
        label = (labels or {}).get(col, col)
        coded = (values or {}).get(col)
        s = frame[col]
        kind = "number" if pd.api.types.is_numeric_dtype(s) else "text"
        if coded:
            shown = "; ".join(f"{k} = {v}" for k, v in coded.items())
        elif kind == "number" and s.notna().any():
            shown = f"{s.min():.4g} – {s.max():.4g}"
        else:
            shown = f"{s.nunique()} distinct"
        lines.append(f"| `{col}` | {label} | {kind} | {s.isna().mean():.1%} | {shown} |")
    return "\n".join(lines) + "\n"


TEXT = {"client", "trajectory", "professional", "team", "organisation", "municipality"}


def _for_stats_packages(frame: pd.DataFrame, values: ValueLabels) -> pd.DataFrame:
    f = frame.copy()
    for col in f.columns:
        if col in values or (len(f) == 0 and col not in TEXT):
            f[col] = pd.to_numeric(f[col], errors="coerce").astype(float)
        elif not pd.api.types.is_numeric_dtype(f[col]):
            f[col] = f[col].fillna("").astype(str)
        else:
            f[col] = f[col].astype(float)
    return f


def write_export(
    frame: pd.DataFrame,
    fmt: str,
    path: Path,
    *,
    labels: Labels | None = None,
    values: ValueLabels | None = None,
) -> None:
    """Write one format to ``path`` (written beside it first, then moved into place)."""
    import pyreadstat

    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose from {', '.join(FORMATS)}.")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=path.suffix)
    os.close(fd)
    try:
        coded = {c: v for c, v in (values or {}).items() if c in frame.columns}
        named: dict[str, str | None] = {c: (labels or {}).get(c, c) for c in frame.columns}
        if fmt == "csv":
            safe_frame(frame).to_csv(tmp, index=False)
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        elif fmt == "sav":
            pyreadstat.write_sav(
                _for_stats_packages(frame, coded),
                tmp,
                column_labels=named,
                variable_value_labels=coded,
            )
        elif fmt == "dta":
            f = _for_stats_packages(frame, coded).rename(columns=_stata_name)
            pyreadstat.write_dta(
                f,
                tmp,
                column_labels={_stata_name(k): (v or "")[:80] for k, v in named.items()},
                variable_value_labels={_stata_name(k): v for k, v in coded.items()},
            )
        else:
            Path(tmp).write_text(codebook(frame, labels, coded), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_bytes(
    frame: pd.DataFrame,
    fmt: str,
    *,
    labels: Labels | None = None,
    values: ValueLabels | None = None,
) -> bytes:
    """One export as bytes, for a download."""
    if fmt == "csv":
        buf = io.StringIO()
        safe_frame(frame).to_csv(buf, index=False)
        return buf.getvalue().encode("utf-8")
    if fmt == "codebook":
        return codebook(frame, labels, values).encode("utf-8")
    with tempfile.TemporaryDirectory() as d:
        target = Path(d) / FORMATS[fmt][0]
        write_export(frame, fmt, target, labels=labels, values=values)
        return target.read_bytes()
