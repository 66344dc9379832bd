"""The columns, field types and validation names of a REDCap data dictionary."""

from __future__ import annotations

import re

COLUMNS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]
(
    FIELD,
    FORM,
    SECTION,
    TYPE,
    LABEL,
    CHOICES,
    NOTE,
    VALIDATION,
    VMIN,
    VMAX,
    IDENTIFIER,
    BRANCHING,
    REQUIRED,
    ALIGNMENT,
    QNUMBER,
    MATRIX,
    RANKING,
    ANNOTATION,
) = COLUMNS
# how a header cell is recognised (REDCap has renamed some over the years)
HEADER_KEYS = [
    (FIELD, ("variable / field name", "variable", "field name")),
    (FORM, ("form name", "form")),
    (SECTION, ("section header",)),
    (TYPE, ("field type",)),
    (LABEL, ("field label",)),
    (CHOICES, ("choices, calculations", "choices")),
    (NOTE, ("field note",)),
    (VALIDATION, ("text validation type", "validation type")),
    (VMIN, ("text validation min",)),
    (VMAX, ("text validation max",)),
    (IDENTIFIER, ("identifier",)),
    (BRANCHING, ("branching logic", "branching")),
    (REQUIRED, ("required field", "required")),
    (ALIGNMENT, ("custom alignment",)),
    (QNUMBER, ("question number",)),
    (MATRIX, ("matrix group name", "matrix group")),
    (RANKING, ("matrix ranking",)),
    (ANNOTATION, ("field annotation", "annotation")),
]
TERM = re.compile(
    r"^\[([A-Za-z0-9_][A-Za-z0-9_./-]*)\]$|^\((-?\d+(?:\.\d+)?)-\[([A-Za-z0-9_][A-Za-z0-9_./-]*)\]\)$"
)
DATE_TYPES = {"date_ymd", "date_dmy", "date_mdy"}
DATETIME_TYPES = {f"datetime{s}_{o}" for s in ("", "_seconds") for o in ("ymd", "dmy", "mdy")}
TIME_TYPES = {"time", "time_hh_mm_ss", "time_mm_ss"}
NUMBER_TYPES = {
    "number",
    "number_comma_decimal",
    *{f"number_{n}dp" for n in range(1, 5)},
    *{f"number_{n}dp_comma_decimal" for n in range(1, 5)},
}
YESNO = [
    {"value": 1, "label": {"en": "Yes", "nl": "Ja"}},
    {"value": 0, "label": {"en": "No", "nl": "Nee"}},
]
TRUEFALSE = [
    {"value": 1, "label": {"en": "True", "nl": "Waar"}},
    {"value": 0, "label": {"en": "False", "nl": "Onwaar"}},
]


def field_name(item_id: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", item_id.lower())
