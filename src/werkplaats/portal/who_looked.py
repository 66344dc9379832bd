"""'Who looked at my file': the access log's entries on one client, in plain words."""

from __future__ import annotations

from typing import Any

from django.utils.timezone import localdate
from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import accesses_of_client
from werkplaats.core.models import AccessLog
from werkplaats.partnership.models import Role


def _things() -> dict[str, str]:
    return {
        "casework.trajectory": _("your file"),
        "casework.clientidentity": _("your name and contact details"),
        "casework.goal": _("a goal in your file"),
        "casework.goalscore": _("a score of one of your goals"),
        "casework.contact": _("a conversation in your file"),
        "casework.dilemma": _("a dilemma in your file"),
        "casework.networkmember": _("your network"),
        "casework.client": _("your data"),
        "stories.source": _("your story"),
        "stories.sharedversion": _("the anonymised version of your story"),
        "programme.study": _("research data without your name"),
        "programme.consent": _("your consent"),
        "measurements.assessment": _("a questionnaire"),
        "measurements.measurementplan": _("your measurement plan"),
    }


def _verbs() -> dict[str, str]:
    return {
        AccessLog.Action.VIEW: _("viewed %(thing)s"),
        AccessLog.Action.CHANGE: _("changed %(thing)s"),
        AccessLog.Action.CREATE: _("added to %(thing)s"),
        AccessLog.Action.EXPORT: _("downloaded %(thing)s"),
        AccessLog.Action.DENIED: _("tried to open %(thing)s and was refused"),
    }


def _who(entry: AccessLog) -> str:
    if not entry.actor_name:
        return _("someone with a one-time link")
    return entry.actor_name.rsplit(" (", 1)[0]


def who_looked(client: Client, limit: int = 1000) -> list[dict[str, Any]]:
    """Every access to the client's data by someone else, newest first (at most ``limit``).

    The sentences are translated once per call, not once per entry: a client whose file
    is read often has hundreds of entries, and this runs on each of their pages.
    """
    things, verbs, roles = _things(), _verbs(), dict(Role.choices)
    anyone = _("your data")
    rows = []
    for entry in accesses_of_client(client.pk, exclude_user_id=client.user_id, limit=limit):
        verb = verbs.get(entry.action, verbs[AccessLog.Action.VIEW])
        rows.append(
            {
                "when": entry.at,
                "who": _who(entry),
                "role": ", ".join(
                    str(roles.get(code, code)) for code in entry.actor_role.split(",") if code
                ),
                "organisation": entry.actor_organisation,
                "what": verb % {"thing": things.get(entry.object_type, anyone)},
            }
        )
    return rows


def by_day(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What one person did to the file on one day, as one line, newest first.

    "Carol viewed your file (12 times, until 17:30)" reads better than twelve lines, and
    a file read all day does not make the page hundreds of lines long. Each line keeps
    ``times``, its first moment (``when``) and its last (``until``); the download keeps
    every entry.
    """
    lines: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:  # newest first, so a line's first row is its last moment
        key = (localdate(row["when"]), row["who"], row["role"], row["organisation"], row["what"])
        line = lines.get(key)
        if line is None:
            lines[key] = {**row, "until": row["when"], "times": 1}
        else:
            line["when"] = row["when"]
            line["times"] += 1
    return list(lines.values())
