"""A test client that is logged in, as the view tests use it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from werkplaats.partnership.models import User


def logged_in(user: User, language: str | None = None, **headers: Any) -> Client:
    """A client logged in as ``user`` (no password, no second factor).

    ``language`` becomes the Accept-Language header; without one the site's default
    language (Dutch) answers. ``headers`` go to every request (e.g. ``REMOTE_ADDR``).
    """
    if language is not None:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client = Client(**headers)
    client.force_login(user)
    return client
