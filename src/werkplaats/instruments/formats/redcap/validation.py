"""A REDCap field's text validation (its type and min/max bounds) as the item's own."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from werkplaats.instruments.formats.common import N_, Loss, loss
from werkplaats.instruments.formats.redcap.columns import (
    DATE_TYPES,
    DATETIME_TYPES,
    FIELD,
    NUMBER_TYPES,
    TIME_TYPES,
    VALIDATION,
    VMAX,
    VMIN,
)


def read_validation(
    item: dict[str, Any], r: Mapping[str, str], losses: list[Loss], row: int
) -> None:
    vtype = r[VALIDATION].strip().lower()
    if not vtype:
        return
    validation: dict[str, Any] = {"type": vtype}
    for key, column in (("min", VMIN), ("max", VMAX)):
        bound = r[column].strip()
        if bound:
            number = bound.replace(",", ".") if "comma" in vtype else bound
            try:
                validation[key] = int(number) if re.fullmatch(r"-?\d+", number) else float(number)
            except ValueError:
                validation[key] = bound
    if vtype in DATE_TYPES:
        item["type"] = "date"
    elif vtype in DATETIME_TYPES:
        item["type"] = "datetime"
    elif vtype in TIME_TYPES:
        item["type"] = "time"
        if vtype == "time_mm_ss":
            losses.append(loss(r[FIELD], N_("minutes:seconds is asked as a time of day"), row))
    elif vtype == "integer":
        item["type"] = "integer"
    elif vtype in NUMBER_TYPES:
        item["type"] = "decimal"
    elif vtype not in ("email", "phone"):  # the answer check knows these two
        losses.append(
            loss(
                r[FIELD],
                N_("validation %(type)s is kept for export but not checked"),
                row,
                type=vtype,
            )
        )
    if item["type"] in ("date", "datetime", "time"):
        for key in ("min", "max"):
            if key in validation:
                iso = _iso_bound(str(r[VMIN if key == "min" else VMAX]).strip(), vtype)
                if iso is None:
                    bound = validation.pop(key)
                    item.setdefault("verbatim", {})[f"validation_{key}"] = str(bound)[:100]
                    losses.append(
                        loss(
                            r[FIELD],
                            N_(
                                "the bound %(bound)s is not a date or time as %(type)s writes "
                                "it; kept for export but not checked"
                            ),
                            row,
                            bound=bound,
                            type=vtype,
                        )
                    )
                else:
                    validation[key] = iso
    item["validation"] = validation


def _iso_bound(text: str, vtype: str) -> str | None:
    """A REDCap date/time bound as ISO text: ``2024-12-31``, or ``31-12-2024`` for a
    ``_dmy`` field (``12-31-2024`` for ``_mdy``), with an optional time; ``today`` and
    ``now`` stay (they are checked when the answer is given); None if unreadable."""
    if text.lower() in ("today", "now"):
        return text.lower()
    match = re.fullmatch(
        r"(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text
    )
    if match is None:
        time = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
        if time is None or vtype.startswith(("date_", "datetime")):
            return None
        hour, minute = int(time[1]), int(time[2])
        return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None
    a, b, c = match[1], match[2], match[3]
    if len(a) == 4:
        year, month, day = a, b, c
    elif len(c) == 4 and vtype.endswith("_mdy"):
        year, month, day = c, a, b
    elif len(c) == 4 and vtype.endswith("_dmy"):
        year, month, day = c, b, a
    else:
        return None  # d-m-y or m-d-y without the field saying which
    try:
        day_iso = dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
    if match[4] is None:
        return day_iso
    hour, minute, second = int(match[4]), int(match[5]), int(match[6] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return f"{day_iso} {hour:02d}:{minute:02d}" + (f":{second:02d}" if match[6] else "")
