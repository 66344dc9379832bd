"""FHIR R4 Questionnaire (definitions) and QuestionnaireResponse (answers), as JSON
(written and read) or XML (read: :mod:`.xml` turns it into the JSON form).

A Questionnaire (alone, or several in a Bundle) holds items of every type, nested groups
(repeating ones too), answer options as codings, strings, integers or dates, answer value
sets (contained ones resolve; an external URL is kept as a reference and reported),
``enableWhen`` with ``enableBehavior`` (translated into the expression language), text
in one language plus translations (the ``translation`` extension, any language), each
option's item score as an ``ordinalValue`` extension, ``minValue``/``maxValue``,
``itemControl``, required items and the licence as ``copyright``. Scales, bands, norms,
informant versions, the citation, notes and what core FHIR has no place for (section
headers, constraints, calculations, choice filters, recode tables) travel in one
Werkplaats extension, which other FHIR tools ignore; the loss report says so.
"""

from __future__ import annotations

from werkplaats.instruments.formats.fhir.names import (
    TRANSLATION,
    WERKPLAATS,
    canonical_url,
    link_name,
)
from werkplaats.instruments.formats.fhir.reader import parse_resource, read
from werkplaats.instruments.formats.fhir.responses import bundle, questionnaire_response
from werkplaats.instruments.formats.fhir.writer import write

__all__ = [
    "TRANSLATION",
    "WERKPLAATS",
    "bundle",
    "canonical_url",
    "link_name",
    "parse_resource",
    "questionnaire_response",
    "read",
    "write",
]
