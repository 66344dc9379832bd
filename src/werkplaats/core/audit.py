"""Logging reads and changes of personal data."""

from __future__ import annotations

from typing import Any

from django.db import models

from werkplaats.core.models import AccessLog


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def log_list_access(user: Any, model: type[models.Model], detail: str) -> None:
    """Log that a list of rows (pseudonymous or not) was shown, with how many."""
    AccessLog.objects.create(
        user=_actor(user),
        action=AccessLog.Action.VIEW,
        object_type=model._meta.label_lower,
        object_id="*",
        detail=detail[:200],
    )


def log_access(user: Any, action: str, obj: models.Model, detail: str = "") -> None:
    AccessLog.objects.create(
        user=_actor(user),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail[:200],
    )
