"""Reading the history files: CSV, Parquet, Excel, SPSS and Stata, streamed, cells strict.

Each table is one file, ``NAME.csv``, ``.parquet``, ``.xlsx``, ``.sav`` or ``.dta``. Rows
come one at a time with the number a person finds them by: the line in a CSV file (the
header is line 1; a quoted value may span lines), the sheet row in an Excel file, the
row (case) number in the other formats (the first data row is row 2, as in a sheet
with its header). Nothing is read into memory whole: CSV with the csv module line by
line, Parquet by record batches, Excel in openpyxl's read-only mode, SPSS and Stata in
chunks through pyreadstat.

Cells are parsed without guessing: a date is ``YYYY-MM-DD`` (or a date cell, or a
date-time cell at midnight), a whole number is written as one (``60`` or ``60.0``, never
``59.9``), nothing is cut short. A CSV file that is not UTF-8 is refused with the line of
the first byte that is not, and the encoding to save it as.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

SUFFIXES = (".csv", ".parquet", ".xlsx", ".sav", ".dta")
CHUNK_ROWS = 50_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE = re.compile(r"[+-]?\d+(?:\.0*)?")


class FileProblem(ValueError):
    """A whole file cannot be read (encoding, format); ``line`` where known."""

    def __init__(self, message: str, line: int = 0) -> None:
        self.line = line
        super().__init__(message)


class CellError(ValueError):
    """A cell that is not what its column needs (the message says what it is)."""


@dataclass
class Table:
    name: str
    path: Path
    columns: list[str]  # lower-cased, stripped
    rows_hint: int | None = None  # rows expected, for a progress bar (None: unknown)

    @property
    def label(self) -> str:
        return self.path.name

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def rows(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """(line or row number, cells in the order of ``columns``), data rows only."""
        suffix = self.path.suffix.lower()
        if suffix == ".csv":
            yield from _csv_rows(self)
            return
        reader = {".parquet": _parquet_rows, ".xlsx": _xlsx_rows}.get(suffix, _readstat_rows)
        line = 1
        try:
            for line, cells in reader(self):
                yield line, cells
        except FileProblem:
            raise
        except Exception as exc:  # the readers' own errors for a damaged or odd file
            raise FileProblem(
                _("%(file)s cannot be read after row %(line)d: %(why)s")
                % {"file": self.path.name, "line": line, "why": exc},
                line,
            ) from None


def find(directory: Path, name: str) -> Path | list[Path] | None:
    """The file of table ``name``; a list when there are several (that is a problem)."""
    found = [
        directory / f"{name}{s}"
        for s in SUFFIXES
        if (directory / f"{name}{s}").exists() or (directory / f"{name}{s.upper()}").exists()
    ]
    found = [p if p.exists() else p.with_suffix(p.suffix.upper()) for p in found]
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def open_table(name: str, path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns, hint = _csv_header(path)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise FileProblem(
                _("%(file)s is not a Parquet file that can be read: %(why)s")
                % {"file": path.name, "why": exc}
            ) from None
        columns, hint = list(meta.schema_arrow.names), meta.metadata.num_rows
    elif suffix == ".xlsx":
        columns, hint = _xlsx_header(path)
    else:
        columns, hint = _readstat_header(path)
    return Table(name, path, [str(c).strip().lower() for c in columns], hint)


# -- CSV -----------------------------------------------------------------------------------


def _not_utf8(path: Path) -> FileProblem:
    """Where the first byte that is not UTF-8 sits, and what to save the file as."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return FileProblem(
            _(
                "%(file)s is saved as UTF-16 (Excel's 'Unicode text'). Save it as UTF-8: "
                "in Excel choose 'CSV UTF-8 (comma delimited)', in LibreOffice the character "
                "set 'Unicode (UTF-8)'."
            )
            % {"file": path.name},
            1,
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    position = 0
    try:
        decoder.decode(data, final=True)
    except UnicodeDecodeError as exc:
        position = exc.start
    line = data.count(b"\n", 0, position) + 1
    byte = data[position : position + 1]
    try:
        as_ansi = data[max(0, position - 10) : position + 10].decode("cp1252")
        guess = _(
            "it looks like Windows-1252 (ANSI, Latin-1), where that byte is %(char)r in "
            "'…%(context)s…'"
        ) % {"char": byte.decode("cp1252"), "context": as_ansi.strip()}
    except UnicodeDecodeError:
        guess = _("its encoding is not one we recognise")
    return FileProblem(
        _(
            "%(file)s is not UTF-8: line %(line)d holds the byte 0x%(byte)s; %(guess)s. "
            "Save the file as UTF-8: in Excel choose 'CSV UTF-8 (comma delimited)', in "
            "LibreOffice the character set 'Unicode (UTF-8)', in an editor 'UTF-8'."
        )
        % {"file": path.name, "line": line, "byte": byte.hex().upper(), "guess": guess},
        line,
    )


def _delimiter(first_line: str) -> str:
    """``,`` unless the header line is separated by ``;`` (Excel in Dutch) or tabs."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_header(path: Path) -> tuple[list[str], int | None]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline()
            f.seek(0)
            reader = csv.reader(f, delimiter=_delimiter(first))
            header = next(reader, [])
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    if not header:
        raise FileProblem(_("%(file)s is empty: it needs a header row.") % {"file": path.name}, 1)
    size = path.stat().st_size
    return header, max(1, size // max(1, len(first.encode()) + 8)) if size else 0


def _csv_rows(table: Table) -> Iterator[tuple[int, Sequence[Any]]]:
    width = len(table.columns)
    try:
        with table.path.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline()
            f.seek(0)
            reader = csv.reader(f, delimiter=_delimiter(first), strict=True)
            next(reader)
            line = reader.line_num + 1
            for cells in reader:
                if cells:
                    if len(cells) != width:
                        raise FileProblem(
                            _("line %(line)d has %(n)d fields where the header has %(width)d")
                            % {"line": line, "n": len(cells), "width": width},
                            line,
                        )
                    yield line, cells
                line = reader.line_num + 1
    except UnicodeDecodeError:
        raise _not_utf8(table.path) from None
    except csv.Error as exc:
        raise FileProblem(
            _("%(file)s cannot be read as CSV near line %(line)d: %(why)s")
            % {"file": table.path.name, "line": reader.line_num, "why": exc},
            reader.line_num,
        ) from None


# -- Parquet, Excel, SPSS, Stata -----------------------------------------------------------


def _parquet_rows(table: Table) -> Iterator[tuple[int, Sequence[Any]]]:
    import pyarrow.parquet as pq

    row = 2
    for batch in pq.ParquetFile(table.path).iter_batches(batch_size=CHUNK_ROWS):
        columns = [c.to_pylist() for c in batch.columns]
        for cells in zip(*columns, strict=True):
            yield row, cells
            row += 1


def _open_xlsx(path: Path) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl's own errors
        raise FileProblem(
            _("%(file)s is not an Excel workbook (.xlsx) that can be read: %(why)s")
            % {"file": path.name, "why": exc}
        ) from None


def _xlsx_header(path: Path) -> tuple[list[str], int | None]:
    book = _open_xlsx(path)
    try:
        sheet = book.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        hint = sheet.max_row
    finally:
        book.close()
    columns = [("" if c is None else str(c)) for c in header]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise FileProblem(_("%(file)s is empty: it needs a header row.") % {"file": path.name}, 1)
    return columns, (hint - 1) if hint else None


def _xlsx_rows(table: Table) -> Iterator[tuple[int, Sequence[Any]]]:
    book = _open_xlsx(table.path)
    width = len(table.columns)
    try:
        sheet = book.worksheets[0]
        for row, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            values = list(cells[:width]) + [None] * (width - len(cells))
            if any(v is not None and v != "" for v in values):
                yield row, values
    finally:
        book.close()


def _readstat(path: Path) -> Any:
    import pyreadstat

    return pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta


def _readstat_header(path: Path) -> tuple[list[str], int | None]:
    import pyreadstat

    try:
        _frame, meta = _readstat(path)(str(path), metadataonly=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeDecodeError) as exc:
        raise FileProblem(
            _("%(file)s cannot be read as an SPSS or Stata file: %(why)s")
            % {"file": path.name, "why": exc}
        ) from None
    return list(meta.column_names), meta.number_rows


def _readstat_rows(table: Table) -> Iterator[tuple[int, Sequence[Any]]]:
    import pyreadstat

    row = 2
    for frame, _meta in pyreadstat.read_file_in_chunks(
        _readstat(table.path), str(table.path), chunksize=CHUNK_ROWS
    ):
        columns = [frame[c].tolist() for c in frame.columns]
        for cells in zip(*columns, strict=True):
            yield row, cells
            row += 1


# -- cells ---------------------------------------------------------------------------------


class Memo:
    """``fn`` with every distinct cell parsed once; a ``CellError`` is remembered too."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self.fn, self.args = fn, args
        self.seen: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value != value:  # NaN (a blank numeric cell) is not equal to itself: no memo
            return self.fn(value, *self.args)
        try:
            found = self.seen[value]
        except KeyError:
            try:
                found = self.fn(value, *self.args)
            except CellError as exc:
                found = exc
            self.seen[value] = found
        except TypeError:  # an unhashable cell
            return self.fn(value, *self.args)
        if isinstance(found, CellError):
            raise found
        return found


def optional(fn: Any, *args: Any) -> Memo:
    """A memo of ``fn`` that gives None for a blank cell."""
    return Memo(lambda v, *a: None if is_blank(v) else fn(v, *a), *args)


def is_blank(value: Any) -> bool:
    if type(value) is str:
        return not value.strip()
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def text(value: Any) -> str:
    """A cell as text: strings stripped; a whole number from a numeric cell without ``.0``."""
    if type(value) is str:
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):  # pandas Timestamps too
        if value.time() != dt.time(0):
            raise CellError(
                _("%(value)s is a date with a time of day, not a date") % {"value": value}
            )
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    if not _DATE.fullmatch(raw):
        raise CellError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": raw})
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CellError(_("%(value)r is not a date in the calendar") % {"value": raw}) from None


def whole(value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        raise CellError(_("%(value)r is not a whole number") % {"value": value})
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("%(value)s is not a whole number") % {"value": value})
        number = int(value)
    else:
        raw = text(value)
        if not _WHOLE.fullmatch(raw):
            raise CellError(_("%(value)r is not a whole number") % {"value": raw})
        number = int(raw.split(".")[0])
    if not lo <= number <= hi:
        raise CellError(
            _("%(value)d lies outside %(lo)d–%(hi)d") % {"value": number, "lo": lo, "hi": hi}
        )
    return number


def answer(value: Any) -> Any:
    """A measurement value as the instrument check takes it: whole numbers as ``int``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def codes(value: Any) -> list[str]:
    return [c.strip() for c in text(value).split(";") if c.strip()]
