"""The methods library: describe, version, change with a stale-save refusal, browse."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.methods.factories import described_method
from tests.web import logged_in
from werkplaats.casework.models import Method, Trajectory, WorkingPrinciple
from werkplaats.casework.services import trajectory_update
from werkplaats.core.models import AccessLog
from werkplaats.methods.models import MethodOwner, MethodVersion

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "name": "Sterk in de wijk",
        "description": "Krachtgericht werken met het netwerk van de bewoner.",
        "goals": "Meer eigen regie",
        "own_factors": "Vaste contactpersoon\nHuisbezoek",
        "fidelity_items": "Doel in eigen woorden besproken\nNetwerk betrokken",
        "fidelity_mode": "contact",
        "evidence_status": "well_described",
        "materials": "Handboek (2024)",
        "links": "https://example.org/sterk",
    }
    data.update(overrides)
    return data


def test_a_researcher_describes_a_method_with_its_fidelity_items(world):
    principle = WorkingPrinciple.objects.get(code="strengths-based")
    response = logged_in(world.rita, "en").post(
        reverse("methods:new"),
        _form(principles=[principle.pk], organisations=[world.org_a.pk], owners=[world.alice.pk]),
    )
    assert response.status_code == 302
    method = Method.objects.get(name="Sterk in de wijk")
    version = method.versions.get()
    assert version.number == method.version == 1
    assert [i.text for i in version.items.all()] == [
        "Doel in eigen woorden besproken",
        "Netwerk betrokken",
    ]
    assert list(version.principles.all()) == [principle]
    assert version.own_factor_list() == ["Vaste contactpersoon", "Huisbezoek"]
    assert list(version.organisations.all()) == [world.org_a]
    assert MethodOwner.objects.filter(method=method, user=world.alice).exists()
    assert AccessLog.objects.filter(object_type="casework.method", action="create").exists()
    page = (
        logged_in(world.otto, "en")
        .get(reverse("methods:detail", args=[method.pk]))
        .content.decode()
    )
    assert "Netwerk betrokken" in page and "well described" in page


def test_a_method_owner_changes_the_method_and_a_new_version_is_kept(world):
    v1 = described_method(world.rita, owners=[world.alice])
    method = v1.method
    response = logged_in(world.alice, "en").post(
        reverse("methods:edit", args=[method.pk]),
        _form(version=1, fidelity_items="Doel besproken\nNetwerk betrokken\nEvaluatie"),
    )
    assert response.status_code == 302
    method.refresh_from_db()
    assert method.version == 2
    assert list(method.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    # the first version is unchanged: immutable
    assert [i.text for i in MethodVersion.objects.get(method=method, number=1).items.all()] == [
        "Doel in eigen woorden besproken",
        "Netwerk betrokken",
        "Afspraak vastgelegd",
    ]
    old = logged_in(world.carol, "en").get(
        reverse("methods:detail", args=[method.pk]) + "?version=1"
    )
    assert "Afspraak vastgelegd" in old.content.decode()


def test_a_stale_save_is_refused_with_409_in_both_languages(world):
    method = described_method(world.rita, owners=[world.alice]).method
    assert (
        logged_in(world.rita, "en")
        .post(reverse("methods:edit", args=[method.pk]), _form(version=1, owners=[world.alice.pk]))
        .status_code
        == 302
    )
    for language, text in (("en", "Someone else saved"), ("nl", "Iemand anders heeft")):
        response = logged_in(world.alice, language).post(
            reverse("methods:edit", args=[method.pk]), _form(version=1, name="Anders")
        )
        assert response.status_code == 409
        assert text in response.content.decode()
    method.refresh_from_db()
    assert method.name == "Sterk in de wijk" and method.version == 2


def test_a_professional_who_does_not_own_the_method_may_not_change_it(world):
    method = described_method(world.rita, owners=[world.alice]).method
    assert (
        logged_in(world.bob, "en")
        .post(reverse("methods:edit", args=[method.pk]), _form(version=1))
        .status_code
        == 403
    )
    assert logged_in(world.bob, "en").get(reverse("methods:new")).status_code == 403


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "is not a web address"),
        ("nl", "is geen webadres"),
    ],
)
def test_bad_links_and_too_many_items_are_refused_plainly(world, language, expected):
    response = logged_in(world.rita, language).post(
        reverse("methods:new"),
        _form(links="example dot org", fidelity_items="\n".join(f"punt {i}" for i in range(13))),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert expected in page
    assert ("At most 12" if language == "en" else "Hoogstens 12") in page
    assert not Method.objects.filter(name="Sterk in de wijk").exists()


def test_a_trajectory_records_the_version_it_followed(world):
    v1 = described_method(world.rita)
    trajectory = world.trajectory_a
    trajectory_update(
        trajectory=trajectory,
        user=world.alice,
        expected_version=trajectory.version,
        fields={"method": v1.method},
    )
    assert Trajectory.objects.get(pk=trajectory.pk).method_version == 1
    from werkplaats.methods.services import MethodContent, method_update

    method_update(
        method=v1.method,
        user=world.rita,
        expected_version=1,
        content=MethodContent(name=v1.method.name, fidelity_items=["Nieuw"]),
    )
    # a later version does not change what the running trajectory followed
    assert Trajectory.objects.get(pk=trajectory.pk).method_version == 1
    page = logged_in(world.alice, "en").get(reverse("casework:trajectory", args=[trajectory.pk]))
    assert "version 1" in page.content.decode()


def test_the_library_lists_methods_for_every_staff_role_in_dutch(world):
    described_method(world.rita, evidence_status="well_founded")
    page = logged_in(world.paula, "nl").get(reverse("methods:library")).content.decode()
    assert "Methodiekenbibliotheek" in page
    assert "Sterk in de wijk" in page and "goed onderbouwd" in page
