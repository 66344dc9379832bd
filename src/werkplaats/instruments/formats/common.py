"""What every format shares: the refusal of a damaged file, the loss report, the results,
and the helpers that map names, codes, languages and expressions (recode tables: recode.py)."""

from __future__ import annotations

import csv
import gettext
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from werkplaats.stats.definition import Definition, Problem, content_hash

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = (
    5000  # filled rows per sheet or dictionary: far above any questionnaire, far below a bomb
)
MAX_COLUMNS = 200
#: the first bytes of an Excel 97-2003 workbook (.xls), which pyxform reads through xlrd
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


LOCALE = Path(__file__).resolve().parents[2] / "locale"


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    """The project's compiled catalogue (the one Django loads), read without Django."""
    return gettext.translation("django", LOCALE, languages=[language], fallback=True)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated when shown (see :class:`Loss`)."""
    return message


@dataclass(frozen=True)
class Loss:
    """One part of a definition the other side cannot hold (or had to assume).

    ``what`` is an English message with ``%(name)s`` placeholders filled from ``params``;
    :meth:`text` gives it in a language. ``row`` is the row (or sheet row) of the source,
    ``path`` the field, item or element it is about.
    """

    path: str
    what: str
    params: tuple[tuple[str, Any], ...] = ()
    row: int | None = None
    translated: tuple[str, ...] = ()  # params that are themselves catalogue messages

    def text(self, language: str = "en") -> str:
        translate = _catalogue(language.split("-")[0].lower()).gettext
        message = translate(self.what)
        if self.params:
            params = dict(self.params)
            for key in self.translated:
                if isinstance(params.get(key), str):
                    params[key] = translate(params[key])
            message = message % params
        where = []
        if self.row is not None:
            where.append(translate("row %(row)s") % {"row": self.row})
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: {message}" if where else message

    def __str__(self) -> str:
        return self.text("en")


def loss(path: str, what: str, row: int | None = None, **params: Any) -> Loss:
    return Loss(path, what, tuple(sorted(params.items())), row)


class FormatError(ValueError):
    """A file that cannot be read as the format it claims; ``problems`` say where.

    Built from plain English text (``problems``), or from :class:`Loss` reasons whose
    messages are in the catalogue, so that a damaged file is refused in the reader's
    language: :meth:`lines` gives them in Dutch or English.
    """

    def __init__(self, problems: Sequence[Problem | Loss] | str | Loss) -> None:
        given = [problems] if isinstance(problems, str | Loss) else list(problems)
        self.reasons: list[Loss] = []
        self.problems: list[Problem] = []
        for p in given:
            if isinstance(p, Loss):
                self.reasons.append(p)
                self.problems.append(Problem("", p.text("en")))
            else:
                problem = p if isinstance(p, Problem) else Problem("", p)
                self.reasons.append(Loss(problem.path, problem.message.replace("%", "%%")))
                self.problems.append(problem)
        super().__init__("; ".join(str(p) for p in self.problems[:20]))

    def lines(self, language: str = "en") -> list[str]:
        return [r.text(language) for r in self.reasons]


def damaged(what: str, path: str = "", row: int | None = None, **params: Any) -> FormatError:
    """A refusal of a damaged file, in the catalogue (``file`` names the file in words)."""
    return FormatError(Loss(path, what, tuple(sorted(params.items())), row, ("file",)))


@dataclass
class ImportResult:
    format: str
    definitions: list[dict[str, Any]]
    losses: list[Loss] = field(default_factory=list)


@dataclass
class ExportResult:
    format: str
    content: bytes
    filename: str
    media_type: str
    losses: list[Loss] = field(default_factory=list)


def slugify(text: str, fallback: str = "instrument") -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")[:60]
    return slug or fallback


def imported_version(data: Mapping[str, Any]) -> str:
    """A version label for a definition whose source names none: its content hash."""
    return "imported-" + content_hash({k: v for k, v in data.items() if k != "version"})[:10]


def unknown_licence(source: str) -> tuple[dict[str, Any], str]:
    return (
        {
            "code": "other",
            "statement": f"Imported from {source}; the source states no licence. Check it before use.",
            "item_text_included": True,
        },
        f"Not stated in the {source} it was imported from.",
    )


def common_losses(
    definition: Definition, target: str, *, languages: int, keeps_scoring: bool
) -> list[Loss]:
    """What a target without Werkplaats-specific fields cannot hold."""
    d = definition.data
    losses: list[Loss] = []
    if languages < len(definition.languages):
        losses.append(
            loss(
                "items[*].text",
                N_(
                    "%(target)s holds one language; the other languages (%(languages)s) are left out"
                ),
                target=target,
                languages=", ".join(definition.languages[languages:]),
            )
        )
    if d.get("informants") and any(
        (v or {}).get("items") or (v or {}).get("instructions") for v in d["informants"].values()
    ):
        losses.append(
            loss("informants", N_("informant versions (wording per informant) are left out"))
        )
    if not keeps_scoring:
        for s, scale in enumerate(definition.scales):
            if scale.bands:
                losses.append(loss(f"scales[{s}].bands", N_("bands and their labels are left out")))
            if scale.norms:
                losses.append(
                    loss(f"scales[{s}].norms", N_("norms (SD, reliability) are left out"))
                )
            if scale.min_answered != len(scale.items) or scale.prorate:
                losses.append(
                    loss(
                        f"scales[{s}]", N_("the minimum number answered and prorating are left out")
                    )
                )
            if scale.higher_is != "better" or scale.primary:
                losses.append(
                    loss(
                        f"scales[{s}]",
                        N_("which direction is better, and the primary scale, are left out"),
                    )
                )
        for key in ("licence", "citation", "notes", "construct"):
            if d.get(key):
                losses.append(
                    loss(key, N_("%(target)s has no place for the %(key)s"), target=target, key=key)
                )
    return losses


# ---------------------------------------------------------------- reading damaged files


def decode_text(content: bytes, what: str) -> str:
    """The file as text: UTF-8 (with or without BOM) or UTF-16 with a BOM; else refused."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise damaged(
            N_(
                "%(file)s is not UTF-8 text (byte 0x%(byte)s at position %(position)s): it is "
                "in another encoding (Windows-1252, Latin-1). Save it as CSV UTF-8 and import "
                "it again"
            ),
            file=what,
            byte=f"{content[exc.start]:02x}",
            position=exc.start,
        ) from None


def read_csv(text: str, what: str, max_rows: int = MAX_ROWS) -> list[list[str]]:
    """Rows of a CSV text, without trailing empty cells and empty rows (which do not
    count toward the limit). Refuses a file cut off inside a quoted cell or mid-row."""
    sample = text[:4096]
    delimiter = ","
    first = sample.splitlines()[0] if sample else ""
    if first.count(";") > first.count(",") and first.count(";") >= 2:
        delimiter = ";"
    elif first.count("\t") > first.count(",") and first.count("\t") >= 2:
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    widths: list[int] = []  # cells per row before trailing empty ones are dropped
    try:
        for row in reader:
            width = len(row)
            while row and not row[-1].strip():
                row.pop()
            if not row:
                continue
            rows.append(row)
            widths.append(width)
            if len(rows) > max_rows:
                raise damaged(
                    N_("%(file)s is too large: more than %(rows)s filled rows"),
                    file=what,
                    rows=max_rows,
                )
    except csv.Error as exc:
        raise damaged(
            N_(
                "%(file)s ends inside a quoted cell, or a row is broken (%(error)s): the file "
                "was probably cut off; export it again"
            ),
            f"line {reader.line_num}",
            file=what,
            error=str(exc),
        ) from None
    if text and not text.endswith(("\n", "\r")) and len(rows) > 1:
        header = rows[0]
        if 0 < widths[-1] < widths[-2] and widths[-2] >= len(header):
            raise damaged(
                N_(
                    "%(file)s ends in the middle of a row (%(cells)s of %(columns)s columns): "
                    "the file was probably cut off; export it again"
                ),
                f"line {reader.line_num}",
                file=what,
                cells=widths[-1],
                columns=len(header),
            )
    return rows


def text_of(value: str, language: str) -> dict[str, str]:
    value = value.strip()[:2000]
    return {language: value} if value else {}


def option_code(raw: str) -> int | str:
    """A choice code as the definition keeps it: a whole number stays a number
    (``1``, ``-1``; not ``01``, which stays text), anything else text."""
    text = raw.strip()
    if re.fullmatch(r"-?(0|[1-9]\d{0,15})", text):
        return int(text)
    return text[:100]


def language_code(text: str, fallback: str = "nl") -> str:
    """``English (en)`` -> ``en``; ``Swahili (sw)`` -> ``sw``; ``English`` -> ``en``;
    ``pt-BR`` -> ``pt-BR``; anything unknown -> a slug of its name."""
    text = (text or "").strip()
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\)\s*$", text)
    if match:
        code = match.group(1)
        return code.split("-")[0].lower() + code[len(code.split("-")[0]) :]
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", text):
        return text.split("-")[0].lower() + text[len(text.split("-")[0]) :]
    names = {
        "english": "en",
        "nederlands": "nl",
        "dutch": "nl",
        "french": "fr",
        "français": "fr",
        "francais": "fr",
        "german": "de",
        "deutsch": "de",
        "spanish": "es",
        "español": "es",
        "espanol": "es",
        "portuguese": "pt",
        "português": "pt",
        "swahili": "sw",
        "kiswahili": "sw",
        "arabic": "ar",
        "turkish": "tr",
        "türkçe": "tr",
        "polish": "pl",
        "polski": "pl",
        "italian": "it",
        "hindi": "hi",
        "chinese": "zh",
        "russian": "ru",
        "amharic": "am",
        "hausa": "ha",
        "yoruba": "yo",
        "bengali": "bn",
        "urdu": "ur",
        "indonesian": "id",
        "vietnamese": "vi",
        "nepali": "ne",
        "luganda": "lg",
        "somali": "so",
        "tigrinya": "ti",
        "default": fallback,
    }
    if text.lower() in names:
        return names[text.lower()]
    slug = re.sub(r"[^a-z]", "", text.lower())[:8]
    return ("x-" + slug) if slug else fallback


SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,99}$")


def item_name(raw: str) -> str | None:
    """A source's field name as an item id, or None when it cannot be one."""
    name = raw.strip()
    return name if NAME.match(name) else None


def translate_expression(
    text: str,
    dialect: str,
    item: dict[str, Any],
    key: str,
    losses: list[Loss],
    *,
    row: int | None,
    path: str,
) -> None:
    """Translate a source expression into the item's ``key``; keep it verbatim when not."""
    from werkplaats.stats import expressions

    text = text.strip()
    if not text:
        return
    try:
        item[key] = expressions.translate(text, dialect)
    except expressions.ExpressionError as exc:
        item.setdefault("verbatim", {})[key] = text[:4000]
        losses.append(
            loss(
                path,
                N_(
                    "%(attribute)s %(text)s could not be translated (%(reason)s); it is kept "
                    "verbatim for export but not applied in Werkplaats"
                ),
                row,
                attribute=key,
                text=repr(text[:200]),
                reason=str(exc),
            )
        )


def licence_placeholder(source: str, where: str) -> tuple[dict[str, Any], str, Loss]:
    licence, citation = unknown_licence(source)
    return (
        licence,
        citation,
        loss(where, N_("licence and citation are not in the source; placeholders were set")),
    )


NESTED_REPEAT = N_(
    "a repeat inside another repeat is asked as one list, not once per outer instance"
)


def inside_repeat(groups: Sequence[Mapping[str, Any]], parent: str | None) -> bool:
    """Whether the group ``parent`` (or a group it sits in) repeats."""
    by_id = {g["id"]: g for g in groups}
    seen: set[str] = set()
    while parent is not None and parent not in seen and parent in by_id:
        seen.add(parent)
        if by_id[parent].get("repeat"):
            return True
        parent = by_id[parent].get("parent")
    return False
