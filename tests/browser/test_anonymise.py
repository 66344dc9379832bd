"""The anonymiser in Chromium, the way the issue broke it: after "Voorbeeld tonen" a
researcher unticks one proposal and adds words that come before the others in the text,
then approves straight away. Before, the checkboxes were numbered and shifted, so "Ans"
lost its tick and the shared text said "Mijn zus Ans". Now every tick stays with its own
word, and only a text that was on the screen as the preview is stored."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import log_in
from tests.stories.factories import SourceFactory
from werkplaats.stories.models import SharedVersion

TEXT = (
    "Mijn zus Ans woont sinds 2019 in Utrecht. Op 3 maart 2021 kwam Fatima langs, "
    "en later ook Noor van de overkant."
)


def _box(page: Any, word: str) -> Any:
    return page.locator(f"label[data-mask]:has(mark:text-is('{word}')) input[type=checkbox]")


def _shown(page: Any) -> str:
    return " ".join(page.locator("#preview .source-text").inner_text().split())


def test_a_tick_stays_with_its_word_and_only_the_preview_is_shared(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    source = SourceFactory(study=world.study_s, text=TEXT, created_by=world.alice)
    log_in(page, live_server, "rita")
    page.goto(live_url("stories:source_anonymise", pk=source.pk))
    for word in ("Ans", "2019", "Utrecht", "3 maart 2021", "Fatima", "Noor"):
        assert _box(page, word).is_checked(), word  # every proposal starts ticked
    page.fill("input[name=title]", "Verhaal over de zus")
    page.get_by_role("button", name="Voorbeeld tonen").click()
    first = _shown(page)
    assert "Ans" not in first and "2019" not in first and "[DATUM 1]" in first

    # untick Noor (a neighbour who agreed to be named), add words that come first
    _box(page, "Noor").uncheck()
    page.fill("textarea[name=extra_terms]", "zus\noverkant")
    page.get_by_role("button", name="Goedkeuren en de gedeelde versie opslaan").click()
    # not stored: what was ticked changed after the preview; the new preview is shown
    assert page.locator("#changed-since-preview").is_visible()
    assert not SharedVersion.objects.filter(source=source).exists()
    assert _box(page, "Ans").is_checked()
    assert not _box(page, "Noor").is_checked()
    assert _box(page, "zus").is_checked() and _box(page, "overkant").is_checked()
    second = _shown(page)
    assert "Ans" not in second and "zus" not in second and "Noor" in second

    page.get_by_role("button", name="Goedkeuren en de gedeelde versie opslaan").click()
    assert page.url == live_url("stories:source", pk=source.pk)
    shared = SharedVersion.objects.get(source=source)
    assert " ".join(shared.text.split()) == second  # exactly what the preview showed
    assert not re.search(r"\bAns\b|2019|Fatima|Utrecht", shared.text)
    assert shared.title == "Verhaal over de zus"
