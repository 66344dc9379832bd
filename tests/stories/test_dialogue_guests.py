"""Experience experts and educators at a dialogue session: invited, they see the session
and its findings and add interpretations; uninvited, they get nothing; their home page
links to their coding rounds and sessions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.web import logged_in
from werkplaats.core.models import AccessLog
from werkplaats.stories import services
from werkplaats.stories.models import Interpretation

pytestmark = pytest.mark.django_db


def _url(world) -> str:
    return reverse("stories:dialogue", kwargs={"pk": world.dialogue_a.pk})


def test_an_uninvited_educator_gets_no_access_and_an_invited_one_does(world):
    otto = logged_in(world.otto, "nl")
    assert otto.get(_url(world)).status_code == 404
    services.dialogue_invite(session=world.dialogue_a, user=world.rita, guest=world.otto)
    response = otto.get(_url(world))
    assert response.status_code == 200
    assert "Buren maken het verschil." in response.content.decode()
    # guests see the finding, not the researcher's finding page
    assert reverse("stories:finding", kwargs={"pk": world.finding_a.pk}) not in (
        response.content.decode()
    )
    assert AccessLog.objects.filter(
        actor_id=world.otto.pk, object_type__icontains="dialogue", action="view"
    ).exists()


def test_other_roles_stay_out(world):
    for user in (world.alice, world.klaas, world.paula, world.nina):
        assert logged_in(user, "nl").get(_url(world)).status_code == 403
    assert logged_in(world.ruben, "nl").get(_url(world)).status_code == 404


def test_an_invited_expert_adds_interpretations_kept_with_author_and_time(world):
    eva = logged_in(world.eva, "nl")
    response = eva.post(
        _url(world),
        {"interpret": "1", "finding": world.finding_a.pk, "text": "Buren zijn ook mantelzorgers."},
    )
    assert response.status_code == 302
    eva.post(_url(world), {"interpret": "1", "finding": "", "text": "Mooi gesprek."})
    rows = list(Interpretation.objects.order_by("pk"))
    assert [(r.finding_id, r.author_id) for r in rows] == [
        (world.finding_a.pk, world.eva.pk),
        (None, world.eva.pk),
    ]
    assert all(r.created_at is not None for r in rows)
    page = eva.get(_url(world)).content.decode()
    assert "Buren zijn ook mantelzorgers." in page and "Mooi gesprek." in page
    assert AccessLog.objects.filter(
        actor_id=world.eva.pk, action="create", object_type__icontains="interpretation"
    ).exists()


def test_an_empty_or_foreign_interpretation_is_refused_with_a_message(world):
    eva = logged_in(world.eva, "nl")
    response = eva.post(_url(world), {"interpret": "1", "text": "   "})
    assert response.status_code == 400
    assert "Dit veld is verplicht" in response.content.decode()
    other = services.finding_create(study=world.study_s, user=world.rita, statement="Ander.")
    with translation.override("en"), pytest.raises(ValidationError, match="not on this session"):
        services.interpretation_add(
            session=world.dialogue_a, user=world.eva, text="x", finding=other
        )
    assert not Interpretation.objects.exists()


def test_only_the_study_researcher_invites_and_only_experts_and_educators(world):
    eva = logged_in(world.eva, "nl")
    assert eva.post(_url(world), {"invite": "1", "guest": world.otto.pk}).status_code == 403
    with translation.override("en"), pytest.raises(ValidationError, match="Only experience"):
        services.dialogue_invite(session=world.dialogue_a, user=world.rita, guest=world.alice)
    rita = logged_in(world.rita, "en")
    page = rita.get(_url(world)).content.decode()
    assert "Invited experience experts and educators" in page
    assert rita.post(_url(world), {"invite": "1", "guest": world.otto.pk}).status_code == 302
    assert world.dialogue_a.invitations.filter(user=world.otto).exists()
    # already invited: no longer offered
    response = rita.post(_url(world), {"invite": "1", "guest": world.otto.pk})
    assert response.status_code == 400


def test_the_home_page_links_to_rounds_and_sessions(world):
    page = logged_in(world.eva, "nl").get(reverse("home")).content.decode()
    assert reverse("stories:round", kwargs={"pk": world.round_a.pk}) in page
    assert _url(world) in page
    assert "Je dialoogsessies" in page
    otto_page = logged_in(world.otto, "en").get(reverse("home")).content.decode()
    assert "You have not been invited to a dialogue session yet." in otto_page
    assert _url(world) not in otto_page
