"""Researchers create and edit their studies in the browser, with the setup file's rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.web import logged_in
from werkplaats.core.models import AccessLog
from werkplaats.programme.models import ConsentText, Study

pytestmark = pytest.mark.django_db


def _post(world: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_nl": "Buren als bondgenoot",
        "title_en": "Neighbours as allies",
        "slug": "buren-als-bondgenoot",
        "question": "Wanneer helpen buren?",
        "design": "mixed",
        "participation": "consulted",
        "phase": "design",
        "start": "2025-01-01",
        "end": "",
        "researchers": ["rita"],
        "organisations": ["Welzijn A"],
        "sub_themes": ["1.2"],
        "consent_nl": "Ik doe mee.",
        "consent_en": "I take part.",
    }
    data.update(changes)
    return data


def test_a_researcher_creates_a_study_with_everything_setup_can_set(world: Any) -> None:
    response = logged_in(world.ruben, "nl").post(
        reverse("programme:study_new"), _post(world, foci=["F1"], end="2026-12-31")
    )
    study = Study.objects.get(slug="buren-als-bondgenoot")
    assert response.status_code == 302
    assert (study.title, study.title_en, study.design) == (
        "Buren als bondgenoot",
        "Neighbours as allies",
        "mixed",
    )
    assert str(study.end) == "2026-12-31"
    # The researcher who creates a study is on it, beside those chosen.
    assert set(study.researchers.values_list("username", flat=True)) == {"rita", "ruben"}
    assert list(study.participations.values_list("organisation__name", flat=True)) == ["Welzijn A"]
    assert list(study.subthemes.values_list("code", flat=True)) == ["1.2"]
    assert list(study.foci.values_list("code", flat=True)) == ["F1"]
    text = ConsentText.objects.get(study=study)
    assert (text.version, text.text_nl) == (1, "Ik doe mee.")
    assert AccessLog.objects.filter(
        user=world.ruben, action="create", object_type="programme.study"
    ).exists()


def test_the_form_refuses_what_the_setup_file_refuses_naming_each_field(world: Any) -> None:
    response = logged_in(world.rita, "nl").post(
        reverse("programme:study_new"),
        _post(
            world,
            title_nl="",
            slug="Niet Goed",
            start="2025-02-30",
            sub_themes=[],
            researchers=["alice"],
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "Titel (Nederlands)" in form.errors["title_nl"][0]
    assert "2025-02-30" in form.errors["start"][0]
    assert "a-z0-9" not in form.errors["slug"][0]  # the rule in words, not the pattern
    assert form.errors["sub_themes"]
    assert not Study.objects.filter(title="").exists()


def test_references_and_dates_are_checked_like_in_a_setup_file(world: Any) -> None:
    response = logged_in(world.rita, "en").post(
        reverse("programme:study_new"),
        _post(world, researchers=["rita", "alice"], end="2024-06-01"),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert (
        form.errors["researchers"]
        == ["alice is not a researcher: give them role: researcher first."]
        or "alice" in form.errors["researchers"][0]
    )
    assert "before it starts" in form.errors["end"][0]
    assert not Study.objects.filter(slug="buren-als-bondgenoot").exists()


def test_a_slug_of_another_study_is_refused(world: Any) -> None:
    response = logged_in(world.rita, "en").post(
        reverse("programme:study_new"), _post(world, slug=world.study_s.slug)
    )
    assert response.status_code == 400
    assert "choose another" in response.context["form"].errors["slug"][0]


def test_editing_a_study_makes_a_new_consent_version_and_refuses_a_stale_save(
    world: Any,
) -> None:
    client = logged_in(world.rita, "nl")
    url = reverse("programme:study_edit", kwargs={"pk": world.study_s.pk})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(consent_nl="Versie één.", question="Een scherpere vraag?")
    assert client.post(url, data).status_code == 302
    data.update(consent_nl="Versie twee.", version=data["version"] + 1)
    assert client.post(url, data).status_code == 302
    versions = list(
        ConsentText.objects.filter(study=world.study_s)
        .order_by("version")
        .values_list("version", "text_nl")
    )
    assert versions == [(1, "Versie één."), (2, "Versie twee.")]
    study = Study.objects.get(pk=world.study_s.pk)
    assert study.question == "Een scherpere vraag?"
    # A save that read an older version is refused, and nothing changes.
    data.update(question="Overschreven?", version=data["version"] - 1)
    response = client.post(url, data)
    assert response.status_code == 409
    assert Study.objects.get(pk=study.pk).question == "Een scherpere vraag?"


def test_only_the_studys_researchers_edit_it(world: Any) -> None:
    url = reverse("programme:study_edit", kwargs={"pk": world.study_s.pk})
    assert logged_in(world.ruben, "nl").get(url).status_code == 404
    assert logged_in(world.alice, "nl").get(url).status_code == 403
    assert logged_in(world.alice, "nl").get(reverse("programme:study_new")).status_code == 403


def test_the_form_offers_the_researchers_organisations_and_themes_as_they_are_now(
    world: Any,
) -> None:
    from tests.partnership.factories import MembershipFactory, OrganisationFactory
    from werkplaats.programme.forms import StudyForm

    def offered(field: str) -> set[str]:
        return {str(value) for value, _label in StudyForm().fields[field].widget.choices}

    before = offered("researchers")
    assert "rita" in before and "Welzijn A" in offered("organisations")
    assert "1.2" in offered("sub_themes") and "F1" in offered("foci")
    newcomer = MembershipFactory(role="researcher", user__username="rosa").user
    OrganisationFactory(name="Hogeschool Nieuw")
    assert offered("researchers") == before | {newcomer.username}
    assert "Hogeschool Nieuw" in offered("organisations")
    page = logged_in(world.ruben, "nl").get(reverse("programme:study_new")).content.decode()
    assert 'value="rosa"' in page and "Hogeschool Nieuw" in page
