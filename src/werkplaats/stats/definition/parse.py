"""Checking a definition (JSON Schema plus the rules a schema cannot say) and its identity."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from werkplaats.stats import expressions
from werkplaats.stats.definition.model import (
    CHOICE_TYPES,
    SCHEMA_PATH,
    Band,
    Definition,
    DefinitionError,
    Group,
    Item,
    Norms,
    Option,
    Problem,
    Scale,
    _numeric,
    format_path,
)
from werkplaats.stats.expressions import ExpressionError, Node

# ---------------------------------------------------------------- validation


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the format."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def schema_problems(data: object) -> list[Problem]:
    """Structural problems, found with the published JSON Schema."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        problems.append(Problem(format_path(list(error.absolute_path)), _schema_message(error)))
    return problems


def _schema_message(error: Any) -> str:
    if error.validator == "additionalProperties":
        return str(error.message).replace(
            "Additional properties are not allowed", "unknown field(s)"
        )
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator == "oneOf" and list(error.absolute_path)[-1:] == ["options"]:
        return "options must name an option set or list the options"
    return str(error.message)


def _expression(
    raw: Mapping[str, Any], key: str, path: str, problems: list[Problem]
) -> Node | None:
    text = raw.get(key)
    if not text:
        return None
    try:
        return expressions.parse(str(text))
    except ExpressionError as exc:
        problems.append(Problem(f"{path}.{key}", f"not an expression: {exc}"))
        return None


def parse_definition(data: object) -> Definition:  # noqa: C901 - one pass over the parts
    """Check a definition and return it parsed; raise :class:`DefinitionError` if not valid.

    Examples
    --------
    >>> bad = {"format": "werkplaats.instrument/1", "id": "x", "version": "1",
    ...     "construct": "x", "kind": "questionnaire", "title": {"nl": "X"},
    ...     "licence": {"code": "other", "statement": "-", "item_text_included": True},
    ...     "citation": "-", "scales": [{"id": "s", "label": {"nl": "S"}, "method": "sum"}],
    ...     "items": [{"id": "q", "text": {"nl": "Q"}, "options": [
    ...         {"value": 1, "label": {"nl": "ja"}}, {"value": 1, "label": {"nl": "nee"}}]}]}
    >>> try:
    ...     parse_definition(bad)
    ... except DefinitionError as exc:
    ...     print(exc.problems[0])
    items[0].options[1].value: duplicate code 1
    """
    if not isinstance(data, Mapping):
        raise DefinitionError([Problem("", "a definition must be a mapping (an object)")])
    data = normalise(data)
    problems = schema_problems(data)
    if problems:
        raise DefinitionError(problems)
    problems = []
    data = dict(data)
    option_sets = data.get("option_sets") or {}
    recode_tables = data.get("recode_tables") or {}
    for name, options in option_sets.items():
        problems += _option_problems(options, f"option_sets.{name}")
    for name, table in recode_tables.items():
        for key in table:
            if not math.isfinite(float(table[key])):
                problems.append(Problem(f"recode_tables.{name}.{key}", "must be a finite number"))
    groups: list[Group] = []
    group_ids: set[str] = set()
    for g, raw in enumerate(data.get("groups") or []):
        path = f"groups[{g}]"
        if raw["id"] in group_ids:
            problems.append(Problem(f"{path}.id", f"duplicate group {raw['id']!r}"))
        group_ids.add(raw["id"])
        groups.append(
            Group(
                id=raw["id"],
                label=dict(raw.get("label") or {}),
                repeat=bool(raw.get("repeat", False)),
                relevant=_expression(raw, "relevant", path, problems),
                parent=raw.get("parent"),
            )
        )
    for g, group in enumerate(groups):
        if group.parent and group.parent not in group_ids:
            problems.append(Problem(f"groups[{g}].parent", f"names no group: {group.parent!r}"))
    items: list[Item] = []
    seen_items: dict[str, int] = {}
    template = data["kind"] == "template"
    for i, raw in enumerate(data["items"]):
        path = f"items[{i}]"
        item_id = raw["id"]
        kind = raw.get("type", "choice")
        if item_id in seen_items:
            problems.append(
                Problem(
                    f"{path}.id", f"duplicate id {item_id!r} (also items[{seen_items[item_id]}])"
                )
            )
        seen_items.setdefault(item_id, i)
        options_raw = raw.get("options")
        if isinstance(options_raw, str):
            if options_raw not in option_sets:
                problems.append(Problem(f"{path}.options", f"unknown option set {options_raw!r}"))
                continue
            options_raw = option_sets[options_raw]
        elif options_raw is not None:
            problems += _option_problems(options_raw, f"{path}.options")
        if kind in CHOICE_TYPES and not options_raw:
            problems.append(Problem(f"{path}.options", f"a {kind} item needs its options"))
            continue
        if kind not in CHOICE_TYPES and options_raw:
            problems.append(Problem(f"{path}.options", f"a {kind} item has no options"))
            continue
        options = tuple(
            Option(
                o["value"],
                dict(o["label"]),
                float(o["score"]) if o.get("score") is not None else None,
                dict(o["filter"]) if o.get("filter") else None,
            )
            for o in options_raw or []
        )
        recode = None
        if raw.get("recode") is not None:
            if raw.get("reverse"):
                problems.append(
                    Problem(f"{path}.recode", "an item is either reversed or recoded, not both")
                )
            table = recode_tables.get(raw["recode"])
            if table is None:
                problems.append(
                    Problem(f"{path}.recode", f"unknown recode table {raw['recode']!r}")
                )
                continue
            recode = {str(k): float(v) for k, v in table.items()}
            missing = [o.value for o in options if str(o.value) not in recode]
            if missing:
                problems.append(
                    Problem(
                        f"{path}.recode",
                        f"recode table {raw['recode']!r} has no score for option code(s) {missing}",
                    )
                )
        if raw.get("reverse") and any(
            _numeric(o.value) is None and o.score is None for o in options
        ):
            problems.append(
                Problem(f"{path}.reverse", "reverse keying needs a score for every option")
            )
        if template and raw.get("text"):
            problems.append(
                Problem(f"{path}.text", "a template (bring your own licence) carries no item text")
            )
        if (
            not template
            and data["kind"] == "questionnaire"
            and not raw.get("text")
            and kind not in ("calculated", "display")
        ):
            problems.append(Problem(f"{path}.text", "a questionnaire item needs its text"))
        if (
            kind == "calculated"
            and not raw.get("calculation")
            and "calculation" not in (raw.get("verbatim") or {})
        ):
            problems.append(Problem(f"{path}.calculation", "a calculated item needs a calculation"))
        if raw.get("group") and raw["group"] not in group_ids:
            problems.append(Problem(f"{path}.group", f"names no group: {raw['group']!r}"))
        items.append(
            Item(
                id=item_id,
                text=dict(raw.get("text") or {}),
                name=dict(raw.get("name") or {}),
                options=options,
                reverse=bool(raw.get("reverse", False)),
                recode=recode,
                required=bool(raw.get("required", False)),
                type=kind,
                relevant=_expression(raw, "relevant", path, problems),
                required_when=_expression(raw, "required_when", path, problems),
                constraint=_expression(raw, "constraint", path, problems),
                calculation=_expression(raw, "calculation", path, problems),
                choice_filter=_expression(raw, "choice_filter", path, problems),
                validation=dict(raw["validation"]) if raw.get("validation") else None,
                group=raw.get("group"),
                note=dict(raw["note"]) if raw.get("note") else None,
                section=dict(raw["section"]) if raw.get("section") else None,
                matrix=raw.get("matrix"),
                appearance=raw.get("appearance"),
            )
        )
    by_id = {item.id: item for item in items}
    for i, item in enumerate(items):
        for key in ("relevant", "required_when", "calculation"):
            node = getattr(item, key)
            for name in sorted(expressions.references(node) if node else ()):
                if name not in seen_items:
                    problems.append(Problem(f"items[{i}].{key}", f"names no item: {name!r}"))
    if data["licence"]["item_text_included"] is False and any(i.text for i in items):
        problems.append(Problem("licence.item_text_included", "is false, but items carry text"))
    for informant, variant in (data.get("informants") or {}).items():
        for item_id in (variant or {}).get("items") or {}:
            if item_id not in seen_items:
                problems.append(Problem(f"informants.{informant}.items.{item_id}", "names no item"))
    scales: list[Scale] = []
    seen_scales: set[str] = set()
    primaries = 0
    for s, raw in enumerate(data.get("scales") or []):
        path = f"scales[{s}]"
        if raw["id"] in seen_scales:
            problems.append(Problem(f"{path}.id", f"duplicate id {raw['id']!r}"))
        seen_scales.add(raw["id"])
        method = raw["method"]
        default_items = [i.id for i in items if i.scored and i.type != "calculated"]
        scale_items = tuple(raw.get("items") or ([] if method == "gas" else default_items))
        for j, item_id in enumerate(scale_items):
            if item_id not in seen_items:
                problems.append(Problem(f"{path}.items[{j}]", f"names no item: {item_id!r}"))
            elif item_id in by_id and not by_id[item_id].scored:
                problems.append(
                    Problem(
                        f"{path}.items[{j}]",
                        f"{item_id!r} cannot be scored: give every option a number (score)",
                    )
                )
        if method == "gas" and scale_items:
            problems.append(Problem(f"{path}.items", "a gas scale is scored from goals, not items"))
        if method != "gas" and not scale_items:
            problems.append(Problem(f"{path}.items", "a scale needs at least one item"))
        min_answered = int(raw.get("min_answered", len(scale_items)))
        if min_answered > len(scale_items):
            problems.append(
                Problem(
                    f"{path}.min_answered",
                    f"{min_answered} is more than the scale's {len(scale_items)} items",
                )
            )
        if method != "gas" and min_answered < 1:
            problems.append(Problem(f"{path}.min_answered", "must be at least 1"))
        bands = tuple(
            Band(float(b["min"]), float(b["max"]), dict(b["label"])) for b in raw.get("bands", [])
        )
        for b, band in enumerate(bands):
            if band.min > band.max:
                problems.append(Problem(f"{path}.bands[{b}]", "min is greater than max"))
        ordered = sorted(bands, key=lambda band: band.min)
        for first, second in zip(ordered, ordered[1:], strict=False):
            if second.min <= first.max:
                problems.append(
                    Problem(f"{path}.bands", f"bands overlap at {second.min:g}–{first.max:g}")
                )
        norms = None
        if raw.get("norms"):
            n = raw["norms"]
            norms = Norms(float(n["sd"]), float(n["reliability"]), n["source"], n.get("mean"))
        if raw.get("primary"):
            primaries += 1
        scales.append(
            Scale(
                id=raw["id"],
                label=dict(raw["label"]),
                method=method,
                items=scale_items,
                min_answered=min_answered,
                prorate=bool(raw.get("prorate", False)),
                higher_is=raw.get("higher_is", "better"),
                primary=bool(raw.get("primary", False)),
                bands=bands,
                norms=norms,
            )
        )
    if primaries > 1:
        problems.append(Problem("scales", "at most one scale can be primary"))
    if problems:
        raise DefinitionError(problems)
    return Definition(data=data, items=tuple(items), scales=tuple(scales), groups=tuple(groups))


def normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as JSON would hold it: string keys, lists, no dates, no NaN."""
    try:
        return json.loads(json.dumps(data, allow_nan=False, ensure_ascii=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise DefinitionError(
            [Problem("", f"holds a value JSON cannot (dates, NaN, binary): {exc}")]
        ) from None


def _option_problems(options: Sequence[Mapping[str, Any]], path: str) -> list[Problem]:
    problems = []
    seen: dict[str, int] = {}
    for k, option in enumerate(options):
        value = str(option["value"])
        if value in seen:
            problems.append(Problem(f"{path}[{k}].value", f"duplicate code {option['value']}"))
        seen.setdefault(value, k)
    return problems


# ---------------------------------------------------------------- identity


def canonical_json(data: Mapping[str, Any]) -> str:
    """The definition as canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


CLIENT_WORDING = ("client_title", "client_description")


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON: equal content, equal hash, whatever the file format.

    The client-facing wording (``client_title``, ``client_description``) is left out: it
    changes nothing a client answers or a score means, so adding or correcting it keeps
    the version (and every answer that points to it).

    >>> base = {"id": "x", "title": {"nl": "X"}}
    >>> content_hash(base) == content_hash({**base, "client_title": {"nl": "Vragen"}})
    True
    """
    kept = {k: v for k, v in data.items() if k not in CLIENT_WORDING}
    return hashlib.sha256(canonical_json(kept).encode("utf-8")).hexdigest()
