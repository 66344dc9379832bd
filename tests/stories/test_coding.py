"""Coding: offsets plus snippet, grouping codes, blind mode, done, comparison and agreement."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.stories.factories import CodeFactory
from tests.web import logged_in
from werkplaats.stories import comparison, selectors, services
from werkplaats.stories.models import CoderAssignment, Segment
from werkplaats.stories.unitising import split_units

pytestmark = pytest.mark.django_db


def _assignment(world, user):
    return CoderAssignment.objects.get(round=world.round_a, coder=user)


def test_a_segment_stores_offsets_and_snippet(world):
    segment = services.segment_add(
        assignment=_assignment(world, world.klaas),
        document=world.shared_a,
        code=world.code_a,
        start=5,
        end=20,
    )
    assert segment.snippet == world.shared_a.text[5:20]
    assert not segment.is_stale


@pytest.mark.parametrize(("start", "end"), [(-1, 4), (0, 0), (10, 10_000), (10_000, 10_001)])
def test_offsets_outside_the_source_are_refused(world, start, end):
    with pytest.raises(ValidationError, match="outside"):
        services.segment_add(
            assignment=_assignment(world, world.klaas),
            document=world.shared_a,
            code=world.code_a,
            start=start,
            end=end,
        )


def test_browser_offsets_in_utf16_are_converted(world):
    world.shared_a.text = "😀 Ik red me wel."
    world.shared_a.save()
    segment = services.segment_add(
        assignment=_assignment(world, world.klaas),
        document=world.shared_a,
        code=world.code_a,
        start=3,
        end=5,
        utf16=True,
    )
    assert segment.snippet == "Ik"


def test_grouping_codes_cannot_be_applied(world):
    with pytest.raises(ValidationError, match="grouping"):
        services.segment_add(
            assignment=_assignment(world, world.klaas),
            document=world.shared_a,
            code=world.theme_a,
            start=0,
            end=5,
        )


def test_a_code_from_another_codebook_is_refused(world):
    with pytest.raises(ValidationError, match="codebook"):
        services.segment_add(
            assignment=_assignment(world, world.klaas),
            document=world.shared_a,
            code=CodeFactory(),
            start=0,
            end=5,
        )


def test_a_correction_through_the_page_marks_changed_segments(world):
    url = reverse("stories:document_edit", kwargs={"pk": world.shared_a.pk})
    rita = logged_in(world.rita)
    new_text = "Nieuw begin. " + world.shared_a.text
    assert rita.post(url, {"text": new_text, "version": world.shared_a.version}).status_code == 302
    stale = rita.post(url, {"text": "x", "version": world.shared_a.version})
    assert stale.status_code == 409
    world.segment_a.refresh_from_db()
    assert world.segment_a.is_stale
    page = logged_in(world.eva).get(
        reverse("stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk})
    )
    assert "De tekst is hier veranderd" in page.content.decode()


def test_a_memo_on_a_segment(world):
    url = reverse(
        "stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk}
    )
    logged_in(world.eva).post(
        url, {"action": "segment_memo", "segment": world.segment_a.pk, "memo-memo": "Twijfel."}
    )
    assert world.segment_a.memos.get().text == "Twijfel."
    klaas = logged_in(world.klaas).post(
        url, {"action": "segment_memo", "segment": world.segment_a.pk, "memo-memo": "x"}
    )
    assert klaas.status_code == 404


def test_a_changed_source_is_detected(world):
    services.shared_version_correct(
        document=world.shared_a,
        user=world.rita,
        text="Nieuw begin. " + world.shared_a.text,
        expected_version=world.shared_a.version,
    )
    world.segment_a.refresh_from_db()
    assert world.segment_a.is_stale


def test_coding_through_the_screen_by_ticking_sentences_and_by_selection(world):
    url = reverse(
        "stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk}
    )
    klaas = logged_in(world.klaas)
    assert klaas.post(url, {"code": world.code_a.pk, "units": ["0", "2"]}).status_code == 302
    assert (
        klaas.post(
            url, {"code": world.code_a.pk, "start": "6", "end": "16", "utf16": "1"}
        ).status_code
        == 302
    )
    mine = Segment.objects.filter(coder=world.klaas).order_by("start")
    units = split_units(world.shared_a.text)
    assert [(s.start, s.end) for s in mine] == [
        (units[0].start, units[0].end),
        (6, 16),
        (units[2].start, units[2].end),
    ]
    bad = klaas.post(url, {"code": world.code_a.pk, "start": "6", "end": "9999"})
    assert bad.status_code == 400 and "valt buiten de tekst" in bad.content.decode()  # Dutch first
    page = klaas.get(url).content.decode()
    assert 'type="radio"' in page and "Steun van buren" in page


def test_blind_mode_hides_other_coders_until_everyone_is_done(world):
    url = reverse(
        "stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk}
    )
    page = logged_in(world.klaas).get(url)
    assert world.segment_a not in list(page.context["segments"])
    visible = selectors.visible_segments(world.round_a, world.shared_a, world.klaas)
    assert list(visible) == []
    compare = logged_in(world.klaas).get(
        reverse("stories:compare", kwargs={"pk": world.round_a.pk})
    )
    assert compare.context["waiting"]
    for user in (world.rita, world.eva, world.klaas):
        logged_in(user).post(reverse("stories:round_done", kwargs={"pk": world.round_a.pk}))
    assert list(selectors.visible_segments(world.round_a, world.shared_a, world.klaas)) == [
        world.segment_a
    ]
    compare = logged_in(world.klaas).get(
        reverse("stories:compare", kwargs={"pk": world.round_a.pk})
    )
    assert "waiting" not in compare.context
    assert compare.context["result"].overall is not None


def test_done_coders_cannot_change_their_coding(world):
    assignment = services.assignment_finish(assignment=_assignment(world, world.eva))
    with pytest.raises(ValidationError, match="done"):
        services.segment_add(
            assignment=assignment, document=world.shared_a, code=world.code_a, start=0, end=3
        )
    with pytest.raises(ValidationError, match="done"):
        services.segment_delete(assignment=assignment, segment_id=world.segment_a.pk)


def test_comparison_on_sentences_gives_agreement_figures():
    text = "Een. Twee. Drie. Vier."
    doc = comparison.Document(1, "d", text)
    units = split_units(text)
    # Code 10: both coders on units 0 and 1; coder 2 also on unit 2. Code 11: only coder 1.
    codings = [
        comparison.Coding(1, 1, 10, units[0].start, units[0].end),
        comparison.Coding(2, 1, 10, units[0].start + 1, units[0].end),
        comparison.Coding(1, 1, 10, units[1].start, units[1].end),
        comparison.Coding(2, 1, 10, units[1].start, units[1].end),
        comparison.Coding(2, 1, 10, units[2].start, units[2].end),
        comparison.Coding(1, 1, 11, units[3].start, units[3].end),
    ]
    result = comparison.compare([doc], codings, coders=[1, 2], finished={1, 2}, codes=[10, 11])
    code10 = result.per_code[10]
    assert code10.n_units == 4 and code10.percent == pytest.approx(0.75)
    assert code10.kappa == pytest.approx(0.5)
    assert [row.agreed for row in result.rows] == [True, True, False, False]
    assert result.overall is not None and result.overall.n_units == 8


def test_coders_who_are_not_done_count_as_missing():
    doc = comparison.Document(1, "d", "Een. Twee.")
    codings = [comparison.Coding(1, 1, 10, 0, 4), comparison.Coding(3, 1, 10, 0, 4)]
    result = comparison.compare([doc], codings, coders=[1, 2, 3], finished={1, 3}, codes=[10])
    assert result.rows[0].codes_by_coder[2] is None
    assert result.per_code[10].percent == pytest.approx(1.0)
    # Kappa is computed when exactly two coders have data, as here (coder 2 is missing).
    assert result.per_code[10].kappa == pytest.approx(1.0)


def test_a_round_refuses_coders_without_a_coding_role(world):
    with pytest.raises(ValidationError, match="cannot code"):
        services.round_create(
            user=world.rita,
            study=world.study_s,
            codebook=world.codebook_a,
            title="x",
            documents=[world.shared_a],
            coders=[world.paula],
        )


def test_memos_on_codes_documents_and_sources(world):
    rita = logged_in(world.rita)
    rita.post(
        reverse("stories:codebook", kwargs={"pk": world.codebook_a.pk}),
        {"memo_on": world.code_a.pk, "memo-memo": "Let op: ook familie?"},
    )
    assert world.code_a.memos.get().text == "Let op: ook familie?"
    url = reverse(
        "stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk}
    )
    logged_in(world.eva).post(url, {"action": "memo", "memo-memo": "Raakt me."})
    assert world.shared_a.memos.get().author == world.eva
    # Blind: Klaas does not see Eva's memo yet.
    assert "Raakt me." not in logged_in(world.klaas).get(url).content.decode()
    rita.post(
        reverse("stories:source", kwargs={"pk": world.source_a.pk}), {"memo": "Mooi verhaal."}
    )
    assert world.source_a.memos.get().text == "Mooi verhaal."


def test_codebook_hierarchy_cannot_loop(world):
    child = world.code_a
    world.theme_a.parent = child
    with pytest.raises(ValidationError):
        world.theme_a.full_clean()


def test_researcher_creates_a_codebook_code_and_round_through_the_pages(world):
    rita = logged_in(world.rita)
    rita.post(reverse("stories:codebooks"), {"title": "Nieuw", "studies": [world.study_s.pk]})
    from werkplaats.stories.models import Codebook, CodingRound

    book = Codebook.objects.get(title="Nieuw")
    rita.post(
        reverse("stories:codebook", kwargs={"pk": book.pk}),
        {"name": "Thema", "colour": "#aa0000", "is_group": "on"},
    )
    rita.post(
        reverse("stories:codebook", kwargs={"pk": book.pk}),
        {"name": "Sub", "colour": "#00aa00", "parent": book.codes.get(name="Thema").pk},
    )
    parent = book.codes.get(name="Sub").parent
    assert parent is not None and parent.name == "Thema"
    response = rita.post(
        reverse("stories:round_new", kwargs={"pk": world.study_s.pk}),
        {
            "title": "R2",
            "codebook": book.pk,
            "documents": [world.shared_a.pk],
            "coders": [world.eva.pk, world.klaas.pk],
            "blind": "on",
            "unitising": "paragraph",
        },
    )
    assert response.status_code == 302
    assert CodingRound.objects.get(title="R2").assignments.count() == 2


def test_the_coder_list_shows_only_people_who_agreed_by_display_name(world):
    """Not every client account by username: the study's researchers and those who said
    yes on their co-coding page, by the name they go by."""

    world.eva.last_name = "de Vries"
    world.eva.save()
    rita = Client()
    rita.force_login(world.rita)
    html = rita.get(reverse("stories:round_new", kwargs={"pk": world.study_s.pk})).content.decode()
    choices = dict(re.findall(r'name="coders" value="(\d+)"[^>]*>\s*([^<]+?)\s*</label>', html))
    assert {int(k): v for k, v in choices.items()} == {
        world.rita.pk: "Rita Jansen",
        world.eva.pk: "Eva de Vries",
        world.klaas.pk: "Klaas Jansen",
    }

    # Kim agrees on her own page; now she can be asked.
    kim = Client()
    kim.force_login(world.kim)
    assert kim.post(reverse("stories:co_coding"), {"agree": "yes"}).status_code == 302
    html = rita.get(reverse("stories:round_new", kwargs={"pk": world.study_s.pk})).content.decode()
    assert str(world.kim.pk) in re.findall(r'name="coders" value="(\d+)"', html)


def test_a_round_cannot_be_made_with_someone_who_did_not_agree(world):
    from werkplaats.stories import services

    with pytest.raises(ValidationError, match="not agreed to co-code"):
        services.round_create(
            user=world.rita,
            study=world.study_s,
            codebook=world.codebook_a,
            title="R3",
            documents=[world.shared_a],
            coders=[world.kim],
        )


def test_a_new_round_says_what_comes_first_while_there_is_nothing_to_choose(world):
    """In a new workplace the form once showed an empty codebook list and an empty box of
    sources, without a word on why."""
    from werkplaats.stories.models import Codebook, CodingRound, SharedVersion

    url = reverse("stories:round_new", kwargs={"pk": world.study_s.pk})
    html = logged_in(world.rita).get(url).content.decode()
    assert "Er is nog geen codeboek" not in html
    assert "nog geen bron om te coderen" not in html
    CodingRound.objects.all().delete()
    Codebook.objects.all().delete()
    SharedVersion.objects.all().delete()
    html = logged_in(world.rita).get(url).content.decode()
    assert "Er is nog geen codeboek: maak of importeer er een onder Verhalen, Codeboeken." in html
    assert "Dit onderzoek heeft nog geen bron om te coderen" in html
