"""Comparing coders on units formed from the text: material for a dialogue, not a verdict.

Plain Python. For every code and every unit, each coder's value is 1 (applied the code to
a segment overlapping the unit), 0 (did not), or missing (the coder has not finished).
Agreement per code is computed on those binary values; "all codes" pools every
code × unit decision. Grouping codes are never applied, so they are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from werkplaats.stats.agreement import cohens_kappa, krippendorff_alpha, percent_agreement
from werkplaats.stories.unitising import Unit, split_units, units_coded


@dataclass
class Document:
    key: int
    title: str
    text: str


@dataclass
class Coding:
    coder: int
    document: int
    code: int
    start: int
    end: int


@dataclass
class UnitRow:
    document: Document
    unit: Unit
    codes_by_coder: dict[int, set[int] | None]

    @property
    def text(self) -> str:
        return self.document.text[self.unit.start : self.unit.end]

    @property
    def agreed(self) -> bool | None:
        present = [c for c in self.codes_by_coder.values() if c is not None]
        if len(present) < 2:
            return None
        return all(c == present[0] for c in present)


@dataclass
class Figures:
    n_units: int
    percent: float | None = None
    kappa: float | None = None
    alpha: float | None = None
    note: str = ""


@dataclass
class Comparison:
    unitising: str
    coders: list[int]
    rows: list[UnitRow] = field(default_factory=list)
    per_code: dict[int, Figures] = field(default_factory=dict)
    overall: Figures | None = None


def _figures(data: list[list[int | None]]) -> Figures:
    n_units = len(data[0]) if data else 0
    figures = Figures(n_units=n_units)
    try:
        figures.percent = percent_agreement(data)
    except ValueError as exc:
        figures.note = str(exc)
        return figures
    coders_with_data = [row for row in data if any(v is not None for v in row)]
    if len(coders_with_data) == 2:
        try:
            figures.kappa = cohens_kappa(coders_with_data[0], coders_with_data[1])
        except ValueError as exc:
            figures.note = str(exc)
    try:
        figures.alpha = krippendorff_alpha(data, level="nominal")
    except ValueError as exc:
        figures.note = str(exc)
    return figures


def compare(
    documents: Sequence[Document],
    codings: Sequence[Coding],
    *,
    coders: Sequence[int],
    finished: set[int],
    codes: Sequence[int],
    unitising: str = "sentence",
) -> Comparison:
    """Unit-by-unit comparison plus per-code and overall agreement figures."""
    result = Comparison(unitising=unitising, coders=list(coders))
    per_code_rows: dict[int, list[list[int | None]]] = {c: [[] for _ in coders] for c in codes}
    for document in documents:
        units = split_units(document.text, unitising)
        for unit in units:
            result.rows.append(
                UnitRow(
                    document,
                    unit,
                    {coder: (set() if coder in finished else None) for coder in coders},
                )
            )
        offset = len(result.rows) - len(units)
        for i, coder in enumerate(coders):
            mine = [c for c in codings if c.coder == coder and c.document == document.key]
            for code in codes:
                spans = [(c.start, c.end) for c in mine if c.code == code]
                flags = units_coded(units, spans)
                for j, flag in enumerate(flags):
                    per_code_rows[code][i].append((1 if flag else 0) if coder in finished else None)
                    if flag and coder in finished:
                        codes_here = result.rows[offset + j].codes_by_coder[coder]
                        if codes_here is not None:
                            codes_here.add(code)
    pooled: list[list[int | None]] = [[] for _ in coders]
    for code, data in per_code_rows.items():
        result.per_code[code] = _figures(data)
        for i, row in enumerate(data):
            pooled[i].extend(row)
    result.overall = _figures(pooled) if codes else None
    return result
