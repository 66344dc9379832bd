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
