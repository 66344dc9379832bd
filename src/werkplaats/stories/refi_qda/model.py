"""The parts of a REFI-QDA project that Werkplaats exchanges, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Code:
    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    description: str = ""
    children: list[Code] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)

    def walk(self) -> list[Code]:
        """This code and all codes below it, parents first."""
        result = [self]
        for child in self.children:
            result.extend(child.walk())
        return result


@dataclass
class User:
    guid: str
    name: str = ""


@dataclass
class Selection:
    """A coded stretch of text: [start, end) in Unicode code points, as the standard says."""

    guid: str
    start: int
    end: int
    code_guids: list[str]
    creating_user: str | None = None
    description: str = ""
    note_guids: list[str] = field(default_factory=list)


@dataclass
class TextSource:
    guid: str
    name: str
    text: str
    description: str = ""
    selections: list[Selection] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)


@dataclass
class Note:
    guid: str
    name: str
    text: str


@dataclass
class Set:
    """A named set of codes and/or sources (code sets and document groups of other tools)."""

    guid: str
    name: str
    description: str = ""
    code_guids: list[str] = field(default_factory=list)
    source_guids: list[str] = field(default_factory=list)


@dataclass
class Link:
    """A link between two things of the project (codes, selections, sources), by GUID."""

    guid: str
    origin: str
    target: str
    name: str = ""
    direction: str = "Associative"  # Associative, OneWay or Bidirectional


@dataclass
class MediaSelection:
    """A selection in a PDF, picture, audio or video source, kept as a reference: the
    source's name and kind, the position (page and corners, or start and end time, as the
    file gives them) and the codes."""

    guid: str
    source_name: str
    kind: str
    position: dict[str, str] = field(default_factory=dict)
    code_guids: list[str] = field(default_factory=list)


@dataclass
class Project:
    name: str
    origin: str = ""
    description: str = ""
    users: list[User] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    sources: list[TextSource] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # notes on the project itself (NoteRef under Project)
    note_guids: list[str] = field(default_factory=list)
    sets: list[Set] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    media_selections: list[MediaSelection] = field(default_factory=list)
    # sources whose text the archive does not hold: left out (with their codings), reported
    missing_sources: list[str] = field(default_factory=list)
    # PDF, picture, audio and video sources: not read (Werkplaats holds text), reported
    # as (name, kind, number of selections)
    media_sources: list[tuple[str, str, int]] = field(default_factory=list)
    # parts of the project Werkplaats does not keep (cases, variables, links, graphs, and
    # set members that are neither a kept code nor a kept source):
    # (element, number), reported
    ignored: list[tuple[str, int]] = field(default_factory=list)

    def all_codes(self) -> list[Code]:
        return [c for top in self.codes for c in top.walk()]
