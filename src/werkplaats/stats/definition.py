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

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from werkplaats.stats import expressions
from werkplaats.stats.expressions import ExpressionError, Node

FORMAT = "werkplaats.instrument/1"
INFORMANTS = ("client", "professional", "network_member")
SCHEMA_PATH = Path(__file__).with_name("instrument.schema.json")
CHOICE_TYPES = ("choice", "multiple", "yesno")
ANSWERED_TYPES = (
    "choice",
    "multiple",
    "yesno",
    "text",
    "long_text",
    "integer",
    "decimal",
    "date",
    "datetime",
    "time",
    "slider",
)
MAX_TEXT_ANSWER = 10_000
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,20}$")

Code = int | str


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, at a path such as ``items[3].options[2].value``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionError(ValueError):
    """A definition that breaks the format; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems[:20]))


class AnswerError(ValueError):
    """An answer the item does not accept; ``code`` names the reason.

    Codes: ``unknown_item``, ``not_answerable``, ``not_an_option``, ``not_a_number``,
    ``not_whole``, ``too_low``, ``too_high``, ``not_a_date``, ``not_a_time``,
    ``not_an_email``, ``not_a_phone``, ``too_long``, ``constraint``, ``hidden``.
    """

    def __init__(
        self, code: str, item_id: str, value: object, allowed: Sequence[object] = ()
    ) -> None:
        self.code = code
        self.item_id = item_id
        self.value = value
        self.allowed = list(allowed)
        suffix = f"; allowed: {self.allowed}" if self.allowed else ""
        super().__init__(f"{item_id}: {value!r} is not allowed ({code}){suffix}")


def format_path(parts: Sequence[str | int]) -> str:
    """``["items", 3, "options", 2, "value"]`` -> ``items[3].options[2].value``.

    >>> format_path(["items", 3, "options", 2, "value"])
    'items[3].options[2].value'
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# ---------------------------------------------------------------- the parsed definition


@dataclass(frozen=True)
class Option:
    value: Code
    label: dict[str, str]
    score: float | None = None
    filter: dict[str, str] | None = None


def _numeric(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        return float(value)
    return None


@dataclass(frozen=True)
class Item:
    id: str
    text: dict[str, str]
    name: dict[str, str]
    options: tuple[Option, ...]
    reverse: bool = False
    recode: dict[str, float] | None = None
    required: bool = False
    type: str = "choice"
    relevant: Node | None = None
    required_when: Node | None = None
    constraint: Node | None = None
    calculation: Node | None = None
    choice_filter: Node | None = None
    validation: dict[str, Any] | None = None
    group: str | None = None
    note: dict[str, str] | None = None
    section: dict[str, str] | None = None
    matrix: str | None = None
    appearance: str | None = None

    @property
    def values(self) -> tuple[Code, ...]:
        return tuple(o.value for o in self.options)

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERED_TYPES

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    def option(self, value: object) -> Option | None:
        for option in self.options:
            if option.value == value or str(option.value) == str(value).strip():
                return option
        return None

    def base_score(self, option: Option) -> float | None:
        """The option's own score: ``score`` if given, else its code when numeric."""
        if option.score is not None:
            return option.score
        return _numeric(option.value)

    @property
    def scored(self) -> bool:
        """True when every option has a number to score (needed to be in a scale)."""
        if self.type in ("integer", "decimal", "slider", "calculated"):
            return True
        if self.type not in ("choice", "yesno"):
            return False
        if self.recode is not None:
            return all(str(o.value) in self.recode for o in self.options)
        return bool(self.options) and all(self.base_score(o) is not None for o in self.options)

    def item_score(self, value: object) -> float:
        """The item score of an answer (after reverse keying or recoding)."""
        if not self.is_choice:
            number = _numeric(value)
            if number is None:
                raise AnswerError("not_a_number", self.id, value)
            return number
        option = self.option(value)
        if option is None:
            raise AnswerError("not_an_option", self.id, value, self.values)
        if self.recode is not None:
            return float(self.recode[str(option.value)])
        base = self.base_score(option)
        if base is None:
            raise AnswerError("not_a_number", self.id, value)
        if self.reverse:
            scores = [self.base_score(o) or 0.0 for o in self.options]
            return float(min(scores) + max(scores) - base)
        return float(base)

    def score_range(self) -> tuple[float, float]:
        if not self.is_choice:
            low = _numeric((self.validation or {}).get("min"))
            high = _numeric((self.validation or {}).get("max"))
            if self.type == "slider":
                low, high = low if low is not None else 0.0, high if high is not None else 100.0
            return (low or 0.0), (high if high is not None else low or 0.0)
        scores = [self.item_score(o.value) for o in self.options]
        return min(scores), max(scores)


@dataclass(frozen=True)
class Group:
    id: str
    label: dict[str, str]
    repeat: bool = False
    relevant: Node | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Band:
    min: float
    max: float
    label: dict[str, str]


@dataclass(frozen=True)
class Norms:
    sd: float
    reliability: float
    source: str
    mean: float | None = None


@dataclass(frozen=True)
class Scale:
    id: str
    label: dict[str, str]
    method: str
    items: tuple[str, ...]
    min_answered: int
    prorate: bool
    higher_is: str
    primary: bool
    bands: tuple[Band, ...]
    norms: Norms | None

    def band_for(self, value: float | None) -> Band | None:
        if value is None:
            return None
        for band in self.bands:
            if band.min <= value <= band.max:
                return band
        return None


@dataclass(frozen=True)
class Definition:
    """A checked definition; ``data`` is the mapping it was parsed from."""

    data: dict[str, Any]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    groups: tuple[Group, ...] = ()

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    def client_title(self, language: str) -> str:
        """The name a client or network member reads: ``client_title``, else ``title``."""
        first = self.languages[0] if self.languages else "nl"
        return pick_text(self.data.get("client_title"), language, first) or pick_text(
            self.data["title"], language, first
        )

    def client_description(self, language: str) -> str:
        """What the questions are for, in plain words; '' when the definition has none."""
        first = self.languages[0] if self.languages else "nl"
        return pick_text(self.data.get("client_description"), language, first)

    @property
    def informants(self) -> tuple[str, ...]:
        return tuple(self.data.get("informants") or {"client": {}})

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages of the texts, the first being the definition's own."""
        declared = list(self.data.get("languages") or [])
        seen = [lang for lang in declared]
        for item in self.items:
            for lang in item.text:
                if lang not in seen:
                    seen.append(lang)
        return tuple(seen)

    @cached_property
    def _by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def _groups(self) -> dict[str, Group]:
        return {group.id: group for group in self.groups}

    def item(self, item_id: str) -> Item:
        try:
            return self._by_id[item_id]
        except KeyError:
            raise KeyError(item_id) from None

    def group(self, group_id: str) -> Group:
        return self._groups[group_id]

    @property
    def answerable_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.answerable)

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    @property
    def primary_scale(self) -> Scale | None:
        """The scale charted over the waves; None for a questionnaire without scales."""
        if not self.scales:
            return None
        return next((s for s in self.scales if s.primary), self.scales[-1])

    def item_text(self, item_id: str, informant: str, language: str) -> str:
        """The item's wording for an informant, in a language, falling back sensibly."""
        variant = (self.data.get("informants") or {}).get(informant) or {}
        text = (variant.get("items") or {}).get(item_id) or self.item(item_id).text
        first = self.languages[0] if self.languages else "nl"
        return pick_text(text, language, first) or pick_text(
            self.item(item_id).name, language, first
        )

    def scale_range(self, scale: Scale) -> tuple[float, float]:
        if scale.method == "gas":
            return 20.0, 80.0
        ranges = [self.item(i).score_range() for i in scale.items]
        low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        if scale.method == "mean":
            return low / len(ranges), high / len(ranges)
        return low, high

    def relevant_ids(self, answers: Mapping[str, object], today: dt.date | None = None) -> set[str]:
        """The items shown for these answers: their own condition and their groups' hold.

        An item whose condition reads a hidden item reads it as unanswered.
        """
        shown: set[str] = set()
        scope = self.calculated(answers)
        for item in self.items:
            if self._shown(item, scope, today):
                shown.add(item.id)
            else:
                scope.pop(item.id, None)
        return shown

    def _shown(self, item: Item, answers: Mapping[str, object], today: dt.date | None) -> bool:
        if item.relevant is not None and not expressions.holds(item.relevant, answers, today=today):
            return False
        group_id, seen = item.group, 0
        while group_id and group_id in self._groups and seen < 50:
            group = self._groups[group_id]
            if group.relevant is not None and not expressions.holds(
                group.relevant, answers, today=today
            ):
                return False
            group_id, seen = group.parent, seen + 1
        return True

    def is_required(self, item: Item, answers: Mapping[str, object]) -> bool:
        if item.required:
            return True
        if item.required_when is not None:
            return expressions.holds(item.required_when, answers)
        return False

    def options_for(self, item: Item, answers: Mapping[str, object]) -> tuple[Option, ...]:
        """The options shown: all, or those the item's choice filter lets through."""
        if item.choice_filter is None:
            return item.options
        out = []
        for option in item.options:
            own = {**(option.filter or {}), "name": str(option.value)}
            if expressions.holds(item.choice_filter, answers, own=own):
                out.append(option)
        return tuple(out)

    def calculated(self, answers: Mapping[str, object]) -> dict[str, object]:
        """The answers with every calculated item computed (in order of the items)."""
        out = dict(answers)
        for item in self.items:
            if item.type == "calculated" and item.calculation is not None:
                out[item.id] = expressions.evaluate(item.calculation, out)
        return out


def pick_text(text: Mapping[str, str] | None, language: str, first: str = "nl") -> str:
    """The text in ``language``, else in ``first`` (the definition's own), else any, else ''."""
    if not text:
        return ""
    return text.get(language) or text.get(first) or next(iter(text.values()), "")


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


# ---------------------------------------------------------------- answers


def _bound(item: Item, key: str) -> object:
    return (item.validation or {}).get(key)


def _check_number(item: Item, value: object) -> int | float:
    if isinstance(value, bool):
        raise AnswerError("not_a_number", item.id, value)
    if isinstance(value, str):
        text = value.strip()
        vtype = str(_bound(item, "type") or "")
        if "comma" in vtype or re.fullmatch(r"-?\d+,\d+", text):
            text = text.replace(",", ".")
        try:
            number: float = float(text)
        except ValueError:
            raise AnswerError("not_a_number", item.id, value) from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise AnswerError("not_a_number", item.id, value)
    if not math.isfinite(number):
        raise AnswerError("not_a_number", item.id, value)
    whole = item.type == "integer" or str(_bound(item, "type") or "") == "integer"
    if whole and number != int(number):
        raise AnswerError("not_whole", item.id, value)
    low, high = _numeric(_bound(item, "min")), _numeric(_bound(item, "max"))
    if item.type == "slider":
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    if low is not None and number < low:
        raise AnswerError("too_low", item.id, value, [low])
    if high is not None and number > high:
        raise AnswerError("too_high", item.id, value, [high])
    return int(number) if whole or number == int(number) and item.type == "slider" else number


def _check_temporal(item: Item, value: object) -> str:
    text = str(value).strip()
    try:
        if item.type == "date":
            parsed = dt.date.fromisoformat(text).isoformat()
        elif item.type == "datetime":
            parsed = dt.datetime.fromisoformat(text).isoformat(timespec="minutes")
        else:
            parsed = dt.time.fromisoformat(text).isoformat(timespec="minutes")
    except ValueError:
        code = "not_a_time" if item.type == "time" else "not_a_date"
        raise AnswerError(code, item.id, value) from None
    low, high = _bound(item, "min"), _bound(item, "max")
    if isinstance(low, str) and low and parsed < low[: len(parsed)]:
        raise AnswerError("too_low", item.id, value, [low])
    if isinstance(high, str) and high and parsed > high[: len(parsed)]:
        raise AnswerError("too_high", item.id, value, [high])
    return parsed


def check_answer(
    definition: Definition,
    item_id: str,
    value: object,
    answers: Mapping[str, object] | None = None,
) -> object:
    """Return ``value`` as the item stores it, or raise :class:`AnswerError`.

    A choice answer becomes the option's code (a number or text as defined), a multiple
    choice answer a list of codes, a number an int or float, a date ``YYYY-MM-DD``. With
    ``answers`` (the other answers) the item's constraint is checked too.
    """
    try:
        item = definition.item(item_id)
    except KeyError:
        raise AnswerError("unknown_item", item_id, value, []) from None
    if not item.answerable:
        raise AnswerError("not_answerable", item_id, value)
    checked: object
    if item.type in ("choice", "yesno"):
        if isinstance(value, bool | list | dict) or value is None:
            raise AnswerError("not_an_option", item_id, value, item.values)
        option = item.option(value)
        if option is None:
            raise AnswerError("not_an_option", item_id, value, item.values)
        checked = option.value
    elif item.type == "multiple":
        chosen = value if isinstance(value, list) else str(value).split(",") if value != "" else []
        codes = []
        for part in chosen:
            option = item.option(part) if not isinstance(part, bool | list | dict) else None
            if option is None:
                raise AnswerError("not_an_option", item_id, part, item.values)
            if option.value not in codes:
                codes.append(option.value)
        order = {str(o.value): k for k, o in enumerate(item.options)}
        checked = sorted(codes, key=lambda c: order[str(c)])
    elif item.type in ("integer", "decimal", "slider"):
        checked = _check_number(item, value)
    elif item.type in ("date", "datetime", "time"):
        checked = _check_temporal(item, value)
    else:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise AnswerError("too_long", item_id, value)
        text = str(value).strip()
        if len(text) > MAX_TEXT_ANSWER:
            raise AnswerError("too_long", item_id, value)
        vtype = str(_bound(item, "type") or "")
        if vtype == "email" and not EMAIL.match(text):
            raise AnswerError("not_an_email", item_id, value)
        if vtype.startswith("phone") and not PHONE.match(text):
            raise AnswerError("not_a_phone", item_id, value)
        if vtype in ("integer", "number") or vtype.startswith("number_"):
            _check_number(item, text)
        if vtype.startswith(("date_", "datetime_")):
            try:
                dt.date.fromisoformat(text[:10])
            except ValueError:
                raise AnswerError("not_a_date", item_id, value) from None
        checked = text
    if item.constraint is not None and answers is not None:
        scope = definition.calculated({**answers, item_id: checked})
        if not expressions.holds(item.constraint, scope, own=checked):
            raise AnswerError("constraint", item_id, value)
    return checked
