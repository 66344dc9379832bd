"""When measurements fall due: intake, every N months, closure, follow-up. Plain dates."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LEAD_DAYS = 14  # a wave can be answered from two weeks before its date


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's last day.

    >>> add_months(dt.date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def wave_words(key: str) -> str:
    """A wave as a client or network member reads it: "bij de start", "na 3 maanden".

    Codes such as ``m03`` or ``intake`` are for professionals and exports; a client never
    sees them.
    """
    if key == "intake":
        return _("at the start")
    if key == "closure":
        return _("at the end of the support")
    if key == "follow_up":
        return _("some time after the support ended")
    if key.startswith("m") and key[1:].isdigit():
        months = int(key[1:])
        return ngettext("after %(n)d month", "after %(n)d months", months) % {"n": months}
    return _("in between")


@dataclass(frozen=True)
class Wave:
    key: str  # "intake", "m03", "m06", ..., "closure", "follow_up"
    due: dt.date

    @property
    def months(self) -> int | None:
        return int(self.key[1:]) if self.key.startswith("m") and self.key[1:].isdigit() else None


def plan_waves(
    *,
    start: dt.date,
    end: dt.date | None,
    today: dt.date,
    intake: bool = True,
    interval_months: int = 3,
    closure: bool = True,
    follow_up_months: int = 6,
) -> list[Wave]:
    """The waves of a trajectory up to the first one still ahead.

    >>> [w.key for w in plan_waves(start=dt.date(2025, 1, 1), end=None, today=dt.date(2025, 7, 1))]
    ['intake', 'm03', 'm06', 'm09']
    """
    waves: list[Wave] = []
    if intake:
        waves.append(Wave("intake", start))
    if interval_months > 0:
        k = 1
        while k <= 120:
            due = add_months(start, k * interval_months)
            if end is not None and due >= end:
                break
            waves.append(Wave(f"m{k * interval_months:02d}", due))
            if due > today:
                break
            k += 1
    if end is not None:
        if closure:
            waves.append(Wave("closure", end))
        if follow_up_months > 0:
            waves.append(Wave("follow_up", add_months(end, follow_up_months)))
    return waves


def wave_state(due: dt.date, today: dt.date, grace_days: int, done: bool) -> str:
    """done, upcoming (not yet open), due (open now) or overdue (past the grace period).

    The selectors add "missed": overdue while the next wave is open already.
    """
    if done:
        return "done"
    if today < due - dt.timedelta(days=LEAD_DAYS):
        return "upcoming"
    if today > due + dt.timedelta(days=grace_days):
        return "overdue"
    return "due"


def is_known_wave(
    key: str,
    *,
    ended: bool,
    intake: bool = True,
    interval_months: int = 3,
    closure: bool = True,
    follow_up_months: int = 6,
) -> bool:
    """Whether a plan with these settings has a wave called ``key`` (for imports).

    >>> is_known_wave("m06", ended=False), is_known_wave("m05", ended=False)
    (True, False)
    >>> is_known_wave("closure", ended=False), is_known_wave("closure", ended=True)
    (False, True)
    """
    if key == "intake":
        return intake
    if key == "closure":
        return closure and ended
    if key == "follow_up":
        return follow_up_months > 0 and ended
    months = Wave(key, dt.date.min).months
    if months is None or interval_months <= 0 or key != f"m{months:02d}":
        return False
    return months > 0 and months % interval_months == 0 and months <= 120 * interval_months
