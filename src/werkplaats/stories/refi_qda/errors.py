"""The one error the exchange code raises: a message a person can act on."""

from __future__ import annotations

from typing import Any


def _(message: str) -> str:
    """Mark a message for translation; the Django side translates it when shown."""
    return message


class RefiQdaError(ValueError):
    """A file was refused. ``message`` is an English msgid; ``params`` fill it in."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)
