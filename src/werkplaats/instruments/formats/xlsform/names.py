"""XLSForm's types, languages and references, shared by the reader and the writer."""

from __future__ import annotations

import re

REF = re.compile(r"^\$\{([A-Za-z0-9_][A-Za-z0-9_.-]*)\}$")
REVERSED = re.compile(r"^\((-?\d+(?:\.\d+)?)-\$\{([A-Za-z0-9_][A-Za-z0-9_.-]*)\}\)$")
LANGUAGE_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "pt": "Português",
    "sw": "Swahili",
    "ar": "Arabic",
    "tr": "Türkçe",
    "pl": "Polski",
}
TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "datetime",
    "time": "time",
    "select one": "choice",
    "select all that apply": "multiple",
    "note": "display",
    "calculate": "calculated",
    "range": "slider",
}
FILE_TYPES = {"image", "audio", "video", "file", "background-audio", "photo"}
META_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
}
TRUE = ("yes", "true", "true()", "1")


def base_type(kind: str) -> str:
    """The type one of pyxform's aliases stands for: ``int`` and ``add integer prompt`` are
    ``integer``, ``string`` is ``text``, ``datetime`` is ``dateTime``, ``trigger`` is
    ``acknowledge``, ``q picture`` a file, ``q note`` a note; other types stay as they are."""
    if kind in TYPES or kind in FILE_TYPES or kind in META_TYPES or "select" in kind:
        return kind
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    entry = QUESTION_TYPE_DICT.get(kind) or {}
    tag = (entry.get("control") or {}).get("tag")
    bind = entry.get("bind") or {}
    if tag == "upload":
        return "file"
    if tag == "trigger":
        return "acknowledge"
    if tag == "input" and bind.get("readonly"):
        return "note"
    if tag == "input":
        return INPUT_TYPES.get(str(bind.get("type")), kind)
    return kind


#: pyxform's bind type of an input question -> the XLSForm type it is
INPUT_TYPES = {
    "string": "text",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "dateTime",
    "time": "time",
}


def is_metadata(kind: str) -> bool:
    """Whether the type is filled in by the device (start, deviceid, ``uri:deviceid``…)."""
    if kind in META_TYPES:
        return True
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    entry = QUESTION_TYPE_DICT.get(kind) or {}
    return bool((entry.get("bind") or {}).get("jr:preload"))
