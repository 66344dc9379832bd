"""'Who looked at my file': the access log's entries on one client, in plain words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from werkplaats.casework.models import Client
from werkplaats.core.audit import accesses_of_client
from werkplaats.core.models import AccessLog
from werkplaats.partnership.models import Role


def _what(entry: AccessLog) -> str:
    things = {
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
    thing = things.get(entry.object_type, _("your data"))
    verbs: dict[str, str] = {
        AccessLog.Action.VIEW: _("viewed %(thing)s"),
        AccessLog.Action.CHANGE: _("changed %(thing)s"),
        AccessLog.Action.CREATE: _("added to %(thing)s"),
        AccessLog.Action.EXPORT: _("downloaded %(thing)s"),
        AccessLog.Action.DENIED: _("tried to open %(thing)s and was refused"),
    }
    return verbs.get(entry.action, verbs[AccessLog.Action.VIEW]) % {"thing": thing}


def _who(entry: AccessLog) -> str:
    if not entry.actor_name:
        return _("someone with a one-time link")
    return entry.actor_name.rsplit(" (", 1)[0]


def _roles(entry: AccessLog) -> str:
    labels = dict(Role.choices)
    return ", ".join(str(labels.get(code, code)) for code in entry.actor_role.split(",") if code)


def who_looked(client: Client) -> list[dict[str, Any]]:
    """Every access to the client's data by someone else, newest first."""
    return [
        {
            "when": entry.at,
            "who": _who(entry),
            "role": _roles(entry),
            "organisation": entry.actor_organisation,
            "what": _what(entry),
        }
        for entry in accesses_of_client(client.pk, exclude_user_id=client.user_id)
    ]
