"""Instrument definitions as data: validation, content hashes and scoring.

A definition is a plain mapping (read from YAML or JSON) in the format that
``instrument.schema.json`` publishes (a copy lives in ``docs/``). This module knows
nothing of Django: :func:`parse_definition` checks a mapping and returns a
:class:`Definition`, :func:`score` turns answers into scale scores, and
:func:`content_hash` gives the identity under which a version is stored immutably.

Scoring rules
-------------
Each item's answer (an option value) becomes an item score: the value itself, the
reversed value (``min + max - value`` over the item's option values) when ``reverse``,
or the value looked up in a recode table when ``recode``. A scale then takes

- ``sum``: the sum of its item scores. With ``prorate`` the sum is scaled up to all
  items (``sum * n_items / n_answered``); without it unanswered items count as 0 (the
  counting rule of the De Jong Gierveld scale). Either way the score is missing when
  fewer than ``min_answered`` items are answered (default: all of them).
- ``mean``: the mean of the answered item scores, missing below ``min_answered``.
- ``gas``: the goal attainment scaling T-score of Kiresuk & Sherman from goal levels
  and weights (see :mod:`werkplaats.stats.gas`), not from item answers.

Examples
--------
>>> d = parse_definition({
...     "format": "werkplaats.instrument/1", "id": "demo", "version": "1",
...     "construct": "demo", "kind": "questionnaire", "title": {"en": "Demo"},
...     "licence": {"code": "public-domain", "statement": "Public domain.",
...                 "item_text_included": True},
...     "citation": "None.",
...     "option_sets": {"agree": [{"value": 1, "label": {"en": "no"}},
...                               {"value": 2, "label": {"en": "yes"}}]},
...     "items": [{"id": "a", "options": "agree", "text": {"en": "A"}},
...               {"id": "b", "options": "agree", "text": {"en": "B"}, "reverse": True}],
...     "scales": [{"id": "total", "label": {"en": "Total"}, "method": "sum"}],
... })
>>> score(d, {"a": 2, "b": 1})["total"].value
4.0
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Any, cast

from werkplaats.stats.gas import gas_t_score

FORMAT = "werkplaats.instrument/1"
INFORMANTS = ("client", "professional", "network_member")
LANGUAGES = ("nl", "en")
SCHEMA_PATH = Path(__file__).with_name("instrument.schema.json")


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
    """An answer that is not one of the item's options (``code`` names the reason)."""

    def __init__(self, code: str, item_id: str, value: object, allowed: Sequence[int]) -> None:
        self.code = code
        self.item_id = item_id
        self.value = value
        self.allowed = list(allowed)
        super().__init__(f"{item_id}: {value!r} is not allowed ({code}); allowed: {self.allowed}")


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
    value: int
    label: dict[str, str]


@dataclass(frozen=True)
class Item:
    id: str
    text: dict[str, str]
    name: dict[str, str]
    options: tuple[Option, ...]
    reverse: bool = False
    recode: dict[int, float] | None = None
    required: bool = False

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    def item_score(self, value: int) -> float:
        if self.recode is not None:
            return float(self.recode[value])
        if self.reverse:
            return float(min(self.values) + max(self.values) - value)
        return float(value)

    def score_range(self) -> tuple[float, float]:
        scores = [self.item_score(v) for v in self.values]
        return min(scores), max(scores)


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

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    @property
    def informants(self) -> tuple[str, ...]:
        return tuple(self.data.get("informants") or {"client": {}})

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    @property
    def primary_scale(self) -> Scale:
        return next((s for s in self.scales if s.primary), self.scales[-1])

    def item_text(self, item_id: str, informant: str, language: str) -> str:
        """The item's wording for an informant, in a language, falling back sensibly."""
        variant = (self.data.get("informants") or {}).get(informant) or {}
        text = (variant.get("items") or {}).get(item_id) or self.item(item_id).text
        return pick_text(text, language) or pick_text(self.item(item_id).name, language)

    def scale_range(self, scale: Scale) -> tuple[float, float]:
        if scale.method == "gas":
            return 20.0, 80.0
        ranges = [self.item(i).score_range() for i in scale.items]
        low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        if scale.method == "mean":
            return low / len(ranges), high / len(ranges)
        return low, high


def pick_text(text: Mapping[str, str] | None, language: str) -> str:
    """The text in ``language``, else in Dutch, else in any language, else ''."""
    if not text:
        return ""
    return text.get(language) or text.get("nl") or next(iter(text.values()), "")


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
        return cast("str", error.message.replace("Additional properties are not allowed", "unknown field(s)"))
    if error.validator == "required":
        return cast("str", error.message.replace("is a required property", "is required"))
    if error.validator == "oneOf" and list(error.absolute_path)[-1:] == ["options"]:
        return "options must name an option set or list at least two options"
    return str(error.message)


def parse_definition(data: object) -> Definition:
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
    items[0].options[1].value: duplicate value 1
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
    items: list[Item] = []
    seen_items: dict[str, int] = {}
    template = data["kind"] == "template"
    for i, raw in enumerate(data["items"]):
        path = f"items[{i}]"
        item_id = raw["id"]
        if item_id in seen_items:
            problems.append(
                Problem(
                    f"{path}.id", f"duplicate id {item_id!r} (also items[{seen_items[item_id]}])"
                )
            )
        seen_items.setdefault(item_id, i)
        options_raw = raw["options"]
        if isinstance(options_raw, str):
            if options_raw not in option_sets:
                problems.append(Problem(f"{path}.options", f"unknown option set {options_raw!r}"))
                continue
            options_raw = option_sets[options_raw]
        else:
            problems += _option_problems(options_raw, f"{path}.options")
        options = tuple(Option(int(o["value"]), dict(o["label"])) for o in options_raw)
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
            recode = {int(k): float(v) for k, v in table.items()}
            missing = [o.value for o in options if o.value not in recode]
            if missing:
                problems.append(
                    Problem(
                        f"{path}.recode",
                        f"recode table {raw['recode']!r} has no score for option value(s) {missing}",
                    )
                )
        if template and raw.get("text"):
            problems.append(
                Problem(f"{path}.text", "a template (bring your own licence) carries no item text")
            )
        if not template and data["kind"] == "questionnaire" and not raw.get("text"):
            problems.append(Problem(f"{path}.text", "a questionnaire item needs its text"))
        items.append(
            Item(
                id=item_id,
                text=dict(raw.get("text") or {}),
                name=dict(raw.get("name") or {}),
                options=options,
                reverse=bool(raw.get("reverse", False)),
                recode=recode,
                required=bool(raw.get("required", False)),
            )
        )
    if data["licence"]["item_text_included"] is False and any(i.text for i in items):
        problems.append(Problem("licence.item_text_included", "is false, but items carry text"))
    for informant, variant in (data.get("informants") or {}).items():
        for item_id in (variant or {}).get("items") or {}:
            if item_id not in seen_items:
                problems.append(Problem(f"informants.{informant}.items.{item_id}", "names no item"))
    scales: list[Scale] = []
    seen_scales: set[str] = set()
    primaries = 0
    for s, raw in enumerate(data["scales"]):
        path = f"scales[{s}]"
        if raw["id"] in seen_scales:
            problems.append(Problem(f"{path}.id", f"duplicate id {raw['id']!r}"))
        seen_scales.add(raw["id"])
        method = raw["method"]
        scale_items = tuple(raw.get("items") or ([] if method == "gas" else seen_items))
        for j, item_id in enumerate(scale_items):
            if item_id not in seen_items:
                problems.append(Problem(f"{path}.items[{j}]", f"names no item: {item_id!r}"))
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
    return Definition(data=data, items=tuple(items), scales=tuple(scales))


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
    seen: dict[int, int] = {}
    for k, option in enumerate(options):
        value = option["value"]
        if value in seen:
            problems.append(Problem(f"{path}[{k}].value", f"duplicate value {value}"))
        seen.setdefault(value, k)
    return problems


# ---------------------------------------------------------------- identity


def canonical_json(data: Mapping[str, Any]) -> str:
    """The definition as canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON: equal content, equal hash, whatever the file format."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- answers and scores


def check_answer(definition: Definition, item_id: str, value: object) -> int:
    """Return ``value`` as an allowed option value of the item, or raise :class:`AnswerError`."""
    try:
        item = definition.item(item_id)
    except KeyError:
        raise AnswerError("unknown_item", item_id, value, []) from None
    if isinstance(value, bool):
        raise AnswerError("not_a_number", item_id, value, item.values)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise AnswerError("not_a_number", item_id, value, item.values) from None
    if not isinstance(value, int):
        raise AnswerError("not_a_number", item_id, value, item.values)
    if value not in item.values:
        raise AnswerError("not_an_option", item_id, value, item.values)
    return value


@dataclass(frozen=True)
class ScaleScore:
    scale: Scale
    value: float | None
    n_answered: int
    n_items: int
    band: Band | None = None
    reason: str = ""

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass
class GoalLevel:
    level: int
    weight: float = 1.0


def score(
    definition: Definition,
    answers: Mapping[str, int | None],
    goals: Sequence[GoalLevel] = (),
) -> dict[str, ScaleScore]:
    """Score every scale of ``definition`` from ``answers`` (item id -> option value).

    Answers outside an item's options raise :class:`AnswerError`; unanswered items are
    ``None`` or absent.

    Examples
    --------
    The GAS T-score from goals, for a method definition:

    >>> from werkplaats.stats.scoring import GoalLevel
    >>> d = parse_definition({
    ...     "format": "werkplaats.instrument/1", "id": "gas", "version": "1",
    ...     "construct": "goal-attainment", "kind": "method", "title": {"en": "GAS"},
    ...     "licence": {"code": "free-method", "statement": "A method.",
    ...                 "item_text_included": False},
    ...     "citation": "Kiresuk & Sherman (1968).", "items": [],
    ...     "scales": [{"id": "t", "label": {"en": "T"}, "method": "gas"}]})
    >>> round(score(d, {}, goals=[GoalLevel(1), GoalLevel(1), GoalLevel(1)])["t"].value, 2)
    63.69
    """
    checked: dict[str, int] = {}
    for item_id, value in answers.items():
        if value is None:
            continue
        checked[item_id] = check_answer(definition, item_id, value)
    results: dict[str, ScaleScore] = {}
    for scale in definition.scales:
        results[scale.id] = _score_scale(definition, scale, checked, goals)
    return results


def _score_scale(
    definition: Definition,
    scale: Scale,
    answers: Mapping[str, int],
    goals: Sequence[GoalLevel],
) -> ScaleScore:
    if scale.method == "gas":
        if not goals:
            return ScaleScore(scale, None, 0, 0, reason="no goals scored")
        value = gas_t_score([g.level for g in goals], [g.weight for g in goals])
        return ScaleScore(scale, value, len(goals), len(goals), scale.band_for(value))
    n_items = len(scale.items)
    item_scores = [definition.item(i).item_score(answers[i]) for i in scale.items if i in answers]
    n = len(item_scores)
    if n < scale.min_answered or n == 0:
        return ScaleScore(
            scale,
            None,
            n,
            n_items,
            reason=f"{n} of {n_items} answered, {scale.min_answered} needed",
        )
    if scale.method == "mean":
        value = sum(item_scores) / n
    elif scale.prorate:
        value = sum(item_scores) * n_items / n
    else:
        value = sum(item_scores)
    value = float(value)
    return ScaleScore(scale, value, n, n_items, scale.band_for(value))


def progress(definition: Definition, answers: Mapping[str, object]) -> tuple[int, int]:
    """How many items are answered, of how many."""
    ids = {i.id for i in definition.items}
    return sum(1 for k, v in answers.items() if k in ids and v is not None), len(ids)


@dataclass
class Completeness:
    missing_required: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_required


def completeness(definition: Definition, answers: Mapping[str, object]) -> Completeness:
    return Completeness(
        [i.id for i in definition.items if i.required and answers.get(i.id) is None]
    )


def simulate_answers(
    definition: Definition,
    latent: float,
    rng: Any,
    *,
    noise: float = 0.7,
    missing: float = 0.0,
) -> dict[str, int | None]:
    """Answers a respondent with standardised latent score ``latent`` would give.

    For generators such as the demo workplace. Each item's answer is the option whose
    item score (after reverse keying or recoding) ranks at the quantile of
    ``latent + noise * N(0, 1)``: a higher latent score gives higher item scores, so a
    higher scale score. For a scale where higher is worse (loneliness), pass the latent
    score with its sign flipped. ``rng`` is a ``random.Random`` (or anything with
    ``gauss`` and ``random``); ``missing`` is the chance an item is left unanswered.

    Examples
    --------
    >>> import random
    >>> d = parse_definition({
    ...     "format": "werkplaats.instrument/1", "id": "demo", "version": "1",
    ...     "construct": "demo", "kind": "questionnaire", "title": {"en": "Demo"},
    ...     "licence": {"code": "other", "statement": "-", "item_text_included": True},
    ...     "citation": "-",
    ...     "option_sets": {"a": [{"value": v, "label": {"en": str(v)}} for v in (1, 2, 3, 4)]},
    ...     "items": [{"id": "x", "options": "a", "text": {"en": "X"}},
    ...               {"id": "y", "options": "a", "text": {"en": "Y"}, "reverse": True}],
    ...     "scales": [{"id": "s", "label": {"en": "S"}, "method": "sum"}]})
    >>> simulate_answers(d, 3.0, random.Random(1), noise=0.0)
    {'x': 4, 'y': 1}
    """
    normal = NormalDist()
    answers: dict[str, int | None] = {}
    for item in definition.items:
        if missing and rng.random() < missing:
            answers[item.id] = None
            continue
        ordered = sorted(item.options, key=lambda o: (item.item_score(o.value), o.value))
        z = latent + noise * rng.gauss(0.0, 1.0)
        quantile = normal.cdf(z)
        index = min(int(quantile * len(ordered)), len(ordered) - 1)
        answers[item.id] = ordered[index].value
    return answers
