"""Reading REFI-QDA codebooks (.qdc) and projects (.qde inside .qdpx).

Quirks handled:

- ATLAS.ti names the inner file ``Project.qde`` (capital P) and may put sources under
  ``Sources/``: entries are matched without regard to case.
- ATLAS.ti flattens a code hierarchy into names such as ``parent::child``: when a
  codebook has no nesting but such names, the hierarchy is rebuilt (missing parents
  become grouping codes that cannot be applied).
- NVivo writes selection offsets in UTF-16 code units: when the project's ``origin`` names
  NVivo (or ``offsets="utf16"`` is asked), they are converted to code points.
- Every selection must fall inside its source; otherwise the whole file is refused.
"""

from __future__ import annotations

import re
from typing import Literal

from lxml import etree

from werkplaats.stories.refi_qda.errors import RefiQdaError, _
from werkplaats.stories.refi_qda.model import (
    Code,
    Link,
    MediaSelection,
    Note,
    Project,
    Selection,
    Set,
    TextSource,
    User,
)
from werkplaats.stories.refi_qda.offsets import utf16_to_codepoint
from werkplaats.stories.refi_qda.safety import (
    DEFAULT_LIMITS,
    Limits,
    decode_text,
    find_entry,
    parse_xml,
    read_zip,
)

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
GUID_RE = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)
COLOR_RE = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
HIERARCHY_SEPARATOR = "::"
MAX_CODES = 5000
MAX_SELECTIONS = 200_000
Offsets = Literal["auto", "codepoints", "utf16"]


def _guid(value: str | None, what: str) -> str:
    if not value or not GUID_RE.match(value.strip()):
        raise RefiQdaError(_("A %(what)s has a missing or malformed guid."), what=what)
    return value.strip().strip("{}").lower()


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value.strip().lower() in {"true", "1"}:
        return True
    if value.strip().lower() in {"false", "0"}:
        return False
    raise RefiQdaError(_("A code has an isCodable value that is not true or false."))


def _int(value: str | None, what: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise RefiQdaError(_("A %(what)s is not a whole number."), what=what) from None


def _text(element: etree._Element, ns: str, tag: str) -> str:
    child = element.find(f"{{{ns}}}{tag}")
    return (child.text or "") if child is not None else ""


MEDIA_POSITION = (
    "page",
    "firstX",
    "firstY",
    "secondX",
    "secondY",
    "begin",
    "end",
    "startPosition",
    "endPosition",
)


def _note_refs(element: etree._Element, ns: str) -> list[str]:
    return [
        _guid(r.get("targetGUID"), "note reference") for r in element.findall(f"{{{ns}}}NoteRef")
    ]


def _codes(parent: etree._Element, ns: str, depth: int = 0) -> list[Code]:
    if depth > 50:
        raise RefiQdaError(_("The code hierarchy is nested too deeply."))
    result = []
    for element in parent.findall(f"{{{ns}}}Code"):
        name = (element.get("name") or "").strip()
        if not name:
            raise RefiQdaError(_("A code has no name."))
        color = element.get("color")
        result.append(
            Code(
                guid=_guid(element.get("guid"), "code"),
                name=name[:200],
                is_codable=_bool(element.get("isCodable"), True),
                color=color if color and COLOR_RE.match(color) else None,
                description=_text(element, ns, "Description"),
                children=_codes(element, ns, depth + 1),
                note_guids=_note_refs(element, ns),
            )
        )
    return result


def _unflatten(codes: list[Code]) -> list[Code]:
    """Rebuild ``parent::child`` names (ATLAS.ti) into a hierarchy.

    A parent that is itself a code of the file (``Coke`` beside ``Coke::diet Coke``) stays
    that code, with its guid, description, colour and codings, wherever it comes in the
    list; only a parent the file does not have becomes a grouping code."""
    if any(c.children for c in codes) or not any(HIERARCHY_SEPARATOR in c.name for c in codes):
        return codes
    import uuid

    def path_of(code: Code) -> tuple[str, ...]:
        parts = tuple(p.strip() for p in code.name.split(HIERARCHY_SEPARATOR) if p.strip())
        return parts or (code.name,)

    real: dict[tuple[str, ...], Code] = {}
    extra: list[Code] = []
    for code in codes:
        path = path_of(code)
        if path in real:
            extra.append(code)  # a second code of the same full name: kept, not nested
        else:
            real[path] = code
    by_path: dict[tuple[str, ...], Code] = {}
    roots: list[Code] = []

    def node_for(prefix: tuple[str, ...]) -> Code:
        if prefix in by_path:
            return by_path[prefix]
        if prefix in real:
            node = real[prefix]
            node.name = prefix[-1]
        else:
            node = Code(
                guid=str(uuid.uuid5(uuid.NAMESPACE_URL, "::".join(prefix))),
                name=prefix[-1],
                is_codable=False,
            )
        by_path[prefix] = node
        if len(prefix) > 1:
            node_for(prefix[:-1]).children.append(node)
        else:
            roots.append(node)
        return node

    for path in real:
        node_for(path)
    return roots + extra


def _check_codes(codes: list[Code]) -> None:
    all_codes = [c for top in codes for c in top.walk()]
    if len(all_codes) > MAX_CODES:
        raise RefiQdaError(_("The codebook has more than %(n)d codes."), n=MAX_CODES)
    guids = [c.guid for c in all_codes]
    if len(set(guids)) != len(guids):
        raise RefiQdaError(_("Two codes share the same guid."))


def read_codebook(data: bytes) -> tuple[list[Code], str]:
    """The codes of a .qdc file and its origin."""
    root = parse_xml(data)
    if root.tag != f"{{{CODEBOOK_NS}}}CodeBook":
        raise RefiQdaError(
            _("This is not a REFI-QDA codebook (expected CodeBook in %(ns)s)."), ns=CODEBOOK_NS
        )
    codes_element = root.find(f"{{{CODEBOOK_NS}}}Codes")
    if codes_element is None:
        raise RefiQdaError(_("The codebook has no Codes element."))
    codes = _unflatten(_codes(codes_element, CODEBOOK_NS))
    _check_codes(codes)
    return codes, root.get("origin") or ""


def read_qdpx(
    data: bytes, *, offsets: Offsets = "auto", limits: Limits = DEFAULT_LIMITS
) -> Project:
    """A .qdpx archive: project.qde (or Project.qde) plus the sources it points to; or a
    bare .qde (the XML alone), whose sources are then all missing. A source whose text is
    not in the archive is left out with its codings and named in ``missing_sources``;
    the codebook and the other sources are read."""
    if not data.startswith(b"PK"):
        return read_project(data, {}, offsets=offsets, missing="report")
    entries = read_zip(data, limits)
    found = find_entry(entries, "project.qde")
    if found is None:
        raise RefiQdaError(_("The archive has no project.qde file; it is not a REFI-QDA project."))
    return read_project(found[1], entries, offsets=offsets, missing="report")


def _source_text(element: etree._Element, entries: dict[str, bytes]) -> str:
    inline = element.find(f"{{{PROJECT_NS}}}PlainTextContent")
    if inline is not None:
        return inline.text or ""
    path = element.get("plainTextPath") or ""
    name = element.get("name") or path
    if path.startswith("internal://"):
        relative = path[len("internal://") :]
        found = find_entry(entries, f"sources/{relative}", relative)
        if found is None:
            raise RefiQdaError(
                _("The text of source %(name)s is missing from the archive."), name=name[:80]
            )
        return decode_text(found[1], name)
    if path:
        raise RefiQdaError(
            _(
                "Source %(name)s points outside the archive (%(path)s); only internal sources can be read."
            ),
            name=name[:80],
            path=path[:80],
        )
    raise RefiQdaError(_("Source %(name)s has no plain text."), name=name[:80])


def read_project(
    data: bytes,
    entries: dict[str, bytes] | None = None,
    *,
    offsets: Offsets = "auto",
    missing: Literal["refuse", "report"] = "refuse",
) -> Project:
    """A project.qde document; ``entries`` are the archive's other files (sources)."""
    entries = entries or {}
    root = parse_xml(data)
    ns = PROJECT_NS
    if root.tag != f"{{{ns}}}Project":
        raise RefiQdaError(_("This is not a REFI-QDA project (expected Project in %(ns)s)."), ns=ns)
    origin = root.get("origin") or ""
    utf16 = offsets == "utf16" or (offsets == "auto" and "nvivo" in origin.lower())
    project = Project(
        name=(root.get("name") or "").strip()[:200] or "REFI-QDA",
        origin=origin[:200],
        description=_text(root, ns, "Description"),
    )
    users = root.find(f"{{{ns}}}Users")
    if users is not None:
        project.users = [
            User(guid=_guid(u.get("guid"), "user"), name=(u.get("name") or "")[:150])
            for u in users.findall(f"{{{ns}}}User")
        ]
    codebook = root.find(f"{{{ns}}}CodeBook/{{{ns}}}Codes")
    if codebook is not None:
        project.codes = _unflatten(_codes(codebook, ns))
    _check_codes(project.codes)
    known_codes = {c.guid for c in project.all_codes()}
    notes = root.find(f"{{{ns}}}Notes")
    if notes is not None:
        for note in notes.findall(f"{{{ns}}}Note"):
            project.notes.append(
                Note(
                    guid=_guid(note.get("guid"), "note"),
                    name=(note.get("name") or "")[:200],
                    text=_source_text(note, entries),
                )
            )
    for part, child in (
        ("Cases", "Case"),
        ("Variables", "Variable"),
        ("Graphs", "Graph"),
    ):
        holder = root.find(f"{{{ns}}}{part}")
        if holder is not None and len(holder.findall(f"{{{ns}}}{child}")):
            project.ignored.append((part, len(holder.findall(f"{{{ns}}}{child}"))))
    project.note_guids = _note_refs(root, ns)
    sources = root.find(f"{{{ns}}}Sources")
    for kind in ("PDFSource", "PictureSource", "AudioSource", "VideoSource"):
        for element in sources.findall(f"{{{ns}}}{kind}") if sources is not None else []:
            selections = sum(1 for e in element.iter() if e.tag.endswith("Selection"))
            project.media_sources.append(((element.get("name") or "?")[:200], kind, selections))
            for sel in element:
                if not isinstance(sel.tag, str) or not sel.tag.endswith("Selection"):
                    continue
                refs = [r.get("targetGUID") for r in sel.iter(f"{{{ns}}}CodeRef")]
                project.media_selections.append(
                    MediaSelection(
                        guid=(sel.get("guid") or "")[:40],
                        source_name=(element.get("name") or "?")[:200],
                        kind=kind,
                        position={
                            k: (v or "")[:40] for k, v in sel.attrib.items() if k in MEDIA_POSITION
                        },
                        code_guids=[g for g in refs if g in known_codes],
                    )
                )
    n_selections = 0
    for element in sources.findall(f"{{{ns}}}TextSource") if sources is not None else []:
        name = (element.get("name") or "").strip()[:200] or "?"
        path = element.get("plainTextPath") or ""
        if (
            missing == "report"
            and element.find(f"{{{ns}}}PlainTextContent") is None
            and path.startswith("internal://")
            and find_entry(entries, f"sources/{path[11:]}", path[11:]) is None
        ):
            project.missing_sources.append(name)  # absent: reported; damaged: refused below
            continue
        text = _source_text(element, entries)
        source = TextSource(
            guid=_guid(element.get("guid"), "source"),
            name=name,
            text=text,
            description=_text(element, ns, "Description"),
            note_guids=_note_refs(element, ns),
        )
        for sel in element.findall(f"{{{ns}}}PlainTextSelection"):
            n_selections += 1
            if n_selections > MAX_SELECTIONS:
                raise RefiQdaError(_("The project has too many coded selections."))
            start = _int(sel.get("startPosition"), "selection start")
            end = _int(sel.get("endPosition"), "selection end")
            if utf16:
                try:
                    start, end = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
                except ValueError:
                    start = end = -1
            if not 0 <= start < end <= len(text):
                raise RefiQdaError(
                    _(
                        "A selection in source %(name)s (%(start)s-%(end)s) falls outside the "
                        "text, which is %(length)d characters long; the file was refused."
                    ),
                    name=name[:80],
                    start=sel.get("startPosition"),
                    end=sel.get("endPosition"),
                    length=len(text),
                )
            code_guids = []
            creating_user = sel.get("creatingUser")
            for coding in sel.findall(f"{{{ns}}}Coding"):
                ref = coding.find(f"{{{ns}}}CodeRef")
                target = _guid(ref.get("targetGUID") if ref is not None else None, "code reference")
                if target not in known_codes:
                    raise RefiQdaError(_("A coding refers to a code that is not in the codebook."))
                code_guids.append(target)
                creating_user = coding.get("creatingUser") or creating_user
            source.selections.append(
                Selection(
                    guid=_guid(sel.get("guid"), "selection"),
                    start=start,
                    end=end,
                    code_guids=code_guids,
                    creating_user=_guid(creating_user, "user") if creating_user else None,
                    description=_text(sel, ns, "Description"),
                    note_guids=_note_refs(sel, ns),
                )
            )
        project.sources.append(source)
    _sets(root, ns, project)
    _links(root, ns, project)
    return project


def _links(root: etree._Element, ns: str, project: Project) -> None:
    """Links with both ends given; a link without an end is counted and reported."""
    holder = root.find(f"{{{ns}}}Links")
    if holder is None:
        return
    dropped = 0
    for element in holder.findall(f"{{{ns}}}Link"):
        origin, target = element.get("originGUID"), element.get("targetGUID")
        if not origin or not target:
            dropped += 1
            continue
        direction = element.get("direction") or "Associative"
        project.links.append(
            Link(
                guid=_guid(element.get("guid"), "link"),
                origin=_guid(origin, "link origin"),
                target=_guid(target, "link target"),
                name=(element.get("name") or "")[:200],
                direction=direction
                if direction in ("Associative", "OneWay", "Bidirectional")
                else "Associative",
            )
        )
    if dropped:
        project.ignored.append(("Links", dropped))


def _sets(root: etree._Element, ns: str, project: Project) -> None:
    """Sets of codes and sources; members that are not a kept code or source (notes,
    missing or media sources) are counted and reported."""
    holder = root.find(f"{{{ns}}}Sets")
    if holder is None:
        return
    codes = {c.guid for c in project.all_codes()}
    sources = {s.guid for s in project.sources}
    dropped = 0
    for element in holder.findall(f"{{{ns}}}Set"):
        member_codes = _refs(element, ns, "MemberCode")
        member_sources = _refs(element, ns, "MemberSource")
        dropped += len(_refs(element, ns, "MemberNote"))
        dropped += sum(1 for g in member_codes if g not in codes)
        dropped += sum(1 for g in member_sources if g not in sources)
        project.sets.append(
            Set(
                guid=_guid(element.get("guid"), "set"),
                name=((element.get("name") or "").strip() or "?")[:200],
                description=_text(element, ns, "Description"),
                code_guids=[g for g in member_codes if g in codes],
                source_guids=[g for g in member_sources if g in sources],
            )
        )
    if dropped:
        project.ignored.append(("SetMembers", dropped))


def _refs(element: etree._Element, ns: str, tag: str) -> list[str]:
    return [_guid(r.get("targetGUID"), "set member") for r in element.findall(f"{{{ns}}}{tag}")]
