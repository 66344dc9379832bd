"""The setup file's JSON Schema and its messages (the study form uses them too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from django.utils.translation import gettext as _

from werkplaats.programme.setup_file.reading import LineDict, SetupError, _line_of

SCHEMA_PATH = Path(__file__).parent.parent / "setup.schema.json"


def _where(path: list[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _schema_message(error: jsonschema.ValidationError, where: str | None = None) -> str:
    """The error in words a person can act on; ``where`` names the place (else its path)."""
    where = where or _where(list(error.absolute_path)) or _("the file")
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        # Name what is wrong with the closest alternative, not that none of them fit.
        # A branch of the wrong type is not what was meant: prefer the branch that fits.
        fitting = [e for e in error.context if e.validator != "type"] or list(error.context)
        return _schema_message(jsonschema.exceptions.best_match(fitting), where)
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return _("%(where)s needs %(name)s.") % {"where": where, "name": missing}
    if kind == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return _(
            "%(where)s has a key setup does not know: %(detail)s (known keys: %(allowed)s)."
        ) % {
            "where": where,
            "detail": error.message.split("(")[-1].rstrip(")"),
            "allowed": allowed,
        }
    if kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return _("%(where)s is %(value)r; it must be one of: %(options)s.") % {
            "where": where,
            "value": error.instance,
            "options": options,
        }
    if kind == "const":
        return _("%(where)s must be %(value)s.") % {"where": where, "value": error.validator_value}
    if kind == "type":
        expected = error.validator_value
        hint = ""
        if expected == "string" and isinstance(error.instance, int | float):
            hint = " " + _("Put it in quotes, e.g. '%(value)s'.") % {"value": error.instance}
        return (
            _("%(where)s must be %(expected)s, not %(value)r.")
            % {
                "where": where,
                "expected": _type_name(expected),
                "value": error.instance,
            }
            + hint
        )
    if kind == "format" and error.validator_value == "date":
        return _("%(where)s: %(value)r is not a date in the calendar.") % {
            "where": where,
            "value": error.instance,
        }
    if kind == "pattern" or kind == "format":
        return _("%(where)s: %(value)r is not in the right form (%(rule)s).") % {
            "where": where,
            "value": error.instance,
            "rule": error.schema.get("description", error.validator_value),
        }
    if kind in ("minimum", "maximum"):
        return _("%(where)s: %(value)r is out of range (%(rule)s).") % {
            "where": where,
            "value": error.instance,
            "rule": f"{kind} {error.validator_value}",
        }
    if kind == "minLength":
        return _("%(where)s may not be empty.") % {"where": where}
    if kind == "uniqueItems":
        return _("%(where)s names something twice.") % {"where": where}
    return f"{where}: {error.message}"


def _type_name(expected: Any) -> str:
    names = {
        "string": _("text"),
        "array": _("a list"),
        "object": _("a mapping (key: value lines)"),
        "integer": _("a whole number"),
        "boolean": _("true or false"),
    }
    if isinstance(expected, list):
        return _(" or ").join(str(names.get(e, e)) for e in expected)
    return str(names.get(expected, str(expected)))


def _error_line(data: LineDict, error: jsonschema.ValidationError) -> int:
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, LineDict):
        known = error.schema.get("properties", {})
        extra = [instance.key_lines[k] for k in instance if k not in known]
        if extra:
            return min(extra)
    return _line_of(data, list(error.absolute_path))


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _validator(part: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        part, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def check_schema(data: LineDict) -> None:
    validator = _validator(schema())
    problems = [(_error_line(data, e), _schema_message(e)) for e in validator.iter_errors(data)]
    if problems:
        raise SetupError(problems)


def study_schema_problems(
    entry: dict[str, Any], labels: dict[str, str]
) -> list[tuple[tuple[Any, ...], str]]:
    """A study entry checked against the schema's ``studies`` item, as (path, message)
    pairs; ``labels`` name the top-level keys as the page shows them."""
    part = schema()["properties"]["studies"]["items"]
    problems = []
    for error in _validator(part).iter_errors(entry):
        path = tuple(error.absolute_path)
        if error.validator == "required" and not path:
            name = str(error.message).split("'")[1]
            problems.append(((name,), _("%(what)s is needed.") % {"what": labels.get(name, name)}))
            continue
        where = labels.get(str(path[0])) if path else None
        problems.append((path, _schema_message(error, where)))
    return problems
