"""Exports of the analysis data set: CSV, Parquet, SPSS .sav, Stata .dta, and a codebook.

SPSS and Stata files carry variable labels and value labels (pyreadstat). Text columns
stay text; numeric columns with a few coded values (0/1) get value labels.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd

from werkplaats.core.tabular import safe_frame
from werkplaats.insight.dataset import VARIABLES

FORMATS = {
    "csv": ("analysis.csv", "text/csv"),
    "parquet": ("analysis.parquet", "application/vnd.apache.parquet"),
    "sav": ("analysis.sav", "application/x-spss-sav"),
    "dta": ("analysis.dta", "application/x-stata-dta"),
    "codebook": ("codebook.md", "text/markdown"),
}


NUMERIC = {
    "time",
    "score",
    "network_size",
    "informal_n",
    "informal_share",
    "net0",
    "contacts",
    "sb_share",
    "out_share",
    "informal_present",
    "sectors",
    "alliance",
    "alliance_trajectory",
    "video_share",
    "sb_prof",
    "out_prof",
    "policy",
    "gas_t",
    "has_method",
}


def _stata_name(name: str) -> str:
    return name[:32]


def codebook(frame: pd.DataFrame) -> str:
    """A Markdown codebook: name, label, type, missing share, value labels or range."""
    lines = [
        "# Codebook of the analysis data set",
        "",
        f"{len(frame)} rows (one per completed measurement), {frame.shape[1]} variables.",
        "",
        "| variable | label | type | missing | values |",
        "|---|---|---|---:|---|",
    ]
    for col in frame.columns:
        label, values = VARIABLES.get(col, (col, None))
        s = frame[col]
        kind = "number" if pd.api.types.is_numeric_dtype(s) else "text"
        if values:
            shown = "; ".join(f"{k} = {v}" for k, v in values.items())
        elif kind == "number" and s.notna().any():
            shown = f"{s.min():.4g} – {s.max():.4g}"
        else:
            shown = f"{s.nunique()} distinct"
        lines.append(f"| `{col}` | {label} | {kind} | {s.isna().mean():.1%} | {shown} |")
    return "\n".join(lines) + "\n"


def _for_stats_packages(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    for col in f.columns:
        labelled = VARIABLES.get(col, ("", None))[1]
        if labelled or (len(f) == 0 and col in NUMERIC):
            f[col] = pd.to_numeric(f[col], errors="coerce").astype(float)
        elif not pd.api.types.is_numeric_dtype(f[col]):
            f[col] = f[col].fillna("").astype(str)
        else:
            f[col] = f[col].astype(float)
    return f


def write_export(frame: pd.DataFrame, fmt: str, path: Path) -> None:
    """Write one format to ``path`` (written beside it first, then moved into place)."""
    import pyreadstat

    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose from {', '.join(FORMATS)}.")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=path.suffix)
    os.close(fd)
    try:
        labels = {c: VARIABLES.get(c, (c, None))[0] for c in frame.columns}
        values = {c: v for c, (_l, v) in VARIABLES.items() if v and c in frame.columns}
        if fmt == "csv":
            safe_frame(frame).to_csv(tmp, index=False)
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        elif fmt == "sav":
            pyreadstat.write_sav(
                _for_stats_packages(frame), tmp, column_labels=labels, variable_value_labels=values
            )
        elif fmt == "dta":
            f = _for_stats_packages(frame).rename(columns=_stata_name)
            pyreadstat.write_dta(
                f,
                tmp,
                column_labels={_stata_name(k): v[:80] for k, v in labels.items()},
                variable_value_labels={_stata_name(k): v for k, v in values.items()},
            )
        else:
            Path(tmp).write_text(codebook(frame), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """One export as bytes, for a download."""
    if fmt == "csv":
        buf = io.StringIO()
        safe_frame(frame).to_csv(buf, index=False)
        return buf.getvalue().encode("utf-8")
    if fmt == "codebook":
        return codebook(frame).encode("utf-8")
    with tempfile.TemporaryDirectory() as d:
        target = Path(d) / FORMATS[fmt][0]
        write_export(frame, fmt, target)
        return target.read_bytes()
