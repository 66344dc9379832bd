"""Settings from environment variables, through helpers that fail loudly."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it.

    Settings are read before Django's translations exist, so each message is given in
    English and in Dutch; ``str()`` holds both, one per line.
    """

    def __init__(self, english: str, dutch: str) -> None:
        super().__init__(f"{english}\n{dutch}")
        self.english = english
        self.dutch = dutch


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ConfigurationError(
                f"Set the environment variable {name} (docs/configuration.md).",
                f"Geef de omgevingsvariabele {name} een waarde (docs/configuration.md).",
            )
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(
        f"{name} must be true or false, not {value!r}.",
        f"{name} moet true of false zijn, niet {value!r}.",
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a whole number, not {value!r}.",
            f"{name} moet een geheel getal zijn, niet {value!r}.",
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``postgres://user:pass@host:port/name`` into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ConfigurationError(
            f"DATABASE_URL must start with postgres:// (got {parts.scheme or 'nothing'}://); "
            "leave it unset to use the embedded SQLite database.",
            f"DATABASE_URL moet met postgres:// beginnen (niet {parts.scheme or 'niets'}://); "
            "laat hem leeg voor de ingebouwde SQLite-database.",
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigurationError(
            "DATABASE_URL names no database: add /NAME at the end.",
            "DATABASE_URL noemt geen database: zet /NAAM aan het eind.",
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "ATOMIC_REQUESTS": False,
    }
