"""Reading untrusted archives and XML without being hurt by them.

- Zip archives: a cap on the number of entries, on each entry's size and on the total,
  checked while decompressing (declared sizes can lie), and on the compression ratio;
  paths that climb out (``..``, absolute) and encrypted entries are refused.
- XML: no DTD is loaded, no entity is expanded, nothing is fetched from the network, and
  a document that carries a DOCTYPE at all is refused, so entity-expansion attacks
  ("billion laughs") and external entities cannot start.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from lxml import etree

from werkplaats.stories.refi_qda.errors import RefiQdaError, _


@dataclass(frozen=True)
class Limits:
    max_entries: int = 2000
    max_entry_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 200


DEFAULT_LIMITS = Limits()


def read_zip(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """All entries of a zip archive, by name, within the limits; else RefiQdaError."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise RefiQdaError(_("The file is not a readable zip archive.")) from exc
    if len(infos) > limits.max_entries:
        raise RefiQdaError(
            _("The archive holds more than %(n)d files; it was refused."), n=limits.max_entries
        )
    result: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise RefiQdaError(_("The archive contains an unsafe path: %(name)s."), name=name[:80])
        if info.flag_bits & 0x1:
            raise RefiQdaError(_("The archive contains encrypted files; they cannot be read."))
        if info.is_dir():
            continue
        if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.max_ratio:
            raise RefiQdaError(_("The archive expands suspiciously far (a zip bomb?); refused."))
        chunks: list[bytes] = []
        size = 0
        try:
            with archive.open(info) as stream:
                while True:
                    chunk = stream.read(64 * 1024)
                    if not chunk:
                        break
                    size += len(chunk)
                    total += len(chunk)
                    if size > limits.max_entry_bytes or total > limits.max_total_bytes:
                        raise RefiQdaError(
                            _("The archive unpacks to more than the allowed size; refused.")
                        )
                    if size > limits.max_ratio * max(info.compress_size, 1) + 1024:
                        raise RefiQdaError(
                            _("The archive expands suspiciously far (a zip bomb?); refused.")
                        )
                    chunks.append(chunk)
        except RefiQdaError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise RefiQdaError(
                _("A file inside the archive is damaged: %(name)s."), name=name[:80]
            ) from exc
        result[name] = b"".join(chunks)
    return result


def find_entry(entries: dict[str, bytes], *names: str) -> tuple[str, bytes] | None:
    """The first entry whose path matches one of ``names``, ignoring case."""
    lowered = {k.lower(): k for k in entries}
    for name in names:
        key = lowered.get(name.lower())
        if key is not None:
            return key, entries[key]
    return None


def parse_xml(data: bytes) -> etree._Element:
    """Parse XML with DTDs, entities and network access switched off."""
    head = data[:4096].lstrip()
    if b"<!DOCTYPE" in data[:65536].upper() or b"<!ENTITY" in data[:65536].upper():
        raise RefiQdaError(
            _("The XML declares a document type or entities, which are not allowed; refused.")
        )
    if not head:
        raise RefiQdaError(_("The XML file is empty."))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise RefiQdaError(
            _("The XML is not well-formed: %(error)s"), error=str(exc)[:160]
        ) from exc
    if root is None:
        raise RefiQdaError(_("The XML file is empty."))
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise RefiQdaError(
                _("The XML declares a document type or entities, which are not allowed; refused.")
            )
    return root


def decode_text(data: bytes, name: str = "", *, normalise_newlines: bool = False) -> str:
    """Text from bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM; else refused.

    Newlines are kept as they are unless asked, because offsets may count them.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise RefiQdaError(
            _(
                "The text of %(name)s is not valid UTF-8 (byte %(position)d). Save it as "
                "UTF-8 and try again."
            ),
            name=name[:80] or "the file",
            position=exc.start,
        ) from exc
    if "\x00" in text:
        raise RefiQdaError(
            _("The text of %(name)s contains binary data."), name=name[:80] or "the file"
        )
    if normalise_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
