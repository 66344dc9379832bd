"""One answer checked against its item: type, bounds, formats and the constraint."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

from werkplaats.stats import expressions
from werkplaats.stats.definition.model import (
    EMAIL,
    MAX_TEXT_ANSWER,
    PHONE,
    AnswerError,
    Definition,
    Item,
    _numeric,
    split_key,
)

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
    low, high = _temporal_bound(item, "min"), _temporal_bound(item, "max")
    if low and parsed < low[: len(parsed)]:
        raise AnswerError("too_low", item.id, value, [low])
    if high and parsed > high[: len(parsed)]:
        raise AnswerError("too_high", item.id, value, [high])
    return parsed


def _temporal_bound(item: Item, key: str) -> str:
    """An ISO bound as text; ``today`` and ``now`` (REDCap's) are read at the time of the
    answer, so "not after today" holds on every later day too."""
    bound = _bound(item, key)
    if not isinstance(bound, str):
        return ""
    word = bound.strip().lower()
    if word == "today":
        return dt.date.today().isoformat()
    if word == "now":
        now = dt.datetime.now()
        return (
            now.isoformat(timespec="minutes")
            if item.type == "datetime"
            else (
                now.time().isoformat(timespec="minutes")
                if item.type == "time"
                else now.date().isoformat()
            )
        )
    # ISO only: answers are compared with it as text. Anything else (a bound stored before
    # the importers converted 31-12-2030) is not a bound that can be checked.
    return bound.strip() if _ISO_BOUND.fullmatch(bound.strip()) else ""


_ISO_BOUND = re.compile(r"(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|\d{2}:\d{2}(:\d{2})?)")


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
    key, (item_id, n) = item_id, split_key(item_id)
    try:
        item = definition.item(item_id)
    except KeyError:
        raise AnswerError("unknown_item", key, value, []) from None
    if n > 1 and definition.repeat_of(item) is None:
        raise AnswerError("unknown_item", key, value, [])
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
        scope = definition.scope_of(key, definition.calculated({**answers, key: checked}))
        if not expressions.holds(item.constraint, scope, own=checked):
            raise AnswerError("constraint", item_id, value)
    return checked
