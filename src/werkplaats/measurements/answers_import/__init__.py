"""Answers from other tools: a REDCap project's records, FHIR QuestionnaireResponses.

Both are all or nothing: every row (REDCap) or resource (FHIR) is checked first against
the exact version it answers, through the same checks as a person answering (type,
bounds, options, branching, required questions when complete); when any is rejected
nothing is written and the report names every rejected row with its reason, in Dutch and
English. What the import does not take but need not refuse (columns of forms that are
not in the dictionary, REDCap's own bookkeeping columns) is reported as well.

A REDCap record becomes a client (with a new pseudonym; the report lists which record
got which) and one trajectory in the organisation's team; each event a wave (named after
the event, dated from the events file's day offset after ``start``); each form of an
event an assessment by the client; each repeat instance of a repeating instrument an
assessment of its own (wave ``<event>-r<n>``).
"""

from __future__ import annotations

from werkplaats.measurements.answers_import.common import (
    MAX_RECORD_BYTES,
    AnswersImportError,
    AnswersReport,
)
from werkplaats.measurements.answers_import.fhir import fhir_import
from werkplaats.measurements.answers_import.redcap import redcap_import

__all__ = [
    "MAX_RECORD_BYTES",
    "AnswersImportError",
    "AnswersReport",
    "fhir_import",
    "redcap_import",
]
