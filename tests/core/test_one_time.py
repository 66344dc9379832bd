"""One-time tokens: only the hash is stored, and nonsense is refused before hashing."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from werkplaats.core.one_time import MAX_TOKEN_LENGTH, NotAToken, hash_token, make_token


def test_a_token_and_its_hash() -> None:
    token, digest = make_token()
    assert len(token) == 32 and digest == hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest() and token not in digest
    assert make_token()[0] != token


@pytest.mark.parametrize("text", ["", "x" * (MAX_TOKEN_LENGTH + 1)])
def test_empty_or_over_long_text_is_not_a_token(text: str) -> None:
    with pytest.raises(NotAToken):
        hash_token(text)


def test_an_over_long_token_in_a_link_is_not_found(world) -> None:
    url = reverse("measurements:link", args=["x" * (MAX_TOKEN_LENGTH + 1)])
    assert Client().get(url).status_code == 404
