"""Anonymisation: proposals from rules and dictionaries, reviewed by a person, stored apart."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from werkplaats.stories.anonymise import apply_masks, propose_masks
from werkplaats.stories.models import SharedVersion

TEXT = (
    "Mevrouw Jansen woont sinds 3 maart 2021 aan de Kerkstraat 12 in Utrecht (3511 AB). "
    "Haar dochter Noor belt elke dag. Bel me op 06-12345678 of mail naar a.jansen@example.nl."
)


def test_names_places_dates_and_contacts_are_proposed():
    proposed = {(m.text, m.kind) for m in propose_masks(TEXT)}
    assert ("Jansen", "name") in proposed
    assert ("Noor", "name") in proposed
    assert ("3 maart 2021", "date") in proposed
    assert ("Kerkstraat 12", "place") in proposed
    assert ("Utrecht", "place") in proposed
    assert ("3511 AB", "place") in proposed
    assert ("06-12345678", "contact") in proposed
    assert ("a.jansen@example.nl", "contact") in proposed


def test_known_names_and_extra_terms_are_found_even_when_not_in_the_dictionary():
    masks = propose_masks(
        "Ik zag Zwaantje en de Bakkerij Bolletje.",
        known_names=["Zwaantje"],
        extra_terms=["Bakkerij Bolletje"],
    )
    assert [m.text for m in masks] == ["Zwaantje", "Bakkerij Bolletje"]


def test_ordinary_words_after_an_honorific_are_not_proposed():
    assert propose_masks("De mevrouw woont hier al lang.") == []


def test_the_same_value_keeps_the_same_label():
    masks = propose_masks("Noor belt. Later belt Noor weer, en Utrecht is ver.")
    assert apply_masks("Noor belt. Later belt Noor weer, en Utrecht is ver.", masks) == (
        "[NAAM 1] belt. Later belt [NAAM 1] weer, en [PLAATS 1] is ver."
    )


def _ticks(proposals, *, but=()):
    """Every proposal ticked except those whose text is in ``but``, as the page posts them."""
    ticked = {f"mask_{m.key}": "on" for m in proposals if m.text not in but}
    return {**ticked, "shown": " ".join(m.key for m in proposals)}


def _preview_then_approve(client, url, post):
    preview = client.post(url, {**post, "preview": "1"})
    assert preview.status_code == 200
    approved = client.post(url, {**post, "previewed": preview.context["digest"], "approve": "1"})
    return preview, approved


@pytest.mark.django_db
def test_review_preview_and_approve_store_a_separate_shared_version(world):
    client = Client()
    client.force_login(world.rita)
    url = reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk})
    page = client.get(url)
    assert "Fatima" in page.content.decode()  # proposed for masking
    # Untick nothing, add one term, preview first.
    post = {
        "title": "Verhaal 1",
        "extra_terms": "koffieochtend",
        **_ticks(page.context["form"].proposals),
    }
    preview = client.post(url, {**post, "preview": "1"})
    assert "[NAAM 1]" in preview.context["preview"]
    assert not SharedVersion.objects.filter(title="Verhaal 1").exists()
    client.post(url, {**post, "previewed": preview.context["digest"], "approve": "1"})
    shared = SharedVersion.objects.get(title="Verhaal 1")
    assert shared.text == preview.context["preview"]  # exactly what was shown
    assert "Fatima" not in shared.text and "Utrecht" not in shared.text
    assert "koffieochtend" not in shared.text
    assert all(set(m) == {"start", "end", "kind"} for m in shared.masks)  # no masked words kept
    world.source_a.refresh_from_db()
    assert "Fatima" in world.source_a.text  # the original is untouched
    assert shared.reviewed_by == world.rita


@pytest.mark.django_db
def test_an_unticked_proposal_is_left_in_the_text(world):
    client = Client()
    client.force_login(world.rita)
    url = reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk})
    proposals = client.get(url).context["form"].proposals
    post = {"title": "Met plaats", **_ticks(proposals, but={"Utrecht"})}
    _preview_then_approve(client, url, post)
    assert "Utrecht" in SharedVersion.objects.get(title="Met plaats").text


@pytest.mark.django_db
def test_an_untick_stays_with_its_word_when_terms_are_added(world):
    """The issue's case: after a preview, unticking one name and adding terms unticked
    another ('Ans') because the checkboxes were numbered."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.rita)
    url = reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk})
    proposals = client.get(url).context["form"].proposals
    first = proposals[0]
    # the reviewer leaves the first proposal in the text and adds two words that sort
    # before every other proposal, so numbered boxes would all have shifted
    words = world.source_a.text.split()
    post = {
        "title": "Stabiel",
        "extra_terms": f"{words[0]}\n{words[1]}",
        **_ticks(proposals, but={first.text}),
    }
    preview, approved = _preview_then_approve(client, url, post)
    assert approved.status_code == 302
    after = preview.context["form"].proposals
    assert len(after) > len(proposals)
    ticked = {m.key for m in preview.context["form"].chosen()}
    assert first.key not in ticked
    assert {m.key for m in proposals if m.text != first.text} <= ticked
    assert {m.key for m in after if m.text in (words[0], words[1])} <= ticked  # new: ticked
    shared = SharedVersion.objects.get(title="Stabiel")
    assert first.text in shared.text
    for m in proposals:
        if m.text != first.text:
            assert m.text not in shared.text


@pytest.mark.django_db
def test_an_approval_stores_only_the_text_that_was_previewed(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.rita)
    url = reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk})
    proposals = client.get(url).context["form"].proposals
    post = {"title": "Precies", **_ticks(proposals)}
    preview = client.post(url, {**post, "preview": "1"})
    # unticked after the preview, then approved without looking again
    changed = {"title": "Precies", **_ticks(proposals, but={"Fatima"})}
    refused = client.post(url, {**changed, "previewed": preview.context["digest"], "approve": "1"})
    assert refused.status_code == 409
    assert "nothing was stored" in refused.content.decode()
    assert not SharedVersion.objects.filter(title="Precies").exists()
    assert "Fatima" in refused.context["preview"]  # the new preview shows what would be shared
    client.post(url, {**changed, "previewed": refused.context["digest"], "approve": "1"})
    assert SharedVersion.objects.get(title="Precies").text == refused.context["preview"]


@pytest.mark.django_db
def test_approving_without_any_preview_stores_nothing(world):
    client = Client()
    client.force_login(world.rita)
    url = reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk})
    proposals = client.get(url).context["form"].proposals
    response = client.post(url, {"title": "Blind", "approve": "1", **_ticks(proposals)})
    assert response.status_code == 409
    assert not SharedVersion.objects.filter(title="Blind").exists()


def test_years_are_proposed_as_dates_but_amounts_are_not():
    masks = propose_masks(
        "Sinds 2019 woont ze hier; in 04-2021 verhuisde haar zus. Het kost 2019,50 euro."
    )
    assert [(m.text, m.kind) for m in masks] == [("2019", "date"), ("04-2021", "date")]


@pytest.mark.django_db
def test_the_names_read_to_propose_masks_are_logged_with_their_purpose(world):
    from werkplaats.casework.access import ANONYMISATION
    from werkplaats.core.models import AccessLog

    client = Client()
    client.force_login(world.rita)
    client.get(reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk}))
    reads = AccessLog.objects.filter(user=world.rita, detail__contains=ANONYMISATION)
    assert {r.object_type for r in reads} >= {"casework.clientidentity", "casework.trajectory"}
