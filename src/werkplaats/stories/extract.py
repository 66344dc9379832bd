"""Text from an uploaded file: .txt, .docx (its paragraphs) or .pdf (its text layer).

Untrusted input: sizes are capped, archives are read through the zip-bomb guard, XML
through the hardened parser, and anything that cannot be read is refused with a message.
Plain Python, no Django.
"""

from __future__ import annotations

import io
import re
from typing import Any

from werkplaats.stories.refi_qda.errors import RefiQdaError, _
from werkplaats.stories.refi_qda.safety import Limits, decode_text, parse_xml, read_zip

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000
MAX_PDF_PAGES = 500
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX_LIMITS = Limits(
    max_entries=500, max_entry_bytes=30 * 1024 * 1024, max_total_bytes=60 * 1024 * 1024
)


def extract_text(filename: str, data: bytes) -> str:
    """The plain text of an uploaded file, or RefiQdaError with a reason."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise RefiQdaError(_("The file is larger than %(mb)d MB."), mb=MAX_UPLOAD_BYTES // 2**20)
    name = filename.lower()
    if name.endswith(".txt"):
        text = decode_text(data, filename, normalise_newlines=True)
    elif name.endswith(".docx"):
        text = _docx_text(data)
    elif name.endswith(".pdf"):
        text = _pdf_text(data)
    else:
        raise RefiQdaError(_("Only .txt, .docx and .pdf files can be imported."))
    text = text.strip()
    if not text:
        raise RefiQdaError(_("No text was found in %(name)s."), name=filename[:80])
    if len(text) > MAX_TEXT_CHARS:
        raise RefiQdaError(_("The text is longer than %(n)d characters."), n=MAX_TEXT_CHARS)
    return text


def _docx_text(data: bytes) -> str:
    entries = read_zip(data, DOCX_LIMITS)
    document = entries.get("word/document.xml")
    if document is None:
        raise RefiQdaError(_("This is not a Word document (.docx)."))
    root = parse_xml(document)
    paragraphs = []
    for paragraph in root.iter(f"{W}p"):
        parts = []
        for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
            if node.tag == f"{W}t":
                parts.append(node.text or "")
            elif node.tag == f"{W}tab":
                parts.append("\t")
            else:
                parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n\n".join(p for p in paragraphs if p.strip())


PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
PAGE_COUNT = re.compile(rb"/Count\s+(\d{1,12})")


def pdf_page_count(data: bytes) -> int:
    """The most pages the file can have, read from its bytes before any parsing: the
    page objects written out and the largest page count a page tree declares."""
    declared = max((int(m.group(1)) for m in PAGE_COUNT.finditer(data)), default=0)
    return max(declared, len(PAGE_OBJECT.findall(data)))


def _pdf_text(data: bytes) -> str:
    # Before the parser: pypdf walks the whole page tree to count pages (a 10 MB file of
    # 100,000 empty pages took a minute and 226 MB to refuse).
    if pdf_page_count(data) > MAX_PDF_PAGES:
        raise RefiQdaError(_("The PDF has more than %(n)d pages."), n=MAX_PDF_PAGES)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise RefiQdaError(_("The PDF is encrypted; save it without a password and try again."))
        root: Any = reader.trailer["/Root"]
        declared = root["/Pages"].get("/Count", 0)
        if int(declared) > MAX_PDF_PAGES or len(reader.pages) > MAX_PDF_PAGES:
            raise RefiQdaError(_("The PDF has more than %(n)d pages."), n=MAX_PDF_PAGES)
        pages = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > MAX_TEXT_CHARS:
                raise RefiQdaError(_("The text is longer than %(n)d characters."), n=MAX_TEXT_CHARS)
            pages.append(text)
    except RefiQdaError:
        raise
    except (PdfReadError, Exception) as exc:  # pypdf raises many kinds of error on hostile input
        raise RefiQdaError(_("The PDF cannot be read: %(error)s"), error=str(exc)[:120]) from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise RefiQdaError(
            _("The PDF has no text layer (a scan?). Only PDFs with text can be imported.")
        )
    return text
