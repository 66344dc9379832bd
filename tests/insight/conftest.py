"""Each insight test starts with an empty cache (the whole workplace's feedback figures
are kept for a few minutes; a test must not read another test's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
