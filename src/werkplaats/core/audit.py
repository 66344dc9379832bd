"""Logging reads and changes of personal data."""

from __future__ import annotations

from typing import Any

from django.db import models

from werkplaats.core.models import AccessLog


def log_access(user: Any, action: str, obj: models.Model, detail: str = "") -> None:
    AccessLog.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail[:200],
    )
