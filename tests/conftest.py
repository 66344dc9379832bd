"""Test configuration shared by the whole suite.

Tests run with development keys (WERKPLAATS_DEBUG=1), fast password hashing, and
personas per role (see ``tests/personas.py``).
"""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _caches(settings, tmp_path):
    """Each test its own caches: the shared (file) cache in the test's own folder."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
            "TIMEOUT": None,
        },
    }


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path_factory):
    settings.REPORTS_DIR = tmp_path_factory.getbasetemp() / "reports"


@pytest.fixture(autouse=True)
def _language_does_not_leak():
    """Each test starts in the default language and leaves it so: a request through the
    test client activates its language for the whole thread (LocaleMiddleware never
    deactivates it), which would otherwise carry into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def world(db):
    from tests.personas import build_world

    return build_world()
