"""Sources: entering and importing, consent, withdrawal, reach of each role."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.web import logged_in
from werkplaats.stories import access
from werkplaats.stories.extract import extract_text
from werkplaats.stories.models import Segment, SharedVersion, Source
from werkplaats.stories.refi_qda import RefiQdaError

pytestmark = pytest.mark.django_db


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w='
        '"http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def _pdf(text: str) -> bytes:
    """A one-page PDF with a text layer, written by hand (offsets computed)."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def test_extract_text_from_txt_docx_and_pdf():
    assert extract_text("a.txt", b"Hallo\r\nwereld") == "Hallo\nwereld"
    assert extract_text("a.txt", "\ufeffmet BOM".encode()) == "met BOM"
    assert extract_text("a.docx", _docx(["Eerste alinea.", "Tweede alinea."])) == (
        "Eerste alinea.\n\nTweede alinea."
    )
    assert "Hallo wereld" in extract_text("a.pdf", _pdf("Hallo wereld"))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("kapot.txt", b"caf\xe9", "UTF-8"),
        ("leeg.txt", b"   ", "No text"),
        ("a.docx", b"PK not really", "zip"),
        ("a.docx", _docx(["x"]).replace(b"word/document.xml", b"word/other000.xml"), "Word"),
        ("a.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("a.exe", b"MZ", "Only .txt"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(name, data, message):
    with pytest.raises(RefiQdaError, match=message):
        extract_text(name, data)


def test_docx_with_entity_expansion_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", bomb)
    with pytest.raises(RefiQdaError, match="entities"):
        extract_text("bom.docx", buffer.getvalue())


def test_a_researcher_adds_a_pasted_story_with_consent(world):
    response = logged_in(world.rita).post(
        reverse("stories:source_new"),
        {
            "kind": "interview",
            "title": "Interview 1",
            "text": "Ik red me wel.",
            "teller_role": "client",
            "language": "nl",
            "study": world.study_s.pk,
            "research_consent": "on",
        },
    )
    source = Source.objects.get(title="Interview 1")
    assert response.status_code == 302
    assert source.has_research_consent and source.created_by == world.rita


def test_a_professional_imports_a_docx_reflection_for_their_trajectory(world):
    upload = SimpleUploadedFile("reflectie.docx", _docx(["Vandaag ging het goed."]))
    response = logged_in(world.alice).post(
        reverse("stories:source_new"),
        {
            "kind": "reflection",
            "title": "Reflectie",
            "teller_role": "professional",
            "language": "nl",
            "trajectory": world.trajectory_a.pk,
            "upload": upload,
        },
    )
    assert response.status_code == 302
    source = Source.objects.get(title="Reflectie")
    assert source.text == "Vandaag ging het goed." and source.imported_from == "reflectie.docx"


def test_a_broken_upload_is_refused_and_leaves_nothing(world):
    before = Source.objects.count()
    response = logged_in(world.rita).post(
        reverse("stories:source_new"),
        {
            "kind": "interview",
            "title": "Kapot",
            "teller_role": "client",
            "language": "nl",
            "study": world.study_s.pk,
            "upload": SimpleUploadedFile("kapot.txt", b"\xff\xfe\xfa\x00\xd8"),
        },
    )
    assert response.status_code == 200
    assert "UTF" in response.content.decode() or "binary" in response.content.decode()
    assert Source.objects.count() == before


def test_msc_story_needs_domain_and_reason(world):
    rita = logged_in(world.rita)
    story = {
        "kind": "msc",
        "title": "MSC",
        "text": "Verhaal",
        "teller_role": "client",
        "language": "nl",
        "study": world.study_s.pk,
    }
    response = rita.post(reverse("stories:source_new"), story)
    assert response.status_code == 200 and not Source.objects.filter(title="MSC").exists()
    why = {"msc_domain": "meedoen", "msc_reason": "Raakte de groep"}
    rita.post(reverse("stories:source_new"), {**story, **why})
    assert Source.objects.get(title="MSC").msc_domain == "meedoen"


def test_a_source_cannot_be_linked_to_someone_elses_study_or_trajectory(world):
    from django.core.exceptions import ValidationError

    from werkplaats.stories import services

    with pytest.raises(ValidationError):
        services.source_create(
            user=world.ruben,
            kind="interview",
            title="x",
            text="x",
            teller_role="client",
            study=world.study_s,
        )
    with pytest.raises(ValidationError):
        services.source_create(
            user=world.bob,
            kind="reflection",
            title="x",
            text="x",
            teller_role="professional",
            trajectory=world.trajectory_a,
        )


def test_without_research_consent_other_researchers_do_not_see_a_source(world):
    world.source_a.research_consent_at = None
    world.source_a.save()
    world.study_s.researchers.add(world.ruben)
    assert not access.visible_sources(world.ruben).filter(pk=world.source_a.pk).exists()
    assert access.visible_sources(world.alice).filter(pk=world.source_a.pk).exists()


def test_the_teller_sees_and_withdraws_their_story(world):
    klaas = logged_in(world.klaas)
    page = klaas.get(reverse("stories:mine"))
    assert "koffieochtend" in page.content.decode()
    response = klaas.post(reverse("stories:story_withdraw", kwargs={"pk": world.source_a.pk}))
    assert response.status_code == 302
    world.source_a.refresh_from_db()
    assert world.source_a.withdrawn_at is not None
    assert not SharedVersion.objects.filter(source=world.source_a).exists()
    assert not Segment.objects.filter(document__source=world.source_a).exists()
    # Research stops; the professional's record stays.
    assert (
        logged_in(world.rita)
        .get(reverse("stories:source", kwargs={"pk": world.source_a.pk}))
        .status_code
        == 404
    )
    assert (
        logged_in(world.alice)
        .get(reverse("stories:source", kwargs={"pk": world.source_a.pk}))
        .status_code
        == 200
    )
    assert (
        logged_in(world.eva)
        .get(reverse("stories:round", kwargs={"pk": world.round_a.pk}))
        .status_code
        == 200
    )


def test_a_withdrawn_source_cannot_be_opened_in_the_coding_screen(world):
    from werkplaats.stories import services

    url = reverse(
        "stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk}
    )
    services.story_withdraw(source=world.source_a, user=world.klaas)
    assert logged_in(world.eva).get(url).status_code == 404


def test_reading_a_source_is_logged(world):
    from werkplaats.core.models import AccessLog

    logged_in(world.rita).get(reverse("stories:source", kwargs={"pk": world.source_a.pk}))
    assert AccessLog.objects.filter(
        object_type="stories.source", object_id=str(world.source_a.pk), user=world.rita
    ).exists()


def test_a_huge_upload_is_refused_before_reading(world, monkeypatch):
    from werkplaats.stories import extract

    monkeypatch.setattr(extract, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(RefiQdaError, match="larger"):
        extract.extract_text("big.txt", b"a" * 1001)


def test_withdrawing_study_consent_stops_research_use_of_the_clients_stories(world):
    from werkplaats.programme import services as programme_services
    from werkplaats.stories import exchange, selectors

    source_url = reverse("stories:source", kwargs={"pk": world.source_a.pk})
    code_url = reverse(
        "stories:code_document", kwargs={"pk": world.round_a.pk, "doc": world.shared_a.pk}
    )
    assert logged_in(world.rita).get(source_url).status_code == 200
    assert world.shared_a.text.encode() in _export_sources(exchange, world)
    world.finding_a.quotes.add(world.segment_a)
    finding_url = reverse("stories:finding", kwargs={"pk": world.finding_a.pk})
    assert world.segment_a.snippet in logged_in(world.rita).get(finding_url).content.decode()

    programme_services.consent_withdraw(consent=world.consent_a, user=world.klaas)

    rita = logged_in(world.rita)
    assert rita.get(source_url).status_code == 404
    assert world.source_a not in access.visible_sources(world.rita)
    assert "koffieochtend" not in rita.get(reverse("stories:index")).content.decode()
    assert world.shared_a.text.encode() not in _export_sources(exchange, world)
    assert list(selectors.round_documents(world.round_a)) == []
    assert logged_in(world.eva).get(code_url).status_code == 404
    assert (
        rita.get(reverse("stories:document_edit", kwargs={"pk": world.shared_a.pk})).status_code
        == 404
    )
    assert world.segment_a.snippet not in rita.get(finding_url).content.decode()
    # The story itself stays under the care rules: the professional and the teller.
    assert logged_in(world.alice).get(source_url).status_code == 200
    assert logged_in(world.klaas).get(source_url).status_code == 200


def _export_sources(exchange, world) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(exchange.round_export(world.round_a, world.rita)))
    return b"".join(archive.read(n) for n in archive.namelist())


def test_source_memos_are_kept_apart_by_route(world):
    from werkplaats.stories.models import Memo

    url = reverse("stories:source", kwargs={"pk": world.source_a.pk})
    logged_in(world.alice).post(url, {"memo": "Zorgnotitie van Alice."})
    logged_in(world.rita).post(url, {"memo": "Onderzoeksmemo van Rita."})
    assert Memo.objects.get(text="Zorgnotitie van Alice.").context == "care"
    assert Memo.objects.get(text="Onderzoeksmemo van Rita.").context == "research"
    for user, seen, unseen in (
        (world.rita, "Onderzoeksmemo van Rita.", "Zorgnotitie van Alice."),
        (world.alice, "Zorgnotitie van Alice.", "Onderzoeksmemo van Rita."),
        (world.klaas, "Zorgnotitie van Alice.", "Onderzoeksmemo van Rita."),
    ):
        page = logged_in(user).get(url).content.decode()
        assert seen in page and unseen not in page, user


def test_the_tellers_reads_of_their_own_stories_are_logged(world):
    from werkplaats.core.models import AccessLog

    klaas = logged_in(world.klaas)
    klaas.get(reverse("stories:mine"))
    own = AccessLog.objects.filter(user=world.klaas, action="view")
    assert own.filter(object_type="stories.source", object_id=str(world.source_a.pk)).exists()
    assert own.filter(object_type="stories.membercheck", object_id=str(world.check_a.pk)).exists()
    before = AccessLog.objects.order_by("-seq").first()
    access.access_own_story_by_id(world.klaas, world.source_a.pk)
    assert own.filter(
        seq__gt=before.seq if before else 0,
        object_type="stories.source",
        object_id=str(world.source_a.pk),
        detail="own story",
    ).exists()


def test_the_stories_page_says_what_a_source_is_while_there_are_none(world) -> None:
    """In a new workplace the page once showed only a heading and a button."""
    assert access.visible_sources(world.alice).exists()
    page = logged_in(world.alice).get(reverse("stories:index")).content.decode()
    assert "Nog geen bronnen" not in page
    Source.objects.all().delete()
    page = logged_in(world.alice).get(reverse("stories:index")).content.decode()
    assert "Nog geen bronnen. Een bron is een verhaal in iemands eigen woorden" in page
