"""The parsed definition: items, options, groups, scales and the errors of the format.

See :mod:`werkplaats.stats.definition` for the format as a whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from werkplaats.stats import expressions
from werkplaats.stats.expressions import Node

FORMAT = "werkplaats.instrument/1"
INFORMANTS = ("client", "professional", "network_member", "team_member", "manager")
# team_member and manager answer context instruments (kind "context"): about their team or
# organisation, not about a client (docs/methods.md)
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "instrument.schema.json"
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

    @cached_property
    def languages(self) -> tuple[str, ...]:
        """The languages of the texts, the first being the definition's own (computed once:
        the writers ask for it per item)."""
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
        """The answer keys shown for these answers: their own condition and their groups'
        hold. An item in a repeat group is shown per instance (``id``, ``id#2``, …), its
        conditions read that instance's answers.

        An item whose condition reads a hidden item reads it as unanswered.
        """
        shown: set[str] = set()
        scope = self.calculated(answers)
        for item in self.items:
            group = self.repeat_of(item)
            count = self.instance_count(answers, group) if group else 1
            for n in range(1, count + 1):
                key = instance_key(item.id, n)
                inner = self.instance_scope(scope, group, n) if group and n > 1 else scope
                if self._shown(item, inner, today):
                    shown.add(key)
                else:
                    scope.pop(key, None)
        return shown

    # ------------------------------------------------------------ repeat groups

    @cached_property
    def _repeat_of(self) -> dict[str, str]:
        """Item id -> the id of the nearest repeat group around it."""
        out: dict[str, str] = {}
        for item in self.items:
            group_id, seen = item.group, 0
            while group_id and group_id in self._groups and seen < 50:
                if self._groups[group_id].repeat:
                    out[item.id] = group_id
                    break
                group_id, seen = self._groups[group_id].parent, seen + 1
        return out

    def repeat_of(self, item: Item) -> str | None:
        """The repeat group the item is asked in (once per instance), or None."""
        return self._repeat_of.get(item.id)

    def repeat_items(self, group_id: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if self._repeat_of.get(i.id) == group_id)

    def instance_count(self, answers: Mapping[str, object], group_id: str) -> int:
        """How many instances of a repeat group the answers hold (at least one)."""
        ids = {i.id for i in self.repeat_items(group_id)}
        count = 1
        for key in answers:
            item_id, n = split_key(key)
            if n > count and item_id in ids:
                count = n
        return count

    def instance_scope(
        self, answers: Mapping[str, object], group_id: str | None, n: int
    ) -> dict[str, object]:
        """The answers as instance ``n`` of a repeat group sees them: ``[x]`` is its own."""
        scope = dict(answers)
        if group_id is None or n == 1:
            return scope
        for item in self.repeat_items(group_id):
            scope[item.id] = answers.get(instance_key(item.id, n))
        return scope

    def scope_of(self, key: str, answers: Mapping[str, object]) -> dict[str, object]:
        """The answers as the item behind an answer key sees them."""
        item_id, n = split_key(key)
        return self.instance_scope(answers, self._repeat_of.get(item_id), n)

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
        """The answers with every calculated item computed (in order of the items; in a
        repeat group once per instance)."""
        out = dict(answers)
        for item in self.items:
            if item.type == "calculated" and item.calculation is not None:
                group = self.repeat_of(item)
                count = self.instance_count(answers, group) if group else 1
                for n in range(1, count + 1):
                    scope = self.instance_scope(out, group, n)
                    out[instance_key(item.id, n)] = expressions.evaluate(item.calculation, scope)
        return out


INSTANCE = "#"


def instance_key(item_id: str, n: int) -> str:
    """The key of instance ``n`` of a repeated item's answer: ``id`` for the first (as
    for any item), ``id#2``, ``id#3``, … after it (``#`` is never part of an item id).

    >>> instance_key("child_age", 1), instance_key("child_age", 2)
    ('child_age', 'child_age#2')
    """
    return item_id if n == 1 else f"{item_id}{INSTANCE}{n}"


def split_key(key: str) -> tuple[str, int]:
    """``child_age#2`` -> ``("child_age", 2)``; a plain id is instance 1.

    >>> split_key("child_age#2"), split_key("q1")
    (('child_age', 2), ('q1', 1))
    """
    item_id, sep, number = key.partition(INSTANCE)
    if sep and number.isdigit() and int(number) >= 1:
        return item_id, int(number)
    return key, 1


def pick_text(text: Mapping[str, str] | None, language: str, first: str = "nl") -> str:
    """The text in ``language``, else in ``first`` (the definition's own), else any, else ''."""
    if not text:
        return ""
    return text.get(language) or text.get(first) or next(iter(text.values()), "")
