"""Story upload under attack: the page count is checked before the PDF is parsed, text is
read in a child process with CPU-time and memory limits, and one person reads one upload
at a time (docs/security.md)."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.stories.test_sources import _docx, _pdf
from werkplaats.stories import sandbox
from werkplaats.stories.extract import MAX_PDF_PAGES, extract_text, pdf_page_count
from werkplaats.stories.import_slots import import_slot
from werkplaats.stories.models import Source
from werkplaats.stories.refi_qda import RefiQdaError

pytestmark = pytest.mark.django_db


def _empty_pages_pdf(pages: int) -> bytes:
    """A valid PDF of ``pages`` empty pages, all children of one page-tree node."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = [out.tell()]
    out.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    kids = " ".join(f"{n} 0 R" for n in range(3, pages + 3))
    offsets.append(out.tell())
    out.write(f"2 0 obj\n<< /Type /Pages /Kids [{kids}] /Count {pages} >>\nendobj\n".encode())
    for n in range(3, pages + 3):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {pages + 3}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {pages + 3} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_a_pdf_of_100000_pages_is_refused_before_the_parser_sees_it(monkeypatch):
    import pypdf

    data = _empty_pages_pdf(100_000)
    assert pdf_page_count(data) == 100_000

    def no_parsing(*args, **kwargs):
        raise AssertionError("the PDF was parsed")

    monkeypatch.setattr(pypdf, "PdfReader", no_parsing)
    began = time.perf_counter()
    with pytest.raises(RefiQdaError, match="more than"):
        extract_text("leeg.pdf", data)
    assert time.perf_counter() - began < 5  # generous: a regex over a few MB


def test_a_pdf_with_a_few_pages_still_reads():
    assert pdf_page_count(_pdf("Hallo")) == 1
    assert extract_text("een.pdf", _pdf("Hallo wereld")) == "Hallo wereld"
    assert MAX_PDF_PAGES >= 100


def test_text_is_read_in_a_child_process_that_a_memory_hog_cannot_outgrow():
    assert sandbox.run_limited("een.pdf", _pdf("Hallo wereld")) == "Hallo wereld"
    with pytest.raises(RefiQdaError, match="too much time or memory"):
        sandbox.run_limited(
            "x.txt", b"", target="tests.stories.hogs:eat_memory", memory_mb=300, cpu_seconds=20
        )


def test_a_child_that_spins_is_stopped_by_its_cpu_limit():
    began = time.perf_counter()
    with pytest.raises(RefiQdaError, match="too much time or memory"):
        sandbox.run_limited(
            "x.txt", b"", target="tests.stories.hogs:spin", cpu_seconds=1, wall_seconds=60
        )
    assert time.perf_counter() - began < 55  # the CPU limit, not the wall clock, ended it


def test_the_childs_refusals_come_back_with_their_message():
    with pytest.raises(RefiQdaError, match="Only .txt, .docx and .pdf"):
        sandbox.run_limited("x.exe", b"MZ")


def _upload(client: Client, world, name: str, data: bytes):
    return client.post(
        reverse("stories:source_new"),
        {
            "kind": "reflection",
            "title": "Reflectie",
            "teller_role": "professional",
            "language": "nl",
            "trajectory": world.trajectory_a.pk,
            "upload": SimpleUploadedFile(name, data),
        },
    )


def test_one_person_reads_one_upload_at_a_time(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = Client()
    client.force_login(world.alice)
    with import_slot(world.alice.pk):  # an upload of hers is being read
        response = _upload(client, world, "reflectie.docx", _docx(["Vandaag ging het goed."]))
        assert response.status_code == 200
        assert "al een bestand" in response.content.decode()
        assert not Source.objects.filter(title="Reflectie").exists()
    # Done: the next one goes through.
    response = _upload(client, world, "reflectie.docx", _docx(["Vandaag ging het goed."]))
    assert response.status_code == 302
    assert Source.objects.get(title="Reflectie").text == "Vandaag ging het goed."
