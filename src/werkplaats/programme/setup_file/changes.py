"""Small helpers that apply a value and say what changed, in the words of the change list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def assign(obj: Any, values: dict[str, Any], label: str, changes: list[str]) -> bool:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        changes.append(
            _("%(what)s: %(field)s %(old)r → %(new)r")
            % {"what": label, "field": name, "old": getattr(obj, name), "new": values[name]}
        )
        setattr(obj, name, values[name])
    return bool(changed)


def set_many(
    relation: Any, wanted: list[Any], label: str, field_name: str, changes: list[str]
) -> None:
    current = set(relation.all())
    if current != set(wanted):
        changes.append(
            _("%(what)s: %(field)s set to %(new)s")
            % {
                "what": label,
                "field": field_name,
                "new": ", ".join(sorted(_short(w) for w in wanted)) or "—",
            }
        )
        relation.set(wanted)


def _short(obj: Any) -> str:
    for attr in ("code", "username", "name"):
        if hasattr(obj, attr):
            return str(getattr(obj, attr))
    return str(obj)
