"""REFI-QDA project files as the tests build and post them."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.web import logged_in
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study

if TYPE_CHECKING:  # the test client's response type exists in the stubs only
    from django.test.client import _MonkeyPatchedWSGIResponse


def zipped(files: dict[str, bytes]) -> bytes:
    """A .qdpx (a zip archive) holding ``files`` by name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def unzipped(data: bytes) -> dict[str, bytes]:
    """The files of a .qdpx by name, to change one and zip them again."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def import_page_post(user: User, study: Study, data: bytes) -> _MonkeyPatchedWSGIResponse:
    """The researcher posts ``data`` on the study's import page, confirming consent and
    anonymisation, with the offsets read as the file says."""
    return logged_in(user).post(
        reverse("stories:project_import", kwargs={"pk": study.pk}),
        {
            "upload": SimpleUploadedFile("p.qdpx", data),
            "kind": "interview",
            "offsets": "auto",
            "consent": "on",
            "anonymised": "on",
        },
    )
