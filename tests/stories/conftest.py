"""Service-level messages are checked in English; pages are requested as users get them (Dutch)."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield
