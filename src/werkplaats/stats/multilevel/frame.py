"""From a formula and a DataFrame to the matrices the engine fits.

Shared by :func:`fit_lmm` and :func:`fit_glmm`: column checks, dropping of
incomplete rows, refusal of infinite values, the fixed-effects model matrix
(with rank-deficient columns dropped as lme4 does) and the random-effects
terms in lme4's order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .design import ModelMatrixSpec, _label, build_matrix, group_codes, variable_info
from .engine import ReBlock
from .errors import (
    EmptyDataError,
    InfiniteValueError,
    MissingColumnError,
    MultilevelWarning,
    TooFewLevelsError,
    TooManyParametersError,
)
from .formula import Formula

__all__ = ["TermInfo", "Design", "build_design", "complete_rows", "check_columns", "group_labels"]


@dataclass
class TermInfo:
    """A fitted random-effects term (in lme4's order: most levels first)."""

    label: str  # unique label as in VarCorr (e.g. "Subject.1")
    group_label: str  # grouping factor name as lme4 prints it (e.g. "cask:batch")
    group: tuple[str, ...]
    spec: ModelMatrixSpec
    names: tuple[str, ...]
    levels: list[str]
    level_index: dict[str, int]


@dataclass
class Design:
    """Model matrices of the complete rows."""

    X: np.ndarray
    names: list[str]
    keep: np.ndarray
    dropped: list[str]
    fixed_spec: ModelMatrixSpec
    terms: list[TermInfo]
    blocks: list[ReBlock]
    messages: list[str]


def check_columns(f: Formula, data: pd.DataFrame, extra: tuple[str, ...] = ()) -> None:
    missing = [v for v in list(f.variables) + list(extra) if v not in data.columns]
    if missing:
        avail = ", ".join(map(str, list(data.columns)[:20]))
        raise MissingColumnError(
            f"the formula uses column(s) {missing} that are not in the data; "
            f"available columns: {avail}"
        )


def _rows_text(index: pd.Index, mask: np.ndarray, limit: int = 10) -> str:
    rows = [str(r) for r in index[mask][:limit]]
    more = int(mask.sum()) - len(rows)
    return ", ".join(rows) + (f" and {more} more" if more > 0 else "")


def complete_rows(frame: pd.DataFrame, used: list[str]) -> tuple[pd.DataFrame, int]:
    """Drop rows with a missing value; refuse infinite values in numeric columns.

    lme4 refuses non-finite values in the model frame; silently dropping a
    column of infinities as "rank deficient" would fit a different model.
    The error names the column and the rows (index labels of ``frame``).
    """
    for v in used:
        s = frame[v]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            vals = s.to_numpy(dtype=float, na_value=np.nan)
            bad = np.isinf(vals)
            if bad.any():
                raise InfiniteValueError(
                    f"column {v!r} contains infinite values in {int(bad.sum())} row(s) "
                    f"(rows {_rows_text(frame.index, bad)}); replace them by a finite value "
                    "or by a missing value (NaN) to drop those rows"
                )
    complete = frame.notna().all(axis=1).to_numpy()
    n_total = len(frame)
    n_dropped = int(n_total - complete.sum())
    if not complete.all():
        frame = frame.loc[complete]
    if len(frame) == 0:
        raise EmptyDataError(
            f"no complete rows: all {n_total} row(s) have a missing value in at least one of "
            f"the columns {used} ({n_dropped} row(s) dropped)"
        )
    return frame, n_dropped


def independent_columns(X: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Indices of columns to keep: a column is dropped when it is (numerically)
    a linear combination of the columns before it, like lme4's pivoted QR
    that sends dependent columns to the end."""
    n, p = X.shape
    keep: list[int] = []
    Q = np.zeros((n, 0))
    norms = np.sqrt(np.sum(X**2, axis=0))
    for j in range(p):
        v = X[:, j].copy()
        if norms[j] == 0:
            continue
        for _ in range(2):  # re-orthogonalise once for stability
            v -= Q @ (Q.T @ v)
        r = np.linalg.norm(v)
        if r > tol * norms[j]:
            keep.append(j)
            Q = np.column_stack([Q, v / r])
    return np.array(keep, dtype=np.int64)


def build_design(f: Formula, frame: pd.DataFrame, *, residual_variance: bool = True) -> Design:
    """Fixed-effects matrix and random-effects terms of the complete rows.

    ``residual_variance`` is False for GLMMs without a scale parameter
    (binomial, Poisson), where a random effect per observation is allowed.
    """
    n = len(frame)
    used = list(f.variables)
    messages: list[str] = []
    # Only the variables of model-matrix terms: a grouping factor's levels (tens of
    # thousands of clients) are described by group_codes below.
    in_terms = set(f.fixed_variables) | {v for rt in f.random for t in rt.terms for v in t}
    variables = {v: variable_info(v, frame[v]) for v in used if v != f.response and v in in_terms}
    fixed_spec = ModelMatrixSpec.create(
        f.terms, f.intercept, {v: variables[v] for v in f.fixed_variables}
    )
    X_full = build_matrix(fixed_spec, frame)
    keep = independent_columns(X_full)
    kept = set(keep.tolist())
    dropped = [fixed_spec.names[j] for j in range(X_full.shape[1]) if j not in kept]
    if dropped:
        msg = (
            f"fixed-effect model matrix is rank deficient so dropping {len(dropped)} "
            f"column(s) / coefficient(s): {', '.join(dropped)}"
        )
        warnings.warn(msg, MultilevelWarning, stacklevel=3)
        messages.append(msg)
    X = X_full[:, keep]
    names = [fixed_spec.names[j] for j in keep]

    raw_terms = []
    for rt in f.random:
        spec = ModelMatrixSpec.create(
            rt.terms, rt.intercept, {v: variables[v] for t in rt.terms for v in t}
        )
        Z = build_matrix(spec, frame)
        codes, levels = group_codes(frame, rt.group)
        q = len(levels)
        if q < 2:
            raise TooFewLevelsError(
                f"the grouping factor {rt.group_label!r} has {q} level in the complete data; "
                "a random effect needs at least two groups (drop the term or use a fixed effect)"
            )
        d = Z.shape[1]
        n_par = d * (d + 1) // 2
        if residual_variance and q * d >= n:
            raise TooManyParametersError(
                f"the term ({' + '.join(spec.names)} | {rt.group_label}) has {q * d} random effects "
                f"for {n} observations; the random-effects and residual variances cannot both be "
                "estimated (use fewer effects per group or a grouping factor with fewer levels)"
            )
        if n_par > q:
            raise TooManyParametersError(
                f"the term ({' + '.join(spec.names)} | {rt.group_label}) has {n_par} variance and "
                f"covariance parameters but {rt.group_label!r} has only {q} levels; "
                "use fewer random slopes, (x || g) for uncorrelated effects, or more groups"
            )
        raw_terms.append((rt, spec, Z, codes, levels))
    # lme4 orders terms by number of levels, largest first (stable).
    order = sorted(range(len(raw_terms)), key=lambda i: -len(raw_terms[i][4]))
    raw_terms = [raw_terms[i] for i in order]
    labels: list[str] = []
    for rt, *_ in raw_terms:
        base = rt.group_label
        lab, k = base, 0
        while lab in labels:
            k += 1
            lab = f"{base}.{k}"
        labels.append(lab)
    terms = [
        TermInfo(
            lab,
            rt.group_label,
            rt.group,
            spec,
            spec.names,
            levels,
            {lev: i for i, lev in enumerate(levels)},
        )
        for lab, (rt, spec, Z, codes, levels) in zip(labels, raw_terms)
    ]
    blocks = [ReBlock(codes, Z, len(levels)) for (rt, spec, Z, codes, levels) in raw_terms]
    return Design(X, names, keep, dropped, fixed_spec, terms, blocks, messages)


def group_labels(data: pd.DataFrame, group: tuple[str, ...]) -> list[str]:
    if len(group) == 1:
        return [_label(v) for v in data[group[0]]]
    cols = [data[g] for g in group]
    return [":".join(_label(v) for v in vals) for vals in zip(*cols)]
