"""The import's report (every rejected row, in the active language) and its keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Progress = Callable[[str, int, int | None], None]


class HistoryImportError(ValueError):
    """Rows were rejected; nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.text())


@dataclass
class ImportReport:
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected.append((file, line, reason))

    def text(self) -> str:
        if not self.rejected:
            made = ", ".join(f"{v} {k}" for k, v in self.created.items())
            text = _("Imported: %(made)s.") % {"made": made}
            if any(self.updated.values()):
                changed = ", ".join(f"{v} {k}" for k, v in self.updated.items() if v)
                text += " " + _("Updated: %(changed)s.") % {"changed": changed}
            return text
        n = len(self.rejected)
        lines = [
            ngettext(
                "%(n)d row rejected; nothing was imported.",
                "%(n)d rows rejected; nothing was imported.",
                n,
            )
            % {"n": n}
        ]
        lines += [
            _("%(file)s line %(line)d: %(reason)s") % {"file": f, "line": n, "reason": why}
            if n
            else f"{f}: {why}"
            for f, n, why in self.rejected
        ]
        return "\n".join(lines)


def history_key(organisation_id: int, kind: str, ref: str) -> str:
    """The keyed hash by which an organisation's own reference is recognised again."""
    return hmac.new(
        settings.PSEUDONYM_KEY.encode(),
        f"history:{organisation_id}:{kind}:{ref}".encode(),
        hashlib.sha256,
    ).hexdigest()
