"""Pseudonyms per study: a keyed hash, so one client gets unrelated keys in two studies.

The key is ``WERKPLAATS_PSEUDONYM_KEY``, apart from Django's secret key: rotating the
secret key must not change the keys researchers have linked their exports by.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def study_pseudonym(study_id: int, client_id: int) -> str:
    digest = hmac.new(
        settings.PSEUDONYM_KEY.encode(),
        f"study:{study_id}:client:{client_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"S{study_id}-{digest[:10].upper()}"


def study_case_key(study_id: int, trajectory_id: int) -> str:
    """A trajectory's key within one study: what a researcher's URLs and lists carry.

    Unrelated between studies (like :func:`study_pseudonym`), so two studies' pages and
    exports share no identifier of the same trajectory.
    """
    digest = hmac.new(
        settings.PSEUDONYM_KEY.encode(),
        f"study:{study_id}:trajectory:{trajectory_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"T{study_id}-{digest[:12].upper()}"
