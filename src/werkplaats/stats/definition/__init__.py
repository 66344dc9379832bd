"""Instrument definitions as data: the format, its validation, content hashes and answers.

A definition is a plain mapping (read from YAML or JSON) in the format that
``instrument.schema.json`` publishes (a copy lives in ``docs/``). This module knows
nothing of Django: :func:`parse_definition` checks a mapping and returns a
:class:`Definition`, :func:`check_answer` checks one answer against its item, and
:func:`content_hash` gives the identity under which a version is stored immutably.
Scoring is in :mod:`werkplaats.stats.scoring`; the expression language of branching,
constraints and calculations in :mod:`werkplaats.stats.expressions`.

Items
-----
An item has a ``type`` (default ``choice``): ``choice``, ``multiple`` (checkboxes; the
answer is a list of codes), ``yesno``, ``text``, ``long_text``, ``integer``, ``decimal``,
``date``, ``datetime``, ``time``, ``slider``, ``display`` (a note; never answered),
``calculated`` (computed from other answers by ``calculation``) and ``file`` (declared,
not collected). Option codes (``value``) are whole numbers or text (``a``, ``texas``,
``LA2-8``); an option's ``score`` is its item score when that differs from its code.
"""

from __future__ import annotations

from werkplaats.stats.definition.answers import check_answer
from werkplaats.stats.definition.model import (
    ANSWERED_TYPES,
    CHOICE_TYPES,
    EMAIL,
    FORMAT,
    INFORMANTS,
    MAX_TEXT_ANSWER,
    PHONE,
    SCHEMA_PATH,
    AnswerError,
    Band,
    Code,
    Definition,
    DefinitionError,
    Group,
    Item,
    Norms,
    Option,
    Problem,
    Scale,
    format_path,
    instance_key,
    pick_text,
    split_key,
)
from werkplaats.stats.definition.parse import (
    CLIENT_WORDING,
    canonical_json,
    content_hash,
    normalise,
    parse_definition,
    schema,
    schema_problems,
)

__all__ = [
    "ANSWERED_TYPES",
    "CLIENT_WORDING",
    "CHOICE_TYPES",
    "EMAIL",
    "FORMAT",
    "INFORMANTS",
    "MAX_TEXT_ANSWER",
    "PHONE",
    "SCHEMA_PATH",
    "AnswerError",
    "Band",
    "Code",
    "Definition",
    "DefinitionError",
    "Group",
    "Item",
    "Norms",
    "Option",
    "Problem",
    "Scale",
    "canonical_json",
    "check_answer",
    "content_hash",
    "format_path",
    "instance_key",
    "normalise",
    "parse_definition",
    "pick_text",
    "schema",
    "schema_problems",
    "split_key",
]
