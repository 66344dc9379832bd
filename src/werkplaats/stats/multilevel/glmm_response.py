"""The response of a GLMM: cbind(), factors, proportions with weights; checks with rows named.

Part of :func:`werkplaats.stats.multilevel.fit_glmm` (glmm.py); also the check for
fixed effects that separate a binomial response.
"""

from __future__ import annotations

import re
import warnings
from typing import cast

import numpy as np
import pandas as pd

from .design import variable_info
from .errors import FormulaError, InvalidResponseError, MissingColumnError, MultilevelWarning
from .families import Family

_Y = ".glmm_response"
_TRIALS = ".glmm_trials"
_W = ".glmm_weights"
_OFF = ".glmm_offset"


def _rows_text(index: pd.Index, mask: np.ndarray, limit: int = 10) -> str:
    rows = [str(r) for r in index[mask][:limit]]
    more = int(mask.sum()) - len(rows)
    return ", ".join(rows) + (f" and {more} more" if more > 0 else "")


def _cbind_parts(lhs: str) -> list[list[str]] | None:
    """``cbind(a, n - a)`` -> [["a"], ["n", "a"]] (name, or name minus name)."""
    m = re.fullmatch(r"\s*cbind\s*\((.*)\)\s*", lhs)
    if m is None:
        return None
    args = m.group(1).split(",")
    if len(args) != 2:
        raise FormulaError(
            "cbind() on the left-hand side takes two columns: cbind(successes, failures)"
        )
    out = []
    for a in args:
        parts = [x.strip().strip("`") for x in a.split("-")]
        if not 1 <= len(parts) <= 2 or not all(parts):
            raise FormulaError(
                f"cbind() arguments must be a column or 'column - column', not {a.strip()!r}"
            )
        out.append(parts)
    return out


def _column(data: pd.DataFrame, name: str, what: str) -> np.ndarray:
    if name not in data.columns:
        raise MissingColumnError(f"the {what} column {name!r} is not in the data")
    s = data[name]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise InvalidResponseError(
            f"the {what} column {name!r} must be numeric but has type {s.dtype}"
        )
    return cast("np.ndarray", s.to_numpy(dtype=float, na_value=np.nan))


def _vector(data: pd.DataFrame, value: object, what: str) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _column(data, value, what)
    arr = np.asarray(value, dtype=float).reshape(-1)
    if arr.size != len(data):
        raise ValueError(f"{what} has {arr.size} values for {len(data)} rows of data")
    return arr


def _response(
    data: pd.DataFrame, lhs: str, fam: Family
) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The response as numbers, the trials of cbind() (or None) and its display name."""
    parts = _cbind_parts(lhs)
    if parts is not None:
        if fam.name != "binomial":
            raise FormulaError(
                "cbind(successes, failures) is only meaningful for the binomial family"
            )
        cols = []
        for p in parts:
            v = _column(data, p[0], "response")
            if len(p) == 2:
                v = v - _column(data, p[1], "response")
            cols.append(v)
        succ, fail = cols
        return succ, succ + fail, lhs.strip()
    name = lhs.strip().strip("`")
    if name not in data.columns:
        raise MissingColumnError(f"the response column {name!r} is not in the data")
    s = data[name]
    if fam.name == "binomial" and (
        pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype)
    ):
        # As R: the first level of a factor is failure, every other level success.
        info = variable_info(name, s)
        first = info.levels[0] if info.levels else None
        y = np.where(s.isna(), np.nan, (s != first).to_numpy(dtype=float))
        if pd.api.types.is_bool_dtype(s.dtype):
            y = np.where(s.isna(), np.nan, s.to_numpy(dtype=float, na_value=np.nan))
        return y, None, name
    return _column(data, name, "response"), None, name


def _check_response(
    fam: Family, y: np.ndarray, trials: np.ndarray, index: pd.Index, name: str, cbind: bool
) -> None:
    if fam.name == "binomial":
        if cbind:
            bad = (y < 0) | (trials - y < 0)
            if bad.any():
                raise InvalidResponseError(
                    f"cbind() needs successes and failures of at least 0; {int(bad.sum())} row(s) "
                    f"have a negative count (rows {_rows_text(index, bad)})"
                )
            return
        bad = (y < 0) | (y > 1)
        if bad.any():
            vals = ", ".join(f"{v:g}" for v in np.unique(y[bad])[:5])
            raise InvalidResponseError(
                f"a binomial response must be 0/1 (or a proportion with weights = trials, or "
                f"cbind(successes, failures)); {name!r} has the value(s) {vals} in rows "
                f"{_rows_text(index, bad)}"
            )
        k = y * trials
        if np.any(np.abs(k - np.round(k)) > 1e-7):
            warnings.warn(
                "non-integer #successes in a binomial glmm", MultilevelWarning, stacklevel=3
            )
        return
    bad = y < 0
    if bad.any():
        raise InvalidResponseError(
            f"a Poisson response counts events and cannot be negative; {name!r} is negative in "
            f"{int(bad.sum())} row(s) (rows {_rows_text(index, bad)})"
        )
    if np.any(np.abs(y - np.round(y)) > 1e-7):
        warnings.warn(
            f"non-integer counts in the Poisson response {name!r}", MultilevelWarning, stacklevel=3
        )


def _separation(
    fam: Family, X: np.ndarray, names: list[str], y: np.ndarray, beta: np.ndarray
) -> list[str]:
    """Fixed-effect columns that (quasi-)separate a binomial response."""
    if fam.name != "binomial":
        return []
    out = []
    for j, nm in enumerate(names):
        col = X[:, j]
        if nm == "(Intercept)":
            continue
        sd = float(np.std(col))
        is_indicator = np.all((col == 0) | (col == 1))
        if is_indicator and col.sum() > 0:
            yy = y[col == 1]
            if np.all(yy == 0) or np.all(yy == 1):
                out.append(f"{nm} (the response is always {int(yy[0])} where {nm} = 1)")
                continue
        if sd > 0 and abs(beta[j]) * sd > 10:
            out.append(f"{nm} (estimate {beta[j]:.3g} on the link scale)")
    return out
