"""Test configuration shared by the whole suite.

Tests run with development keys (WERKPLAATS_DEBUG=1), fast password hashing, and
personas per role (see ``tests/personas.py``).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path_factory):  # type: ignore[no-untyped-def]
    settings.REPORTS_DIR = tmp_path_factory.getbasetemp() / "reports"


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from tests.personas import build_world

    return build_world()
