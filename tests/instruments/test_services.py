"""Storing definitions: immutable versions, content hashes, all-or-nothing imports."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from werkplaats.instruments import formats, services
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.stats.definition import DefinitionError

LIBRARY = Path(formats.__file__).parents[1] / "library"


@pytest.fixture
def pearlin_data():
    return yaml.safe_load((LIBRARY / "pearlin-mastery.yaml").read_text(encoding="utf-8"))


def test_the_library_is_loaded_by_the_migration(db) -> None:
    slugs = set(Instrument.objects.values_list("slug", flat=True))
    assert {
        "pearlin-mastery",
        "dejong-gierveld-6",
        "goal-attainment",
        "zrm",
        "nel",
        "tfi",
        "icecap-a",
    } <= slugs
    assert services.library_load() == 0  # idempotent


def test_a_stored_version_cannot_be_changed(db) -> None:
    version = InstrumentVersion.objects.get(instrument__slug="pearlin-mastery")
    version.label = "2.0"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_identical_content_is_stored_once(db, pearlin_data) -> None:
    version, created = services.version_store(data=pearlin_data)
    assert not created and version.instrument.slug == "pearlin-mastery"


def test_changed_content_needs_a_new_version_label(db, pearlin_data) -> None:
    changed = copy.deepcopy(pearlin_data)
    changed["items"][0]["text"]["nl"] = "Anders geformuleerd."
    with pytest.raises(DefinitionError, match="stored already with other content"):
        services.version_store(data=changed)
    changed["version"] = "1.1"
    version, created = services.version_store(data=changed)
    assert created and version.instrument.versions.count() == 2


def test_an_import_with_one_bad_definition_stores_none(db) -> None:
    import json

    good = {
        "resourceType": "Questionnaire",
        "id": "first",
        "item": [{"linkId": "a1", "type": "boolean", "text": "Good?"}],
    }
    # the second carries a Werkplaats extension whose scale names an item it does not have
    carried = {"scales": [{"id": "s", "label": {"en": "S"}, "method": "sum", "items": ["zz"]}]}
    bad = {
        **good,
        "id": "second",
        "extension": [
            {"url": "urn:werkplaats:fhir:extension:instrument", "valueString": json.dumps(carried)}
        ],
    }
    content = json.dumps(
        {"resourceType": "Bundle", "entry": [{"resource": good}, {"resource": bad}]}
    ).encode()
    before = InstrumentVersion.objects.count()
    with pytest.raises(DefinitionError) as exc:
        services.definitions_import(content=content, filename="two.json")
    assert "definitions[1].scales[0].items[0]: names no item: 'zz'" in [
        str(p) for p in exc.value.problems
    ]
    assert InstrumentVersion.objects.count() == before


def test_a_byol_definition_is_visible_only_to_its_organisation(world) -> None:
    data = yaml.safe_load((LIBRARY / "zrm.yaml").read_text(encoding="utf-8"))
    data.update(kind="questionnaire", version="licensed-2017")
    data["licence"] = {**data["licence"], "item_text_included": True}
    for item in data["items"]:
        item["text"] = {"nl": f"Beschrijving van {item['id']} (gelicentieerde tekst)"}
    version, _ = services.version_store(data=data, organisation=world.org_a, user=world.erin)
    client = Client()
    client.force_login(world.alice)
    assert client.get(reverse("instruments:version", args=[version.pk])).status_code == 200
    client.force_login(world.bob)
    assert client.get(reverse("instruments:version", args=[version.pk])).status_code == 404


def test_import_page_shows_problems_with_their_paths(world, pearlin_data) -> None:
    bad = copy.deepcopy(pearlin_data)
    bad["option_sets"]["agree4"][2]["value"] = 2
    client = Client()
    client.force_login(world.rita)
    upload = io.BytesIO(yaml.safe_dump(bad).encode())
    upload.name = "bad.yaml"
    response = client.post(reverse("instruments:import"), {"file": upload, "language": "nl"})
    assert response.status_code == 400
    assert "option_sets.agree4[2].value" in response.content.decode()


def test_import_page_names_a_damaged_file_in_the_readers_language(world) -> None:
    damaged = "Variable / Field Name,Form Name,Field Type,Field Label\nrecord_id,f,text,ID\nq,f,text,Één\n"
    client = Client()
    client.force_login(world.rita)
    for language, expected in (
        ("nl", "het datadictionary is geen UTF-8-tekst"),
        ("en", "the data dictionary is not UTF-8 text"),
    ):
        upload = io.BytesIO(damaged.encode("cp1252"))
        upload.name = "dictionary.csv"
        client.cookies["django_language"] = language
        response = client.post(reverse("instruments:import"), {"file": upload, "language": "nl"})
        assert response.status_code == 400
        assert expected in response.content.decode()


def test_import_page_stores_and_reports_losses(world) -> None:
    exported = formats.write(
        InstrumentVersion.objects.get(instrument__slug="pearlin-mastery").parsed,
        "xlsform-xlsx",
    )
    client = Client()
    client.force_login(world.rita)
    upload = io.BytesIO(exported.content)
    upload.name = exported.filename
    response = client.post(reverse("instruments:import"), {"file": upload, "language": "nl"})
    assert response.status_code == 200
    assert "plaatsvervangers" in response.content.decode()


def test_export_view_returns_the_file(world) -> None:
    version = InstrumentVersion.objects.get(instrument__slug="dejong-gierveld-6")
    client = Client()
    client.force_login(world.alice)
    response = client.get(reverse("instruments:export", args=[version.pk]), {"format": "fhir"})
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    response = client.get(reverse("instruments:export", args=[version.pk]), {"format": "nope"})
    assert response.status_code == 400


def test_an_instrument_without_items_says_in_dutch_which_formats_cannot_hold_it(world) -> None:
    """The version page and the export of goal attainment scaling (scored from the goals,
    no items) once said in English, on a Dutch page, that REDCap and XLSForm cannot hold it."""
    version = InstrumentVersion.objects.get(instrument__slug="goal-attainment")
    client = Client()
    client.force_login(world.alice)
    page = client.get(reverse("instruments:version", args=[version.pk])).content.decode()
    assert "goal-attainment wordt uit andere gegevens gescoord en heeft geen items; redcap" in page
    assert "cannot hold it" not in page
    response = client.get(reverse("instruments:export", args=[version.pk]), {"format": "redcap"})
    assert response.status_code == 400
    assert "wordt uit andere gegevens gescoord" in response.content.decode()
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("instruments:version", args=[version.pk])).content.decode()
    assert (
        "goal-attainment is scored from other data and has no items; redcap cannot hold it" in page
    )


def test_command_line_import_and_export(db, tmp_path, capsys) -> None:
    target = tmp_path / "pearlin.xlsx"
    call_command(
        "instruments", "export", "pearlin-mastery", "--format", "xlsform-xlsx", "-o", str(target)
    )
    out = capsys.readouterr().out
    assert "Wrote" in out and "cannot hold" in out
    call_command("instruments", "import", str(target), "--dry-run")
    assert "would store" in capsys.readouterr().out
    assert not Instrument.objects.filter(
        slug="pearlin-mastery", versions__source_format="xlsform"
    ).exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "werkplaats.instrument/1"}')
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("instruments", "import", str(bad))


def test_the_werkplaats_cli_has_the_instruments_subcommand(
    db, tmp_path, capsys, monkeypatch
) -> None:
    from werkplaats import cli

    target = tmp_path / "djg.json"
    assert (
        cli.main(
            ["instruments", "export", "dejong-gierveld-6", "--format", "fhir", "-o", str(target)]
        )
        == 0
    )
    assert '"resourceType": "Questionnaire"' in target.read_text()
    assert cli.main(["instruments", "import", str(tmp_path / "missing.yaml")]) == 1


def test_command_line_export_needs_the_format_for_csv(db, tmp_path) -> None:
    with pytest.raises(CommandError, match="--format"):
        call_command("instruments", "export", "pearlin-mastery", "-o", str(tmp_path / "x.csv"))
    call_command("instruments", "export", "pearlin-mastery", "-o", str(tmp_path / "x.xlsx"))
    assert (tmp_path / "x.xlsx").read_bytes()[:2] == b"PK"


def _licensed_zrm() -> dict:
    data = yaml.safe_load((LIBRARY / "zrm.yaml").read_text(encoding="utf-8"))
    data.update(kind="questionnaire", version="licensed-2017")
    data["licence"] = {**data["licence"], "item_text_included": True}
    for item in data["items"]:
        item["text"] = {"nl": f"Beschrijving van {item['id']} (gelicentieerde tekst)"}
    return data


def test_two_organisations_importing_the_same_licensed_definition_get_their_own_versions(
    world,
) -> None:
    data = _licensed_zrm()
    version_a, created_a = services.version_store(
        data=copy.deepcopy(data), organisation=world.org_a, user=world.erin
    )
    version_b, created_b = services.version_store(
        data=copy.deepcopy(data), organisation=world.org_b, user=world.frank
    )
    assert created_a and created_b
    assert version_a.pk != version_b.pk
    assert version_a.content_hash == version_b.content_hash
    assert (version_a.organisation, version_b.organisation) == (world.org_a, world.org_b)
    client = Client()
    client.force_login(world.bob)
    assert client.get(reverse("instruments:version", args=[version_b.pk])).status_code == 200
    assert client.get(reverse("instruments:version", args=[version_a.pk])).status_code == 404
    client.force_login(world.alice)
    assert client.get(reverse("instruments:version", args=[version_a.pk])).status_code == 200
    assert client.get(reverse("instruments:version", args=[version_b.pk])).status_code == 404
    # importing again within one organisation still reuses its own version
    again, created = services.version_store(data=copy.deepcopy(data), organisation=world.org_b)
    assert again.pk == version_b.pk and not created


def test_a_public_import_of_privately_held_content_creates_the_public_version(world) -> None:
    data = _licensed_zrm()
    private, _ = services.version_store(data=copy.deepcopy(data), organisation=world.org_a)
    public, created = services.version_store(data=copy.deepcopy(data), user=world.rita)
    assert created and public.pk != private.pk and public.organisation is None
    # an organisation importing content that is public reuses the public version
    reused, created = services.version_store(data=copy.deepcopy(data), organisation=world.org_b)
    assert reused.pk == public.pk and not created


def _upload(data: dict) -> io.BytesIO:
    upload = io.BytesIO(yaml.safe_dump(data, allow_unicode=True).encode())
    upload.name = "licensed.yaml"
    return upload


def test_an_admin_of_several_organisations_chooses_whose_licence_it_is(world) -> None:
    from werkplaats.partnership.models import Membership, Role

    Membership.objects.create(user=world.erin, organisation=world.org_b, role=Role.ORG_ADMIN)
    client = Client()
    client.force_login(world.erin)
    url = reverse("instruments:import")
    assert 'name="organisation"' in client.get(url).content.decode()
    post = {"language": "nl", "for_organisation": "on"}
    # no choice: refused, nothing stored under an arbitrary organisation
    response = client.post(url, {**post, "file": _upload(_licensed_zrm())})
    assert response.status_code == 400
    assert not InstrumentVersion.objects.filter(label="licensed-2017").exists()
    # an organisation the user does not administer: refused
    response = client.post(
        url, {**post, "organisation": world.org_university.pk, "file": _upload(_licensed_zrm())}
    )
    assert response.status_code == 400
    assert not InstrumentVersion.objects.filter(label="licensed-2017").exists()
    response = client.post(
        url, {**post, "organisation": world.org_b.pk, "file": _upload(_licensed_zrm())}
    )
    assert response.status_code == 200
    assert InstrumentVersion.objects.get(label="licensed-2017").organisation == world.org_b


def test_an_admin_of_one_organisation_imports_under_it_without_choosing(world) -> None:
    client = Client()
    client.force_login(world.frank)
    url = reverse("instruments:import")
    assert 'name="organisation"' not in client.get(url).content.decode()
    response = client.post(
        url, {"language": "nl", "for_organisation": "on", "file": _upload(_licensed_zrm())}
    )
    assert response.status_code == 200
    assert InstrumentVersion.objects.get(label="licensed-2017").organisation == world.org_b


def test_a_researcher_cannot_import_under_an_organisations_licence(world) -> None:
    client = Client()
    client.force_login(world.rita)
    response = client.post(
        reverse("instruments:import"),
        {"language": "nl", "for_organisation": "on", "file": _upload(_licensed_zrm())},
    )
    assert response.status_code == 400
    assert not InstrumentVersion.objects.filter(label="licensed-2017").exists()
