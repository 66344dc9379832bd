"""REFI-QDA exchange through Django: exports validate, imports are all-or-nothing."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree

from tests.stories.qdpx import import_page_post, unzipped, zipped
from tests.web import logged_in
from werkplaats.stories import exchange
from werkplaats.stories.models import Codebook, CodingRound, Segment, SharedVersion, Source

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).resolve().parents[2] / "src/werkplaats/stories/refi_qda/schemas"


def _validate(xml: bytes, schema: str) -> None:
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / schema)))
    assert xsd.validate(etree.fromstring(xml)), xsd.error_log


def test_codebook_export_download_validates(world):
    response = logged_in(world.rita).get(
        reverse("stories:codebook_export", kwargs={"pk": world.codebook_a.pk})
    )
    assert response["Content-Disposition"].endswith('.qdc"')
    _validate(response.content, "Codebook.xsd")


def test_round_export_is_a_qdpx_that_validates_and_names_no_coder(world):
    response = logged_in(world.rita).get(
        reverse("stories:round_export", kwargs={"pk": world.round_a.pk})
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    qde = archive.read("project.qde")
    _validate(qde, "Project.xsd")
    assert b"eva" not in qde.lower() and b"klaas" not in qde.lower()
    assert any(name.startswith("sources/") for name in archive.namelist())


def test_round_trip_export_then_import_keeps_codes_and_offsets(world):
    data = exchange.round_export(world.round_a, world.rita)
    imported = exchange.project_import(user=world.rita, study=world.study_s, data=data).coding_round
    segment = Segment.objects.get(round=imported)
    assert (segment.start, segment.end, segment.snippet) == (0, 30, world.segment_a.snippet)
    parent = segment.code.parent
    assert parent is not None and parent.name == "Netwerk" and parent.is_group
    assert imported.assignments.filter(done_at__isnull=True).count() == 0


def test_codebook_import_through_the_page(world):
    qdc = exchange.codebook_export(world.codebook_a, world.rita)
    response = logged_in(world.rita).post(
        reverse("stories:codebook_import"),
        {
            "title": "Uit ATLAS.ti",
            "upload": SimpleUploadedFile("c.qdc", qdc),
            "studies": [world.study_s.pk],
        },
    )
    assert response.status_code == 302
    book = Codebook.objects.get(title="Uit ATLAS.ti")
    assert {c.name for c in book.codes.all()} == {"Netwerk", "Steun van buren"}


def _counts() -> tuple[int, ...]:
    return (
        Source.objects.count(),
        SharedVersion.objects.count(),
        Codebook.objects.count(),
        CodingRound.objects.count(),
        Segment.objects.count(),
    )


def _bad_projects() -> list[bytes]:
    code, source = uuid.uuid4(), uuid.uuid4()
    outside = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p">
<CodeBook><Codes><Code guid="{code}" name="c" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="{source}" name="s"><PlainTextContent>kort</PlainTextContent>
<PlainTextSelection guid="{uuid.uuid4()}" startPosition="1" endPosition="50">
<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>
</TextSource></Sources></Project>""".encode()
    return [
        b"not a zip at all",
        zipped({"project.qde": outside}),
        zipped({"project.qde": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'a'>]><Project/>"}),
        zipped({"project.qde": b"\x00" * 100}),
        zipped({"project.qde": b"<" + b"A" * 3_000_000}),
    ]


@pytest.mark.parametrize("index", range(5))
def test_a_bad_project_is_refused_with_a_message_and_leaves_nothing(world, index):
    before = _counts()
    response = import_page_post(world.rita, world.study_s, _bad_projects()[index])
    assert response.status_code == 200
    assert response.context["form"].errors["upload"]
    assert _counts() == before


def test_a_project_that_fails_half_way_leaves_nothing(world, monkeypatch):
    from werkplaats.stories import services

    data = exchange.round_export(world.round_a, world.rita)
    before = _counts()

    def explode(**kwargs):
        raise RuntimeError("crash mid-import")

    monkeypatch.setattr(services, "segment_add", explode)
    with pytest.raises(RuntimeError):
        exchange.project_import(user=world.rita, study=world.study_s, data=data)
    assert _counts() == before


def test_import_page_creates_a_round(world):
    data = exchange.round_export(world.round_a, world.rita)
    response = import_page_post(world.rita, world.study_s, data)
    assert response.status_code == 200  # the import's loss report, with a link to the round
    assert CodingRound.objects.filter(study=world.study_s).count() == 2
    assert "Het project is ingelezen." in response.content.decode()


def test_the_import_shows_a_loss_report_of_every_part_not_kept(world):
    data = exchange.round_export(world.round_a, world.rita)
    files = unzipped(data)
    extra = (
        f'<Sources><PDFSource guid="{uuid.uuid4()}" name="scan.pdf" path="internal://x.pdf">'
        f'<PDFSelection guid="{uuid.uuid4()}" page="1" firstX="0" firstY="0" secondX="1" '
        'secondY="1"/></PDFSource>'
    )
    qde = files["project.qde"].decode()
    qde = qde.replace("<Sources>", extra, 1)
    qde = qde.replace(
        "</Project>",
        f'<Sets><Set guid="{uuid.uuid4()}" name="Jongeren"/></Sets>'
        f'<Links><Link guid="{uuid.uuid4()}" name="a-b"/></Links></Project>',
    )
    files["project.qde"] = qde.encode()
    response = import_page_post(world.rita, world.study_s, zipped(files))
    page = response.content.decode()
    assert response.status_code == 200
    assert "PDFSource scan.pdf" in page
    assert "verzamelingen (1) zijn niet bewaard" not in page  # sets are kept now
    assert "koppelingen tussen coderingen (1) zijn niet bewaard" in page  # links
    assert "externe codeerders" in page  # coders exported as role + number: kept by name


def test_a_refused_file_is_explained_in_dutch(world):
    response = import_page_post(world.rita, world.study_s, _bad_projects()[1])
    assert "valt buiten de tekst" in response.content.decode()


def test_long_names_from_other_tools_are_shortened_not_refused(world):
    from werkplaats.stories import refi_qda

    code = refi_qda.Code(guid=str(uuid.uuid4()), name="c" * 300)
    text = "Een lange naam. Nog een zin."
    source = refi_qda.TextSource(
        guid=str(uuid.uuid4()),
        name="n" * 300,
        text=text,
        selections=[refi_qda.Selection(str(uuid.uuid4()), 0, 4, [code.guid])],
    )
    data = refi_qda.write_qdpx(refi_qda.Project(name="p" * 300, codes=[code], sources=[source]))
    coding_round = exchange.project_import(
        user=world.rita, study=world.study_s, data=data
    ).coding_round
    assert coding_round.documents.get().title == "n" * 120
    assert coding_round.segments.get().snippet == "Een "
