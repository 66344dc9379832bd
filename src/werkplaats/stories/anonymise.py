"""Proposals for masking names, places and dates before a story is shared.

Rule-based and dictionary-based, run locally (no cloud service). It *proposes*: a person
reviews every proposal, may add terms, and only then is the shared version made. It
misses what it does not know (a rare name written in lower case, a nickname, an unusual
place, an indirect identifier such as "the only Syrian baker in our street"); see
docs/stories.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

NAME, PLACE, DATE, CONTACT = "name", "place", "date", "contact"
LABELS = {NAME: "NAAM", PLACE: "PLAATS", DATE: "DATUM", CONTACT: "CONTACT"}

# Common first names in the Netherlands and Flanders (a small, editable list); names
# known to the system (the teller, the client's network) are added per source.
FIRST_NAMES = frozenset(
    """
    aad adam ahmed aisha ali amina anna anne annie ans astrid bart bas bea ben bernard bram
    carla carolien cees chantal chris christa daan david dennis dirk donna eddy els emma
    erik ester eva fatima fatma femke frank frans freek gerard gert gijs hans hanneke harry
    hassan hendrik henk ilse ingrid jaap jan janneke jasper jeroen jesse joke joost jos
    josé karin kees kevin klaas koen lars laura lieke lisa lotte lucas luuk maarten marco
    margriet maria marieke marja mark martijn meryem mieke mohamed mustafa nadia naima
    nicole noah noor omar patrick paul peter petra pieter rachid rik rob robin roos ruud
    sander sanne sarah sem sophie stefan thijs thomas tim tom wendy wim willem yasmina
    youssef zeynep
    """.split()
)
PLACES = frozenset(
    """
    amsterdam rotterdam den haag utrecht eindhoven groningen tilburg almere breda nijmegen
    apeldoorn haarlem arnhem enschede amersfoort zaanstad zwolle leiden maastricht
    dordrecht zoetermeer deventer delft alkmaar heerlen venlo leeuwarden hilversum
    antwerpen gent brussel leuven brugge mechelen hasselt genk kortrijk aalst
    """.split()
)
HONORIFICS = r"(?:meneer|mevrouw|mevr\.|mw\.|dhr\.|de heer|juffrouw|tante|oom|opa|oma|dokter|dr\.)"
MONTHS = (
    r"(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
    r"december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec)\.?"
)
STREET = (
    r"[A-Z][a-zà-ÿ]+(?:straat|laan|weg|plein|gracht|dijk|kade|singel|hof|steeg|pad|dreef|markt)"
)
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (DATE, re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})\b")),
    (DATE, re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    (DATE, re.compile(rf"\b\d{{1,2}}\s+{MONTHS}(?:\s+\d{{4}})?", re.IGNORECASE)),
    (DATE, re.compile(rf"\b{MONTHS}\s+\d{{4}}\b", re.IGNORECASE)),
    (DATE, re.compile(r"\b\d{1,2}[-/.](?:19|20)\d{2}\b")),  # month and year: 04-2019
    # a year on its own ("in 2019", "sinds 1998"): a date that identifies as well as a
    # full one; numbers in 1900-2099 that are a price or an amount are unticked by hand
    (DATE, re.compile(r"(?<![\d,.])\b(?:19|20)\d{2}\b(?![,.]\d)")),
    (PLACE, re.compile(r"\b\d{4}\s?[A-Z]{2}\b")),  # Dutch postcode
    (PLACE, re.compile(rf"\b{STREET}(?:\s+\d+[a-zA-Z]?)?")),
    (CONTACT, re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    (CONTACT, re.compile(r"(?:\+31|\b0)[1-9](?:[\s-]?\d){8}\b")),
    (NAME, re.compile(rf"\b(?i:{HONORIFICS})\s+([A-Z][a-zà-ÿ'-]+(?:\s+[A-Z][a-zà-ÿ'-]+)?)")),
]
WORD = re.compile(r"[A-Za-zÀ-ÿ][\wÀ-ÿ'-]*")


@dataclass(frozen=True)
class Mask:
    start: int
    end: int
    kind: str
    text: str

    @property
    def key(self) -> str:
        """The proposal's identity: where it sits in the original, which never changes.
        A proposal found again (after adding terms, on another preview) has the same key,
        so a reviewer's tick or untick stays with it and never moves to another word."""
        return f"{self.start}-{self.end}"


def _word_matches(text: str, words: Iterable[str], kind: str) -> list[Mask]:
    wanted = {w.lower() for w in words if w and len(w) > 1}
    if not wanted:
        return []
    result = []
    for match in WORD.finditer(text):
        if match.group().lower() in wanted:
            result.append(Mask(match.start(), match.end(), kind, match.group()))
    return result


def _phrase_matches(text: str, phrases: Iterable[str], kind: str) -> list[Mask]:
    result = []
    for phrase in {p.strip() for p in phrases if p and len(p.strip()) > 1}:
        for match in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE):
            result.append(Mask(match.start(), match.end(), kind, match.group()))
    return result


def propose_masks(
    text: str,
    *,
    known_names: Iterable[str] = (),
    known_places: Iterable[str] = (),
    extra_terms: Iterable[str] = (),
) -> list[Mask]:
    """Masks to propose, sorted, without overlaps (the longest wins).

    >>> [m.text for m in propose_masks("Mevrouw Jansen woont sinds 3 maart 2021 in Utrecht.")]
    ['Jansen', '3 maart 2021', 'Utrecht']
    >>> [(m.text, m.kind, m.key) for m in propose_masks("Sinds 2019 gaat het beter.")]
    [('2019', 'date', '6-10')]
    """
    found: list[Mask] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            found.append(Mask(match.start(group), match.end(group), kind, match.group(group)))
    names = set(known_names)
    found += _phrase_matches(text, names, NAME)
    found += _word_matches(text, {part for n in names for part in n.split()}, NAME)
    found += _word_matches(text, FIRST_NAMES, NAME)
    found += _phrase_matches(text, known_places, PLACE)
    found += _word_matches(text, PLACES, PLACE)
    found += _phrase_matches(text, extra_terms, NAME)
    # Keep the longest of overlapping proposals.
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    result: list[Mask] = []
    for mask in found:
        if result and mask.start < result[-1].end:
            continue
        result.append(mask)
    return result


def apply_masks(text: str, masks: Iterable[Mask]) -> str:
    """The text with each mask replaced by a label; one value keeps one label.

    >>> apply_masks("Jan zag Jan.", [Mask(0, 3, NAME, "Jan"), Mask(8, 11, NAME, "Jan")])
    '[NAAM 1] zag [NAAM 1].'
    """
    numbers: dict[tuple[str, str], int] = {}
    counters: dict[str, int] = {}
    parts: list[str] = []
    position = 0
    for mask in sorted(masks, key=lambda m: m.start):
        if mask.start < position:
            continue
        key = (mask.kind, mask.text.lower())
        if key not in numbers:
            counters[mask.kind] = counters.get(mask.kind, 0) + 1
            numbers[key] = counters[mask.kind]
        parts.append(text[position : mask.start])
        parts.append(f"[{LABELS.get(mask.kind, 'X')} {numbers[key]}]")
        position = mask.end
    parts.append(text[position:])
    return "".join(parts)


def preview_digest(title: str, text: str) -> str:
    """A fingerprint of a preview (title and text): approval names the preview it
    approves, and nothing else is stored."""
    return hashlib.sha256(f"{title}\0{text}".encode()).hexdigest()
