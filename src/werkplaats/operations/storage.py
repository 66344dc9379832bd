"""Huey's SQL storage with its tables named ``huey_*``, so they sit in the application's
PostgreSQL database without generic names such as ``task`` or ``schedule``."""

from __future__ import annotations

from typing import Any

from huey.api import Huey
from huey.contrib.sql_huey import SqlStorage


class PrefixedSqlStorage(SqlStorage):  # type: ignore[misc]
    def create_models(self) -> tuple[Any, ...]:
        models = super().create_models()
        for model in models:
            model._meta.set_table_name("huey_" + model.__name__.lower())
        task = models[2]
        # The task table's index was made against the old name: make it again.
        task._meta.indexes = []
        task.add_index(task.priority.desc(), task.id)
        return tuple(models)


class DatabaseHuey(Huey):  # type: ignore[misc]
    storage_class = PrefixedSqlStorage
