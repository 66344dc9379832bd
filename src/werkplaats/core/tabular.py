"""Cells for CSV and XLSX files that a spreadsheet never runs as a formula.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (CSV injection). Every CSV and
XLSX writer of the project passes its text cells through :func:`safe_cell`, which puts a
single quote before such text — the spreadsheets' own sign for "this is text". Numbers
stay numbers: ``-3`` as a number is not touched, ``"-3"`` as text is.

>>> safe_cell("=HYPERLINK(\\"http://x\\")")
"'=HYPERLINK(\\"http://x\\")"
>>> safe_cell(-3), safe_cell("plain"), safe_cell("@SUM(A1)")
(-3, 'plain', "'@SUM(A1)")
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class SafeWriter:
    """``csv.writer`` whose text cells go through :func:`safe_cell`."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


if TYPE_CHECKING:
    _DictWriter = csv.DictWriter[str]
else:  # csv.DictWriter takes no type argument at run time before Python 3.12
    _DictWriter = csv.DictWriter


class SafeDictWriter(_DictWriter):
    """``csv.DictWriter`` whose text cells go through :func:`safe_cell`."""

    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})


def safe_frame(frame: Any) -> Any:
    """A copy of a pandas data frame whose text cells go through :func:`safe_cell`."""
    from pandas.api import types

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, types.CategoricalDtype):
            out[column] = series.cat.rename_categories(
                [safe_cell(c) for c in series.cat.categories]
            )
        elif types.is_object_dtype(series.dtype) or types.is_string_dtype(series.dtype):
            out[column] = series.map(safe_cell, na_action="ignore")
    return out


def append_row(sheet: Any, row: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet with every text cell stored as text.

    openpyxl stores a string starting with ``=`` as a formula; here it is set back to a
    plain string cell, so the workbook holds exactly the text, and no formula runs.
    """
    values = list(row)
    sheet.append(values)
    # the row just appended, without sheet.max_row (which scans every cell: quadratic)
    number = sheet._current_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = sheet.cell(row=number, column=column)
            cell.value = value
            cell.data_type = "s"
