"""Loaded by pytest (``-p werkplaats.config.pytest_env``) before Django's settings.

Tests run with the development keys, so a fresh clone needs no configuration to test.
"""

import os

os.environ.setdefault("WERKPLAATS_DEBUG", "1")
os.environ.setdefault("WERKPLAATS_SECURE_COOKIES", "0")
os.environ.setdefault("WERKPLAATS_TASKS_IMMEDIATE", "1")
