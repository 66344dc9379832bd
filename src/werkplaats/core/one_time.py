"""One-time tokens for links that work without an account (a network member's
questionnaire, a member check): the token goes out once, only its SHA-256 is stored.

The token carries 24 random bytes (32 URL-safe characters); the hash is what the
database looks up, so a leaked table opens nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

TOKEN_BYTES = 24
MAX_TOKEN_LENGTH = 100  # anything longer is not one of ours: refused before hashing


class NotAToken(ValueError):
    """The text cannot be a one-time token (empty or far too long)."""


def make_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """The stored form of a token; raises ``NotAToken`` for an empty or over-long one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotAToken("not a one-time token")
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expiry(days: int) -> dt.datetime:
    """When a token made now stops working."""
    return timezone.now() + dt.timedelta(days=days)
