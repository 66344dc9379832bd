"""Writing REFI-QDA codebooks (.qdc) and projects (.qdpx).

Offsets are written in Unicode code points, as the standard says. Sources travel as
UTF-8 text files under ``sources/`` and are referred to as ``internal://<guid>.txt``.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from lxml import etree

from werkplaats.stories.refi_qda.model import Code, Project
from werkplaats.stories.refi_qda.parser import CODEBOOK_NS, PROJECT_NS


def _code_element(parent: etree._Element, ns: str, code: Code) -> None:
    element = etree.SubElement(parent, f"{{{ns}}}Code")
    element.set("guid", code.guid)
    element.set("name", code.name)
    element.set("isCodable", "true" if code.is_codable else "false")
    if code.color:
        element.set("color", code.color)
    if code.description:
        etree.SubElement(element, f"{{{ns}}}Description").text = code.description
    for note_guid in code.note_guids:
        etree.SubElement(element, f"{{{ns}}}NoteRef", targetGUID=note_guid)
    for child in code.children:
        _code_element(element, ns, child)


def _serialise(root: etree._Element) -> bytes:
    text: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return text


def write_codebook(codes: list[Code], origin: str = "Werkplaats") -> bytes:
    """A .qdc document (namespace urn:QDA-XML:codebook:1.0)."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})
    root.set("origin", origin)
    codes_element = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    for code in codes:
        _code_element(codes_element, CODEBOOK_NS, code)
    return _serialise(root)


def _timestamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def write_project_xml(project: Project, *, created: datetime | None = None) -> bytes:
    """project.qde (namespace urn:QDA-XML:project:1.0), sources referred to internally."""
    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns})
    root.set("name", project.name)
    root.set("origin", project.origin or "Werkplaats")
    if created is not None:
        root.set("creationDateTime", _timestamp(created) or "")
    if project.users:
        users = etree.SubElement(root, f"{{{ns}}}Users")
        for user in project.users:
            etree.SubElement(users, f"{{{ns}}}User", guid=user.guid, name=user.name)
    if project.codes:
        codebook = etree.SubElement(root, f"{{{ns}}}CodeBook")
        codes = etree.SubElement(codebook, f"{{{ns}}}Codes")
        for code in project.codes:
            _code_element(codes, ns, code)
    # Every guid in the file is unique: two selections given one guid (one selection coded
    # with several codes becomes several segments) get derived guids after the first.
    used = {u.guid for u in project.users} | {c.guid for c in project.all_codes()}
    used |= {n.guid for n in project.notes}

    def unique(guid: str) -> str:
        candidate, k = guid, 0
        while candidate in used:
            k += 1
            candidate = _derived_guid(guid, k, "copy")
        used.add(candidate)
        return candidate

    if project.sources:
        sources = etree.SubElement(root, f"{{{ns}}}Sources")
        for source in project.sources:
            element = etree.SubElement(sources, f"{{{ns}}}TextSource")
            element.set("guid", unique(source.guid))
            element.set("name", source.name)
            element.set("plainTextPath", f"internal://{source.guid}.txt")
            if source.description:
                etree.SubElement(element, f"{{{ns}}}Description").text = source.description
            for selection in source.selections:
                sel = etree.SubElement(element, f"{{{ns}}}PlainTextSelection")
                selection_guid = unique(selection.guid)
                sel.set("guid", selection_guid)
                sel.set("startPosition", str(selection.start))
                sel.set("endPosition", str(selection.end))
                if selection.creating_user:
                    sel.set("creatingUser", selection.creating_user)
                if selection.description:
                    etree.SubElement(sel, f"{{{ns}}}Description").text = selection.description
                for i, code_guid in enumerate(selection.code_guids):
                    coding = etree.SubElement(sel, f"{{{ns}}}Coding")
                    coding.set("guid", unique(_derived_guid(selection_guid, i)))
                    if selection.creating_user:
                        coding.set("creatingUser", selection.creating_user)
                    etree.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=code_guid)
                for note_guid in selection.note_guids:
                    etree.SubElement(sel, f"{{{ns}}}NoteRef", targetGUID=note_guid)
            for note_guid in source.note_guids:
                etree.SubElement(element, f"{{{ns}}}NoteRef", targetGUID=note_guid)
    if project.notes:
        notes = etree.SubElement(root, f"{{{ns}}}Notes")
        for note in project.notes:
            element = etree.SubElement(notes, f"{{{ns}}}Note", guid=note.guid, name=note.name)
            etree.SubElement(element, f"{{{ns}}}PlainTextContent").text = note.text
    if project.links:
        links = etree.SubElement(root, f"{{{ns}}}Links")
        for link in project.links:
            element = etree.SubElement(links, f"{{{ns}}}Link", guid=unique(link.guid))
            if link.name:
                element.set("name", link.name)
            element.set("direction", link.direction)
            element.set("originGUID", link.origin)
            element.set("targetGUID", link.target)
    if project.sets:
        sets = etree.SubElement(root, f"{{{ns}}}Sets")
        for member_set in project.sets:
            element = etree.SubElement(sets, f"{{{ns}}}Set", guid=unique(member_set.guid))
            element.set("name", member_set.name)
            if member_set.description:
                etree.SubElement(element, f"{{{ns}}}Description").text = member_set.description
            for guid in member_set.code_guids:
                etree.SubElement(element, f"{{{ns}}}MemberCode", targetGUID=guid)
            for guid in member_set.source_guids:
                etree.SubElement(element, f"{{{ns}}}MemberSource", targetGUID=guid)
    if project.description:
        etree.SubElement(root, f"{{{ns}}}Description").text = project.description
    for note_guid in project.note_guids:
        etree.SubElement(root, f"{{{ns}}}NoteRef", targetGUID=note_guid)
    return _serialise(root)


def _derived_guid(guid: str, index: int, kind: str = "coding") -> str:
    import uuid

    return str(uuid.uuid5(uuid.UUID(guid), f"{kind}-{index}"))


def write_qdpx(project: Project, *, created: datetime | None = None) -> bytes:
    """A .qdpx archive: project.qde plus one UTF-8 text file per source under sources/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", write_project_xml(project, created=created))
        for source in project.sources:
            archive.writestr(f"sources/{source.guid}.txt", source.text.encode("utf-8"))
    return buffer.getvalue()
