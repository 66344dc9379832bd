"""XLSForm (ODK, KoboToolbox, SurveyCTO) as .xlsx or as CSV with the sheets stacked.

Reading is pyxform's (the reference XLSForm converter of ODK, BSD-2): its
``get_xlsform`` reads the workbook (trailing empty rows and columns do not count) and
its ``workbook_to_json`` resolves languages, groups, repeats, choice lists, choice
filters and settings. A row pyxform refuses is left out and reported with pyxform's
own message; the rest is imported. The mapping of pyxform's result into Werkplaats'
model, and the writer, are ours. Scales travel as ``calculate`` rows named
``score_<scale>`` whose calculation is ``${a} + (5 - ${b})`` (sum) or
``(${a} + ${b}) div 2`` (mean).
"""

from __future__ import annotations

from werkplaats.instruments.formats.xlsform.reader import read
from werkplaats.instruments.formats.xlsform.writer import write

__all__ = ["read", "write"]
