"""Pseudonyms per study: a keyed hash, so one client gets unrelated keys in two studies."""

from __future__ import annotations

from django.utils.crypto import salted_hmac


def study_pseudonym(study_id: int, client_id: int) -> str:
    digest = salted_hmac(
        "werkplaats.study-pseudonym", f"{study_id}:{client_id}", algorithm="sha256"
    ).hexdigest()
    return f"S{study_id}-{digest[:10].upper()}"
