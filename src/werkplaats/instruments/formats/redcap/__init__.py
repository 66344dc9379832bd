"""REDCap data dictionary CSV (definitions) and records CSV (answers).

A data dictionary has one row per field and eighteen columns. Each form becomes one
definition; every field is kept as an item of its own type (text with its validation,
notes, dropdown, radio, checkbox, yes/no, true/false, slider, calc, descriptive, file),
with its section header, field note, branching logic (translated into the expression
language; what cannot be translated is kept verbatim and reported), required flag,
identifier flag, matrix group and annotation. Scales travel as calc fields named
``score_<scale>`` with ``sum(...)`` or ``mean(...)`` over items, a reversed item written as
``(k-[item])`` and a recoded one as nested ``if``s. The first field of the dictionary is
the record identifier; it is kept (``record_field``) and written back first, not asked.
"""

from __future__ import annotations

from werkplaats.instruments.formats.redcap.columns import COLUMNS, field_name
from werkplaats.instruments.formats.redcap.reader import read
from werkplaats.instruments.formats.redcap.writer import write, write_records

__all__ = ["COLUMNS", "field_name", "read", "write", "write_records"]
