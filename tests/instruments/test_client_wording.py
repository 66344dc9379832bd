"""Client-facing wording: every shipped instrument has a plain title and description in
Dutch and English; clients and network members read those, professionals the real name.
The wording lies outside the content hash, so adding it keeps versions and answers."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.measurements.factories import make_link, open_assessment
from werkplaats.instruments.library_loader import library_definitions, load_into
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.measurements.schedule import wave_words
from werkplaats.stats.definition import content_hash, parse_definition

# Jargon a client must not read in a client title: scale names, item counts, ranges.
JARGON = re.compile(r"scale|schaal|items?\b|\(\d|[0-9]+-[0-9]+|sjabloon|template|\(", re.I)


@pytest.mark.parametrize("data", library_definitions(), ids=lambda d: d["id"])
def test_every_library_instrument_has_plain_client_wording_in_both_languages(data) -> None:
    for key in ("client_title", "client_description"):
        assert set(data[key]) >= {"nl", "en"}, key
    for language in ("nl", "en"):
        assert not JARGON.search(data["client_title"][language]), data["client_title"]
        assert data["client_title"][language] != data["title"][language]
    definition = parse_definition(data)
    assert definition.client_title("nl") == data["client_title"]["nl"]
    assert definition.client_title("en") == data["client_title"]["en"]


def test_a_definition_without_client_wording_falls_back_to_its_title() -> None:
    data = {k: v for k, v in library_definitions()[0].items() if not k.startswith("client_")}
    definition = parse_definition(data)
    assert definition.client_title("nl") == data["title"]["nl"]
    assert definition.client_description("nl") == ""


def test_client_wording_is_outside_the_content_hash() -> None:
    data = library_definitions()[0]
    bare = {k: v for k, v in data.items() if not k.startswith("client_")}
    assert content_hash(bare) == content_hash(data)
    changed = {**data, "title": {"nl": "Anders", "en": "Other"}}
    assert content_hash(changed) != content_hash(data)


@pytest.mark.django_db
def test_loading_the_library_again_brings_the_wording_to_stored_versions() -> None:
    version = InstrumentVersion.objects.get(instrument__slug="pearlin-mastery", label="1.0")
    before = InstrumentVersion.objects.count()
    stripped = {k: v for k, v in version.definition.items() if not k.startswith("client_")}
    InstrumentVersion.objects.filter(pk=version.pk).update(definition=stripped)
    assert load_into(Instrument, InstrumentVersion) == 0  # no new version ...
    version.refresh_from_db()
    assert InstrumentVersion.objects.count() == before
    # ... but the stored one reads as clients should read it.
    assert version.definition["client_title"]["nl"] == "Vragen over grip op uw leven"


def test_waves_in_words() -> None:
    from django.utils import translation

    with translation.override("nl"):
        assert [wave_words(k) for k in ("intake", "m01", "m03", "closure")] == [
            "bij de start",
            "na 1 maand",
            "na 3 maanden",
            "bij het einde van de hulp",
        ]
    with translation.override("en"):
        assert wave_words("m06") == "after 6 months"


@pytest.mark.django_db
def test_the_client_reads_the_plain_title_and_the_wave_in_words(world) -> None:
    assessment = open_assessment(world.trajectory_a, "client", wave="m03")
    browser = Client()
    browser.force_login(world.klaas)
    body = browser.get(reverse("measurements:fill", args=[assessment.pk])).content.decode()
    assert "<title>Vragen over grip op uw leven" in body
    assert "Deze keer: na 3 maanden." in body
    assert "Pearlin" not in body.split('<details class="licence">')[0]
    assert "m03" not in body
    # The licence in the page's language, the makers' English words marked as English.
    assert "Iedereen mag deze vragen vrij gebruiken" in body
    assert '<p lang="en">The seven items were published' in body


@pytest.mark.django_db
def test_the_network_member_reads_the_plain_title(world) -> None:
    token = make_link(world.trajectory_a)
    body = Client().get(f"/q/{token}/", follow=True).content.decode()
    assert (
        "Vragen over grip op uw leven" in body
        and "Pearlin Mastery" not in body.split('<details class="licence">')[0]
    )


@pytest.mark.django_db
def test_the_professional_reads_the_instruments_own_name(world) -> None:
    assessment = open_assessment(world.trajectory_a, "professional")
    browser = Client()
    browser.force_login(world.alice)
    body = browser.get(reverse("measurements:fill", args=[assessment.pk])).content.decode()
    assert "Regie over het eigen leven (Pearlin Mastery Scale)" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [("nl", "vrij, met bronvermelding"), ("en", "free, with attribution")],
)
def test_the_library_names_each_licence_in_words_not_its_code(language, shown) -> None:
    from tests.partnership.factories import MembershipFactory
    from tests.web import logged_in

    version = InstrumentVersion.objects.filter(licence_code="free-with-attribution").first()
    assert version is not None  # the shipped library holds such an instrument
    professional = MembershipFactory(role="professional").user
    page = logged_in(professional, language).get(reverse("instruments:library"))
    text = page.content.decode()
    assert page.status_code == 200 and shown in text
    assert "free-with-attribution" not in text
