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


@pytest.mark.django_db
def test_review_preview_and_approve_store_a_separate_shared_version(world):
    client = Client()
    client.force_login(world.rita)
    url = reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk})
    page = client.get(url)
    assert "Fatima" in page.content.decode()  # proposed for masking
    # Untick nothing, add one term, preview first.
    post = {"title": "Verhaal 1", "extra_terms": "koffieochtend"}
    proposals = page.context["form"].proposals
    post.update({f"mask_{i}": "on" for i in range(len(proposals) + 1)})
    preview = client.post(url, {**post, "preview": "1"})
    assert "[NAAM 1]" in preview.context["preview"]
    assert not SharedVersion.objects.filter(title="Verhaal 1").exists()
    client.post(url, {**post, "approve": "1"})
    shared = SharedVersion.objects.get(title="Verhaal 1")
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
    keep = {f"mask_{i}": "on" for i, m in enumerate(proposals) if m.text != "Utrecht"}
    client.post(url, {"title": "Met plaats", "approve": "1", **keep})
    assert "Utrecht" in SharedVersion.objects.get(title="Met plaats").text


@pytest.mark.django_db
def test_the_names_read_to_propose_masks_are_logged_with_their_purpose(world):
    from werkplaats.casework.access import ANONYMISATION
    from werkplaats.core.models import AccessLog

    client = Client()
    client.force_login(world.rita)
    client.get(reverse("stories:source_anonymise", kwargs={"pk": world.source_a.pk}))
    reads = AccessLog.objects.filter(user=world.rita, detail__contains=ANONYMISATION)
    assert {r.object_type for r in reads} >= {"casework.clientidentity", "casework.trajectory"}
