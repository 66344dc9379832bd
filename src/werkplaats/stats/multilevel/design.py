"""Model matrices: R's treatment coding, column names as lme4 prints them.

A variable is a *factor* when its column is categorical, string/object or
boolean; otherwise it is numeric.  Factors are coded as R does: in a term,
a factor gets treatment contrasts (first level is the reference) when the
term without that factor is also in the model (the intercept counts as the
empty term), and full indicator coding otherwise.  Columns are named like
R: ``(Intercept)``, ``time``, ``serviceY``, ``time:serviceY``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import FormulaError

__all__ = ["VariableInfo", "ModelMatrixSpec", "variable_info", "build_matrix", "group_codes"]

Term = tuple[str, ...]


@dataclass(frozen=True)
class VariableInfo:
    """How one data column enters a model matrix."""

    name: str
    is_factor: bool
    levels: tuple[object, ...] = ()
    labels: tuple[str, ...] = ()


def _is_factor(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype))


def _label(v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _labels(values: object) -> list[str]:
    """``_label`` of each value; strings (the usual level values) without a Python call per value."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return [str(v) for v in values]  # type: ignore[attr-defined]
    return [_label(v) for v in values]  # type: ignore[attr-defined]


def variable_info(name: str, s: pd.Series) -> VariableInfo:
    """Describe a column: numeric, or factor with the levels present.

    Unused categories are dropped (``drop.unused.levels`` in R's model
    frame); a categorical keeps its category order, other factors are
    sorted.
    """
    if not _is_factor(s):
        return VariableInfo(name, False)
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = pd.unique(s.cat.codes[s.cat.codes >= 0])
        levels = tuple(s.cat.categories[np.sort(present)])
    else:
        uniq = pd.unique(s.dropna())
        try:
            levels = tuple(sorted(uniq))
        except TypeError:  # mixed types: order by text
            levels = tuple(sorted(uniq, key=str))
    return VariableInfo(name, True, levels, tuple(_labels(levels)))


@dataclass(frozen=True)
class _TermCoding:
    term: Term
    # For each variable: None (numeric), "contrast" or "full".
    coding: tuple[str | None, ...]


@dataclass(frozen=True)
class ModelMatrixSpec:
    """Everything needed to rebuild a model matrix on new data."""

    intercept: bool
    codings: tuple[_TermCoding, ...]
    variables: dict[str, VariableInfo]
    names: tuple[str, ...]

    @classmethod
    def create(
        cls, terms: tuple[Term, ...], intercept: bool, variables: dict[str, VariableInfo]
    ) -> ModelMatrixSpec:
        present = {frozenset(t) for t in terms}
        if intercept:
            present.add(frozenset())
        codings = []
        names: list[str] = ["(Intercept)"] if intercept else []
        for term in terms:
            coding: list[str | None] = []
            for v in term:
                info = variables[v]
                if not info.is_factor:
                    coding.append(None)
                    continue
                rest = frozenset(term) - {v}
                if rest in present:
                    coding.append("contrast")
                else:
                    coding.append("full")
            # Without an intercept the first factor gets full coding (its
            # "rest", the empty term, is absent); that column set then spans
            # the intercept, so later factors get contrasts, as in R.
            if len(term) == 1 and coding == ["full"]:
                present.add(frozenset())
            codings.append(_TermCoding(term, tuple(coding)))
            names.extend(_term_names(term, tuple(coding), variables))
        return cls(intercept, tuple(codings), dict(variables), tuple(names))


def _var_columns(info: VariableInfo, coding: str | None) -> list[str]:
    if coding is None:
        return [info.name]
    labels = info.labels[1:] if coding == "contrast" else info.labels
    return [info.name + lab for lab in labels]


def _term_names(
    term: Term, coding: tuple[str | None, ...], variables: dict[str, VariableInfo]
) -> list[str]:
    # R's column order for an interaction: the first variable varies fastest.
    names = [""]
    for v, c in zip(term, coding):
        cols = _var_columns(variables[v], c)
        names = [f"{prev}:{col}" if prev else col for col in cols for prev in names]
    return names


def _var_matrix(data: pd.DataFrame, info: VariableInfo, coding: str | None) -> np.ndarray:
    s = data[info.name]
    if coding is None:
        return np.asarray(s, dtype=float).reshape(-1, 1)
    codes = pd.Categorical(s, categories=list(info.levels)).codes
    if np.any((codes < 0) & s.notna().to_numpy()):
        bad = sorted({str(v) for v in s[(codes < 0) & s.notna().to_numpy()]})[:5]
        raise FormulaError(
            f"column {info.name!r} has level(s) {bad} that were not in the data the model was fitted on"
        )
    start = 1 if coding == "contrast" else 0
    k = len(info.levels)
    out = np.zeros((len(s), k - start))
    rows = np.nonzero(codes >= start)[0]
    out[rows, codes[rows] - start] = 1.0
    out[codes < 0, :] = np.nan
    return out


def build_matrix(spec: ModelMatrixSpec, data: pd.DataFrame) -> np.ndarray:
    """Build the model matrix described by ``spec`` for ``data``."""
    n = len(data)
    blocks: list[np.ndarray] = []
    if spec.intercept:
        blocks.append(np.ones((n, 1)))
    for tc in spec.codings:
        m = np.ones((n, 1))
        for v, c in zip(tc.term, tc.coding):
            vm = _var_matrix(data, spec.variables[v], c)
            # First variable varies fastest: new columns are outer blocks.
            m = (vm[:, :, None] * m[:, None, :]).reshape(n, -1)
        blocks.append(m)
    if not blocks:
        return np.zeros((n, 0))
    return np.hstack(blocks)


def group_codes(data: pd.DataFrame, group: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Integer codes (0..q-1) and level labels of a grouping factor.

    An interaction ``a:b`` is the combination of the values; its labels are
    written ``a_level:b_level`` as lme4 does.
    """
    if len(group) == 1:
        codes, uniques = pd.factorize(data[group[0]], sort=True)
        return codes.astype(np.int64), _labels(uniques)
    parts = [pd.factorize(data[g], sort=True) for g in group]
    key = np.zeros(len(data), dtype=np.int64)
    for codes, uniques in parts:
        key = key * len(uniques) + codes
    codes, uniq_keys = pd.factorize(key, sort=True)
    labels = []
    radices = [len(u) for _, u in parts]
    for k in uniq_keys:
        idx = []
        for r in reversed(radices):
            idx.append(k % r)
            k //= r
        idx.reverse()
        labels.append(":".join(_label(parts[i][1][j]) for i, j in enumerate(idx)))
    return codes.astype(np.int64), labels
