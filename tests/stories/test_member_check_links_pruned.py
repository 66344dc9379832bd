"""Member-check one-time links are pruned like the other one-time links: 30 days after they
expired (or were used) the link's hash is gone, while the check and its answer stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from werkplaats.stories import services
from werkplaats.stories.models import MemberCheck
from werkplaats.stories.services import member_check_by_token
from werkplaats.stories.tasks import prune_member_check_links

pytestmark = pytest.mark.django_db


def test_a_member_check_link_long_expired_is_forgotten_and_the_check_stays(world) -> None:
    assert member_check_by_token(world.check_token) is not None
    # A link only (no client page): pruning must not break "a way to answer".
    only_link, token = services.member_check_create(
        finding=world.finding_a, user=world.rita, synthesis="Via de link.", one_time_link=True
    )
    long_ago = timezone.now() - dt.timedelta(days=31)
    MemberCheck.objects.filter(pk__in=[world.check_a.pk, only_link.pk]).update(expires_at=long_ago)
    fresh, fresh_token = services.member_check_create(
        finding=world.finding_a, user=world.rita, synthesis="Nog open.", one_time_link=True
    )
    assert token is not None and fresh_token is not None  # both have a one-time link
    assert prune_member_check_links() == 2
    assert MemberCheck.objects.filter(pk__in=[world.check_a.pk, only_link.pk]).count() == 2
    assert not MemberCheck.objects.filter(token_hash__isnull=False, expires_at=long_ago).exists()
    assert member_check_by_token(token) is None
    # A link still valid (or expired less than 30 days ago) is kept.
    fresh.refresh_from_db()
    assert fresh.token_hash and fresh.expires_at is not None
    assert fresh.expires_at > timezone.now()
    assert member_check_by_token(fresh_token) is not None
    assert prune_member_check_links() == 0


def test_an_answered_check_keeps_its_answer_when_its_link_is_pruned(world) -> None:
    services.member_check_respond(check=world.check_a, agreement="yes", comment="Klopt.")
    MemberCheck.objects.filter(pk=world.check_a.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=40)
    )
    assert prune_member_check_links() == 1
    world.check_a.refresh_from_db()
    assert world.check_a.token_hash is None
    assert world.check_a.response.agreement == "yes"
